"""`newsbench validate` on a real Label Studio export (tests/data/labelstudio), broken one way at a time."""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builder.cli import main
from builder.labels import load_label_schema, parse_label_schema
from builder.annotate.labelstudio.convert import check_offsets
from builder.annotate.labelstudio.export_schema import export_schema
from builder.check.validate import reader
from builder.check.validate.corpus import Corpus
from builder.check.validate.records import RecordValidator
from builder.check.validate.run import validate_files
from builder.annotate.labelstudio.export_schema import EXPORT_SCHEMA_PATH, render
from builder.annotate.labelstudio.validation import ANNOTATION_KINDS, TASK_KIND
from builder.check.validate.records import corpus_problem, schema_count
from builder.check.validate.records import located as located_base
from builder.annotate.labelstudio.quick import QuickCheck
from builder.annotate.labelstudio.stated_text import stated_text_ok

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests/data/labelstudio"
LABELS = load_label_schema(REPO / "schema/labels.json")
CORPUS = DATA / "documents.jsonl"


def real_tasks() -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in (DATA / "tasks.jsonl").read_bytes().splitlines()]


def _claim_without_attributes(task: dict[str, Any]) -> tuple[dict, dict] | None:
    for ann in task["annotations"]:
        spans = {r["id"]: r for r in ann["result"] if r["type"] == "labels" and r["from_name"] == "claim"}
        chosen = {r["id"] for r in ann["result"] if r["type"] == "choices" and r["id"] in spans}
        for rid, r in spans.items():
            if rid not in chosen:
                return ann, r
    return None


def clean_tasks() -> list[dict[str, Any]]:
    """The real export with the two choices its claim across \\r\\n lacks (see tests/data/labelstudio/SOURCE.md)."""
    tasks = real_tasks()
    for task in tasks:
        found = _claim_without_attributes(task)
        if found:
            ann, claim = found
            for name, value in (("checkworthy", "no"), ("kind", "assertion")):
                v = {k: claim["value"][k] for k in ("start", "end", "text")}
                ann["result"].append({"id": claim["id"], "from_name": name, "to_name": "text", "type": "choices",
                                      "origin": "manual", "value": {**v, "choices": [value]}})
    return tasks


def write_jsonl(path: Path, records: list[Any]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


def run_validate(tmp_path: Path, tasks: list[Any], *, name: str = "tasks.jsonl", corpus: Path | None = CORPUS):
    path = write_jsonl(tmp_path / name, tasks)
    return validate_files([path], LABELS, kinds=ANNOTATION_KINDS, corpus=Corpus(corpus) if corpus else None,
                          out_dir=tmp_path / "report",
                          workers=1, root=tmp_path)


def located(report) -> list[tuple]:
    return [(p.check, p.record, p.task_id, p.annotation_id, p.annotator, p.region_id, p.pointer)
            for p in report.problems]


# ---- the schema file ----------------------------------------------------------------------------------------


def test_validate_committed_schema_is_the_generated_one():
    assert EXPORT_SCHEMA_PATH.read_text(encoding="utf-8") == render(export_schema(LABELS)), \
        "run `python -m builder.check.validate.export_schema` after changing schema/labels.json"


def test_validate_schema_enums_follow_the_label_schema(tmp_path):
    raw = json.loads((REPO / "schema/labels.json").read_text())
    raw["entities"]["types"].append({"name": "PRODUCT", "color": "#123456", "hotkey": "x"})
    raw["claims"]["attributes"][0]["values"].append("maybe")
    labels = parse_label_schema(raw)
    schema = export_schema(labels)
    span_rules = {r["if"]["properties"]["from_name"]["const"]: r for r in schema["$defs"]["span"]["allOf"]}
    assert "PRODUCT" in span_rules["entity"]["then"]["properties"]["value"]["properties"]["labels"]["items"]["enum"]
    tasks = clean_tasks()
    tasks[0]["annotations"][0]["result"][0]["value"]["labels"] = ["PRODUCT"]
    validator = RecordValidator(labels, None, ANNOTATION_KINDS)
    assert [p.check for p in validator.check(tasks[0], {})[1]] == []
    assert [p.check for p in RecordValidator(LABELS, None, ANNOTATION_KINDS).check(tasks[0], {})[1]] == ["schema"]


# ---- the real export ------------------------------------------------------------------------------------------


def test_validate_real_export_reports_the_claim_without_its_required_choices(tmp_path):
    report = run_validate(tmp_path, real_tasks())
    assert report.exit_code == 1
    task, ann, claim = next((t, *_claim_without_attributes(t)) for t in real_tasks() if _claim_without_attributes(t))
    index = ann["result"].index(claim)
    expected = [("missing-attribute", 2, task["id"], ann["id"], f"ls-user:{ann['completed_by']}", claim["id"],
                 f"/annotations/0/result/{index}")] * 2
    assert located(report) == expected
    assert {p.message for p in report.problems} == {"claim has no 'checkworthy'", "claim has no 'kind'"}


def test_validate_clean_export_is_valid_and_every_task_goes_on(tmp_path):
    tasks = clean_tasks()
    report = run_validate(tmp_path, tasks)
    assert report.problems == [] and report.exit_code == 0
    out = Path(report.files[0].valid_out)
    assert [orjson.loads(line) for line in out.read_bytes().splitlines()] == tasks
    assert (tmp_path / "report" / "quarantine.jsonl").read_bytes() == b""


def test_validate_crlf_rewrite_is_accepted_but_nothing_else(tmp_path):
    tasks = clean_tasks()
    crlf = [(ti, ai, ri) for ti, t in enumerate(tasks) for ai, a in enumerate(t["annotations"])
            for ri, r in enumerate(a["result"]) if r["type"] == "labels" and "\\n\\n" in r["value"]["text"]]
    assert crlf, "the real export has a span across \\r\\n written as \\n\\n"
    ti, ai, ri = crlf[0]
    tasks[ti]["annotations"][ai]["result"][ri]["value"]["text"] = \
        tasks[ti]["annotations"][ai]["result"][ri]["value"]["text"].replace("\\n\\n", "\\n")
    report = run_validate(tmp_path, tasks)
    assert [(p.check, p.pointer) for p in report.problems] == [
        ("text-mismatch", f"/annotations/{ai}/result/{ri}/value/text")]


# ---- the table: one break at a time ---------------------------------------------------------------------------


def _result(task: dict, pred: Callable[[dict], bool], ann: int = 0) -> tuple[int, dict]:
    return next((i, r) for i, r in enumerate(task["annotations"][ann]["result"]) if pred(r))


def _span(control: str, label: str | None = None) -> Callable[[dict], bool]:
    return lambda r: r["type"] == "labels" and r["from_name"] == control and (
        label is None or r["value"]["labels"] == [label])


def _is_relation(r: dict) -> bool:
    return r["type"] == "relation"


def _attribute(r: dict) -> bool:
    return r["type"] == "choices" and r["from_name"] == "checkworthy"


def _doc_label(r: dict) -> bool:
    return r["type"] == "choices" and r["from_name"] == "veracity"


# Task 0 is the seed article: annotation 0 (ground truth) has 4 entities, a claim with its choices and said_by.
def _offset_past_end(t):
    i, r = _result(t, _span("entity"))
    r["value"]["end"] = len(t["data"]["text"]) + 3
    return "offset-range", f"/annotations/0/result/{i}/value", r["id"]


def _empty_span(t):
    i, r = _result(t, _span("entity"))
    r["value"]["end"] = r["value"]["start"]
    r["value"]["text"] = ""
    return "offset-range", f"/annotations/0/result/{i}/value", r["id"]


def _stated_text(t):
    i, r = _result(t, _span("entity"))
    r["value"]["text"] = r["value"]["text"].upper() + "!"
    return "text-mismatch", f"/annotations/0/result/{i}/value/text", r["id"]


def _duplicate_region(t):
    t["annotations"][0]["result"]
    i, r = _result(t, _span("entity", "LOC"))
    _, first = _result(t, _span("entity", "PER"))
    r["id"] = first["id"]
    return "duplicate-region-id", f"/annotations/0/result/{i}", r["id"]


def _dangling_relation(t):
    i, r = _result(t, _is_relation)
    r["to_id"] = "nowhere"
    return "unknown-region", f"/annotations/0/result/{i}/to_id", "nowhere"


def _dangling_choice(t):
    result = t["annotations"][0]["result"]
    _, r = _result(t, _attribute)
    result.append({**r, "id": "nowhere"})
    return "unknown-region", f"/annotations/0/result/{len(result) - 1}", "nowhere"


def _attribute_on_entity(t):
    result = t["annotations"][0]["result"]
    _, r = _result(t, _attribute)
    _, ent = _result(t, _span("entity", "LOC"))
    result.append({**r, "id": ent["id"], "value": {**r["value"], **{k: ent["value"][k] for k in ("start", "end", "text")}}})
    return "wrong-layer", f"/annotations/0/result/{len(result) - 1}", ent["id"]


def _choice_offsets(t):
    i, r = _result(t, _attribute)
    r["value"]["start"] += 1
    return "choice-offsets", f"/annotations/0/result/{i}", r["id"]


def _unknown_control(t):
    i, r = _result(t, _span("entity"))
    r["from_name"] = "person"
    return "schema", f"/annotations/0/result/{i}/from_name", r["id"]


def _unknown_label(t):
    i, r = _result(t, _span("entity"))
    r["value"]["labels"] = ["PERSON"]
    return "schema", f"/annotations/0/result/{i}/value/labels/0", r["id"]


def _unknown_choice(t):
    i, r = _result(t, _attribute)
    r["value"]["choices"] = ["maybe"]
    return "schema", f"/annotations/0/result/{i}/value/choices/0", r["id"]


def _unknown_relation(t):
    i, r = _result(t, _is_relation)
    r["labels"] = ["quoted_by"]
    return "schema", f"/annotations/0/result/{i}/labels/0", None


def _repeated_attribute(t):
    result = t["annotations"][0]["result"]
    _, r = _result(t, _attribute)
    result.append(copy.deepcopy(r))
    return "duplicate-choice", f"/annotations/0/result/{len(result) - 1}", r["id"]


def _repeated_relation(t):
    result = t["annotations"][0]["result"]
    _, rel = _result(t, _is_relation)
    result.append(copy.deepcopy(rel))
    return "duplicate-relation", f"/annotations/0/result/{len(result) - 1}", rel["from_id"]


def _bidirectional_relation(t):
    i, rel = _result(t, _is_relation)
    rel["direction"] = "bi"
    return "relation-direction", f"/annotations/0/result/{i}/direction", rel["from_id"]


def _left_relation(t):  # drawn from the entity to the claim
    i, rel = _result(t, _is_relation)
    rel["direction"] = "left"
    return "relation-direction", f"/annotations/0/result/{i}", rel["to_id"]


def _two_speakers(t):
    result = t["annotations"][0]["result"]
    _i, rel = _result(t, _is_relation)
    _, other = _result(t, _span("entity", "LOC"))
    result.append({**rel, "to_id": other["id"]})
    return "relation-count", f"/annotations/0/result/{len(result) - 1}", rel["from_id"]


def _speaker_not_entity(t):
    result = t["annotations"][0]["result"]
    i, rel = _result(t, _is_relation)
    _, claim = _result(t, _span("claim"))
    second = {**claim, "id": "claim2", "value": {**claim["value"]}}
    result.append(second)
    for name, value in (("checkworthy", "no"), ("kind", "quote")):
        result.append({"id": "claim2", "from_name": name, "to_name": "text", "type": "choices",
                       "value": {**{k: claim["value"][k] for k in ("start", "end", "text")}, "choices": [value]}})
    rel["to_id"] = "claim2"
    return "relation-direction", f"/annotations/0/result/{i}", rel["from_id"]


def _reversed_relation(t):
    i, rel = _result(t, _is_relation)
    rel["from_id"], rel["to_id"] = rel["to_id"], rel["from_id"]
    return "relation-direction", f"/annotations/0/result/{i}", rel["from_id"]


def _overlap(t):
    result = t["annotations"][0]["result"]
    _, ent = _result(t, _span("entity", "LOC"))
    v = ent["value"]
    s, e = v["start"] + 1, v["start"] + 5
    result.append({**ent, "id": "inner", "value": {**v, "start": s, "end": e, "text": t["data"]["text"][s:e],
                                                    "labels": ["ORG"]}})
    return "overlap", f"/annotations/0/result/{len(result) - 1}", "inner"


def _missing_attribute(t):
    result = t["annotations"][0]["result"]
    i, _r = _result(t, _attribute)
    del result[i]
    _, claim_i_r = None, _result(t, _span("claim"))
    return "missing-attribute", f"/annotations/0/result/{claim_i_r[0]}", claim_i_r[1]["id"]


def _two_doc_labels(t):
    result = t["annotations"][1]["result"]
    _i, r = _result(t, _doc_label, ann=1)
    result.append({**r, "id": "again", "value": {"choices": ["hoax"]}})
    return "duplicate-choice", f"/annotations/1/result/{len(result) - 1}", None


def _annotation_id_type(t):
    t["annotations"][0]["id"] = "one"
    return "schema", "/annotations/0/id", None


def _unknown_document(t):
    t["data"]["doc_id"] = "seed:ffffffffffffffff"
    return "unknown-document", "/data/doc_id", None


def _changed_text(t):
    t["data"]["text"] = t["data"]["text"] + " "
    return "text-hash", "/data/text", None


def _negative_lead_time(t):
    t["annotations"][0]["lead_time"] = -5.0
    return "schema", "/annotations/0/lead_time", None


def _timestamp_shape(t):
    t["annotations"][0]["updated_at"] = "kemarin"
    return "schema", "/annotations/0/updated_at", None


def _prediction_score_shape(t):  # inside an anyOf (a prediction or its id): named at the field, not the object
    t["predictions"][0]["result"][0]["score"] = "tinggi"
    return "schema", "/predictions/0/result/0/score", None


BREAKS = [_negative_lead_time, _timestamp_shape, _prediction_score_shape, _offset_past_end, _empty_span, _stated_text, _duplicate_region, _dangling_relation, _dangling_choice,
          _attribute_on_entity, _choice_offsets, _unknown_control, _unknown_label, _unknown_choice, _unknown_relation,
          _repeated_attribute, _repeated_relation, _bidirectional_relation, _left_relation,
          _two_speakers, _speaker_not_entity, _reversed_relation, _overlap, _missing_attribute, _two_doc_labels,
          _annotation_id_type, _unknown_document, _changed_text]


@pytest.mark.parametrize("brk", BREAKS, ids=[b.__name__.strip("_") for b in BREAKS])
def test_validate_each_break_fires_its_check_at_its_place(tmp_path, brk):
    tasks = clean_tasks()
    task = tasks[0]
    check, pointer, region = brk(task)
    report = run_validate(tmp_path, tasks)
    ann_index = int(pointer.split("/")[2]) if pointer.startswith("/annotations/") else None
    ann = task["annotations"][ann_index] if ann_index is not None else None
    assert located(report) == [(check, 1, task["id"], ann["id"] if ann else None,
                                f"ls-user:{ann['completed_by']}" if ann else None, region, pointer)]
    problem = report.problems[0]
    assert problem.file == "tasks.jsonl" and problem.document_id == task["data"]["doc_id"] and problem.fix
    assert report.exit_code == 1
    quarantined = [orjson.loads(x) for x in (tmp_path / "report/quarantine.jsonl").read_bytes().splitlines()]
    assert [q["value"] for q in quarantined] == [task]
    assert quarantined[0]["problems"][0]["check"] == check
    valid = Path(report.files[0].valid_out).read_bytes().splitlines()
    assert [orjson.loads(x) for x in valid] == tasks[1:]


def test_validate_collects_every_problem_of_a_task(tmp_path):
    tasks = clean_tasks()
    expected = sorted(brk(tasks[0])[0] for brk in (_offset_past_end, _dangling_relation, _unknown_label))
    report = run_validate(tmp_path, tasks)
    assert sorted(p.check for p in report.problems) == expected


def test_validate_problems_of_a_task_come_schema_corpus_then_semantic(tmp_path):
    tasks = clean_tasks()
    for brk in (_dangling_relation, _changed_text, _unknown_label):
        brk(tasks[0])
    tasks.append(copy.deepcopy(tasks[0]))  # and then: the same document again
    tasks[-1]["id"] = 99
    report = run_validate(tmp_path, tasks)
    expected = ["schema", "text-hash", "unknown-region"]
    assert [p.check for p in report.problems] == [*expected, *expected, "duplicate-document"]
    quarantined = [orjson.loads(x) for x in (tmp_path / "report/quarantine.jsonl").read_bytes().splitlines()]
    assert [[p["check"] for p in q["problems"]] for q in quarantined] == [expected, [*expected, "duplicate-document"]]


def test_validate_ids_and_names_of_any_json_type_are_reported_not_fatal(tmp_path):
    tasks = clean_tasks()
    result = tasks[0]["annotations"][0]["result"]
    result[0]["id"], result[1]["from_name"] = ["x"], {"a": 1}
    report = run_validate(tmp_path, tasks)
    assert [(p.check, p.pointer) for p in report.problems] == [
        ("schema", "/annotations/0/result/0/id"), ("schema", "/annotations/0/result/1/from_name")]


def test_validate_duplicate_task_of_a_document(tmp_path):
    tasks = clean_tasks()
    copy_ = copy.deepcopy(tasks[3])
    copy_["id"] = 99
    report = run_validate(tmp_path, [*tasks, copy_])
    assert located(report) == [("duplicate-document", len(tasks) + 1, 99, None, None, None, "")]
    assert "record 4" in report.problems[0].message


def test_validate_readable_and_json_reports(tmp_path):
    tasks = clean_tasks()
    pointer = _unknown_label(tasks[0])[1]
    run_validate(tmp_path, tasks)
    text = (tmp_path / "report/report.txt").read_text()
    assert "tasks.jsonl record 1 doc seed:" in text and "'PERSON' is not one of" in text and "(fix: use one of: PER" in text
    data = json.loads((tmp_path / "report/report.json").read_text())
    assert data["summary"]["invalid_records"] == 1 and data["summary"]["valid_records"] == len(tasks) - 1
    p = data["problems"][0]
    assert (p["found"], p["expected"], p["pointer"]) == ("PERSON", list(LABELS.entity_names), pointer)


# ---- canonical records and documents ---------------------------------------------------------------------------


def canonical() -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in (DATA / "canonical.jsonl").read_bytes().splitlines()]


def test_validate_canonical_records_checked_against_the_corpus_text(tmp_path):
    records = canonical()
    report = run_validate(tmp_path, records, name="canonical.jsonl")
    assert {p.check for p in report.problems} == {"missing-attribute"}  # the same claim as in the raw export
    ok = [r for r in records if not any(c.get("attributes") == {} for a in r["annotations"] for c in a["claims"])]
    seed = ok[0]
    entity = seed["annotations"][0]["entities"][0]
    entity["label"] = "PERSON"
    seed["annotations"][0]["entities"][1]["start"] += 1
    report = run_validate(tmp_path, ok, name="canonical.jsonl")
    assert sorted((p.check, p.pointer) for p in report.problems) == [
        ("text-mismatch", "/annotations/0/entities/1/text"),
        ("unknown-label", "/annotations/0/entities/0"),
    ]


def test_validate_a_line_that_does_not_parse_is_one_invalid_record_and_the_others_are_checked(tmp_path):
    good = write_jsonl(tmp_path / "good.jsonl", clean_tasks())
    lines = [orjson.dumps(t) for t in clean_tasks()]
    mixed = tmp_path / "mixed.jsonl"  # a truncated write, NaN and a lone surrogate among good lines
    mixed.write_bytes(b"\n".join([lines[0][:40], lines[1], b'{"x": NaN}', lines[2], b'{"t": "\\ud800 \xed\xa0\x80"}',
                                  lines[3]]) + b"\n")
    code = main(["validate", str(good), str(mixed), "--corpus", str(CORPUS), "--out", str(tmp_path / "r"),
                 "--config", str(REPO / "newsbench.toml")])
    assert code == 1
    data = json.loads((tmp_path / "r/report.json").read_text())
    assert data["files"][0]["valid"] == len(clean_tasks())
    assert (data["files"][1]["valid"], data["files"][1]["invalid"]) == (3, 3)
    quarantined = [json.loads(x) for x in (tmp_path / "r/quarantine.jsonl").read_text().splitlines()]
    assert [(q["record"], q["problems"][0]["check"]) for q in quarantined] == [(1, "bad-json"), (3, "bad-json"),
                                                                                (5, "bad-json")]
    assert quarantined[0]["raw"] == lines[0][:40].decode()  # kept as it was


def test_validate_unreadable_file_exits_2_and_others_still_checked(tmp_path):
    good = write_jsonl(tmp_path / "good.jsonl", clean_tasks())
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"[" + (DATA / "tasks.jsonl").read_bytes().replace(b"\n", b",", 3)[:5000])  # an array cut off
    code = main(["validate", str(good), str(bad), "--corpus", str(CORPUS), "--out", str(tmp_path / "r"),
                 "--config", str(REPO / "newsbench.toml")])
    assert code == 2
    data = json.loads((tmp_path / "r/report.json").read_text())
    assert data["files"][0]["valid"] == len(clean_tasks()) and data["files"][1]["error"]


def test_validate_a_folder_stands_for_the_record_files_in_it(tmp_path):
    pulls = tmp_path / "raw"
    for name in ("pull-a", "pull-b", ".pull-killed"):  # a pull's folder, as `annotate pull` writes it
        (pulls / name).mkdir(parents=True)
        write_jsonl(pulls / name / "tasks.jsonl", clean_tasks())
        (pulls / name / "manifest.json").write_text("{}")
    gold = tmp_path / "gold"
    (gold / "review").mkdir(parents=True)
    write_jsonl(gold / "records.jsonl", clean_tasks())
    (gold / "adjudication.json").write_text('{"a report": "not records"}')
    write_jsonl(gold / "review" / "items.jsonl", [])
    empty = tmp_path / "empty"
    empty.mkdir()
    args = ["--corpus", str(CORPUS), "--out", str(tmp_path / "r"), "--config", str(REPO / "newsbench.toml")]
    assert main(["validate", str(pulls), str(gold), *args]) == 0
    names = [f["file"] for f in json.loads((tmp_path / "r/report.json").read_text())["files"]]
    assert [Path(n).relative_to(tmp_path).as_posix() for n in names] == [
        "raw/pull-a/tasks.jsonl", "raw/pull-b/tasks.jsonl", "gold/records.jsonl"]
    assert main(["validate", str(empty), *args]) == 2
    (report,) = json.loads((tmp_path / "r/report.json").read_text())["files"]
    assert "holds no .json or .jsonl file" in report["error"]


def test_validate_cli_exit_codes(tmp_path):
    good = write_jsonl(tmp_path / "good.jsonl", clean_tasks())
    args = ["--corpus", str(CORPUS), "--out", str(tmp_path / "r"), "--config", str(REPO / "newsbench.toml")]
    assert main(["validate", str(good), *args]) == 0
    assert main(["validate", str(DATA / "tasks.jsonl"), *args]) == 1
    assert main(["validate", str(good), "--corpus", str(tmp_path / "missing.jsonl"), "--out", str(tmp_path / "r"),
                 "--config", str(REPO / "newsbench.toml")]) == 2


def test_validate_broken_corpus_exits_2_naming_the_corpus(tmp_path, capsys):
    good = write_jsonl(tmp_path / "good.jsonl", clean_tasks())
    corpus = tmp_path / "documents.jsonl"
    corpus.write_bytes(CORPUS.read_bytes() + b"{not json\n")
    code = main(["validate", str(good), "--corpus", str(corpus), "--out", str(tmp_path / "r"),
                 "--config", str(REPO / "newsbench.toml")])
    assert code == 2
    assert "corpus line is not valid JSON" in capsys.readouterr().err and not (tmp_path / "r/report.json").exists()


# ---- JSON arrays, streaming, regions -------------------------------------------------------------------------------


def _array(tasks: list[Any], **dump: Any) -> bytes:
    return json.dumps(tasks, ensure_ascii=dump.pop("ensure_ascii", False), **dump).encode("utf-8")


@pytest.mark.parametrize("dump", [{}, {"indent": 2}, {"separators": (",", ":")}, {"ensure_ascii": True}],
                         ids=["label-studio", "indented", "compact", "ascii"])
def test_validate_reader_json_array_equals_json_load(tmp_path, dump):
    tasks = clean_tasks()
    tasks[1]["data"]["text"] += ' }, {"id": 7, "x": "{" ] } ,{"id":'  # separators and braces inside a string
    path = tmp_path / "export.json"
    path.write_bytes(_array(tasks, **dump))
    fmt = reader.detect_format(path)
    assert fmt == reader.ARRAY
    (start, stop), = reader.regions(path, fmt, 1)
    assert [r.value for r in reader.iter_records(path, fmt, start, stop)] == tasks


def test_validate_reader_regions_and_workers_give_the_same_report(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "CHUNK", 4096)  # many refills and regions on a small file
    tasks = clean_tasks() + clean_tasks() + clean_tasks()  # the copies repeat documents: duplicate-document
    for i, t in enumerate(tasks):
        t["id"] = i + 1
    _unknown_label(tasks[14])
    for fmt, data in (("array", _array(tasks)), ("jsonl", b"".join(orjson.dumps(t) + b"\n" for t in tasks))):
        path = tmp_path / f"export.{fmt}"
        path.write_bytes(data)
        parts = reader.regions(path, reader.detect_format(path), 3)
        assert len(parts) == 3
        got = [r.value for a, b in parts for r in reader.iter_records(path, reader.detect_format(path), a, b)]
        assert got == tasks
        one = validate_files([path], LABELS, kinds=ANNOTATION_KINDS, corpus=Corpus(CORPUS), out_dir=tmp_path / "one", workers=1)
        two = validate_files([path], LABELS, kinds=ANNOTATION_KINDS, corpus=Corpus(CORPUS), out_dir=tmp_path / "two", workers=3)
        assert [p.to_dict() for p in one.problems] == [p.to_dict() for p in two.problems]
        assert Path(one.files[0].valid_out).read_bytes() == Path(two.files[0].valid_out).read_bytes()
        assert one.summary()["by_check"] == {"duplicate-document": 28, "schema": 1}


def test_validate_truncated_array_is_unreadable(tmp_path):
    path = tmp_path / "export.json"
    path.write_bytes(_array(clean_tasks())[:-40])
    report = validate_files([path], LABELS, kinds=ANNOTATION_KINDS, corpus=None, out_dir=tmp_path / "r")
    assert report.exit_code == 2 and "not valid JSON" in report.files[0].error


def test_validate_without_files_reads_the_annotations_folder(tmp_path):
    root = tmp_path / "project"
    (root / "annotations/raw/p-1").mkdir(parents=True)
    (root / "annotations/canonical").mkdir(parents=True)
    write_jsonl(root / "annotations/raw/p-1/tasks.jsonl", clean_tasks())
    (root / "annotations/raw/p-1/manifest.json").write_text("{}")
    write_jsonl(root / "annotations/canonical/p.jsonl", canonical())
    (root / "annotations/canonical/p.report.json").write_text("{}")
    (root / "newsbench.toml").write_text(f'[project]\nname = "t"\nlabel_schema = "{REPO / "schema/labels.json"}"\n')
    code = main(["validate", "--config", str(root / "newsbench.toml"), "--corpus", str(CORPUS)])
    data = json.loads((root / "work/validate/report.json").read_text())
    assert [f["file"] for f in data["files"]] == ["annotations/raw/p-1/tasks.jsonl", "annotations/canonical/p.jsonl"]
    assert code == 1 and data["summary"]["by_check"] == {"missing-attribute": 2}


def test_validate_region_cut_inside_an_element_reads_the_file_in_one_piece(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "CHUNK", 4096)
    tasks = clean_tasks() * 3
    for i, t in enumerate(tasks):
        t["id"] = i + 1
        # Last key: a small object with a task's keys after '}, ', which a region cut takes for a task's start.
        t["meta"] = {"list": [{"x": 1}, {k: 0 for k in t}]}
    path = tmp_path / "export.json"
    path.write_bytes(_array(tasks))
    fmt = reader.detect_format(path)
    starts = {r.offset for r in reader.iter_records(path, fmt, *reader.regions(path, fmt, 1)[0])}
    assert any(a not in starts for a, _ in reader.regions(path, fmt, 12)[1:]), "no cut fell inside a task"
    one = validate_files([path], LABELS, kinds=ANNOTATION_KINDS, corpus=Corpus(CORPUS), out_dir=tmp_path / "one", workers=1, root=tmp_path)
    three = validate_files([path], LABELS, kinds=ANNOTATION_KINDS, corpus=Corpus(CORPUS), out_dir=tmp_path / "three", workers=3,
                           root=tmp_path)
    assert [p.to_dict() for p in one.problems] == [p.to_dict() for p in three.problems]
    assert three.files[0].records == len(tasks) and three.summary()["by_check"] == {"duplicate-document": 28}
    assert Path(one.files[0].valid_out).read_bytes() == Path(three.files[0].valid_out).read_bytes()
    assert [p.name for p in (tmp_path / "three/valid").iterdir()] == ["export.jsonl"]  # no part files left


def test_validate_unreadable_array_leaves_no_part_files(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "CHUNK", 4096)
    path = tmp_path / "export.json"
    path.write_bytes(_array(clean_tasks() * 3)[:-40])
    report = validate_files([path], LABELS, kinds=ANNOTATION_KINDS, corpus=None, out_dir=tmp_path / "r", workers=3)
    assert report.exit_code == 2 and "not valid JSON" in report.files[0].error
    assert not (tmp_path / "r/valid").exists() or list((tmp_path / "r/valid").iterdir()) == []


# ---- the quick pass and the full checks ------------------------------------------------------------------------


@functools.cache
def _validator() -> RecordValidator:
    return RecordValidator(LABELS, Corpus(CORPUS), ANNOTATION_KINDS)


@functools.cache
def _clean_tasks() -> list[dict[str, Any]]:
    return clean_tasks()


def test_validate_quick_pass_takes_the_clean_export_and_no_break():
    quick = QuickCheck(_validator().checker)
    assert all(quick.task_ok(t, t["data"]["text"]) for t in clean_tasks())
    for brk in BREAKS:
        task = clean_tasks()[0]
        brk(task)
        check = brk(clean_tasks()[0])[0]
        if check not in ("unknown-document", "text-hash", "schema"):  # the corpus and the schema say those
            assert not quick.task_ok(task, task["data"]["text"]), brk.__name__


_ODD = [None, 0, -1, 1, 2.0, 10**6, "", "x", "\\n\\n", [], {}, True, ["x"], {"a": 1}, "entity", "claim",
        "checkworthy", "veracity", "said_by", "left", "bi", "labels", "choices", "relation"]


def _places(value: Any, at: tuple = ()) -> list[tuple]:
    """Every key path inside a value."""
    inner = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    return [p for k, v in inner for p in [(*at, k), *_places(v, (*at, k))]]


@settings(max_examples=200, deadline=None, derandomize=True)
@given(data=st.data())
def test_validate_quick_pass_finds_the_problems_of_the_full_checks(data):
    """`problems` (quick pass first) and `check` (views, every check) agree on a real task broken at random."""
    tasks = _clean_tasks()
    task = copy.deepcopy(tasks[data.draw(st.integers(0, len(tasks) - 1))])
    for _ in range(data.draw(st.integers(1, 3))):
        places = [p for p in _places(task) if p[0] in ("annotations", "data")]
        if not places:
            break
        in_results = [p for p in places if "result" in p]  # where most rules apply: break there more often
        at = data.draw(st.sampled_from(data.draw(st.sampled_from([places, in_results or places]))))
        parent, key = functools.reduce(lambda x, k: x[k], at[:-1], task), at[-1]
        how = data.draw(st.sampled_from(["odd", "other", "delete", "repeat", "shift"]))
        if how == "odd":
            parent[key] = data.draw(st.sampled_from(_ODD))
        elif how == "other":  # a value from elsewhere in the task: another region's id, offset, control...
            elsewhere = data.draw(st.sampled_from(places))
            parent[key] = copy.deepcopy(functools.reduce(lambda x, k: x[k], elsewhere, task))
        elif how == "delete":
            del parent[key]
        elif how == "repeat" and isinstance(parent, list):
            parent.insert(key, copy.deepcopy(parent[key]))
        elif how == "shift" and type(parent[key]) is int:
            parent[key] += data.draw(st.sampled_from([-2, -1, 1, 2]))
    validator, base = _validator(), {"file": "t"}
    view, full = validator.check(task, base)
    found = validator.problems(task, base)
    assert [p.to_dict() for p in found.problems] == [p.to_dict() for p in full]
    assert (found.document_id, found.task_id) == ((view.document_id, view.task_id) if view else (None, None))
    # the corpus check left to the caller (as `validate_files` does) puts its problem in the same place
    later = validator.problems(task, base, corpus_later=True)
    problems = list(later.problems)
    if later.corpus_later:
        where = located_base(base, later.document_id, later.task_id)
        missing = corpus_problem(validator.corpus, TASK_KIND, later.document_id, later.text_sha256, where)
        problems[schema_count(problems):schema_count(problems)] = [missing] if missing else []
    assert [p.to_dict() for p in problems] == [p.to_dict() for p in full]


# ---- the stated text --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("span", "stated", "ok"), [
    ("Jakarta", "Jakarta", True),
    ("tiba.\r\nKim", "tiba.\\n\\nKim", True),  # the 1.23.2 frontend, checked in a browser
    ("tiba.\r\nKim", "tiba.\r\nKim", True),
    ("tiba.\r\nKim", "tiba.\\nKim", False),
    ("tiba.\nKim", "tiba.\\nKim", False),  # a lone \n rewritten: not a known frontend behaviour
    ("tiba.\nKim", "tiba.\\n\\nKim", False),
    ("tiba. Kim", "tiba.  Kim", False),
])
def test_validate_stated_text_rule_is_the_converters(span, stated, ok):
    assert stated_text_ok(stated, span) is ok
    text = f"Putin {span} lalu"
    check = check_offsets(text, 6, 6 + len(span), stated)
    assert (check.status in ("ok", "linebreak_rewrite")) is ok


def test_validate_never_reads_a_killed_pull_s_leftovers_or_hidden_files(tmp_path):
    from builder.check.validate.run import annotation_files, records_files

    for name in ("raw/p-20261201T000000Z/tasks.jsonl", "raw/.pull-p-abc/tasks.jsonl", "raw/p/.tasks.jsonl.tmp.json",
                 "canonical/p.jsonl", "canonical/.p.jsonl", "gold/gold.jsonl", "gold/.gold.jsonl"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}\n")
    assert [p.relative_to(tmp_path).as_posix() for p in annotation_files(tmp_path)] == [
        "raw/p-20261201T000000Z/tasks.jsonl", "canonical/p.jsonl", "gold/gold.jsonl"]
    assert [p.name for p in records_files(tmp_path)] == ["p.jsonl"]


def test_validate_a_project_export_listing_predictions_by_id_is_valid(tmp_path):
    tasks = clean_tasks()
    for i, t in enumerate(tasks):
        t["predictions"] = [100 + i, 200 + i]  # Label Studio's JSON export of a project
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks))
    code = main(["validate", str(path), "--corpus", str(CORPUS), "--out", str(tmp_path / "r"),
                 "--config", str(REPO / "newsbench.toml")])
    assert code == 0
    assert json.loads((tmp_path / "r/report.json").read_text())["files"][0]["valid"] == len(tasks)


@pytest.mark.parametrize("name, body, said", [
    ("min.json", '[{"id": 1, "text": "Joko", "annotator": 1, "annotation_id": 3, "entity": []}]', "json-min-record"),
    ("export.conll", "-DOCSTART- -X- O\nJoko -X- _ B-PER\n", "it looks like a CoNLL file"),
    ("export.csv", "id,text,entity,annotator\n1,Joko,[],1\n", "it looks like a CSV or TSV file"),
])
def test_validate_other_export_formats_are_named_with_the_export_wanted(tmp_path, name, body, said):
    path = tmp_path / name
    path.write_text(body)
    code = main(["validate", str(path), "--corpus", str(CORPUS), "--out", str(tmp_path / "r"),
                 "--config", str(REPO / "newsbench.toml")])
    assert code in (1, 2)
    assert said in (tmp_path / "r/report.txt").read_text()
    assert "full format" in (tmp_path / "r/report.txt").read_text()


def test_validate_warns_of_a_second_annotation_by_one_person_and_of_a_skip_holding_results(tmp_path):
    import copy

    tasks = clean_tasks()
    task = next(t for t in tasks if t["annotations"] and t["annotations"][0]["result"])
    first = task["annotations"][0]
    again = copy.deepcopy(first) | {"id": 990001}
    skipped = copy.deepcopy(first) | {"id": 990002, "was_cancelled": True,
                                      "completed_by": 77 if not isinstance(first["completed_by"], dict) else {"id": 77}}
    task["annotations"] += [again, skipped]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks))
    code = main(["validate", str(path), "--corpus", str(CORPUS), "--out", str(tmp_path / "r"),
                 "--config", str(REPO / "newsbench.toml")])
    assert code == 0  # warnings: the newest annotation is used, a skip is not
    problems = json.loads((tmp_path / "r/report.json").read_text())["problems"]
    assert sorted((p["check"], p["annotation_id"]) for p in problems) == [
        ("annotated-twice", first["id"]), ("skipped-with-results", 990002)]


def test_validate_warns_of_a_pre_annotation_outside_the_text(tmp_path):
    tasks = clean_tasks()
    task = tasks[0]
    length = len(task["data"]["text"])
    task["predictions"] = [{"id": 5, "model_version": "rules", "result": [
        {"id": "p1", "from_name": "entity", "to_name": "text", "type": "labels",
         "value": {"start": length + 10, "end": length + 20, "labels": ["PER"]}},
        {"from_id": "p1", "to_id": "p1", "type": "relation"}]}]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks))
    assert main(["validate", str(path), "--corpus", str(CORPUS), "--out", str(tmp_path / "r"),
                 "--config", str(REPO / "newsbench.toml")]) == 0
    (problem,) = json.loads((tmp_path / "r/report.json").read_text())["problems"]
    assert problem["check"] == "prediction-range" and problem["pointer"] == "/predictions/0/result/0/value"


@pytest.mark.parametrize("body", ["[", "[\n", '[{"id": 1},'])
def test_validate_an_array_never_closed_is_unreadable_not_empty(tmp_path, body):
    path = tmp_path / "export.json"
    path.write_text(body)
    code = main(["validate", str(path), "--corpus", str(CORPUS), "--out", str(tmp_path / "r"),
                 "--config", str(REPO / "newsbench.toml")])
    assert code == 2
    assert "not closed with ']'" in json.loads((tmp_path / "r/report.json").read_text())["files"][0]["error"]


def test_validate_an_annotation_without_its_annotator_is_refused(tmp_path):
    tasks = clean_tasks()
    del tasks[0]["annotations"][0]["completed_by"]
    report = run_validate(tmp_path, tasks)
    (problem,) = report.problems
    assert problem.check == "schema" and problem.pointer == "/annotations/0" and "'completed_by'" in problem.message


@pytest.mark.parametrize("tail", ["\n,", "[]", '{"id": 2}'])
def test_validate_anything_after_the_array_makes_it_unreadable(tmp_path, tail):
    path = tmp_path / "export.json"
    path.write_text(json.dumps(clean_tasks()[:1]) + tail)
    code = main(["validate", str(path), "--corpus", str(CORPUS), "--out", str(tmp_path / "r"),
                 "--config", str(REPO / "newsbench.toml")])
    assert code == 2
    assert "more after the array's closing ']'" in json.loads((tmp_path / "r/report.json").read_text())["files"][0]["error"]
