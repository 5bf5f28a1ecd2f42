"""Conformance of everything the repository ships: every release under releases/ and every annotation file.

Each release: files match the manifest's sha256; ids unique and every document in one split only; texts match
their hashes; every passage, entity and claim offset slices to its stated text; relations and speakers point
at spans of the same document; labels come from the release's label set; no document of a source that may not
be redistributed; the newest release loads with `load_dataset` for every config. Each annotation file: valid
against the schemas and the label schema (newsbench validate), and every annotation sheet under
annotations/pilot/sheets/ is exactly what the raw export holds for its annotator.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from builder.annotate.labelstudio.convert import convert_results
from builder.annotate.sheets import resolve_sheet
from builder.jsonl import read_jsonl
from builder.labels import load_label_schema
from builder.release.conformance import check_release, check_tables
from builder.release.features import release_labels
from builder.release.layout import ReleaseFolder, list_versions
from builder.annotate.labelstudio.validation import ANNOTATION_KINDS
from builder.check.validate.run import annotation_files, validate_files

REPO = Path(__file__).resolve().parents[2]
RELEASES = REPO / "releases"
VERSIONS = list_versions(RELEASES)
ANNOTATIONS = REPO / "annotations"
SCHEMA = load_label_schema(REPO / "schema/labels.json")


def test_releases_exist() -> None:
    assert VERSIONS, "the repository ships at least one release"


@pytest.mark.parametrize("version", VERSIONS)
def test_release_conforms(version: str) -> None:
    """The release-level checks `build` runs (ids, hashes, offsets, labels, relations, splits, the licence gate),
    on the files as committed, after every file's sha256 is checked against the manifest."""
    problems = check_release(ReleaseFolder(RELEASES / version), release_labels(SCHEMA))
    assert not problems, "\n".join(problems)


def test_release_checks_find_what_a_broken_release_holds() -> None:
    """The newest release's tables with one of each kind of break: each is named with its place."""
    tables = {c: ReleaseFolder(RELEASES / VERSIONS[-1]).tables(c) for c in ("documents", "ner")}
    docs = tables["documents"]["train"].to_pylist()
    first = next(d for d in docs if d["entities"] and d["relations"])
    first["entities"][0]["offsets"] = [[0, 1]]  # no longer slices to its text
    first["text_sha256"] = "0" * 64
    first["relations"][0]["arg2_id"] = "nobody"
    docs.append(dict(docs[1]))  # the same id twice
    schema = tables["documents"]["train"].schema
    broken = {**tables, "documents": {**tables["documents"], "train": pa.Table.from_pylist(docs, schema=schema)}}
    text = "\n".join(check_tables(broken, release_labels(SCHEMA), public=True))
    assert f"documents/train {first['id']}: text_sha256 is not the hash of the text" in text
    assert f"entity {first['entities'][0]['id']}: offsets [[0, 1]] do not slice" in text
    assert f"documents/train {docs[1]['id']}: the id is a row of train (more than once)" in text
    assert f"relation {first['relations'][0]['id']}: arg2_id 'nobody' is not a span of the document" in text


def test_newest_release_loads_with_datasets() -> None:
    from datasets import load_dataset

    release = RELEASES / VERSIONS[-1]
    manifest = ReleaseFolder(release).manifest
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
        layers = convert_results(ann["result"], task["data"]["text"], SCHEMA, [], {})  # the adapter reads the export
        got = sorted((r["label"], r["start"], r["end"], tuple(sorted((r.get("attributes") or {}).items())))
                     for r in layers["entities"] + layers["claims"])
        assert got == want, path.name
