"""Conformance of everything the repository ships: every release under releases/ and every annotation file.

Each release: files match the manifest's sha256; ids unique and every document in one split only; texts match
their hashes; every passage, entity and claim offset slices to its stated text; relations and speakers point
at spans of the same document; labels come from the release's label set; no document of a source that may not
be redistributed; the newest release loads with `load_dataset` for every config. Each annotation file: valid
against the schemas and the label schema (newsbench validate), and every annotation sheet under
annotations/pilot/sheets/ is exactly what the raw export holds for its annotator.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from builder.annotate.sheets import resolve_sheet
from builder.jsonl import read_jsonl
from builder.labels import load_label_schema
from builder.release.build import list_versions, read_manifest, verify_release
from builder.annotate.labelstudio.validation import ANNOTATION_KINDS
from builder.check.validate.run import annotation_files, validate_files

REPO = Path(__file__).resolve().parent.parent
RELEASES = REPO / "releases"
VERSIONS = list_versions(RELEASES)
ANNOTATIONS = REPO / "annotations"
SCHEMA = load_label_schema(REPO / "schema/labels.json")


def _rows(release: Path, config: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for path in sorted((release / "data" / config).glob("*.parquet")):
        split = path.name.split("-")[0]
        out.setdefault(split, []).extend(pq.read_table(path).to_pylist())
    return out


def _slices(text: str, span: dict) -> bool:
    pieces = ["".join(text[s:e]) for s, e in span["offsets"]]
    return all(0 <= s < e <= len(text) for s, e in span["offsets"]) and pieces == list(span["text"])


def test_releases_exist() -> None:
    assert VERSIONS, "the repository ships at least one release"


@pytest.mark.parametrize("version", VERSIONS)
def test_release_conforms(version: str) -> None:
    release = RELEASES / version
    manifest = verify_release(release)  # every file's sha256 against the manifest
    labels = manifest["labels"]
    entity_types = {t[2:] for t in labels["ner_tags"] if t != "O"}
    docs = _rows(release, "documents")
    seen: dict[str, str] = {}
    for split, rows in docs.items():
        for row in rows:
            doc_id = row["id"]
            assert doc_id not in seen, f"{doc_id} is in {seen[doc_id]} and {split}"
            seen[doc_id] = split
            text = row["text"]
            assert hashlib.sha256(text.encode()).hexdigest() == row["text_sha256"], doc_id
            assert row["source"]["license"] not in (None, "", "unknown"), f"{doc_id}: licence gate"
            for passage in row["passages"]:
                assert _slices(text, passage), (doc_id, passage["id"])
            entities = {e["id"]: e for e in row["entities"]}
            claims = {c["id"]: c for c in row["claims"]}
            assert len(entities) == len(row["entities"]) and len(claims) == len(row["claims"]), doc_id
            for e in row["entities"]:
                assert _slices(text, e) and e["type"] in entity_types, (doc_id, e)
            for c in row["claims"]:
                assert _slices(text, c), (doc_id, c)
                assert c["checkworthy"] in (None, *SCHEMA.attribute("checkworthy").values), (doc_id, c)
                assert c["kind"] in (None, *SCHEMA.attribute("kind").values), (doc_id, c)
                assert c["speaker_id"] is None or c["speaker_id"] in entities, (doc_id, c)
            for r in row["relations"]:
                assert r["arg1_id"] in claims and r["arg2_id"] in entities, (doc_id, r)
    for config in ("ner", "claims"):
        for split, rows in _rows(release, config).items():
            for row in rows:
                assert seen.get(row["document_id"]) == split, f"{config}: {row['document_id']} not in {split}"
                tags = row.get("ner_tags") if config == "ner" else row.get("claim_tags")
                names = labels["ner_tags"] if config == "ner" else labels["claim_tags"]
                assert len(tags) == len(row["tokens"]) and all(0 <= t < len(names) for t in tags)
    if "raw_annotations" in manifest["configs"]:
        for split, rows in _rows(release, "raw_annotations").items():
            assert all(seen.get(r["document_id"]) == split for r in rows), f"raw_annotations/{split}"


def test_newest_release_loads_with_datasets() -> None:
    from datasets import load_dataset

    release = RELEASES / VERSIONS[-1]
    manifest = read_manifest(release)
    for config, splits in manifest["configs"].items():
        ds = load_dataset(str(release), config)
        assert {s: ds[s].num_rows for s in ds} == {s: v["rows"] for s, v in splits.items()}, config


def test_annotation_files_validate(tmp_path: Path) -> None:
    files = annotation_files(ANNOTATIONS)
    report = validate_files(files, SCHEMA, corpus=None, out_dir=tmp_path, root=REPO, keep_valid=False,
                            kinds=ANNOTATION_KINDS)
    assert report.exit_code == 0, report.text(limit=20)


def _export_tasks() -> dict[str, dict]:
    tasks: dict[str, dict] = {}
    for path in sorted((ANNOTATIONS / "raw").glob("*/tasks.jsonl")):
        for task in read_jsonl(path):
            tasks[task["data"]["doc_id"]] = task
    return tasks


def test_sheets_are_what_the_export_holds() -> None:
    sheets = sorted((ANNOTATIONS / "pilot" / "sheets").glob("*.json"))
    tasks = _export_tasks()
    assert sheets, "the pilot's annotation sheets ship under annotations/pilot/sheets/"
    for path in sheets:
        sheet = json.loads(path.read_text(encoding="utf-8"))
        task = tasks[sheet["document_id"]]
        resolved = resolve_sheet(task["data"]["text"], sheet, SCHEMA, where=str(path))
        want = sorted((r.label, r.start, r.end, tuple(sorted(r.attributes.items()))) for r in resolved.regions)
        [ann] = [a for a in task["annotations"] if not a.get("was_cancelled")]
        spans = {}
        for item in ann["result"]:
            if item.get("type") == "labels":
                v = item["value"]
                spans[item["id"]] = [v["labels"][0], v["start"], v["end"], {}]
        for item in ann["result"]:
            if item.get("type") == "choices" and item["id"] in spans:
                spans[item["id"]][3][item["from_name"]] = item["value"]["choices"][0]
        got = sorted((label, s, e, tuple(sorted(a.items()))) for label, s, e, a in spans.values())
        assert got == want, path.name
