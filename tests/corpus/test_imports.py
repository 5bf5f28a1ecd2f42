"""Imports beyond CoNLL (span JSONL, sentence-labelled files), the [[imports]] blocks, and the corpus they join."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from builder.cli import main
from builder.config import load_config
from builder.corpus.assemble import corpus_path
from builder.document import document_errors
from builder.jsonl import read_jsonl
from builder.project.scaffold import ProjectSpec, init_project

TEXT = "Presiden Joko Widodo meresmikan Bendungan Sadawarna di Subang pada Kamis."


def project(tmp_path: Path, **spec) -> Path:
    init_project(tmp_path, ProjectSpec(name="t", **spec))
    return tmp_path


def run(root: Path, *args: str) -> int:
    return main([*args, "--config", str(root / "newsbench.toml")])


def docs(root: Path, source: str) -> list[dict]:
    return list(read_jsonl(root / "work/import" / source / "documents.jsonl"))


def rejects(root: Path, source: str) -> list[dict]:
    return list(read_jsonl(root / "work/import" / source / "rejects.jsonl"))


def write_lines(path: Path, records: list) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n"
                            for r in records), encoding="utf-8")
    return path


# -- spans ------------------------------------------------------------------------------------------------------

def test_imports_spans_reads_doccano_prodigy_and_kb_shapes_at_their_offsets(tmp_path):
    root = project(tmp_path)
    f = write_lines(root / "data/raw/train.jsonl", [
        {"id": 7, "text": TEXT, "label": [[9, 20, "PER"], [32, 51, "LOC"], [55, 61, "LOC"]]},
        {"text": TEXT, "entities": [{"start_offset": 9, "end_offset": 20, "label": "PER"}]},
        {"text": TEXT, "spans": [{"start": 9, "end": 20, "label": "PER", "text": "Joko Widodo"}], "answer": "accept"},
        {"text": TEXT, "spans": [], "answer": "reject"},
        {"text": TEXT, "entities": [{"offsets": [[9, 13], [14, 20]], "type": "PER", "text": ["Joko", "Widodo"]}]},
    ])
    assert run(root, "import", "spans", str(f), "--source", "sp", "--license", "MIT", "--redistributable") == 0
    got = docs(root, "sp")
    assert [d["meta"]["import"]["shape"] for d in got] == ["doccano", "doccano", "prodigy", "kb"]
    assert [(e["type"], e["text"]) for e in got[0]["entities"]] == [
        ("PER", ["Joko Widodo"]), ("LOC", ["Bendungan Sadawarna"]), ("LOC", ["Subang"])]
    assert got[3]["entities"][0]["offsets"] == [[9, 13], [14, 20]]  # a discontinuous entity keeps its pieces
    assert got[0]["source"]["key"] == "train.jsonl:7" and all(d["split"] == "train" for d in got)
    assert got[0]["source"]["uri"] == "data/raw/train.jsonl"  # named inside the project: no local path released
    assert all(d["sentences"] and d["sentences"][0]["tokens"][0] == [0, 8] for d in got)  # segmented
    assert all(document_errors(d) == [] for d in got)
    assert [r["reason"] for r in rejects(root, "sp")] == ["not_accepted"]


def test_imports_spans_drops_a_bad_span_with_its_reason_and_keeps_the_document(tmp_path, capsys):
    root = project(tmp_path)
    f = write_lines(root / "data/raw/x.jsonl", [
        {"text": TEXT, "label": [[9, 20, "PER"], [9, 99, "PER"], [5, 2, "LOC"], [55, 61, "KOTA"], [9, 13, "PER"],
                                 [32, 51, "LOC"]],
         "spans_note": "x"},
        {"text": TEXT, "spans": [{"start": 9, "end": 20, "label": "PER", "text": "Jokowi"}]},
        "{not json",
        {"body": TEXT},
    ])
    assert run(root, "import", "spans", str(f), "--source", "sp", "--map", "KOTA=LOC") == 2
    err = capsys.readouterr().err
    assert "x.jsonl:3: line is not valid JSON" in err and "x.jsonl:4: field 'text' is missing" in err
    (first, second) = docs(root, "sp")
    assert [(e["type"], e["text"][0]) for e in first["entities"]] == [
        ("PER", "Joko Widodo"), ("LOC", "Bendungan Sadawarna"), ("LOC", "Subang")]
    assert second["entities"] == []
    reasons = sorted(r["reason"] for r in rejects(root, "sp"))
    assert reasons == ["bad_json_line", "no_text", "offset_range", "offset_range", "overlapping_span",
                       "text_mismatch"]


def test_imports_spans_a_label_the_schema_lacks_is_named_with_the_fix(tmp_path, capsys):
    root = project(tmp_path, entities=("PER", "LOC"))
    f = write_lines(root / "data/raw/x.jsonl", [{"text": TEXT, "label": [[9, 20, "PER"], [32, 51, "FAC"]]}])
    assert run(root, "import", "spans", str(f), "--source", "sp") == 0
    (bad,) = rejects(root, "sp")
    assert bad["reason"] == "unmapped_label" and "--map FAC=TYPE" in bad["detail"]
    assert run(root, "import", "spans", str(f), "--source", "sp", "--map", "FAC=FACILITY") == 2
    assert "not an entity type of the schema" in capsys.readouterr().err


# -- sentences --------------------------------------------------------------------------------------------------

DEBATE = ("line\tspeaker\ttext\tlabel\tdebate\n"
          "1\tHOLT\tGood evening from Hofstra University.\t0\td1\n"
          "2\tCLINTON\tWe have added 15 million private sector jobs since 2010.\t1\td1\n"
          "3\tTRUMP\tOur jobs are fleeing the country.\t1\td1\n"
          "1\tHOLT\tWelcome back.\t0\td2\n"
          "2\tTRUMP\tCrime went up 17 percent in New York.\t1\td2\n")


def test_imports_sentences_finds_columns_by_header_and_makes_a_document_per_key(tmp_path):
    root = project(tmp_path, language="en")
    f = root / "data/raw/dev.tsv"
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(DEBATE, encoding="utf-8")
    assert run(root, "import", "sentences", str(f), "--source", "cw") == 0
    d1, d2 = docs(root, "cw")
    assert d1["text"] == ("Good evening from Hofstra University.\nWe have added 15 million private sector jobs since "
                          "2010.\nOur jobs are fleeing the country.")
    assert [s["end"] - s["start"] for s in d1["sentences"]] == [37, 56, 33] and d1["split"] == "validation"
    assert [(c["text"][0][:8], c["checkworthy"]) for c in d1["claims"]] == [("We have ", "yes"), ("Our jobs", "yes")]
    assert [s["speaker"] for s in d1["meta"]["sentences"]] == ["HOLT", "CLINTON", "TRUMP"]
    assert d2["source"]["key"] == "dev.tsv:d2" and len(d2["claims"]) == 1
    assert all(document_errors(d) == [] for d in (d1, d2))


def test_imports_sentences_without_header_graded_labels_and_negative_claims(tmp_path, capsys):
    root = project(tmp_path, language="en")
    f = root / "data/raw/test_a.tsv"
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text("1\tA\tTaxes rose by 3 percent.\t0.9\n2\tB\tThank you.\t0.1\n3\tA\tIt was the largest deficit.\tx\n")
    assert run(root, "import", "sentences", str(f), "--source", "g", "--columns", "line,speaker,text,label",
               "--threshold", "0.5", "--negatives", "claim") == 2
    assert "test_a.tsv:3: label 'x' is not a number" in capsys.readouterr().err
    (doc,) = docs(root, "g")
    assert [c["checkworthy"] for c in doc["claims"]] == ["yes", "no"] and doc["split"] == "test"
    assert doc["meta"]["sentences"][0]["label"] == "0.9"  # the raw grade is kept


def test_imports_sentences_a_required_attribute_is_never_guessed(tmp_path, capsys):
    root = project(tmp_path)
    schema = json.loads((root / "schema/labels.json").read_text())
    schema["claims"]["attributes"][1]["required"] = True  # kind
    (root / "schema/labels.json").write_text(json.dumps(schema))
    f = root / "data/raw/a.tsv"
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text("text\tlabel\nPajak naik 3 persen.\t1\n")
    assert run(root, "import", "sentences", str(f), "--source", "s") == 2
    assert "requires the claim attribute(s) kind" in capsys.readouterr().err
    assert run(root, "import", "sentences", str(f), "--source", "s", "--attribute", "kind=assertion") == 0
    assert docs(root, "s")[0]["claims"][0]["kind"] == "assertion"


# -- [[imports]] blocks and the corpus --------------------------------------------------------------------------

def test_imports_blocks_give_the_terms_and_flags_may_not_contradict_them(tmp_path, capsys):
    root = project(tmp_path)
    write_lines(root / "data/raw/spans/train.jsonl", [{"text": TEXT, "label": [[9, 20, "PPL"]]}])
    with open(root / "newsbench.toml", "a", encoding="utf-8") as fh:
        fh.write('\n[[imports]]\nname = "sp"\nformat = "spans"\npath = "data/raw/spans"\nglob = "*.jsonl"\n'
                 'license = "MIT"\nredistributable = true\nlabel_map = { PPL = "PER" }\n')
    assert run(root, "import") == 0
    (doc,) = docs(root, "sp")
    assert doc["source"]["license"] == "MIT" and doc["entities"][0]["type"] == "PER"
    assert run(root, "import", "spans", str(root / "data/raw/spans/train.jsonl"), "--source", "sp", "--license",
               "unknown") == 2
    assert "contradicts the [[imports]] block 'sp'" in capsys.readouterr().err
    with open(root / "newsbench.toml", "a", encoding="utf-8") as fh:
        fh.write('options = { txt_field = "t" }\n')
    assert run(root, "import") == 2
    assert "unknown option 'txt_field' of the spans import" in capsys.readouterr().err


def test_imports_join_the_corpus_with_splits_from_files_or_the_split_rules(tmp_path):
    root = project(tmp_path)
    write_lines(root / "data/raw/train.jsonl", [{"text": TEXT, "label": [[9, 20, "PER"]]}])
    write_lines(root / "data/raw/more.jsonl", [{"id": n, "text": f"{TEXT} Nomor {n}.", "label": []} for n in range(40)])
    assert run(root, "import", "spans", str(root / "data/raw/train.jsonl"), "--source", "a") == 0
    assert run(root, "import", "spans", str(root / "data/raw/more.jsonl"), "--source", "b") == 0
    config = load_config(root / "newsbench.toml")
    path = corpus_path(config)
    assert path == root / "work/corpus/documents.jsonl"
    corpus = list(read_jsonl(path))
    assert len(corpus) == 41 and corpus[0]["split"] == "train"
    assert {d["split"] for d in corpus[1:]} == {"train", "validation", "test"}  # placed by the [split] ratios
    first = path.read_bytes()
    assert corpus_path(config).read_bytes() == first  # up to date: not written again
    write_lines(root / "data/raw/more.jsonl", [{"id": n, "text": f"{TEXT} Nomor {n}.", "label": []} for n in range(39)])
    assert run(root, "import", "spans", str(root / "data/raw/more.jsonl"), "--source", "b") == 0
    assert len(list(read_jsonl(corpus_path(config)))) == 40  # a changed part is assembled again


def test_imports_a_document_in_two_parts_is_refused(tmp_path):
    from builder.errors import DataInvalidError

    root = project(tmp_path)
    f = write_lines(root / "data/raw/a.jsonl", [{"text": TEXT, "label": []}])
    assert run(root, "import", "spans", str(f), "--source", "a") == 0
    other = root / "work/import/copy"
    other.mkdir(parents=True)
    (other / "documents.jsonl").write_bytes((root / "work/import/a/documents.jsonl").read_bytes())
    with pytest.raises(DataInvalidError, match="is in two parts of the corpus"):
        corpus_path(load_config(root / "newsbench.toml"))


# -- kb datasets and other Label Studio projects ----------------------------------------------------------------

def _kb_row(doc: str, passages: list[tuple[str, int]], entities: list[tuple[str, int, int, str]]) -> dict:
    return {"id": doc, "document_id": doc,
            "passages": [{"id": f"{doc}-p{k}", "type": "sentence", "text": [t], "offsets": [[s, s + len(t)]]}
                         for k, (t, s) in enumerate(passages)],
            "entities": [{"id": f"{doc}-e{k}", "type": typ, "text": [txt], "offsets": [[s, e]], "normalized": []}
                         for k, (txt, s, e, typ) in enumerate(entities)],
            "events": [], "coreferences": [],
            "relations": [{"id": f"{doc}-r0", "type": "LOCATED_IN", "arg1_id": f"{doc}-e0", "arg2_id": f"{doc}-e1",
                           "normalized": []}]}


def test_imports_kb_rebuilds_the_text_from_passages_in_parquet_and_jsonl(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    root = project(tmp_path)
    one = "Gubernur Ridwan Kamil tiba di Bandung."
    two = "Ia disambut warga."
    rows = [_kb_row("d1", [(one, 0), (two, len(one) + 1)], [("Ridwan Kamil", 9, 21, "PER"), ("Bandung", 30, 37, "LOC")]),
            _kb_row("d2", [(two, 0)], [("warga", 12, 16, "PER")])]  # a wrong offset: 'warg'
    folder = root / "data/raw/kb"
    folder.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows), folder / "train-00000-of-00001.parquet")
    write_lines(folder / "test.jsonl", [rows[0]])
    assert run(root, "import", "kb", str(folder / "train-00000-of-00001.parquet"), str(folder / "test.jsonl"),
               "--source", "kb") == 0
    d1, d2, d3 = docs(root, "kb")
    assert d1["text"] == one + "\n" + two and d3["text"] == d1["text"]
    assert [(e["type"], e["text"]) for e in d1["entities"]] == [("PER", ["Ridwan Kamil"]), ("LOC", ["Bandung"])]
    assert (d1["split"], d3["split"]) == ("train", "test") and d2["entities"] == []
    reasons = sorted(r["reason"] for r in rejects(root, "kb"))
    assert reasons == ["layer_not_in_schema", "layer_not_in_schema", "layer_not_in_schema", "text_mismatch"]
    assert d1["meta"]["import"]["shape"] == "kb"


def test_imports_labelstudio_export_of_another_project(tmp_path):
    root = project(tmp_path, doc_labels={"veracity": ("hoax", "valid")})
    text = "Menteri Budi Gunadi Sadikin meninjau RSUD Cibinong."

    def region(s, e, label, name="label"):
        return {"id": f"r{s}", "from_name": name, "to_name": "text", "type": "labels",
                "value": {"start": s, "end": e, "text": text[s:e], "labels": [label]}}

    tasks = [
        {"id": 11, "data": {"berita": text}, "annotations": [
            {"id": 1, "completed_by": 3, "updated_at": "2026-01-02T10:00:00Z", "ground_truth": False,
             "result": [region(8, 27, "Orang")]},
            {"id": 2, "completed_by": 4, "updated_at": "2026-01-01T10:00:00Z", "ground_truth": True,
             "result": [region(8, 27, "Orang"), region(37, 50, "Tempat"), region(0, 7, "Jabatan", "roles"),
                        {"id": "c", "from_name": "verdict", "to_name": "text", "type": "choices",
                         "value": {"choices": ["valid"]}}]}]},
        {"id": 12, "data": {"berita": text}, "annotations": [{"id": 3, "completed_by": 3, "was_cancelled": True,
                                                              "result": []}]},
    ]
    export = root / "data/raw/project-7-export.json"
    export.parent.mkdir(parents=True, exist_ok=True)
    export.write_text(json.dumps(tasks))
    assert run(root, "import", "labelstudio", str(export), "--source", "ls7", "--control", "label",
               "--map", "Orang=PER", "--map", "Tempat=LOC", "--doc-label", "veracity=verdict") == 0
    (doc,) = docs(root, "ls7")
    assert [(e["type"], e["text"][0]) for e in doc["entities"]] == [("PER", "Budi Gunadi Sadikin"),
                                                                     ("LOC", "RSUD Cibinong")]  # the ground truth's
    assert doc["doc_labels"][0]["value"] == "valid" and doc["meta"]["import"]["shape"] == "labelstudio"
    assert [r["reason"] for r in rejects(root, "ls7")] == ["no_annotation"]


# -- what a review of real users' files found -------------------------------------------------------------------

def test_imports_sentences_a_quote_in_a_tsv_transcript_is_text(tmp_path):
    root = project(tmp_path, language="en")
    f = root / "data/raw/test.tsv"
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text('1\tTRUMP\t"We will bring back jobs," he said.\t1\n2\tHOLT\t"Thank you.\t0\n3\tHOLT\tNext.\t0\n')
    assert run(root, "import", "sentences", str(f), "--source", "ct", "--columns", "line,speaker,text,label") == 0
    (doc,) = docs(root, "ct")
    assert doc["text"].split("\n") == ['"We will bring back jobs," he said.', '"Thank you.', "Next."]


def test_imports_spans_a_record_with_spans_under_another_key_is_refused_not_imported_empty(tmp_path, capsys):
    root = project(tmp_path)
    f = write_lines(root / "data/raw/min.jsonl", [  # a Label Studio JSON-MIN line: not a span format this reads
        {"text": TEXT, "ner": [{"start": 9, "end": 20, "labels": ["PER"]}]}, {"text": TEXT, "label": []}])
    assert run(root, "import", "spans", str(f), "--source", "m") == 2
    assert "min.jsonl:1: the record has no span field this import knows" in capsys.readouterr().err
    assert len(docs(root, "m")) == 1 and [r["reason"] for r in rejects(root, "m")] == ["no_spans"]


def test_imports_document_label_values_map_and_two_files_of_one_name_are_refused(tmp_path, capsys):
    root = project(tmp_path, doc_labels={"veracity": ("hoax", "valid")})
    f = write_lines(root / "data/raw/a/train.jsonl", [{"text": TEXT, "label": [], "tag": "Valid"}])
    write_lines(root / "data/raw/b/train.jsonl", [{"text": TEXT, "label": []}])
    assert run(root, "import", "spans", str(f), "--source", "v", "--doc-label", "veracity=tag",
               "--map", "veracity:Valid=valid") == 0
    assert docs(root, "v")[0]["doc_labels"][0]["value"] == "valid"
    assert run(root, "import", "spans", str(f), str(root / "data/raw/b/train.jsonl"), "--source", "v2") == 2
    assert "two files named train.jsonl in one import" in capsys.readouterr().err


def test_imports_no_flag_may_contradict_its_block_and_labelstudio_blocks_work_as_a_library(tmp_path, capsys):
    from builder.annotate.labelstudio.foreign import register
    from builder.corpus.imports.run import run_blocks

    root = project(tmp_path)
    task = {"id": 1, "data": {"text": TEXT}, "annotations": [
        {"id": 1, "completed_by": 1, "result": [{"id": "a", "from_name": "ents", "to_name": "text", "type": "labels",
                                                "value": {"start": 9, "end": 20, "labels": ["Orang"]}}]}]}
    (root / "data/raw").mkdir(parents=True, exist_ok=True)
    (root / "data/raw/export.json").write_text(json.dumps([task]))
    with open(root / "newsbench.toml", "a", encoding="utf-8") as fh:
        fh.write('\n[[imports]]\nname = "ls"\nformat = "labelstudio"\npath = "data/raw/export.json"\nlicense = "MIT"\n'
                 'redistributable = true\nsplit = "test"\nlabel_map = { Orang = "PER" }\n'
                 'options = { control = "ents" }\n')
    register()
    (result,) = run_blocks(load_config(root / "newsbench.toml"))
    assert result.stats["entities"] == {"PER": 1} and docs(root, "ls")[0]["split"] == "test"
    assert run(root, "import", "labelstudio", str(root / "data/raw/export.json"), "--source", "ls",
               "--split", "train") == 2
    assert "--split 'train' contradicts the [[imports]] block 'ls'" in capsys.readouterr().err


def test_imports_a_file_outside_the_project_is_named_by_its_name(tmp_path):
    root = project(tmp_path / "p")
    f = write_lines(tmp_path / "elsewhere/train.jsonl", [{"text": TEXT, "label": []}])
    assert run(root, "import", "spans", str(f), "--source", "x") == 0
    assert docs(root, "x")[0]["source"]["uri"] == "train.jsonl"
