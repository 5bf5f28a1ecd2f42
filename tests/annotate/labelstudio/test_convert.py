"""Label Studio JSON conversion without a server: offset checks and repairs, canonical records, predictions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from builder.errors import ConfigError
from builder.labels import load_label_schema
from builder.annotate.labelstudio.convert import canonical_record, check_offsets, frontend_text, prediction, task_data
from builder.bench.baselines.rules import RulePreAnnotator
from builder.spans import PreAnnotation, Region, Relation
from tests.helpers.projects import SEED

REPO = Path(__file__).resolve().parents[3]
SCHEMA = load_label_schema(REPO / "schema/labels.json")
RECORD_SCHEMA = Draft202012Validator(json.loads((REPO / "schema/annotation.schema.json").read_text()))
TEXT = "Warga 🇮🇩 bersorak 😀 di Jakarta.\r\nPresiden Joko Widodo tiba.\r\nIa   senang."


def _at(sub: str, text: str = TEXT) -> tuple[int, int]:
    start = text.index(sub)
    return start, start + len(sub)


@pytest.mark.parametrize(
    ("span", "stated", "status"),
    [
        ("Jakarta", "Jakarta", "ok"),
        ("Jakarta.\r\nPresiden", "Jakarta.\\n\\nPresiden", "linebreak_rewrite"),  # 1.23.2 frontend, checked in a browser
        ("Joko Widodo", None, "unverified"),
    ],
)
def test_convert_offsets_accepted(span, stated, status):
    start, end = _at(span)
    check = check_offsets(TEXT, start, end, stated)
    assert (check.status, check.start, check.end) == (status, start, end)


def test_convert_frontend_text_rewrites_crlf_only():
    """Only the observed rewriting: the validator accepts nothing else, so the fixture writes nothing else."""
    assert frontend_text("a\r\nb\nc") == "a\\n\\nb\nc"


def _utf16(text: str, offset: int) -> int:
    return len(text[:offset].encode("utf-16-le")) // 2


def test_convert_offsets_repairs_are_reported_with_their_reason():
    start, end = _at("Jakarta")
    utf16 = check_offsets(TEXT, _utf16(TEXT, start), _utf16(TEXT, end), "Jakarta")
    assert (utf16.status, utf16.start, utf16.end) == ("repaired", start, end) and "UTF-16" in utf16.reason
    folded = TEXT.replace("\r\n", "\n")
    s, e = _at("Joko Widodo", folded)
    crlf = check_offsets(TEXT, s, e, "Joko Widodo")
    assert (crlf.start, crlf.end) == _at("Joko Widodo") and "\\r\\n" in crlf.reason
    s, e = _at("Ia   senang")
    trimmed = check_offsets(TEXT, s - 2, e, "Ia   senang")  # span starts in the preceding line break
    assert (trimmed.status, trimmed.start, trimmed.end) == ("repaired", s, e)


def test_convert_offsets_unexplained_mismatch_keeps_offsets():
    start, end = _at("Joko Widodo")
    check = check_offsets(TEXT, start, end, "Prabowo")
    assert (check.status, check.start, check.end) == ("mismatch", start, end)
    assert "'Joko Widodo'" in check.reason and "'Prabowo'" in check.reason
    assert check_offsets(TEXT, 5, len(TEXT) + 3, "x").status == "out_of_range"
    assert check_offsets(TEXT, "5", 9, "x").status == "out_of_range"


def _task(results_by_user: list[tuple[int, list, dict]], text: str = TEXT, task_id: int = 7) -> dict:
    return {
        "id": task_id,
        "data": {"text": text, "doc_id": "t:1", "text_sha256": "0" * 64, "split": "test", "title": ""},
        "annotations": [
            {"id": 100 + i, "completed_by": user, "result": result, "lead_time": 4.5, "ground_truth": False,
             "was_cancelled": False, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
             **extra}
            for i, (user, result, extra) in enumerate(results_by_user)
        ],
        "predictions": [],
    }


def _span(rid: str, control: str, label: str, sub: str, *, stated: str | None = None) -> dict:
    s, e = _at(sub)
    return {"id": rid, "from_name": control, "to_name": "text", "type": "labels",
            "value": {"start": s, "end": e, "text": stated if stated is not None else sub, "labels": [label]}}


def test_convert_canonical_record_keeps_every_layer():
    claim_text = "Presiden Joko Widodo tiba"
    s, e = _at(claim_text)
    result = [
        _span("p1", "entity", "PER", "Joko Widodo"),
        _span("c1", "claim", "CLAIM", claim_text),
        {"id": "c1", "from_name": "checkworthy", "to_name": "text", "type": "choices",
         "value": {"start": s, "end": e, "text": claim_text, "choices": ["yes"]}},
        {"id": "c1", "from_name": "kind", "to_name": "text", "type": "choices",
         "value": {"start": s, "end": e, "text": claim_text, "choices": ["assertion"]}},
        {"from_id": "c1", "to_id": "p1", "type": "relation", "direction": "right", "labels": ["said_by"]},
        {"id": "d1", "from_name": "veracity", "to_name": "text", "type": "choices", "value": {"choices": ["valid"]}},
        {"id": "x1", "from_name": "sentiment", "to_name": "text", "type": "rating", "value": {"rating": 3}},
    ]
    report: list = []
    task = _task([(1, result, {"ground_truth": True}), (2, [], {"was_cancelled": True})])
    rec = canonical_record([task], SCHEMA, project={"id": 3, "title": "p"},
                           export={"path": "raw/x/tasks.jsonl", "sha256": "a" * 64}, report=report)
    assert not list(RECORD_SCHEMA.iter_errors(rec))
    first, skipped = rec["annotations"]
    assert first["annotator"] == "ls-user:1" and first["ground_truth"] and first["lead_time"] == 4.5
    assert first["entities"] == [{"id": "p1", "label": "PER", "start": _at("Joko Widodo")[0],
                                  "end": _at("Joko Widodo")[1], "text": "Joko Widodo", "offset_check": "ok"}]
    assert first["claims"][0]["attributes"] == {"checkworthy": "yes", "kind": "assertion"}
    assert first["relations"] == [{"type": "said_by", "from_id": "c1", "to_id": "p1", "direction": "right",
                                   "labels": ["said_by"]}]
    assert first["doc_labels"] == {"veracity": ["valid"]}
    assert first["unmapped"] == [result[-1]]  # unknown control: kept for the validator, not dropped
    assert skipped["was_cancelled"] and skipped["annotator"] == "ls-user:2" and skipped["entities"] == []
    assert rec["document_id"] == "t:1" and rec["split"] == "test" and rec["task_ids"] == [7]
    assert report == []


def test_convert_canonical_record_reports_repairs_and_mismatches():
    s, e = _at("Jakarta")
    shifted = {"id": "l1", "from_name": "entity", "to_name": "text", "type": "labels",
               "value": {"start": _utf16(TEXT, s), "end": _utf16(TEXT, e), "text": "Jakarta", "labels": ["LOC"]}}
    wrong = _span("l2", "entity", "PER", "Joko Widodo", stated="Megawati")
    report: list = []
    rec = canonical_record([_task([(1, [shifted, wrong], {})])], SCHEMA, project={"id": 1, "title": "p"},
                           export={"path": "p", "sha256": "a" * 64}, report=report)
    repaired, kept = rec["annotations"][0]["entities"]
    assert (repaired["start"], repaired["end"], repaired["text"]) == (s, e, "Jakarta")
    assert repaired["repair"]["from"] == [_utf16(TEXT, s), _utf16(TEXT, e)]
    assert kept["offset_check"] == "mismatch" and kept["text"] == "Joko Widodo"
    assert [(r["region_id"], r["status"], r["annotation_id"]) for r in report] == [("l1", "repaired", 100),
                                                                                  ("l2", "mismatch", 100)]


def test_convert_duplicate_tasks_merge_into_one_record():
    a, b = _task([(1, [], {})], task_id=1), _task([(2, [], {})], task_id=2)
    rec = canonical_record([a, b], SCHEMA, project={"id": 1, "title": "p"}, export={"path": "p", "sha256": "a" * 64},
                           report=[])
    assert rec["task_ids"] == [1, 2] and [x["task_id"] for x in rec["annotations"]] == [1, 2]


def test_convert_prediction_from_the_rule_preannotator_round_trips():
    text = SEED.read_text(encoding="utf-8")
    pre = RulePreAnnotator().predict_one({"id": "seed:1", "text": text})
    pred = prediction(pre, text, SCHEMA)
    assert pred["model_version"] == pre.model_version and pred["score"] == pre.score
    task = {"id": 1, "data": task_data({"id": "seed:1", "text": text}), "annotations": [],
            "predictions": [{"id": 9, **pred}]}
    rec = canonical_record([task], SCHEMA, project={"id": 1, "title": "p"}, export={"path": "p", "sha256": "a" * 64},
                           report=[])
    got = rec["predictions"][0]
    assert len(got["entities"]) + len(got["claims"]) == len(pre.regions)
    assert all(r["offset_check"] == "ok" and r["text"] == text[r["start"]:r["end"]] for r in got["entities"])
    assert {c["id"]: c["attributes"] for c in got["claims"]} == {
        r.id: r.attributes for r in pre.regions if r.layer == "claim"}
    assert len(got["relations"]) == len(pre.relations)


@pytest.mark.parametrize(
    ("region", "relation", "message"),
    [
        (Region("e0", "entity", "PERSON", 0, 5, 0.9), None, "label 'PERSON' is not in the label schema"),
        (Region("e0", "entity", "PER", 0, 500, 0.9), None, "outside the text"),
        (Region("c0", "claim", "CLAIM", 0, 5, 0.9, {"checkworthy": "maybe"}), None, "checkworthy=maybe"),
        (Region("e0", "entity", "PER", 0, 5, 0.9), Relation("quoted_from", "e0", "e0", 0.5), "quoted_from"),
    ],
)
def test_convert_prediction_refuses_labels_outside_the_schema(region, relation, message):
    pre = PreAnnotation("d:1", "m1", (region,), (relation,) if relation else (), 0.5)
    with pytest.raises(ConfigError, match=message):
        prediction(pre, "Putin tiba di Korea Utara.", SCHEMA)


def test_convert_task_data_always_has_the_config_fields():
    data = task_data({"id": "d:1", "text": "abc"})
    assert data["title"] == "d:1" and data["doc_id"] == "d:1" and len(data["text_sha256"]) == 64  # no empty header
    assert task_data({"id": "d:1", "text": "abc", "title": "Judul"})["title"] == "Judul"
