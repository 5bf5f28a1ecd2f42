"""What changed between two releases: documents added, removed, moved between splits or re-texted, and spans
added, removed or changed per label.

Both sides are `documents` tables (read from a release's Parquet, or the table a build is about to write), so
the same comparison decides a new build's version and prints `newsbench diff v1 v2`. Spans are matched by their
offsets within a document: same offsets with another label (or, for claims, other attributes or speaker) is a
change, counted under the new label; offsets on one side only are an addition or a removal.
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


@dataclass
class Changes:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    moved: list[tuple[str, str, str]] = field(default_factory=list)  # id, old split, new split
    retexted: list[str] = field(default_factory=list)
    newly_annotated: list[str] = field(default_factory=list)
    spans: Counter = field(default_factory=Counter)  # (layer, label, added|removed|changed) -> n
    doc_labels: Counter = field(default_factory=Counter)  # (name, added|removed|changed) -> n

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.moved or self.retexted or self.newly_annotated
                    or self.spans or self.doc_labels)

    def summary(self) -> dict[str, Any]:
        """A JSON-able summary for the manifest: counts, and the first ids of each kind."""
        spans: dict[str, dict[str, dict[str, int]]] = {}
        for (layer, label, what), n in sorted(self.spans.items()):
            spans.setdefault(layer, {}).setdefault(label, {})[what] = n
        labels: dict[str, dict[str, int]] = {}
        for (name, what), n in sorted(self.doc_labels.items()):
            labels.setdefault(name, {})[what] = n
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


def _claim_value(c: dict[str, Any]) -> tuple:
    return c.get("checkworthy"), c.get("kind"), c.get("speaker_id") is not None


def _compare_spans(layer: str, old: list[dict[str, Any]], new: list[dict[str, Any]], label_of, value_of,
                   out: Counter) -> None:
    before = {_entity_key(s): s for s in old}
    after = {_entity_key(s): s for s in new}
    for key, s in after.items():
        if key not in before:
            out[(layer, label_of(s), "added")] += 1
        elif (label_of(before[key]), value_of(before[key])) != (label_of(s), value_of(s)):
            out[(layer, label_of(s), "changed")] += 1
    for key, s in before.items():
        if key not in after:
            out[(layer, label_of(s), "removed")] += 1


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
        if o["annotation_status"] != r["annotation_status"] and o["annotation_status"] == "unannotated":
            changes.newly_annotated.append(r["id"])
        _compare_spans("entities", o["entities"], r["entities"], lambda s: s["type"], lambda s: None, changes.spans)
        _compare_spans("claims", o["claims"], r["claims"], lambda s: claim_label, _claim_value, changes.spans)
        before = {d["name"]: d["value"] for d in o["doc_labels"]}
        after = {d["name"]: d["value"] for d in r["doc_labels"]}
        for name in before.keys() | after.keys():
            if name not in before:
                changes.doc_labels[(name, "added")] += 1
            elif name not in after:
                changes.doc_labels[(name, "removed")] += 1
            elif before[name] != after[name]:
                changes.doc_labels[(name, "changed")] += 1
    for r in new.select(COLUMNS).take(pa.array([new_by_id[i] for i in changes.added], pa.int64())).to_pylist():
        for e in r["entities"]:
            changes.spans[("entities", e["type"], "added")] += 1
        for _ in r["claims"]:
            changes.spans[("claims", claim_label, "added")] += 1
    for doc_id in changes.removed:
        for e in old_rows[doc_id]["entities"]:
            changes.spans[("entities", e["type"], "removed")] += 1
        for _ in old_rows[doc_id]["claims"]:
            changes.spans[("claims", claim_label, "removed")] += 1
    return changes


def diff_releases(old: ReleaseFolder, new: ReleaseFolder) -> Changes:
    """Changes between two release folders; the claim label is the one the newer release's manifest names."""
    return compare(read_documents(old), read_documents(new), claim_label=new.manifest["labels"]["claim"])


def changes_markdown(summary: dict[str, Any], old: str, new: str) -> str:
    """The changelog entry of `new` against `old`, from a `Changes.summary()`."""
    d = summary["documents"]
    lines = [f"### {new} (from {old})", ""]
    parts = [f"{n} {what.replace('_', ' ')}" for what, n in d.items() if n]
    lines.append("Documents: " + (", ".join(parts) if parts else "no change") + ".")
    if summary["spans"]:
        lines += ["", "| layer | label | added | removed | changed |", "|---|---|---:|---:|---:|"]
        for layer, per_label in summary["spans"].items():
            for label, n in per_label.items():
                lines.append(f"| {layer} | {label} | {n.get('added', 0)} | {n.get('removed', 0)} | "
                             f"{n.get('changed', 0)} |")
    else:
        lines += ["", "Spans: no change."]
    for name, n in summary["doc_labels"].items():
        lines.append(f"\nDocument label `{name}`: " + ", ".join(f"{v} {k}" for k, v in n.items()) + ".")
    moved = summary["examples"]["moved"]
    if moved:
        lines.append("\nMoved: " + ", ".join(f"{i} ({a} -> {b})" for i, a, b in moved) + ".")
    return "\n".join(lines) + "\n"
