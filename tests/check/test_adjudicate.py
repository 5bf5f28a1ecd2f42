"""Adjudication: one case per rule, Hypothesis properties, gold records and review tasks, the command."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from builder.check.adjudicate import Policy, adjudicate_document, gold_record
from builder.cli import main
from builder.labels import load_label_schema
from builder.check.validate.records import RecordValidator
from builder.check.validate.layers import DocAnnotations, Layer

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests/data/labelstudio"
LABELS = load_label_schema(REPO / "schema/labels.json")
TEXT = "Presiden Joko Widodo tiba di Jakarta pada Senin. \"Ekonomi tumbuh 5 persen,\" kata Joko Widodo."
JOKO, JAKARTA, SENIN = (9, 20, "PER"), (29, 36, "LOC"), (42, 47, "DATE")
JOKO2 = (TEXT.rindex("Joko"), TEXT.rindex("Joko") + len("Joko Widodo"), "PER")
CLAIM = (TEXT.index("Ekonomi"), TEXT.index(",\""))
MAJORITY = Policy()


def layer(name, entities=(), claims=(), attributes=None, relations=(), doc_labels=None, truth=False) -> Layer:
    out = Layer(name, name, truth, None)
    out.entities = {("entity", *e) for e in entities}
    out.claims = {("claim", *c, "CLAIM") for c in claims}
    out.attributes = {("claim", *c, "CLAIM"): a for c, a in (attributes or {}).items()}
    out.relations = {("said_by", ("claim", *c, "CLAIM"), ("entity", *e)) for c, e in relations}
    out.doc_labels = dict(doc_labels or {})
    return out


def decide(*layers: Layer, policy: Policy = MAJORITY, skipped=()):
    return adjudicate_document(DocAnnotations("d:1", list(layers), [], list(skipped)), LABELS, policy)


def ents(decision) -> set:
    return {k[1:] for k in decision.entities}


def kinds(decision) -> list:
    return sorted((r.kind, r.layer, r.name) for r in decision.review)


# ---- one case per rule -------------------------------------------------------------------------------------------


def test_adjudicate_ground_truth_wins():
    d = decide(layer("a", [JOKO], truth=True), layer("b", [JAKARTA]), layer("c", [JAKARTA]))
    assert d.method == "ground_truth" and ents(d) == {JOKO} and d.review == []
    d = decide(layer("a", [JOKO], truth=True), layer("b", [JAKARTA]), layer("c", [JAKARTA]),
               policy=Policy(ground_truth_wins=False))
    assert d.method == "majority" and ents(d) == {JAKARTA}


def test_adjudicate_several_ground_truths_that_disagree_are_listed():
    d = decide(layer("a", [JOKO], truth=True), layer("b", [JAKARTA], truth=True), layer("c", [JOKO]))
    assert ("ground-truth-disagreement", "document", None) in kinds(d)
    assert ents(d) == set()  # 1 of 2 ground truths each: ties
    assert kinds(d).count(("tie", "entity", None)) == 2


def test_adjudicate_more_than_half_keeps_and_a_minority_is_dropped():
    d = decide(layer("a", [JOKO, SENIN]), layer("b", [JOKO]), layer("c", [JOKO, JAKARTA]))
    assert ents(d) == {JOKO} and d.review == [] and d.dropped["entity"] == 2


def test_adjudicate_two_annotators_need_both_and_one_is_a_tie():
    d = decide(layer("a", [JOKO, JAKARTA]), layer("b", [JOKO]))
    assert ents(d) == {JOKO}
    assert kinds(d) == [("tie", "entity", None)]
    assert d.review[0].candidates == [{"value": {"start": 29, "end": 36, "label": "LOC"}, "votes": 1,
                                       "annotators": ["a"]}]


def test_adjudicate_a_conflict_when_most_mark_a_span_but_disagree_on_it():
    d = decide(layer("a", [(9, 20, "PER")]), layer("b", [(9, 20, "ORG")]), layer("c", [(9, 13, "PER")]))
    assert ents(d) == set() and kinds(d) == [("conflict", "entity", None)]
    assert {c["value"]["label"] for c in d.review[0].candidates} == {"PER", "ORG"}


def test_adjudicate_claim_attributes_by_majority_of_the_annotators():
    attrs = [{"checkworthy": "yes", "kind": "quote"}, {"checkworthy": "yes", "kind": "reported"},
             {"checkworthy": "no", "kind": "assertion"}]
    d = decide(*(layer(n, claims=[CLAIM], attributes={CLAIM: a}) for n, a in zip("abc", attrs)))
    key = ("claim", *CLAIM, "CLAIM")
    assert d.claims == [key] and d.attributes[key] == {"checkworthy": "yes"}
    assert kinds(d) == [("conflict", "attribute", "kind")]
    assert d.open  # the kind is disputed: no gold until a reviewer decides
    # an attribute only one of three gave is dropped; the kept claim then lacks a required attribute: open
    d = decide(layer("a", claims=[CLAIM], attributes={CLAIM: attrs[0]}), layer("b", claims=[CLAIM]), layer("c"))
    assert d.claims == [key] and key not in d.attributes and d.open
    assert kinds(d) == [("missing", "attribute", "checkworthy"), ("missing", "attribute", "kind")]


def test_adjudicate_relations_need_a_majority_and_kept_ends():
    both = {"entities": [JOKO2], "claims": [CLAIM], "relations": [(CLAIM, JOKO2)]}
    d = decide(layer("a", **both), layer("b", **both), layer("c", entities=[JOKO2], claims=[CLAIM]))
    assert [r[0] for r in d.relations] == ["said_by"]
    d = decide(layer("a", **both), layer("b", entities=[JOKO2], claims=[CLAIM]), layer("c", entities=[JOKO2]))
    assert d.relations == [] and d.dropped["relation"] == 1
    rival = {"entities": [JOKO, JOKO2], "claims": [CLAIM], "relations": [(CLAIM, JOKO)]}
    d = decide(layer("a", **{**both, "entities": [JOKO, JOKO2]}), layer("b", **rival))
    assert d.relations == [] and [k for k in kinds(d) if k[1] == "relation"] == [("tie", "relation", "said_by")]
    assert len(d.review[0].candidates) == 2  # one speaker per claim: the two are rivals


def test_adjudicate_document_labels():
    d = decide(layer("a", doc_labels={"veracity": "hoax"}), layer("b", doc_labels={"veracity": "hoax"}),
               layer("c", doc_labels={"veracity": "valid"}))
    assert d.doc_labels == {"veracity": "hoax"} and d.review == []
    d = decide(layer("a", doc_labels={"veracity": "hoax"}), layer("b", doc_labels={"veracity": "valid"}))
    assert d.doc_labels == {} and kinds(d) == [("tie", "doc_label", "veracity")]


def test_adjudicate_too_few_annotators_and_all_skipped():
    d = decide(layer("a", [JOKO]), policy=Policy(min_annotators=2))
    assert kinds(d) == [("too-few-annotators", "document", None)] and d.entities == []
    d = decide(layer("a", [JOKO]))
    assert ents(d) == {JOKO}  # one annotator: more than half of one
    d = decide(skipped=["a", "b"])
    assert kinds(d) == [("skipped", "document", None)] and d.review[0].candidates[0]["annotators"] == ["a", "b"]


def test_adjudicate_share_is_configurable():
    layers = [layer("a", [JOKO]), layer("b", [JOKO]), layer("c", [JOKO]), layer("d", [JAKARTA])]
    assert ents(decide(*layers, policy=Policy(min_share=0.75))) == set()  # 3 of 4 is not more than 3/4
    assert ents(decide(*layers, policy=Policy(min_share=0.7))) == {JOKO}


# ---- properties ------------------------------------------------------------------------------------------------------

span_st = st.tuples(st.integers(0, 60), st.integers(1, 15), st.sampled_from(["PER", "ORG", "LOC"])).map(
    lambda t: (t[0], t[0] + t[1], t[2]))


def _non_overlapping(spans):
    out = []
    for s in sorted(spans):
        if all(s[1] <= o[0] or o[1] <= s[0] for o in out):
            out.append(s)
    return out


annotator_st = st.tuples(st.lists(span_st, max_size=6).map(_non_overlapping),
                         st.lists(st.tuples(st.integers(0, 60), st.integers(1, 30)).map(lambda t: (t[0], t[0] + t[1])),
                                  max_size=2, unique=True),
                         st.sampled_from([None, "hoax", "valid"]))


def _layers(specs):
    return [layer(f"a{i}", ents_, claims, {c: {"checkworthy": "yes" if (c[0] + i) % 2 else "no"} for c in claims},
                  [(claims[0], ents_[0])] if claims and ents_ else [], {"veracity": label} if label else {})
            for i, (ents_, claims, label) in enumerate(specs)]


def _gold(d):
    return (d.entities, d.claims, d.attributes, d.relations, d.doc_labels)


@settings(max_examples=150, deadline=None)
@given(st.lists(annotator_st, min_size=1, max_size=5))
def test_adjudicate_duplicating_every_annotator_keeps_the_gold(specs):
    layers = _layers(specs)
    twice = layers + [copy.deepcopy(x) for x in layers]
    for i, x in enumerate(twice[len(layers):]):
        x.annotator = f"copy{i}"
    assert _gold(decide(*layers)) == _gold(decide(*twice))


@settings(max_examples=150, deadline=None)
@given(st.lists(annotator_st, min_size=1, max_size=5))
def test_adjudicate_gold_never_holds_a_span_no_annotator_marked(specs):
    layers = _layers(specs)
    d = decide(*layers)
    marked = set().union(*(x.entities | x.claims for x in layers))
    assert set(d.entities) | set(d.claims) <= marked
    assert all(r[1] in d.claims and r[2] in d.entities for r in d.relations)


# ---- gold records, review tasks -------------------------------------------------------------------------------------


def _document(text: str = TEXT) -> dict:
    from builder.document import new_document

    return new_document(doc_id="d:1", source={"name": "t", "license": "CC-BY-4.0", "redistributable": True,
                                              "retrieved_at": "2026-11-26", "key": "1"}, language="id", text=text,
                        doc_labels=[{"name": "veracity", "value": "valid", "provenance": "source:t"}])


def test_adjudicate_gold_record_is_a_valid_canonical_document():
    both = {"entities": [JOKO, JOKO2], "claims": [CLAIM], "attributes": {CLAIM: {"checkworthy": "yes", "kind": "quote"}},
                "relations": [(CLAIM, JOKO2)], "doc_labels": {"veracity": "hoax"}}
    d = decide(layer("a", **both), layer("b", **both))
    gold = gold_record(d, _document(), [{"id": 1}, {"id": 2}], LABELS)
    _view, problems = RecordValidator(LABELS, None).check(gold, {})
    assert problems == []
    assert [e["text"] for e in gold["entities"]] == [["Joko Widodo"], ["Joko Widodo"]]
    claim = gold["claims"][0]
    assert (claim["checkworthy"], claim["kind"], claim["speaker_id"]) == ("yes", "quote", gold["entities"][1]["id"])
    assert gold["relations"] == [{"id": "d:1-r0", "type": "said_by", "arg1_id": claim["id"],
                                  "arg2_id": gold["entities"][1]["id"], "normalized": []}]
    assert gold["doc_labels"] == [{"name": "veracity", "value": "hoax", "provenance": "annotation:majority",
                                   "annotator": None}]
    assert gold["annotations"] == [{"id": 1}, {"id": 2}]


def test_adjudicate_command_on_the_real_export(tmp_path):
    out = tmp_path / "gold"
    code = main(["adjudicate", str(DATA / "canonical.jsonl"), "--corpus", str(DATA / "documents.jsonl"),
                 "--out", str(out), "--config", str(REPO / "newsbench.toml")])
    assert code == 1  # one record is invalid (a claim without its required choices): left out and listed
    summary = json.loads((out / "adjudication.json").read_text())
    assert summary["rejected_records"] == {"record:missing-attribute": 1}
    gold = {g["id"]: g for g in map(orjson.loads, (out / "gold.jsonl").read_bytes().splitlines())}
    canonical = {r["document_id"]: r for r in map(orjson.loads, (DATA / "canonical.jsonl").read_bytes().splitlines())}
    seed = next(k for k in gold if k.startswith("seed:"))
    truth = next(a for a in canonical[seed]["annotations"] if a["ground_truth"])
    assert sorted((e["offsets"][0][0], e["type"]) for e in gold[seed]["entities"]) == \
        sorted((e["start"], e["label"]) for e in truth["entities"])  # the ground-truth annotation wins
    assert gold[seed]["annotations"] == canonical[seed]["annotations"]  # every raw annotation kept beside
    assert gold[seed]["claims"][0]["speaker_id"] is not None
    items = [json.loads(x) for x in (out / "review/items.jsonl").read_text().splitlines()]
    assert [i["kind"] for i in items] == ["skipped"]
    assert main(["validate", str(out / "gold.jsonl"), "--corpus", str(DATA / "documents.jsonl"),
                 "--out", str(tmp_path / "v"), "--config", str(REPO / "newsbench.toml")]) == 0


# ---- open documents, review decisions, preferred versions ---------------------------------------------------------

FULL = {"checkworthy": "yes", "kind": "quote"}


def test_adjudicate_disagreement_leaves_the_document_open_until_reviewed_or_preferred():
    a = layer("annotator-1", [JOKO2], [CLAIM], {CLAIM: FULL}, [(CLAIM, JOKO2)])
    b = layer("annotator-2", [JOKO2], [CLAIM], {CLAIM: {**FULL, "checkworthy": "no"}}, [(CLAIM, JOKO2)])
    d = decide(a, b)
    assert d.open and kinds(d) == [("tie", "attribute", "checkworthy")]
    assert d.review[0].claim == {"start": CLAIM[0], "end": CLAIM[1], "label": "CLAIM"}
    # a decision made outside the UI: annotator-2's version settles it, whole
    d = decide(a, b, policy=Policy(prefer=("annotator-3", "annotator-2")))
    assert not d.open and (d.method, d.decided_by) == ("preferred", "annotator-2")
    assert d.attributes[("claim", *CLAIM, "CLAIM")]["checkworthy"] == "no"
    # a reviewer's decision wins over everything, and is the only voter
    reviewer = layer("annotator-3", [JOKO2], [CLAIM], {CLAIM: FULL}, [(CLAIM, JOKO2)])
    reviewer.updated_at = "2026-12-03T10:00:00Z"
    doc = DocAnnotations("d:1", [a, b], [], [], review=reviewer)
    d = adjudicate_document(doc, LABELS, MAJORITY)
    assert (d.method, d.decided_by, d.decided_at, d.voters, d.open) == (
        "review", "annotator-3", "2026-12-03T10:00:00Z", ["annotator-3"], False)
    gold = gold_record(d, _document(), [], LABELS, annotators=2)
    assert gold["adjudication"] == {"method": "review", "annotators": 2, "voters": ["annotator-3"],
                                    "decided_by": "annotator-3", "decided_at": "2026-12-03T10:00:00Z", "machine": False}
    assert RecordValidator(LABELS, None).check(gold, {})[1] == []


full_annotator_st = st.tuples(st.lists(span_st, max_size=5).map(_non_overlapping),
                              st.lists(st.tuples(st.integers(0, 60), st.integers(1, 30)).map(
                                  lambda t: (t[0], t[0] + t[1])), max_size=2, unique=True),
                              st.sampled_from(["yes", "no", None]), st.sampled_from(["quote", "reported", None]),
                              st.sampled_from([None, "hoax", "valid"]))


@settings(max_examples=200, deadline=None)
@given(st.lists(full_annotator_st, min_size=1, max_size=4))
def test_adjudicate_a_document_with_gold_always_has_gold_the_build_accepts(specs):
    layers = []
    for i, (ents_, claims, cw, kind, label) in enumerate(specs):
        attrs = {c: {k: v for k, v in (("checkworthy", cw), ("kind", kind)) if v} for c in claims}
        layers.append(layer(f"annotator-{i + 1}", ents_, claims, attrs,
                            [(claims[0], ents_[0])] if claims and ents_ else [], {"veracity": label} if label else {}))
    d = decide(*layers)
    text = "x" * 100
    if not d.open:
        gold = gold_record(d, _document(text), [], LABELS)
        errors = [p.line() for p in RecordValidator(LABELS, None).check(gold, {})[1] if p.severity == "error"]
        assert errors == []
