"""Agreement: a case computed by hand, published reference values, Hypothesis properties, the command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builder.check.agreement import (
    cohen_kappa,
    fleiss_kappa,
    krippendorff_alpha,
    measure,
    report,
    span_counts,
    token_spans,
    token_values,
)
from builder.cli import main
from builder.labels import load_label_schema
from builder.check.validate.layers import DocAnnotations, Layer

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests/data/labelstudio"
LABELS = load_label_schema(REPO / "schema/labels.json")
TEXT = "Presiden Joko Widodo tiba di Jakarta pada Senin."


def layer(name: str, entities=(), claims=(), attributes=None, doc_labels=None) -> Layer:
    out = Layer(name, name, False, None)
    out.entities = {("entity", s, e, label) for s, e, label in entities}
    out.claims = {("claim", s, e, "CLAIM") for s, e in claims}
    out.attributes = {("claim", s, e, "CLAIM"): a for (s, e), a in (attributes or {}).items()}
    out.doc_labels = dict(doc_labels or {})
    return out


def by_label(result: dict, label: str) -> dict:
    return next(r for r in result["per_label"] if r["label"] == label)


def test_agreement_case_computed_by_hand():
    a = layer("A", [(9, 20, "PER"), (29, 36, "LOC")], [(0, 48)], {(0, 48): {"checkworthy": "yes", "kind": "assertion"}},
              {"veracity": "valid"})
    b = layer("B", [(9, 13, "PER"), (29, 36, "LOC"), (42, 47, "DATE")], [(0, 48)],
              {(0, 48): {"checkworthy": "no", "kind": "assertion"}}, {"veracity": "valid"})
    doc = DocAnnotations("d:1", [a, b])
    result = report(measure([doc], LABELS, texts={"d:1": TEXT}), LABELS)
    # strict: PER differ (0), LOC match (1), DATE only in B -> 2*1 / (2 + 3)
    assert (by_label(result, "PER")["strict_f1"], by_label(result, "PER")["partial_f1"]) == (0.0, 1.0)
    assert (by_label(result, "LOC")["strict_f1"], by_label(result, "DATE")["strict_f1"]) == (1.0, 0.0)
    assert result["entities_overall"] == {"strict_f1": 0.4, "partial_f1": 0.8}  # partial: R = 2/2, P = 2/3
    assert by_label(result, "CLAIM")["strict_f1"] == 1.0
    # tokens: Presiden Joko Widodo tiba di Jakarta pada Senin .  -- A: O PER PER O O LOC O O O,
    # B: O PER O O O LOC O DATE O; 2 of 9 units disagree; n = 18; n_O = 12, n_PER = 3, n_LOC = 2, n_DATE = 1
    # alpha = 1 - (18 - 1) * 4 / (18^2 - (144 + 9 + 4 + 1)) = 1 - 68/166
    alpha = {r["layer"]: r for r in result["alpha"]}
    assert alpha["entity"]["alpha"] == round(1 - 68 / 166, 4) and alpha["entity"]["tokens"] == 9
    assert alpha["claim"]["alpha"] is None  # every token is CLAIM for both: one category, undefined
    kappas = {r["what"]: r for r in result["kappa"]}
    assert kappas["claim.checkworthy"]["method"] == "cohen" and kappas["claim.checkworthy"]["units"] == 1
    assert kappas["claim.kind"]["kappa"] is None and kappas["doc.veracity"]["kappa"] is None  # one category


def test_agreement_alpha_reference_value():
    # Krippendorff, "Computing Krippendorff's alpha-reliability" (2011): 4 coders, 12 units, missing values,
    # nominal alpha = 0.743
    units = [[1, 1, 1], [2, 2, 3, 2], [3, 3, 3, 3], [3, 3, 3, 3], [2, 2, 2, 2], [1, 2, 3, 4], [4, 4, 4, 4],
             [1, 1, 2, 1], [2, 2, 2, 2], [5, 5, 5], [1, 1], [3]]
    assert round(krippendorff_alpha(units), 3) == 0.743


def test_agreement_fleiss_reference_value():
    # Fleiss (1971) as in the usual worked example: 10 subjects, 14 raters, 5 categories -> 0.210
    table = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1], [7, 7, 0, 0, 0],
             [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    units = [[c for c, n in enumerate(row) for _ in range(n)] for row in table]
    assert round(fleiss_kappa(units), 3) == 0.210


def test_agreement_cohen_by_hand():
    # observed 3/4; chance (2*1 + 2*3) / 16 = 1/2 -> (3/4 - 1/2) / (1/2)
    assert cohen_kappa([("yes", "yes"), ("yes", "no"), ("no", "no"), ("no", "no")]) == 0.5


def test_agreement_token_values_use_segmented_tokens():
    tokens = token_spans(None, TEXT, "id")
    assert token_values(tokens, [("entity", 9, 20, "PER"), ("entity", 44, 47, "DATE")]) == \
        ["O", "PER", "PER", "O", "O", "O", "O", "DATE", "O"]
    doc = {"sentences": [{"id": "s0", "start": 0, "end": 8, "tokens": [[0, 8]]}]}
    assert token_spans(doc, TEXT, "id") == [(0, 8)]


# ---- properties ------------------------------------------------------------------------------------------------

labels_st = st.sampled_from(["PER", "ORG", "LOC"])
span_st = st.tuples(st.integers(0, 200), st.integers(1, 30), labels_st).map(lambda t: ("entity", t[0], t[0] + t[1], t[2]))
spans_st = st.sets(span_st, max_size=12)


@settings(max_examples=200, deadline=None)
@given(spans_st)
def test_agreement_identical_annotators_give_one(spans):
    for label, counts in span_counts(spans, set(spans)).items():
        assert counts.strict_f1 == 1.0 and counts.partial_f1 == 1.0, label
    tokens = [(i, i + 1) for i in range(0, 240, 2)]
    values = token_values(tokens, spans)
    alpha = krippendorff_alpha(list(zip(values, values, values)))
    assert alpha is None or alpha == 1.0
    kappa = cohen_kappa(list(zip(values, values)))
    assert kappa is None or kappa == 1.0


@settings(max_examples=200, deadline=None)
@given(spans_st, spans_st)
def test_agreement_pairwise_scores_are_symmetric(a, b):
    ab, ba = span_counts(a, b), span_counts(b, a)
    assert set(ab) == set(ba)
    for label in ab:
        assert ab[label].strict_f1 == ba[label].strict_f1
        assert ab[label].partial_f1 == pytest.approx(ba[label].partial_f1)
    tokens = [(i, i + 1) for i in range(0, 240, 3)]
    x, y = token_values(tokens, a), token_values(tokens, b)
    assert cohen_kappa(list(zip(x, y))) == pytest.approx(cohen_kappa(list(zip(y, x))))
    assert krippendorff_alpha(list(zip(x, y))) == pytest.approx(krippendorff_alpha(list(zip(y, x))))


@settings(max_examples=100, deadline=None)
@given(spans_st, spans_st)
def test_agreement_scores_stay_in_range(a, b):
    for counts in span_counts(a, b).values():
        for f1 in (counts.strict_f1, counts.partial_f1):
            assert f1 is None or 0.0 <= f1 <= 1.0
        assert counts.strict_f1 is None or counts.strict_f1 <= counts.partial_f1


# ---- the command ---------------------------------------------------------------------------------------------------


def test_agreement_command_on_the_real_export(tmp_path, capsys):
    out = tmp_path / "agreement.json"
    code = main(["agreement", str(DATA / "canonical.jsonl"), "--corpus", str(DATA / "documents.jsonl"),
                 "--out", str(out), "--config", str(REPO / "newsbench.toml")])
    assert code == 1  # the record whose claim lacks its required choices is left out, and said so
    result = json.loads(out.read_text())
    assert result["documents"]["two_or_more_annotators"] == 1 and result["inputs"]["records_rejected"] == 1
    assert "token-level" in result["method"]["alpha"] and "not unitized" in result["method"]["alpha"]
    assert [r["annotator"] for r in result["per_annotator"]] == ["ls-user:1", "ls-user:2"]
    assert by_label(result, "PER")["strict_f1"] == pytest.approx(2 / 3, abs=1e-4)  # both marked Vladimir Putin
    printed = capsys.readouterr().out
    assert "alpha (entity, token-level" in printed and "strict F1" in printed
    rejects = [json.loads(x) for x in out.with_suffix(".rejects.jsonl").read_text().splitlines()]
    assert [r["reason"] for r in rejects] == ["missing-attribute"]
