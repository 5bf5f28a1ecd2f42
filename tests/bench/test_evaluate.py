"""evaluate: seqeval equivalence (differential), SemEval schemes and ranking by hand, the format checker,
bootstrap properties, documents and claims end to end, the command and the leaderboard."""

from __future__ import annotations

import json
import math
import random
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from seqeval.metrics import classification_report
from seqeval.scheme import IOB2

from builder.cli import main
from builder.config import config_from_dict
from builder.bench.evaluate import EvalOptions, evaluate
from builder.bench.evaluate.bootstrap import Family, bootstrap
from builder.bench.evaluate.ner import tag_scores
from builder.bench.evaluate.predictions import PredictionsInvalid
from builder.bench.evaluate.ranking import ranking_counts, ranking_scores, roc_auc
from builder.bench.evaluate.report import markdown
from builder.bench.evaluate.spans import SpanSet, semeval_counts, semeval_scores
from builder.labels import label_schema_of
from tests.helpers.handmade_release import sentence_doc, write_release

REPO = Path(__file__).resolve().parents[2]
SCHEMA = label_schema_of(config_from_dict({}, REPO))
NO_CI = EvalOptions(samples=0)


def write_jsonl(path: Path, records: list) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


# ---- seqeval equivalence -------------------------------------------------------------------------------------

ALL_TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "E-PER", "S-LOC", "E-ORG", "S-PER"]
IOB_TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-MISC", "I-MISC"]


def seqeval_report(gold, pred, mode):
    kw = {"mode": "strict", "scheme": IOB2} if mode == "iob2" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return classification_report(gold, pred, output_dict=True, zero_division=0, **kw)


@pytest.mark.parametrize("mode", ["conlleval", "iob2"])
def test_evaluate_span_scores_equal_seqeval_on_random_ill_formed_tags(mode):
    rng = random.Random(7)
    vocab = ALL_TAGS if mode == "conlleval" else IOB_TAGS  # strict IOB2 refuses E-/S- (seqeval raises too)
    compared = 0
    for _ in range(400):
        lengths = [rng.randint(0, 9) for _ in range(rng.randint(1, 7))]
        gold = [[rng.choice(vocab) for _ in range(n)] for n in lengths]  # stray I-, type changes, E-/S- ...
        pred = [[rng.choice(vocab) if rng.random() < 0.4 else t for t in s] for s in gold]
        ref = seqeval_report(gold, pred, mode)
        labels, scores, _ = tag_scores(gold, pred, mode=mode)
        assert list(labels) == sorted(k for k in ref if not k.endswith(" avg"))
        for k, label in enumerate(labels):
            for ours, theirs in (("precision", "precision"), ("recall", "recall"), ("f1", "f1-score"),
                                 ("support", "support")):
                assert abs(scores[f"per_label.{ours}"][k] - ref[label][theirs]) <= 1e-9
        for avg in ("micro", "macro", "weighted"):
            for ours, theirs in (("precision", "precision"), ("recall", "recall"), ("f1", "f1-score")):
                expected = ref[f"{avg} avg"][theirs]
                expected = 0.0 if math.isnan(expected) else expected  # seqeval: nan when there is no span at all
                assert abs(float(scores[f"{avg}.{ours}"]) - expected) <= 1e-9
        compared += bool(labels)
    assert compared > 350


def test_evaluate_default_and_strict_modes_differ_on_stray_inside_tags():
    gold = [["B-PER", "I-PER", "O", "B-LOC"]]
    pred = [["I-PER", "I-PER", "O", "B-LOC"]]
    _, lenient, _ = tag_scores(gold, pred, mode="conlleval")
    _, strict, _ = tag_scores(gold, pred, mode="iob2")
    assert float(lenient["micro.f1"]) == 1.0  # conlleval reads the stray I-PER as the start of PER
    assert float(strict["micro.f1"]) == pytest.approx(2 / 3)  # strict: only LOC is predicted, and right


# ---- SemEval schemes by hand --------------------------------------------------------------------------------


def test_evaluate_semeval_schemes_count_every_scenario():
    # gold PER[0,2) LOC[3,4) ORG[5,7) PER[8,9); predicted: exact, wrong type, partial, spurious; PER[8,9) missed
    labels = {"PER": 0, "LOC": 1, "ORG": 2}
    gold = SpanSet.of([0] * 4, [0, 3, 5, 8], [2, 4, 7, 9], [labels[x] for x in ("PER", "LOC", "ORG", "PER")])
    pred = SpanSet.of([0] * 4, [0, 3, 5, 9], [2, 4, 6, 10], [labels[x] for x in ("PER", "ORG", "ORG", "LOC")])
    s = semeval_scores(semeval_counts(gold, pred, 1, 3).sum(axis=0))
    expect = {  # COR INC PAR MIS SPU
        "strict": (1, 2, 0, 1, 1), "exact": (2, 1, 0, 1, 1), "partial": (2, 0, 1, 1, 1), "type": (2, 1, 0, 1, 1)}
    for scheme, counts in expect.items():
        assert [s[f"{scheme}.micro.{c}"] for c in ("COR", "INC", "PAR", "MIS", "SPU")] == list(counts)
    assert s["strict.micro.f1"] == 0.25 and s["exact.micro.f1"] == 0.5 and s["type.micro.f1"] == 0.5
    assert s["partial.micro.precision"] == s["partial.micro.recall"] == 0.625
    # per label: COR/INC/PAR/MIS go to the gold label, SPU to the predicted one
    assert list(s["partial.per_label.precision"]) == [1.0, 0.5, 0.5]
    assert list(s["partial.per_label.recall"]) == [0.5, 1.0, 0.5]


# ---- ranking and AUC by hand ---------------------------------------------------------------------------------


def test_evaluate_ranking_metrics_by_hand():
    doc = np.array([0, 0, 0, 0, 1, 1, 2, 2])
    position = np.array([0, 1, 2, 3, 0, 1, 0, 1])
    score = np.array([0.9, 0.8, 0.7, 0.1, 0.2, 0.5, 0.3, 0.4])
    relevant = np.array([1, 0, 1, 0, 1, 0, 0, 0], dtype=bool)  # document 2 has nothing to find: not averaged
    ks = (1, 3, 5)
    s = ranking_scores(ranking_counts(doc, position, score, relevant, 3, ks).sum(axis=0), ks)
    assert s["map"] == pytest.approx(((1 + 2 / 3) / 2 + 1 / 2) / 2)
    assert s["r_precision"] == pytest.approx((1 / 2 + 0) / 2)
    assert s["p@1"] == pytest.approx(0.5) and s["p@3"] == pytest.approx((2 / 3 + 1 / 3) / 2)
    assert s["p@5"] == pytest.approx((2 / 5 + 1 / 5) / 2) and s["documents_ranked"] == 2


def test_evaluate_ranking_ties_keep_sentence_order():
    counts = ranking_counts(np.array([0, 0]), np.array([0, 1]), np.array([0.5, 0.5]), np.array([False, True]), 1, (1,))
    assert ranking_scores(counts.sum(axis=0), (1,))["map"] == 0.5


def test_evaluate_roc_auc_by_hand():
    assert roc_auc(np.array([0.9, 0.8, 0.3, 0.1]), np.array([True, False, True, False])) == 0.75
    assert roc_auc(np.array([0.5, 0.5]), np.array([True, False])) == 0.5
    assert roc_auc(np.array([0.5]), np.array([True])) is None


# ---- a small release ----------------------------------------------------------------------------------------

WORDS = ["Presiden", "Joko", "Widodo", "tiba", "di", "Jakarta", "pada", "Senin", "bersama", "KPK"]
GOLD_ENTS = [(1, 3, "PER"), (5, 6, "LOC"), (7, 8, "DATE"), (9, 10, "ORG")]


@pytest.fixture(scope="module")
def ner_release(tmp_path_factory):
    docs = [sentence_doc(f"news:d{k}", "test", WORDS, GOLD_ENTS) for k in range(6)]
    docs.append(sentence_doc("news:t0", "train", WORDS, GOLD_ENTS))
    return write_release(tmp_path_factory.mktemp("rel"), docs)


GOLD_TAGS = ["O", "B-PER", "I-PER", "O", "O", "B-LOC", "O", "B-DATE", "O", "B-ORG"]


def test_evaluate_perfect_tags_score_one_with_a_degenerate_interval(ner_release, tmp_path):
    path = write_jsonl(tmp_path / "p.jsonl", [{"sentence_id": f"news:d{k}-s0", "tags": GOLD_TAGS} for k in range(6)])
    report = evaluate(ner_release, "ner", path, EvalOptions(samples=200), SCHEMA)
    spans = report["metrics"]["spans"]
    assert spans["micro"]["f1"] == 1.0 and spans["micro"]["ci"]["f1"] == [1.0, 1.0]
    assert set(spans["per_label"]) == {"PER", "LOC", "DATE", "ORG"}
    assert report["metrics"]["tokens"]["accuracy"] == 1.0
    assert report["version"] == "0.1.0" and report["units"]["documents"] == 6
    assert report["metrics"]["semeval"]["partial"]["micro"]["f1"] == 1.0


def test_evaluate_span_format_scores_like_tag_format(ner_release, tmp_path):
    pred_tags = ["O", "B-PER", "O", "O", "O", "B-ORG", "O", "B-DATE", "I-DATE", "B-ORG"]
    # the same predictions as character spans: "Joko" PER, "Jakarta" ORG, "Senin bersama" DATE, "KPK" ORG
    text = " ".join(WORDS)
    spans = [(text.index(w), text.index(w) + len(w), t)
             for w, t in (("Joko", "PER"), ("Jakarta", "ORG"), ("Senin bersama", "DATE"), ("KPK", "ORG"))]
    tags = write_jsonl(tmp_path / "t.jsonl", [{"sentence_id": f"news:d{k}-s0", "tags": pred_tags} for k in range(6)])
    chars = write_jsonl(tmp_path / "c.jsonl", [
        {"document_id": f"news:d{k}", "entities": [{"start": a, "end": b, "label": t} for a, b, t in spans]}
        for k in range(6)])
    a = evaluate(ner_release, "ner", tags, NO_CI, SCHEMA)["metrics"]
    b = evaluate(ner_release, "ner", chars, NO_CI, SCHEMA)["metrics"]
    assert a == b
    assert a["spans"]["micro"]["f1"] == pytest.approx(0.25)  # only KPK ORG is right: P = R = 1/4
    assert a["semeval"]["type"]["micro"]["f1"] == pytest.approx(0.75)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([{"sentence_id": "news:nope-s0", "tags": GOLD_TAGS}], r"p.jsonl:1: unknown sentence id 'news:nope-s0'"),
        ([{"sentence_id": "news:d0-s0", "tags": GOLD_TAGS}, {"sentence_id": "news:d0-s0", "tags": GOLD_TAGS}],
         r"p.jsonl:2: sentence id 'news:d0-s0' repeated \(first on line 1\)"),
        ([{"sentence_id": "news:d0-s0", "tags": GOLD_TAGS[:-1]}], r"p.jsonl:1: 9 tags for 10 tokens"),
        ([{"sentence_id": "news:d0-s0", "tags": ["B-FOOD"] + GOLD_TAGS[1:]}],
         r"p.jsonl:1: unknown tag 'B-FOOD' at position 0"),
        ([{"document_id": "news:d0", "entities": [{"start": 50, "end": 70, "label": "PER"}]}],
         r"p.jsonl:1: entities\[0\]: offsets \[50, 70\) out of range for a text of 59 characters"),
        ([{"document_id": "news:d0", "entities": [{"start": 0, "end": 4, "label": "FOOD"}]}],
         r"p.jsonl:1: entities\[0\]: unknown label 'FOOD'"),
        ([{"document_id": "news:d0", "entities": [{"start": "0", "end": 4, "label": "PER"}]}],
         r"p.jsonl:1: entities\[0\]: start and end must be integers"),
        ([{"sentence_id": "news:d0-s0", "tags": GOLD_TAGS}, {"document_id": "news:d1", "entities": []}],
         r"p.jsonl:2: spans format, but earlier lines use the tags format"),
        (["not an object"], r"p.jsonl:1: line holds a JSON str, not an object"),
    ],
)
def test_evaluate_checker_locates_each_problem(ner_release, tmp_path, lines, message):
    path = tmp_path / "p.jsonl"
    write_jsonl(path, lines)
    with pytest.raises(PredictionsInvalid) as info:
        evaluate(ner_release, "ner", path, NO_CI, SCHEMA)
    assert any(re.search(message, p) for p in info.value.problems), info.value.problems


def test_evaluate_reading_stops_at_the_problem_limit_and_large_files_stream(ner_release, tmp_path, monkeypatch):
    from builder.bench.evaluate import predictions

    garbage = tmp_path / "g.jsonl"
    garbage.write_text("not json\n" * 200 + json.dumps({"sentence_id": "news:d0-s0", "tags": GOLD_TAGS}) + "\n")
    token = predictions.MAX_PROBLEMS.set(5)
    try:
        with pytest.raises(PredictionsInvalid) as info:
            evaluate(ner_release, "ner", garbage, NO_CI, SCHEMA)
    finally:
        predictions.MAX_PROBLEMS.reset(token)
    assert info.value.total == 5 and info.value.problems[-1].endswith("stopped after 5 problems (--max-problems 5)")
    monkeypatch.setattr(predictions, "FAST_BYTES", 10)  # every file is read line by line
    monkeypatch.setattr(predictions, "MAX_LINE", 4096)
    good = write_jsonl(tmp_path / "p.jsonl", [{"sentence_id": f"news:d{k}-s0", "tags": GOLD_TAGS} for k in range(6)])
    assert evaluate(ner_release, "ner", good, NO_CI, SCHEMA)["metrics"]["spans"]["micro"]["f1"] == 1.0
    long = tmp_path / "long.jsonl"
    long.write_text(good.read_text() + '{"sentence_id": "' + "x" * 10000 + '"}\n')
    with pytest.raises(PredictionsInvalid) as info:
        evaluate(ner_release, "ner", long, NO_CI, SCHEMA)
    assert any("long.jsonl:7: the line is longer than" in p for p in info.value.problems)


def test_evaluate_checker_refuses_a_line_that_repeats_a_key(ner_release, tmp_path):
    """A JSON parser keeps the last of two values; which one was meant cannot be known, so the line is refused."""
    path = tmp_path / "p.jsonl"
    good = json.dumps({"sentence_id": "news:d0-s0", "tags": GOLD_TAGS})
    path.write_text(good[:-1] + ', "tags": ' + json.dumps(["O"] * len(GOLD_TAGS)) + "}\n", encoding="utf-8")
    with pytest.raises(PredictionsInvalid) as info:
        evaluate(ner_release, "ner", path, NO_CI, SCHEMA)
    assert any(re.search(r"p.jsonl:1: the line repeats the key\(s\) 'tags'", p) for p in info.value.problems)


def test_evaluate_checker_reports_missing_units_and_all_problems(ner_release, tmp_path):
    lines = [{"sentence_id": "news:d0-s0", "tags": ["X"] * 10}, {"sentence_id": "news:zz", "tags": []}]
    path = write_jsonl(tmp_path / "p.jsonl", lines)
    with pytest.raises(PredictionsInvalid) as info:
        evaluate(ner_release, "ner", path, NO_CI, SCHEMA)
    problems = info.value.problems
    assert len(problems) == 3 and info.value.total == 3
    assert "5 sentence(s) of the split have no prediction, e.g. news:d1-s0" in problems[2]
    report = evaluate(ner_release, "ner", write_jsonl(tmp_path / "q.jsonl", lines[:0] + [
        {"sentence_id": "news:d0-s0", "tags": GOLD_TAGS}]), EvalOptions(samples=0, allow_missing=True), SCHEMA)
    assert report["metrics"]["spans"]["micro"]["recall"] == pytest.approx(1 / 6)


# ---- bootstrap ------------------------------------------------------------------------------------------------


def _f1_family(n_docs: int, seed: int) -> Family:
    rng = np.random.default_rng(seed)
    true = rng.integers(1, 6, n_docs).astype(float)
    pred = rng.integers(1, 6, n_docs).astype(float)
    tp = np.minimum(true, pred) * rng.random(n_docs).round(1)
    counts = np.stack([tp, pred, true], axis=1)

    def scores(s):
        p, r = s[..., 0] / s[..., 1], s[..., 0] / s[..., 2]
        return {"f1": 2 * p * r / (p + r)}
    return Family("x", counts, scores)


def test_evaluate_bootstrap_is_seeded_and_covers_the_point():
    fam = _f1_family(200, 1)
    a = bootstrap([fam], 200, samples=500, seed=3)["x"]["f1"]
    b = bootstrap([fam], 200, samples=500, seed=3)["x"]["f1"]
    c = bootstrap([fam], 200, samples=500, seed=4)["x"]["f1"]
    assert a == b and a != c
    point = float(fam.point()["f1"])
    assert a[0] < point < a[1]
    wide = bootstrap([fam], 200, samples=500, seed=3, level=0.99)["x"]["f1"]
    assert wide[0] <= a[0] and a[1] <= wide[1]


def test_evaluate_bootstrap_narrows_with_more_documents():
    small = bootstrap([_f1_family(50, 2)], 50, samples=400, seed=0)["x"]["f1"]
    large = bootstrap([_f1_family(2000, 2)], 2000, samples=400, seed=0)["x"]["f1"]
    assert (large[1] - large[0]) < (small[1] - small[0]) / 3


def test_evaluate_report_intervals_depend_on_the_seed_only(ner_release, tmp_path):
    pred = [{"sentence_id": f"news:d{k}-s0", "tags": GOLD_TAGS if k % 2 else ["O"] * 10} for k in range(6)]
    path = write_jsonl(tmp_path / "p.jsonl", pred)
    one = evaluate(ner_release, "ner", path, EvalOptions(samples=300, seed=5), SCHEMA)["metrics"]
    two = evaluate(ner_release, "ner", path, EvalOptions(samples=300, seed=5), SCHEMA)["metrics"]
    assert one == two
    low, high = one["spans"]["micro"]["ci"]["f1"]
    assert low < one["spans"]["micro"]["f1"] < high


# ---- documents and claims -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def labelled_release(tmp_path_factory):
    docs = []
    for k, value in enumerate(["hoax", "hoax", "valid", "valid", "valid", None]):
        words = f"Polisi menyebut {k} orang ditangkap . Warga diduga menyebar kabar palsu .".split()
        d = sentence_doc(f"news:v{k}", "test", words, [(0, 1, "ORG")],
                         doc_labels=[{"name": "veracity", "value": value, "provenance": "source"}] if value else [])
        text = d["text"]
        s1 = text.index("Warga")
        d["sentences"] = [{"id": f"news:v{k}-s0", "start": 0, "end": s1 - 1, "tokens": d["sentences"][0]["tokens"][:6]},
                          {"id": f"news:v{k}-s1", "start": s1, "end": len(text),
                           "tokens": d["sentences"][0]["tokens"][6:]}]
        d["claims"] = [{"id": f"news:v{k}-c0", "offsets": [[text.index("menyebut") + 9, s1 - 3]],
                        "checkworthy": "yes" if k % 2 == 0 else "no", "kind": "reported",
                        "speaker_id": f"news:v{k}-e0"}]
        docs.append(d)
    return write_release(tmp_path_factory.mktemp("lab"), docs, version="2.1.0")


def test_evaluate_documents_accuracy_macro_f1_and_auc(labelled_release, tmp_path):
    preds = [("hoax", 0.9), ("valid", 0.6), ("valid", 0.8), ("valid", 0.7), ("hoax", 0.55), ("valid", 0.5)]
    path = write_jsonl(tmp_path / "d.jsonl", [{"document_id": f"news:v{k}", "label": v, "score": s}
                                              for k, (v, s) in enumerate(preds)])
    report = evaluate(labelled_release, "documents", path, NO_CI, SCHEMA)
    labels = report["metrics"]["labels"]
    assert report["units"] == {"documents": 5, "without_gold": 1}
    assert labels["accuracy"] == pytest.approx(3 / 5)
    # hoax: P 1/2, R 1/2; valid: P 2/3, R 2/3
    assert labels["macro"]["f1"] == pytest.approx((0.5 + 2 / 3) / 2)
    assert labels["confusion"] == {"hoax": {"hoax": 1, "valid": 1}, "valid": {"hoax": 1, "valid": 2}}
    # P(hoax): 0.9, 0.4 for the gold hoaxes, 0.2, 0.3, 0.55 for the valid ones: 5 of 6 pairs ordered
    assert labels["roc_auc"]["hoax"] == pytest.approx(5 / 6)
    bad = write_jsonl(tmp_path / "e.jsonl", [{"document_id": "news:v0", "label": "fake"}])
    with pytest.raises(PredictionsInvalid, match="unknown label 'fake' for 'veracity'"):
        evaluate(labelled_release, "documents", bad, NO_CI, SCHEMA)


def test_evaluate_claims_ranking_spans_and_speakers(labelled_release, tmp_path):
    lines = []
    for k in range(6):
        claim = {"start": len("Polisi menyebut "), "end": len(f"Polisi menyebut {k} orang ditangkap"),
                 "speaker": "polisi"}
        lines.append({"sentence_id": f"news:v{k}-s0", "score": 0.9 if k % 2 == 0 else 0.2,
                      "checkworthy": "yes" if k < 4 else "no", "has_claim": True, "claims": [claim]})
        lines.append({"sentence_id": f"news:v{k}-s1", "score": 0.4, "checkworthy": "no", "has_claim": False,
                      "claims": []})
    report = evaluate(labelled_release, "claims", write_jsonl(tmp_path / "c.jsonl", lines), NO_CI, SCHEMA)
    m = report["metrics"]
    assert m["ranking"]["map"] == 1.0 and report["units"]["checkworthy"] == 3
    assert m["checkworthy"]["precision"] == pytest.approx(2 / 4) and m["checkworthy"]["recall"] == pytest.approx(2 / 3)
    assert m["checkworthy_at_threshold"]["f1"] == 1.0
    assert m["has_claim"]["f1"] == 1.0
    assert m["claim_spans"]["micro"]["f1"] == 1.0 and m["speakers"]["f1"] == 1.0  # "Polisi" == "polisi"


# ---- command and leaderboard --------------------------------------------------------------------------------


def test_evaluate_cli_writes_reports_and_a_leaderboard_keyed_by_version(ner_release, tmp_path, capsys):
    good = write_jsonl(tmp_path / "good.jsonl", [{"sentence_id": f"news:d{k}-s0", "tags": GOLD_TAGS} for k in range(6)])
    weak = write_jsonl(tmp_path / "weak.jsonl", [{"sentence_id": f"news:d{k}-s0", "tags": ["O"] * 10} for k in range(6)])
    board = tmp_path / "board.json"
    for path in (weak, good, weak):
        assert main(["evaluate", "--release", str(ner_release), "--subset", "ner", "--predictions", str(path),
                     "--samples", "50", "--leaderboard", str(board)]) == 0
    entries = json.loads(board.read_text())["0.1.0"]["ner"]["test"]
    assert [(e["system"], e["value"]) for e in entries] == [("good", 1.0), ("weak", 0.0)]
    report = json.loads((tmp_path / "good.json").read_text())
    assert {k: report["primary"][k] for k in ("name", "value")} == {"name": "spans.micro.f1", "value": 1.0}
    assert report["primary"]["replicates"] == [1.0] * 50  # the score in every bootstrap sample
    assert "| span F1 micro | f1 | 1.0000 [1.0000, 1.0000] |" in (tmp_path / "good.md").read_text()
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"sentence_id": "x", "tags": []}])
    capsys.readouterr()
    assert main(["evaluate", "--release", str(ner_release), "--subset", "ner", "--predictions", str(bad),
                 "--check"]) == 1
    err = capsys.readouterr().err
    assert "bad.jsonl:1: unknown sentence id 'x'" in err and "2 problem(s)" in err
    assert main(["evaluate", "--release", str(ner_release), "--subset", "ner", "--predictions", str(good),
                 "--check"]) == 0
    assert main(["evaluate", "--release", str(ner_release), "--subset", "ner", "--predictions", str(good),
                 "--split", "validation"]) == 2


# ---- a release built by `newsbench build` ------------------------------------------------------------------


@pytest.fixture(scope="module")
def built_release(tmp_path_factory):
    from builder.config import load_config
    from builder.release.build import build_release
    from tests.helpers.release_fixture import release_project

    root = tmp_path_factory.mktemp("built")
    return build_release(load_config(release_project(root))).path


def test_evaluate_gold_copied_from_a_built_release_scores_one(built_release, tmp_path):
    import pyarrow.parquet as pq

    def rows(config: str, split: str) -> list[dict]:
        return [r for f in sorted((built_release / "data" / config).glob(f"{split}-*.parquet"))
                for r in pq.read_table(f).to_pylist()]

    names = ["O"] + [f"{p}-{t}" for t in SCHEMA.entity_names for p in ("B", "I")]
    ner = write_jsonl(tmp_path / "ner.jsonl", [{"sentence_id": r["id"], "tags": [names[t] for t in r["ner_tags"]]}
                                               for r in rows("ner", "test")])
    report = evaluate(built_release, "ner", ner, NO_CI, SCHEMA)
    assert report["units"]["gold_spans"] > 0 and report["metrics"]["spans"]["micro"]["f1"] == 1.0
    claims = write_jsonl(tmp_path / "claims.jsonl", [
        {"sentence_id": r["id"], "score": float(r["checkworthy"]), "checkworthy": "yes" if r["checkworthy"] else "no"}
        for r in rows("claims", "test")])
    assert evaluate(built_release, "claims", claims, NO_CI, SCHEMA)["units"]["sentences"] > 0
    docs = write_jsonl(tmp_path / "docs.jsonl", [
        {"document_id": r["id"], "label": r["doc_labels"][0]["value"]} for r in rows("documents", "test")
        if r["doc_labels"]])
    assert evaluate(built_release, "documents", docs, NO_CI, SCHEMA)["metrics"]["labels"]["accuracy"] == 1.0


def test_evaluate_ranking_without_any_check_worthy_sentence_is_undefined(tmp_path):
    docs = [sentence_doc(f"news:u{k}", "test", ["Warga", "berkumpul", "di", "alun-alun", "."],
                         claims=[]) for k in range(3)]
    release = write_release(tmp_path / "rel", docs)
    lines = [{"sentence_id": f"news:u{k}-s0", "score": 0.1, "checkworthy": "no"} for k in range(3)]
    report = evaluate(release, "claims", write_jsonl(tmp_path / "c.jsonl", lines), EvalOptions(samples=50), SCHEMA)
    ranking = report["metrics"]["ranking"]
    assert ranking["map"] is None and ranking["documents_ranked"] == 0 and ranking["ci"]["map"] == [None, None]
    assert "| check-worthiness | map | undefined |" in markdown(report)


# ---- the Hub's evaluation results ----------------------------------------------------------------------------


def test_evaluate_writes_the_hubs_eval_results_entry(ner_release, tmp_path, capsys):
    import yaml
    from huggingface_hub import parse_eval_result_entries

    good = write_jsonl(tmp_path / "good.jsonl", [{"sentence_id": f"news:d{k}-s0", "tags": GOLD_TAGS} for k in range(6)])
    out = tmp_path / ".eval_results"
    assert main(["evaluate", "--release", str(ner_release), "--subset", "ner", "--predictions", str(good),
                 "--samples", "50", "--no-leaderboard", "--hub-results", str(out), "--hub-dataset", "org/newsbench-id",
                 "--hub-revision", "0123abc", "--hub-source-url", "https://example.org/run"]) == 0
    (written,) = out.glob("*.yaml")
    assert written.name == "newsbench-id-ner.yaml"
    data = yaml.safe_load(written.read_text())
    (entry,) = parse_eval_result_entries(data)  # what huggingface_hub reads back from a model repository
    assert (entry.dataset_id, entry.task_id, entry.value, entry.dataset_revision) == \
        ("org/newsbench-id", "ner", 1.0, "0123abc")
    assert entry.source_url == "https://example.org/run" and entry.date
    assert "spans.micro.f1 on the test split" in entry.notes and "95% CI [1.0000, 1.0000]" in entry.notes
    assert data[0]["dataset"] == {"id": "org/newsbench-id", "task_id": "ner", "revision": "0123abc"}
    capsys.readouterr()
    # outside a project, the dataset id must be given; a malformed one is refused before anything is written
    again = write_jsonl(tmp_path / "again.jsonl", [{"sentence_id": f"news:d{k}-s0", "tags": GOLD_TAGS}
                                                    for k in range(6)])
    assert main(["evaluate", "--release", str(ner_release), "--subset", "ner", "--predictions", str(again),
                 "--samples", "0", "--no-leaderboard", "--hub-results", str(tmp_path / "x")]) == 2
    assert "--hub-dataset ORG/NAME" in capsys.readouterr().err
    assert main(["evaluate", "--release", str(ner_release), "--subset", "ner", "--predictions", str(again),
                 "--samples", "0", "--no-leaderboard", "--hub-results", str(tmp_path / "y"), "--hub-dataset",
                 "no-slash"]) == 2
    assert "not a Hub dataset id" in capsys.readouterr().err
    # the Hub's tasks are the test splits (eval.yaml): a validation score has no task to be posted to
    assert main(["evaluate", "--release", str(ner_release), "--subset", "ner", "--predictions", str(again),
                 "--split", "validation", "--samples", "0", "--no-leaderboard", "--hub-results", str(tmp_path / "y"),
                 "--hub-dataset", "org/newsbench-id"]) == 2
    assert "ranked on the test split, not 'validation'" in capsys.readouterr().err
    assert not (tmp_path / "y").exists() and not (tmp_path / "again.json").exists()  # refused before scoring
