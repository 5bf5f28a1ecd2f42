"""`newsbench init` and the path a researcher takes from an empty folder: init -> import -> build -> evaluate."""

from __future__ import annotations

import json
import tomllib

import pyarrow.parquet as pq

from builder.cli import main
from builder.config import IMPORT_FORMATS, load_config
from builder.labels import load_label_schema
from tests.helpers.projects import REPO

# a CoNLL corpus with a type the shipped schema lacks (QTY), and a file per split
CONLL = {
    "train.txt": "Harga\tO\ncabai\tO\nnaik\tO\n5\tB-QTY\nkilogram\tI-QTY\ndi\tO\nJakarta\tB-LOC\n.\tO\n\n"
                 "Menteri\tO\nSri\tB-PER\nMulyani\tI-PER\nberbicara\tO\ndi\tO\nDPR\tB-ORG\n.\tO\n",
    "dev.txt": "Bupati\tO\nBogor\tB-LOC\nmembagikan\tO\n10\tB-QTY\nton\tI-QTY\nberas\tO\n.\tO\n",
    "test.txt": "Warga\tO\nSurabaya\tB-LOC\nmenerima\tO\n3\tB-QTY\nliter\tI-QTY\nminyak\tO\ndari\tO\nPemkot\tB-ORG\n"
                ".\tO\n",
}


def test_scaffold_init_writes_a_project_every_command_reads(tmp_path, capsys):
    folder = tmp_path / "korpus-saya"
    assert main(["init", str(folder), "--entities", "PER,ORG,LOC,QTY", "--doc-label", "veracity=hoax,valid"]) == 0
    config = load_config(folder / "newsbench.toml")
    assert config.project.name == "korpus-saya" and config.clean.languages == ["id", "ms"]
    schema = load_label_schema(folder / "schema/labels.json")
    assert schema.entity_names == ["PER", "ORG", "LOC", "QTY"] and [d.name for d in schema.doc_labels] == ["veracity"]
    hotkeys = [e.hotkey for e in schema.entities]
    assert len(set(hotkeys)) == 4 and "c" not in hotkeys  # c is the claim's
    for name in ("annotations/GUIDELINES.md", "card/summary.md", "card/citation.md", ".gitignore"):
        assert (folder / name).is_file()
    # the commented examples are real TOML once uncommented: every source and import kind parses
    text = (folder / "newsbench.toml").read_text()
    examples = "\n".join(line[2:] for line in text.splitlines() if line.startswith("# ") and (
        "=" in line or line.startswith("# [[")) and not line.startswith("# newsbench"))
    blocks = tomllib.loads(examples)
    assert {b["format"] for b in blocks["sources"]} == {"text", "csv", "html"}
    assert {b["format"] for b in blocks["imports"]} == set(IMPORT_FORMATS)  # every import kind has an example
    capsys.readouterr()
    assert main(["init", str(folder)]) == 2  # never overwrites
    assert "already holds newsbench.toml" in capsys.readouterr().err


def test_scaffold_init_in_another_language(tmp_path):
    assert main(["init", str(tmp_path / "en"), "--language", "en", "--no-claims"]) == 0
    config = load_config(tmp_path / "en/newsbench.toml")
    assert config.clean.languages == ["en"] and config.clean.rule_sets == [] and config.clean.language_check
    assert load_label_schema(tmp_path / "en/schema/labels.json").claim_attributes == ()
    assert main(["init", str(tmp_path / "xx"), "--language", "jv"]) == 0  # the identifier knows Javanese
    assert main(["init", str(tmp_path / "yy"), "--language", "ban"]) == 0  # Balinese it does not
    assert not load_config(tmp_path / "yy/newsbench.toml").clean.language_check


def test_scaffold_from_an_empty_folder_to_a_release_and_an_evaluation_outside_it(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "proj"
    assert main(["init", str(folder), "--entities", "PER,ORG,LOC,QTY"]) == 0
    for name, body in CONLL.items():
        (folder / "data/raw" / name).write_text(body, encoding="utf-8")
    monkeypatch.chdir(folder)
    files = [str(folder / "data/raw" / n) for n in CONLL]
    assert main(["import", "conll", *files, "--source", "pangan"]) == 0
    capsys.readouterr()
    assert main(["build", "--no-progress"]) == 1  # the licence is not declared yet: the gate says how
    err = capsys.readouterr().err
    assert "re-import 'pangan' with --license <SPDX id> --redistributable" in err
    assert main(["import", "conll", *files, "--source", "pangan", "--license", "MIT", "--redistributable"]) == 0
    assert main(["build", "--no-progress"]) == 0
    release = folder / "releases/1.0.0"
    ner = pq.read_table(release / "data/ner/test-00000-of-00001.parquet").to_pylist()
    names = json.loads(pq.read_schema(release / "data/ner/test-00000-of-00001.parquet").metadata[b"huggingface"])
    tags = names["info"]["features"]["ner_tags"]["feature"]["names"]
    assert "B-QTY" in tags and [tags[t] for t in ner[0]["ner_tags"]][3:5] == ["B-QTY", "I-QTY"]
    card = (release / "README.md").read_text()
    assert "imported with the corpus" in card and "- found" in card
    # a user elsewhere, with the release alone: the gold tags as predictions score 1.0, no leaderboard is written
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    preds = elsewhere / "p.jsonl"
    preds.write_text("".join(json.dumps({"sentence_id": r["id"], "tags": [tags[t] for t in r["ner_tags"]]}) + "\n"
                             for r in ner))
    capsys.readouterr()
    assert main(["evaluate", "--release", str(release), "--subset", "ner", "--predictions", str(preds),
                 "--samples", "50"]) == 0
    report = json.loads((elsewhere / "p.json").read_text())
    assert report["primary"]["value"] == 1.0 and "QTY" in capsys.readouterr().out
    assert sorted(p.name for p in elsewhere.iterdir()) == ["p.json", "p.jsonl", "p.md"]


def test_scaffold_the_shipped_schema_is_what_init_writes_by_default_for_entities():
    shipped = load_label_schema(REPO / "schema/labels.json")
    from builder.project.scaffold import DEFAULT_ENTITIES

    assert tuple(shipped.entity_names) == DEFAULT_ENTITIES


def test_scaffold_no_claims_with_a_type_that_starts_with_c(tmp_path):
    assert main(["init", str(tmp_path / "k"), "--no-claims", "--entities", "CITY,ORG"]) == 0
    schema = load_label_schema(tmp_path / "k/schema/labels.json")
    assert [e.hotkey for e in schema.entities] == ["i", "o"] and schema.claim.hotkey == "c"
