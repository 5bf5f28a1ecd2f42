"""The card: YAML header that matches the data, hand-written sections that survive rebuilds, charts, repo card."""

from __future__ import annotations

import yaml
import pytest
from datasets import Features

from builder.release.card import json_markdown
from builder.config import load_config
from builder.release.build import build_release
from tests.helpers.release_fixture import read_jsonl, release_project, write_jsonl


@pytest.fixture(scope="module")
def two_releases(tmp_path_factory):
    root = tmp_path_factory.mktemp("card")
    config = load_config(release_project(root))
    first = build_release(config)
    gold = root / "annotations" / "gold" / "gold.jsonl"
    records = read_jsonl(gold)
    records[2]["entities"] = []
    write_jsonl(gold, records)
    second = build_release(config)
    return root, first, second


def header_and_body(text: str) -> tuple[dict, str]:
    assert text.startswith("---\n")
    head, body = text[4:].split("\n---\n", 1)
    return yaml.safe_load(head), body


def test_card_yaml_header_describes_the_release(two_releases):
    _, first, _ = two_releases
    header, _ = header_and_body((first.path / "README.md").read_text())
    for key in ("configs", "dataset_info", "license", "language", "task_categories", "size_categories",
                "annotations_creators", "source_datasets", "pretty_name"):
        assert header[key], key
    assert header["license"] == "cc-by-4.0" and header["language"] == ["id"]
    assert header["annotations_creators"] == ["expert-generated", "found"]  # the veracity labels came with the source
    assert [c["config_name"] for c in header["configs"]] == ["documents", "ner", "claims", "raw_annotations"]
    for c in header["configs"]:
        for entry in c["data_files"]:
            assert list(first.path.glob(entry["path"])), entry
    info = {i["config_name"]: i for i in header["dataset_info"]}
    ner = Features._from_yaml_list(info["ner"]["features"])
    assert ner["ner_tags"].feature.names == first.manifest["labels"]["ner_tags"]
    assert {s["name"]: s["num_examples"] for s in info["ner"]["splits"]} == first.manifest["statistics"]["rows"]["ner"]


def test_card_sections_come_from_the_data_and_the_card_folder(two_releases):
    _, first, second = two_releases
    _, body = header_and_body((second.path / "README.md").read_text())
    assert "A hand-written summary that must survive every rebuild." in body
    assert "@misc{newsbench-test}" in body
    assert 'load_dataset("newsbench/newsbench-id-test", "ner", revision="v1.0.1")' in body
    assert "| kompastv-seed | unknown | no | 0 | 1 |" in body  # the licence gate, said in the card
    assert "| ner | LOC | nested_or_overlapping | 1 |" in body  # IOB2 left-outs per label
    assert "third-party news" in body and "real people" in body
    assert "### 1.0.1 (from 1.0.0)" in body and "### 1.0.0" in body  # the changelog keeps the history
    assert "| LOC | 2 | 1 | 1 |" in (first.path / "README.md").read_text()  # entities per split (train, val, test)
    # two annotators on one document: the build computes their agreement and shows it as tables
    assert "No agreement figures" not in body and "1 of " in body.split("## Agreement", 1)[1].split("##")[0]
    assert "| entity | ORG | 1 | 0 | 0 | 0 |" in body and "| annotator | annotator | strict F1 | partial F1 |" in body
    assert "## Who annotated" in body and "gold records that do not say how they were decided" in body
    assert "/" not in str(second.manifest["statistics"]["agreement"].get("inputs", ""))


def test_card_charts_are_png_next_to_the_card(two_releases):
    _, first, _ = two_releases
    for name in ("label_distribution.png", "document_lengths.png"):
        assert (first.path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({name})" in (first.path / "README.md").read_text()


def test_card_repo_card_is_the_newest_release_with_repo_relative_images(two_releases):
    root, _, second = two_releases
    card = (root / "DATASET_CARD.md").read_text()
    assert "Version 1.0.1." in card and "](releases/1.0.1/label_distribution.png)" in card


def test_card_json_reports_become_tables():
    text = json_markdown({"model": "crf", "scores": [{"label": "PER", "f1": 0.81234}, {"label": "LOC", "f1": 0.7}]})
    assert "| model | crf |" in text and "| PER | 0.8123 |" in text and "| LOC | 0.7 |" in text


def test_card_no_release_file_holds_a_local_path_or_an_email(two_releases):
    import re

    import pyarrow.parquet as pq

    root, first, second = two_releases
    email = re.compile(r"[\w.+-]+@[\w-]+\.[A-Za-z]{2,}")
    local = [str(root.resolve()), str(root), "/tmp/", "/home/", "/root/"]
    for release in (first, second):
        for path in sorted(release.path.rglob("*")):
            if path.suffix in (".md", ".json", ".txt", ".yaml"):
                text = path.read_text(encoding="utf-8")
            elif path.suffix == ".parquet":
                text = "\n".join(str(v) for col in pq.read_table(path).to_pylist() for v in col.values())
            else:
                continue
            assert not any(p in text for p in local), path
            assert not email.search(text), (path, email.search(text).group(0))


def _stats(people: int = 0, machine: int = 0, legacy: int = 0, found: int = 0) -> dict:
    decided = {"train": {"majority": {"people": people, "machine": machine}}}
    return {"decided": decided, "documents": {"train": {"gold": people + legacy, "silver": machine}},
            "doc_label_origin": {"train": {"source": found}} if found else {}}


@pytest.mark.parametrize("declared, stats, want", [
    ([], _stats(machine=3, found=2), ["machine-generated", "found"]),
    ([], _stats(people=3), ["expert-generated"]),  # people from the guidelines: the default
    (["crowdsourced"], _stats(people=3, machine=1), ["crowdsourced", "machine-generated"]),
    (["expert-generated", "machine-generated"], _stats(legacy=2), ["expert-generated", "machine-generated"]),
    ([], {"documents": {"train": {"unannotated": 4}}}, ["no-annotation"]),
])
def test_card_annotations_creators_follow_who_decided(tmp_path, declared, stats, want):
    from builder.config import config_from_dict
    from builder.release.card import annotations_creators

    config = config_from_dict({"release": {"annotations_creators": declared}}, tmp_path)
    assert annotations_creators(config, stats) == want


def test_card_gold_that_does_not_say_who_decided_needs_the_config_to_say(tmp_path):
    from builder.config import config_from_dict
    from builder.errors import ConfigError
    from builder.release.card import annotations_creators

    with pytest.raises(ConfigError, match="does not say how they were made"):
        annotations_creators(config_from_dict({}, tmp_path), _stats(legacy=2))
