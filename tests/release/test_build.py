"""Releases: layout, loading from a fresh process, determinism, versions, licence gate, bad gold, diff."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from builder.cli import main
from builder.config import load_config
from builder.errors import ConfigError, DataInvalidError, InputError
from builder.release.build import build_release
from builder.release.layout import ReleaseFolder, find_release, releases_dir
from builder.release.version import bumped
from tests.helpers.release_fixture import read_jsonl, release_project, write_jsonl

LOAD_ALL = """
import json, sys
from datasets import load_dataset
folder, configs = sys.argv[1], json.loads(sys.argv[2])
out = {}
for name, splits in configs.items():
    ds = load_dataset(folder, name)
    out[name] = {split: ds[split].num_rows for split in ds}
    assert set(ds) == set(splits), (name, set(ds), set(splits))
ner = load_dataset(folder, "ner")["train"]
out["tag_names"] = ner.features["ner_tags"].feature.names
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("release")
    config = load_config(release_project(root))
    result = build_release(config)
    return root, config, result


def parquet_hashes(release: Path) -> dict[str, str]:
    files = orjson.loads((release / "manifest.json").read_bytes())["files"]
    return {f: v["sha256"] for f, v in files.items() if f.endswith(".parquet")}


def test_release_layout_and_load_dataset_from_a_fresh_process(built):
    root, _, result = built
    assert result.status == "built" and result.version == "1.0.0" and result.path == root / "releases" / "1.0.0"
    configs = result.manifest["configs"]
    assert set(configs) == {"documents", "ner", "claims", "raw_annotations"}
    for name, splits in configs.items():
        for split, entry in splits.items():
            assert entry["files"] == [f"data/{name}/{split}-00000-of-00001.parquet"]
    assert not list(result.path.rglob("*.py"))  # no loading script
    env_python = sys.executable
    proc = subprocess.run(
        [env_python, "-c", LOAD_ALL, str(result.path), json.dumps({n: list(s) for n, s in configs.items()})],
        capture_output=True, text=True, timeout=300, cwd=root,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    loaded = json.loads(proc.stdout.strip().splitlines()[-1])
    for name, splits in configs.items():
        assert loaded[name] == {split: entry["rows"] for split, entry in splits.items()}
    assert loaded["tag_names"] == result.manifest["labels"]["ner_tags"]


def test_release_unannotated_documents_are_in_documents_only(built):
    _, _, result = built
    stats = result.manifest["statistics"]
    assert stats["documents"]["validation"] == {"gold": 1, "unannotated": 1}
    # ner holds the sentences of the 4 annotated documents, not of the 2 unannotated ones
    assert sum(stats["rows"]["ner"].values()) == sum(s["ner"] for s in stats["sentences"].values())


def test_release_licence_gate_keeps_the_seed_out_of_a_public_release(built):
    root, _, result = built
    m = result.manifest
    assert m["public"] is True and m["restricted_sources"] == []
    assert m["statistics"]["sources"]["kompastv-seed"] == {"license": "unknown", "redistributable": False,
                                                          "included": 0, "excluded": 1}
    rejects = read_jsonl(root / "work" / "build" / "rejects.jsonl")
    assert {r["reason"] for r in rejects} == {"not_redistributable", "annotation_of_document_not_in_release"}
    texts = b"".join(p.read_bytes() for p in result.path.rglob("*.parquet"))
    assert b"Vladimir Putin" not in texts and b"kompastv-seed" not in texts


def test_release_private_when_restricted_sources_are_included(tmp_path):
    config = load_config(release_project(tmp_path), {"release.include_restricted": True})
    result = build_release(config)
    assert result.manifest["public"] is False and result.manifest["restricted_sources"] == ["kompastv-seed"]
    assert result.manifest["statistics"]["sources"]["kompastv-seed"]["included"] == 1
    assert "private release" in (result.path / "README.md").read_text()


def test_release_same_inputs_give_identical_parquet_bytes(built, tmp_path):
    root, _, result = built
    other = load_config(release_project(tmp_path))
    again = build_release(other)
    assert again.version == result.version
    assert parquet_hashes(again.path) == parquet_hashes(result.path)
    for f in parquet_hashes(result.path):
        assert (again.path / f).read_bytes() == (result.path / f).read_bytes()


def test_release_rebuilding_an_existing_version_is_a_no_op(built):
    _, config, result = built
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in result.path.rglob("*") if p.is_file()}
    for version in (None, "1.0.0"):
        again = build_release(config, version=version)
        assert again.status == "unchanged" and again.version == "1.0.0"
    assert before == {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in result.path.rglob("*") if p.is_file()}


def test_release_refuses_other_inputs_for_an_existing_version(tmp_path):
    config = load_config(release_project(tmp_path))
    build_release(config)
    gold = tmp_path / "annotations" / "gold" / "gold.jsonl"
    records = read_jsonl(gold)
    records[0]["entities"][0]["type"] = "ORG"
    write_jsonl(gold, records)
    with pytest.raises(ConfigError, match=r"release 1.0.0 exists and was built from other inputs \(changed: gold\)"):
        build_release(config, version="1.0.0")


def test_release_versions_follow_the_kind_of_change(tmp_path):
    config = load_config(release_project(tmp_path))
    assert build_release(config).version == "1.0.0"
    gold = tmp_path / "annotations" / "gold" / "gold.jsonl"
    records = read_jsonl(gold)
    # a correction: one entity's label changes -> patch
    records[0]["entities"][0]["type"] = "ORG"
    write_jsonl(gold, records)
    patch = build_release(config)
    assert (patch.version, patch.manifest["bump"]) == ("1.0.1", "patch")
    assert patch.manifest["changes"]["spans"] == {"entities": {"ORG": {"changed": 1}}}
    # an added annotation: a new entity -> minor
    text = records[1]["text"]
    i = text.index("ikan lele")
    records[1]["entities"].append({"id": "e9", "type": "ORG", "offsets": [[i, i + 9]], "text": ["ikan lele"]})
    write_jsonl(gold, records)
    with pytest.raises(ConfigError, match="version 1.0.2 is too small.*minor"):
        build_release(config, version="1.0.2")
    assert build_release(config).version == "1.1.0"
    # a label-schema change -> major
    schema = json.loads((tmp_path / "schema" / "labels.json").read_text())
    schema["entities"]["types"].append({"name": "PRODUCT", "color": "#000000", "hotkey": "x"})
    (tmp_path / "schema" / "labels.json").write_text(json.dumps(schema))
    major = build_release(config)
    assert (major.version, major.manifest["bump_reasons"]) == ("2.0.0", ["label schema changed"])
    assert "B-PRODUCT" in major.manifest["labels"]["ner_tags"]
    # baseline scores are an input: adding them makes a new (patch) version
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"scores": [{"config": "ner", "model": "crf", "split": "test", "f1": 0.5}]}))
    scored = build_release(config, results=results)
    assert scored.version == "2.0.1" and (scored.path / "results.json").read_bytes() == results.read_bytes()
    assert "| ner | crf | test | 0.5 |" in (scored.path / "README.md").read_text()


def test_release_diff_command_lists_changes_per_label(tmp_path, capsys):
    config_path = release_project(tmp_path)
    config = load_config(config_path)
    build_release(config)
    gold = tmp_path / "annotations" / "gold" / "gold.jsonl"
    records = read_jsonl(gold)
    lost = records[2]["id"]
    records[2]["entities"] = []  # document 3 loses its LOC
    flipped = next(r for r in records if r["claims"])
    claim = flipped["claims"][0]
    claim["checkworthy"] = "no" if claim["checkworthy"] == "yes" else "yes"  # and a claim its check-worthiness
    old_value = "yes" if claim["checkworthy"] == "no" else "no"
    write_jsonl(gold, records)
    (tmp_path / "card" / "limitations.md").write_text("A new limitation.\n")
    build_release(config)
    capsys.readouterr()
    assert main(["diff", "1.0.0", "1.0.1", "--config", str(config_path)]) == 0
    out = capsys.readouterr().out
    assert "### 1.0.1 (from 1.0.0)" in out and f"| entities | LOC | 0 | 1 | 0 | `{lost}` |" in out
    assert f"| checkworthy | {old_value} -> {claim['checkworthy']} | 1 | `{flipped['id']}` |" in out
    assert "Card sections added: `limitations.md`." in out
    assert main(["diff", "1.0.0", "1.0.1", "--json", "--config", str(config_path)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["where"]["entities/LOC/removed"] == [lost]
    assert main(["diff", "1.0.0", "9.9.9", "--config", str(config_path)]) == 2
    err = capsys.readouterr().err
    assert "no release '9.9.9'" in err and "use one of: 1.0.0, 1.0.1" in err


def test_release_unknown_version_names_the_available_ones(built):
    _, config, _ = built
    with pytest.raises(InputError, match="use one of: 1.0.0"):
        find_release("0.1.0", releases_dir(config))


def test_release_bad_gold_stops_the_build_with_the_located_report(tmp_path):
    config = load_config(release_project(tmp_path))
    gold = tmp_path / "annotations" / "gold" / "gold.jsonl"
    records = read_jsonl(gold)
    records[0]["entities"][0]["type"] = "PERSON"
    records[1]["entities"][0]["offsets"] = [[5, 99999]]
    write_jsonl(gold, records)
    with pytest.raises(DataInvalidError) as err:
        build_release(config)
    message = err.value.message
    assert "2 gold record problem(s)" in message
    # the checks are builder.check.validate's: located to file, record, document, region and JSON pointer
    assert f"{gold} record 1 doc {records[0]['id']} region e0 /entities/0/offsets/0: [unknown-label]" in message
    assert "found 'PERSON'" in message
    assert f"{gold} record 2 doc {records[1]['id']} region e0 /entities/0/offsets/0: [offset-range]" in message
    report = json.loads((tmp_path / "work" / "build" / "gold_problems.json").read_text())
    assert report["count"] == 2
    assert not (tmp_path / "releases").exists()


def test_release_gold_on_another_text_is_refused(tmp_path):
    config = load_config(release_project(tmp_path))
    corpus = tmp_path / "corpus" / "documents.jsonl"
    docs = read_jsonl(corpus)
    docs[0]["text_sha256"] = "0" * 64
    write_jsonl(corpus, docs)
    with pytest.raises(DataInvalidError, match="annotated on a different text"):
        build_release(config)


def test_release_span_annotations_need_a_statement_of_how_they_were_made(tmp_path):
    config = load_config(release_project(tmp_path), {"release.annotations_creators": []})
    with pytest.raises(ConfigError, match="does not say how they were made"):
        build_release(config)


def test_release_span_status_is_checked(tmp_path):
    with pytest.raises(ConfigError, match=r"\[release\] span_status is 'bronze'.*use one of gold, silver"):
        load_config(release_project(tmp_path), {"release.span_status": "bronze"})


def test_release_documents_only_without_gold(tmp_path):
    config = load_config(release_project(tmp_path, gold=False, raw=False), {"release.annotations_creators": []})
    result = build_release(config)
    assert set(result.manifest["configs"]) == {"documents"}
    assert result.manifest["annotations_creators"] == ["found"]  # the veracity labels came with the source


def test_release_tampered_folder_is_reported(tmp_path):
    config = load_config(release_project(tmp_path))
    result = build_release(config)
    card = result.path / "README.md"
    card.chmod(0o644)
    card.write_text(card.read_text() + "edited\n")
    with pytest.raises(DataInvalidError, match="README.md was changed"):
        ReleaseFolder(result.path).verify()
    with pytest.raises(DataInvalidError):
        build_release(config)
    shutil.rmtree(result.path)


def test_release_bumped_versions():
    assert [bumped("1.2.3", level) for level in ("patch", "minor", "major")] == ["1.2.4", "1.3.0", "2.0.0"]


def test_release_build_command_with_progress_bar(tmp_path, capsys):
    """The CLI path shows a progress bar (tqdm without a total) and prints where the release went."""
    config_path = release_project(tmp_path)
    assert main(["build", "--config", str(config_path)]) == 0
    out = capsys.readouterr().out
    assert "release 1.0.0 built:" in out and (tmp_path / "releases/1.0.0/manifest.json").is_file()
