"""The release-level checks: what every release must hold, whatever built it.

Per config: row ids unique across all splits. `documents`: every text matches its hash; every passage, entity and
claim offset slices to its stated text; span ids unique within a document; entity types and claim attribute
values come from the release's label set; speakers, relations and their ends point at spans of the same
document; in a public release, no document of a source without a known licence. `ner` and `claims`: each row's
document is in the same split, one tag per token and every tag a known one. `raw_annotations`: each row's
document is in the same split. `build` runs these on the tables before it writes a release; the conformance
test runs them on every release the repository ships. Each problem names the config, split, row and field.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pyarrow as pa

from builder.release.features import ReleaseLabels
from builder.release.layout import ReleaseFolder
from builder.release.licence import UNKNOWN_LICENCES

MAX_PROBLEMS = 200  # a broken build would list every row: the first ones say enough


class _Problems(list):
    def add(self, config: str, split: str, row_id: Any, what: str) -> None:
        if len(self) < MAX_PROBLEMS:
            self.append(f"{config}/{split} {row_id}: {what}")


def _slices(text: str, span: dict[str, Any]) -> bool:
    offsets = span["offsets"]
    return (all(0 <= s < e <= len(text) for s, e in offsets)
            and [text[s:e] for s, e in offsets] == list(span["text"]))


def _documents(rows: list[dict[str, Any]], split: str, labels: ReleaseLabels, public: bool,
               out: _Problems) -> None:
    entity_types = set(labels.entity_types)
    relation_types = set(labels.relation_types)
    for row in rows:
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


def _unique_ids(config: str, tables: dict[str, pa.Table], out: _Problems) -> dict[str, str]:
    """Row id -> split; a repeated id is a problem."""
    seen: dict[str, str] = {}
    for split, table in tables.items():
        for row_id in table.column("id").to_pylist():
            if row_id in seen:
                out.add(config, split, row_id, f"the id is also a row of {seen[row_id]}")
            else:
                seen[row_id] = split
    return seen


def check_tables(tables: dict[str, dict[str, pa.Table]], labels: ReleaseLabels, *, public: bool) -> list[str]:
    """Every problem of a release's tables (config -> split -> table), located; empty when it conforms."""
    out = _Problems()
    splits_of: dict[str, str] = {}
    for config, per_split in tables.items():
        ids = _unique_ids(config, per_split, out)
        if config == "documents":
            splits_of = ids
    for split, table in tables.get("documents", {}).items():
        _documents(table.to_pylist(), split, labels, public, out)
    for config, column, names in (("ner", "ner_tags", labels.ner_tags), ("claims", "claim_tags", labels.claim_tags)):
        for split, table in tables.get(config, {}).items():
            rows = table.select(["id", "document_id", "tokens", column]).to_pylist()
            for row in rows:
                if splits_of.get(row["document_id"]) != split:
                    out.add(config, split, row["id"], f"its document {row['document_id']} is not in {split}")
                tags = row[column]
                if len(tags) != len(row["tokens"]) or not all(0 <= t < len(names) for t in tags):
                    out.add(config, split, row["id"], f"{column} do not give one known tag per token")
    for split, table in tables.get("raw_annotations", {}).items():
        for row_id, doc_id in zip(table.column("id").to_pylist(), table.column("document_id").to_pylist()):
            if splits_of.get(doc_id) != split:
                out.add("raw_annotations", split, row_id, f"its document {doc_id} is not in {split}")
    return list(out)


def check_release(release: ReleaseFolder, labels: ReleaseLabels) -> list[str]:
    """`check_tables` on a release folder's Parquet files (after its files are checked against the manifest)."""
    manifest = release.verify()
    tables = {config: release.tables(config) for config in release.configs()}
    return check_tables(tables, labels, public=bool(manifest.get("public", True)))
