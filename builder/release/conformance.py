"""The release-level checks: what every release must hold, whatever built it.

Per config: row ids unique across all splits. `documents`: every text matches its hash; every passage, entity and
claim offset slices to its stated text; span ids unique within a document; entity types and claim attribute
values come from the release's label set; speakers, relations and their ends point at spans of the same
document; in a public release, no document of a source without a known licence. `ner` and `claims`: each row's
document is in the same split, one tag per token and every tag a known one. `raw_annotations`: each row's
document is in the same split. `build` checks each document row on its workers as the row is made
(`document_problems`) and the rest on the tables, column-wise, before it writes the release (`table_problems`);
the conformance test runs both on every release the repository ships. Each problem names the config, split, row
and field.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from builder.release.features import ReleaseLabels
from builder.release.layout import ReleaseFolder
from builder.document import UNKNOWN_LICENCES

MAX_PROBLEMS = 200  # a broken build would list every row: the first ones say enough


class _Problems(list):
    def add(self, config: str, split: str, row_id: Any, what: str) -> None:
        if len(self) < MAX_PROBLEMS:
            self.append(f"{config}/{split} {row_id}: {what}")


def _slices(text: str, span: dict[str, Any]) -> bool:
    offsets = span["offsets"]
    return (all(0 <= s < e <= len(text) for s, e in offsets)
            and [text[s:e] for s, e in offsets] == list(span["text"]))


def document_problems(row: dict[str, Any], split: str, labels: ReleaseLabels, public: bool) -> list[str]:
    """The problems of one `documents` row (the build checks each row as it is made, on the workers)."""
    out = _Problems()
    entity_types = set(labels.entity_types)
    relation_types = set(labels.relation_types)
    doc_id, text = row["id"], row["text"]
    where = lambda what: out.add("documents", split, doc_id, what)  # noqa: E731
    if hashlib.sha256(text.encode("utf-8")).hexdigest() != row["text_sha256"]:
        where("text_sha256 is not the hash of the text")
    if public and str((row["source"] or {}).get("license") or "").strip().lower() in UNKNOWN_LICENCES:
        where(f"source {row['source'].get('name')!r} has no known licence in a public release")
    for p in row["passages"]:
        if not _slices(text, p):
            where(f"passage {p['id']}: offsets {p['offsets']} do not slice to its text")
    entities = {e["id"]: e for e in row["entities"]}
    claims = {c["id"]: c for c in row["claims"]}
    if len(entities) != len(row["entities"]) or len(claims) != len(row["claims"]):
        where("span ids repeat within the document")
    for e in row["entities"]:
        if not _slices(text, e):
            where(f"entity {e['id']}: offsets {e['offsets']} do not slice to {e['text']!r}")
        if e["type"] not in entity_types:
            where(f"entity {e['id']}: type {e['type']!r} is not one of {sorted(entity_types)}")
    for c in row["claims"]:
        if not _slices(text, c):
            where(f"claim {c['id']}: offsets {c['offsets']} do not slice to {c['text']!r}")
        for name, values in labels.claim_attributes.items():
            if name in c and c[name] is not None and c[name] not in values:
                where(f"claim {c['id']}: {name} {c[name]!r} is not one of {list(values)}")
        if c["speaker_id"] is not None and c["speaker_id"] not in entities:
            where(f"claim {c['id']}: speaker {c['speaker_id']!r} is not an entity of the document")
    spans = entities.keys() | claims.keys()
    for r in row["relations"]:
        if r["type"] not in relation_types:
            where(f"relation {r['id']}: type {r['type']!r} is not one of {sorted(relation_types)}")
        for end in ("arg1_id", "arg2_id"):
            if r[end] not in spans:
                where(f"relation {r['id']}: {end} {r[end]!r} is not a span of the document")
    return list(out)


def _first(values: pa.Array, n: int = 5) -> list[Any]:
    return values.slice(0, n).to_pylist()


def table_problems(tables: dict[str, dict[str, pa.Table]], labels: ReleaseLabels) -> list[str]:
    """What holds across rows and configs, checked column-wise: row ids unique across all splits of a config; every
    sentence and raw-annotation row's document in the same split; one known tag per token."""
    out = _Problems()
    for config, per_split in tables.items():
        ids = pa.chunked_array([c for t in per_split.values() for c in t.column("id").chunks], pa.string())
        counts = pc.value_counts(ids)
        repeated = pc.filter(counts.field("values"), pc.greater(counts.field("counts"), 1))
        for row_id in _first(repeated, MAX_PROBLEMS):
            splits = [s for s, t in per_split.items() if pc.any(pc.equal(t.column("id"), row_id)).as_py()]
            out.add(config, splits[0], row_id, f"the id is a row of {', '.join(splits)} (more than once)")
    docs = {split: t.column("id") for split, t in tables.get("documents", {}).items()}
    for config in ("ner", "claims", "raw_annotations"):
        for split, table in tables.get(config, {}).items():
            known = docs[split].combine_chunks() if split in docs else pa.array([], pa.string())
            inside = pc.is_in(table.column("document_id"), value_set=known)
            stray = table.filter(pc.invert(inside))
            for row_id, doc_id in zip(_first(stray.column("id").combine_chunks(), MAX_PROBLEMS),
                                      _first(stray.column("document_id").combine_chunks(), MAX_PROBLEMS)):
                out.add(config, split, row_id, f"its document {doc_id} is not in {split}")
    for config, column, names in (("ner", "ner_tags", labels.ner_tags), ("claims", "claim_tags", labels.claim_tags)):
        for split, table in tables.get(config, {}).items():
            tags, tokens = table.column(column), table.column("tokens")
            bad = pc.not_equal(pc.list_value_length(tags), pc.list_value_length(tokens))
            flat = pc.list_flatten(tags)
            if len(flat):
                bounds = pc.min_max(flat)
                if bounds["min"].as_py() < 0 or bounds["max"].as_py() >= len(names):
                    bad = pc.or_(bad, _rows_with_unknown_tags(tags, len(names)))
            for row_id in _first(table.filter(bad).column("id").combine_chunks(), MAX_PROBLEMS):
                out.add(config, split, row_id, f"{column} do not give one known tag per token")
    return list(out)


def _rows_with_unknown_tags(tags: pa.ChunkedArray, n_names: int) -> pa.ChunkedArray:
    """Per row: whether one of its tags is not a known ClassLabel id."""
    flags = []
    for chunk in tags.chunks:
        flat = chunk.flatten()
        unknown = pc.or_(pc.less(flat, 0), pc.greater_equal(flat, n_names))
        parents = pc.list_parent_indices(chunk)
        hit = pc.unique(pc.filter(parents, unknown)).to_numpy()
        mask = np.zeros(len(chunk), dtype=bool)
        mask[hit] = True
        flags.append(pa.array(mask))
    return pa.chunked_array(flags, pa.bool_())


def check_tables(tables: dict[str, dict[str, pa.Table]], labels: ReleaseLabels, *, public: bool) -> list[str]:
    """Every problem of a release's tables (config -> split -> table), located; empty when it conforms."""
    out = table_problems(tables, labels)
    for split, table in tables.get("documents", {}).items():
        for row in table.to_pylist():
            out += document_problems(row, split, labels, public)
    return out[:MAX_PROBLEMS]


def check_release(release: ReleaseFolder, labels: ReleaseLabels) -> list[str]:
    """`check_tables` on a release folder's Parquet files (after its files are checked against the manifest)."""
    manifest = release.verify()
    tables = {config: release.tables(config) for config in release.configs()}
    return check_tables(tables, labels, public=bool(manifest.get("public", True)))
