"""What changed between two releases: documents added, removed, moved between splits, re-texted or with another
annotation status; spans added, removed or changed per label; claim attributes and speakers changed; document
labels; card sections. Every kind of change lists the first document ids it concerns.

Both sides are `documents` tables (read from a release's Parquet, or the table a build is about to write), so
the same comparison decides a new build's version and prints `newsbench diff v1 v2`. Spans are matched by their
offsets within a document: same offsets with another label is a change, counted under the new label; offsets on
one side only are an addition or a removal. A claim on the same offsets whose check-worthiness, kind or speaker
(compared by the speaker span's offsets) differs is counted per attribute.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from builder.errors import InputError
from builder.release.layout import ReleaseFolder

COLUMNS = ["id", "split", "text_sha256", "annotation_status", "entities", "claims", "doc_labels"]
_MAX_LISTED = 50  # document ids listed per kind of change (all are counted)
_MAX_EXAMPLES = 5  # document ids shown per row of the changelog


@dataclass
class Changes:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    moved: list[tuple[str, str, str]] = field(default_factory=list)  # id, old split, new split
    retexted: list[str] = field(default_factory=list)
    newly_annotated: list[str] = field(default_factory=list)
    spans: Counter = field(default_factory=Counter)  # (layer, label, added|removed|changed) -> n
    doc_labels: Counter = field(default_factory=Counter)  # (name, added|removed|changed) -> n
    claim_values: Counter = field(default_factory=Counter)  # (checkworthy|kind|speaker, "old -> new") -> n
    status: Counter = field(default_factory=Counter)  # "old -> new" annotation status -> n
    sections: dict[str, list[str]] = field(default_factory=dict)  # added|removed|changed -> card section files
    where: dict[tuple, list[str]] = field(default_factory=dict)  # a key of the counters above -> document ids

    def note(self, key: tuple, doc_id: str) -> None:
        ids = self.where.setdefault(key, [])
        if len(ids) < _MAX_LISTED and (not ids or ids[-1] != doc_id):
            ids.append(doc_id)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.moved or self.retexted or self.newly_annotated
                    or self.spans or self.doc_labels or self.claim_values or self.status or self.sections)

    def summary(self) -> dict[str, Any]:
        """A JSON-able summary for the manifest: counts, and the first ids of each kind."""
        spans: dict[str, dict[str, dict[str, int]]] = {}
        for (layer, label, what), n in sorted(self.spans.items()):
            spans.setdefault(layer, {}).setdefault(label, {})[what] = n
        labels: dict[str, dict[str, int]] = {}
        for (name, what), n in sorted(self.doc_labels.items()):
            labels.setdefault(name, {})[what] = n
        values: dict[str, dict[str, int]] = {}
        for (name, change), n in sorted(self.claim_values.items()):
            values.setdefault(name, {})[change] = n
        return {
            "documents": {
                "added": len(self.added), "removed": len(self.removed), "moved": len(self.moved),
                "text_changed": len(self.retexted), "newly_annotated": len(self.newly_annotated),
            },
            "examples": {
                "added": self.added[:_MAX_LISTED], "removed": self.removed[:_MAX_LISTED],
                "moved": [list(m) for m in self.moved[:_MAX_LISTED]], "text_changed": self.retexted[:_MAX_LISTED],
            },
            "spans": spans,
            "doc_labels": labels,
            "claim_values": values,
            "annotation_status": dict(sorted(self.status.items())),
            "card_sections": {k: v for k, v in sorted(self.sections.items()) if v},
            "where": {"/".join(map(str, k)): v for k, v in sorted(self.where.items(), key=lambda kv: repr(kv[0]))},
        }


def with_split(tables: dict[str, pa.Table]) -> pa.Table:
    """One table of the comparison columns from per-split `documents` tables, with a `split` column."""
    parts = [t.select([c for c in COLUMNS if c != "split"]).append_column("split", pa.array([s] * t.num_rows, pa.string()))
             for s, t in tables.items()]
    return pa.concat_tables(parts)


def read_documents(release: ReleaseFolder) -> pa.Table:
    """The comparison columns of a release's `documents` config, all splits."""
    if not release.splits("documents"):
        raise InputError("the release has no documents config", where=str(release.path),
                         fix="pass a release folder built by `newsbench build`")
    return with_split(release.tables("documents", [c for c in COLUMNS if c != "split"]))


def _entity_key(e: dict[str, Any]) -> tuple:
    return tuple(tuple(o) for o in e["offsets"])


def _claim_values(c: dict[str, Any], speakers: dict[str, tuple]) -> dict[str, Any]:
    """What a claim says besides its span; the speaker by its span's offsets (ids differ between releases)."""
    speaker = speakers.get(c.get("speaker_id")) if c.get("speaker_id") else None
    return {"checkworthy": c.get("checkworthy"), "kind": c.get("kind"),
            "speaker": "-".join(map(str, speaker[0])) if speaker else None}


def _compare_spans(changes: Changes, doc_id: str, layer: str, old: list[dict[str, Any]],
                   new: list[dict[str, Any]], label_of) -> None:
    before = {_entity_key(s): s for s in old}
    after = {_entity_key(s): s for s in new}
    for key, s in after.items():
        if key not in before:
            what = "added"
        elif label_of(before[key]) != label_of(s):
            what = "changed"
        else:
            continue
        changes.spans[(layer, label_of(s), what)] += 1
        changes.note((layer, label_of(s), what), doc_id)
    for key, s in before.items():
        if key not in after:
            changes.spans[(layer, label_of(s), "removed")] += 1
            changes.note((layer, label_of(s), "removed"), doc_id)


def _compare_claims(changes: Changes, doc_id: str, old: dict[str, Any], new: dict[str, Any]) -> None:
    """Check-worthiness, kind and speaker of the claims both sides have on the same offsets."""
    speakers_old = {e["id"]: _entity_key(e) for e in old["entities"]}
    speakers_new = {e["id"]: _entity_key(e) for e in new["entities"]}
    before = {_entity_key(c): _claim_values(c, speakers_old) for c in old["claims"]}
    for c in new["claims"]:
        key = _entity_key(c)
        if key not in before:
            continue
        now = _claim_values(c, speakers_new)
        for name, value in now.items():
            if before[key][name] != value:
                change = f"{before[key][name]} -> {value}"
                changes.claim_values[(name, change)] += 1
                changes.note(("claim", name, change), doc_id)


def compare(old: pa.Table, new: pa.Table, *, claim_label: str) -> Changes:
    """Changes from the `old` documents table to the `new` one; claims are counted under `claim_label`."""
    changes = Changes()
    old_rows = {r["id"]: r for r in old.select(COLUMNS).to_pylist()}
    new_ids = new.column("id").to_pylist()
    new_by_id = dict(zip(new_ids, range(len(new_ids))))
    changes.removed = sorted(set(old_rows) - set(new_by_id))
    changes.added = sorted(set(new_by_id) - set(old_rows))
    common = sorted(set(new_by_id) & set(old_rows))
    subset = new.select(COLUMNS).take(pa.array([new_by_id[i] for i in common], pa.int64())).to_pylist()
    for r in subset:
        o = old_rows[r["id"]]
        if o["split"] != r["split"]:
            changes.moved.append((r["id"], o["split"], r["split"]))
        if o["text_sha256"] != r["text_sha256"]:
            changes.retexted.append(r["id"])
        if o["annotation_status"] != r["annotation_status"]:
            if o["annotation_status"] == "unannotated":
                changes.newly_annotated.append(r["id"])
            step = f"{o['annotation_status']} -> {r['annotation_status']}"
            changes.status[step] += 1
            changes.note(("status", step), r["id"])
        _compare_spans(changes, r["id"], "entities", o["entities"], r["entities"], lambda s: s["type"])
        _compare_spans(changes, r["id"], "claims", o["claims"], r["claims"], lambda s: claim_label)
        _compare_claims(changes, r["id"], o, r)
        before = {d["name"]: d["value"] for d in o["doc_labels"]}
        after = {d["name"]: d["value"] for d in r["doc_labels"]}
        for name in sorted(before.keys() | after.keys()):
            what = ("added" if name not in before else "removed" if name not in after
                    else "changed" if before[name] != after[name] else None)
            if what:
                changes.doc_labels[(name, what)] += 1
                changes.note(("doc_label", name, what), r["id"])
    for r in new.select(COLUMNS).take(pa.array([new_by_id[i] for i in changes.added], pa.int64())).to_pylist():
        _compare_spans(changes, r["id"], "entities", [], r["entities"], lambda s: s["type"])
        _compare_spans(changes, r["id"], "claims", [], r["claims"], lambda s: claim_label)
    for doc_id in changes.removed:
        _compare_spans(changes, doc_id, "entities", old_rows[doc_id]["entities"], [], lambda s: s["type"])
        _compare_spans(changes, doc_id, "claims", old_rows[doc_id]["claims"], [], lambda s: claim_label)
    return changes


def section_changes(old_inputs: dict[str, Any], new_inputs: dict[str, Any]) -> dict[str, list[str]]:
    """Hand-written card sections added, removed or changed, from the `card_sections` of two manifests' inputs."""
    def by_name(inputs: dict[str, Any]) -> dict[str, str]:
        return {f["path"].rsplit("/", 1)[-1]: f["sha256"] for f in inputs.get("card_sections") or []}

    before, after = by_name(old_inputs), by_name(new_inputs)
    return {"added": sorted(set(after) - set(before)), "removed": sorted(set(before) - set(after)),
            "changed": sorted(n for n in set(before) & set(after) if before[n] != after[n])}


def diff_releases(old: ReleaseFolder, new: ReleaseFolder) -> Changes:
    """Changes between two release folders; the claim label is the one the newer release's manifest names."""
    changes = compare(read_documents(old), read_documents(new), claim_label=new.manifest["labels"]["claim"])
    changes.sections = section_changes(old.manifest.get("inputs", {}), new.manifest.get("inputs", {}))
    return changes


def _ids(summary: dict[str, Any], *key: str) -> str:
    ids = summary.get("where", {}).get("/".join(key)) or []
    more = " ..." if len(ids) > _MAX_EXAMPLES else ""
    return ", ".join(f"`{i}`" for i in ids[:_MAX_EXAMPLES]) + more


def changes_markdown(summary: dict[str, Any], old: str, new: str) -> str:
    """The changelog entry of `new` against `old`, from a `Changes.summary()`."""
    d = summary["documents"]
    ex = summary["examples"]
    lines = [f"### {new} (from {old})", ""]
    parts = [f"{n} {what.replace('_', ' ')}" for what, n in d.items() if n]
    lines.append("Documents: " + (", ".join(parts) if parts else "no change") + ".")
    for what in ("added", "removed", "text_changed"):
        if ex.get(what):
            shown = ", ".join(f"`{i}`" for i in ex[what][:_MAX_EXAMPLES])
            lines.append(f"{what.replace('_', ' ').capitalize()}: {shown}" + (" ..." if d[what] > _MAX_EXAMPLES else "")
                         + ".")
    if summary["spans"]:
        lines += ["", "| layer | label | added | removed | changed | e.g. in |", "|---|---|---:|---:|---:|---|"]
        for layer, per_label in summary["spans"].items():
            for label, n in per_label.items():
                where = next((_ids(summary, layer, label, w) for w in ("changed", "added", "removed")
                              if n.get(w)), "")
                lines.append(f"| {layer} | {label} | {n.get('added', 0)} | {n.get('removed', 0)} | "
                             f"{n.get('changed', 0)} | {where} |")
    else:
        lines += ["", "Spans: no change."]
    values = summary.get("claim_values") or {}
    if values:
        lines += ["", "Claims on the same span with another value:", "",
                  "| what | from -> to | claims | e.g. in |", "|---|---|---:|---|"]
        for name, per in values.items():
            for change, n in per.items():
                lines.append(f"| {name} | {change} | {n} | {_ids(summary, 'claim', name, change)} |")
    for name, n in summary["doc_labels"].items():
        lines.append(f"\nDocument label `{name}`: " + ", ".join(
            f"{v} {k} ({_ids(summary, 'doc_label', name, k)})" for k, v in n.items()) + ".")
    for step, n in (summary.get("annotation_status") or {}).items():
        lines.append(f"\nAnnotation status {step}: {n} documents ({_ids(summary, 'status', step)}).")
    for what, names in (summary.get("card_sections") or {}).items():
        lines.append(f"\nCard sections {what}: " + ", ".join(f"`{n}`" for n in names) + ".")
    moved = ex["moved"]
    if moved:
        lines.append("\nMoved: " + ", ".join(f"{i} ({a} -> {b})" for i, a, b in moved) + ".")
    return "\n".join(lines) + "\n"
