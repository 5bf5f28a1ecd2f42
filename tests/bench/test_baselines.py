"""Baselines on small real data: idner-news-2k dev sentences for NER, Pratiwi articles for claims and labels."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from builder.bench.baselines.preannotator import BaselinePreAnnotator
from builder.bench.baselines.run import BaselineOptions, run_baselines
from builder.bench.baselines.claims import BaselineSkipped, CheckworthyModel, best_threshold, rule_claims
from builder.bench.baselines.features import Gazetteer, affixes, out_of_fold_marks, sentence_features, shape
from builder.bench.baselines.ner import CrfTagger, DictionaryTagger
from builder.cli import main
from builder.config import config_from_dict
from builder.corpus.imports.conll import conll_sentences
from builder.document import make_doc_id
from builder.labels import label_schema_of
from builder.corpus.segment import segment_text
from tests.helpers.projects import pratiwi_rows
from tests.helpers.handmade_release import write_release

REPO = Path(__file__).resolve().parents[2]
SCHEMA = label_schema_of(config_from_dict({}, REPO))
DEV = REPO / "data" / "raw" / "idner-news-2k" / "dev.txt"
SPLITS = ("train", "validation", "test")
WORTHY = re.compile(r"\d|persen|juta|miliar")  # the planted check-worthiness rule of the test release


# ---- features -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("word", "expected"), [("Jakarta", "Xx"), ("KPK", "X"), ("Rp10.000", "Xxd.d"),
                                                ("2024", "d"), ("jalan-jalan", "x-x")])
def test_baselines_shape(word, expected):
    assert shape(word) == expected


@pytest.mark.parametrize(("word", "expected"), [
    ("mengatakan", ("meng", "kan")), ("dilaporkan", ("di", "kan")), ("bertemu", ("ber", "")),
    ("rumahnya", ("", "nya")), ("terbesar", ("ter", "")), ("pemerintahan", ("pem", "an")), ("di", ("", "")),
])
def test_baselines_indonesian_affixes(word, expected):
    assert affixes(word, "id") == expected
    assert affixes(word, "en") == ("", "")  # no affix data for English: no affix features


def test_baselines_gazetteer_is_out_of_fold_on_training_sentences():
    sents = [["Joko", "Widodo", "tiba"], ["Joko", "Widodo", "pergi"], ["di", "Bandung"]]
    tags = [["B-PER", "I-PER", "O"], ["B-PER", "I-PER", "O"], ["O", "B-LOC"]]
    gaz = Gazetteer.build(sents, tags)
    assert gaz.match(["kata", "joko", "widodo"]) == [(1, 3, "PER", 1.0)]
    assert gaz.words["widodo"] == ("PER", 1.0) and gaz.words["bandung"] == ("LOC", 1.0)
    marks = out_of_fold_marks(sents, tags, folds=3)
    assert marks[0][0] == ["B-PER:hi", "I-PER:hi", None]  # learned from sentence 1 only
    assert marks[2] == ([None, None], [None, None])  # "Bandung" occurs in no other fold
    feats = sentence_features(["Presiden", "Joko"], [None, "B-PER:hi"], [None, "PER:hi"])
    assert feats[1]["gaz"] == "B-PER:hi" and feats[1]["-1:w"] == "presiden" and feats[0]["+1:gaz"] == "B-PER:hi"
    assert feats[0]["+1:wgaz"] == "PER:hi" and feats[1]["+0:wgaz"] == "PER:hi"


# ---- NER on real sentences ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def idner_dev():
    words, tags = conll_sentences(DEV)
    return (words[:250], tags[:250]), (words[250:300], tags[250:300]), (words[300:], tags[300:])


def test_baselines_crf_beats_the_dictionary_on_idner_sentences(idner_dev):
    from builder.bench.evaluate.ner import tag_scores

    (tw, tt), (dw, dt), (xw, xt) = idner_dev
    crf = CrfTagger(grid=((0.05, 0.1), (0.2, 0.01)), max_iterations=60, language="id").fit(tw, tt, dw, dt)
    dictionary = DictionaryTagger().fit(tw, tt)
    crf_f1 = float(tag_scores(xt, crf.predict(xw))[1]["micro.f1"])
    dict_f1 = float(tag_scores(xt, dictionary.predict(xw))[1]["micro.f1"])
    assert crf_f1 > dict_f1 + 0.1 and crf_f1 > 0.5
    assert len(crf.tuning) == 2 and crf.params["c1"] in (0.05, 0.2)
    scored = crf.predict_with_scores(xw[:20])
    assert all(0 < s <= 1 and start < end for spans in scored for start, end, _, s in spans)


# ---- claims pieces ------------------------------------------------------------------------------------------


def test_baselines_best_threshold_maximises_f1():
    import numpy as np

    y = np.array([1, 1, 0, 1, 0, 0], dtype=bool)
    s = np.array([0.9, 0.8, 0.7, 0.6, 0.2, 0.1])
    assert best_threshold(y, s) == 0.6  # top four: P 3/4, R 1 -> F1 6/7, better than 0.8 (F1 4/5)


def test_baselines_checkworthy_refuses_one_class():
    with pytest.raises(BaselineSkipped, match="only one check-worthiness class"):
        CheckworthyModel().fit(["a", "b"], [False, False])


def test_baselines_rule_claims_cut_to_sentences_with_speakers():
    text = 'Menurut Kapolri Listyo Sigit, pelaku sudah ditangkap di Jakarta. "Kami akan usut tuntas," kata Sigit.'
    first = text.index(".") + 1
    sentences = [("s0", 0, first), ("s1", first + 1, len(text))]
    found = rule_claims(text, sentences)
    assert found["s0"].spans and found["s1"].spans
    quote = found["s1"].spans[0]
    assert text[first + 1:][quote["start"]:quote["end"]] == "Kami akan usut tuntas"  # the rules trim trailing punctuation
    assert quote["speaker"] == "Sigit"


# ---- the whole run on a release -------------------------------------------------------------------------------


def _news_docs(n: int) -> list[dict]:
    """Pratiwi articles, segmented, with their veracity label and planted claims (sentences with numbers)."""
    docs = []
    for k, (text, label) in enumerate(pratiwi_rows()[:n]):
        text = " ".join(text.split())
        doc_id = make_doc_id("pratiwi2017-600", f"row-{k + 2}")
        _, sentences = segment_text(text, doc_id=doc_id)
        claims = [{"id": f"c{j}", "offsets": [[s["start"], s["end"]]], "text": [text[s["start"]:s["end"]]],
                   "checkworthy": "yes" if WORTHY.search(text[s["start"]:s["end"]]) else "no",
                   "kind": "assertion", "speaker_id": None}
                  for j, s in enumerate(sentences) if j % 2 == 0]
        docs.append({"id": doc_id, "split": SPLITS[0 if k % 5 < 3 else 1 if k % 5 == 3 else 2], "text": text,
                     "sentences": sentences, "claims": claims,
                     "doc_labels": [{"name": "veracity", "value": label.lower(), "provenance": "source"}]})
    return docs


def _ner_docs(idner_dev) -> list[dict]:
    docs = []
    for split, (words, tags) in zip(SPLITS, idner_dev):
        for k, (w, t) in enumerate(zip(words, tags)):
            offsets, pos = [], 0
            for token in w:
                offsets.append([pos, pos + len(token)])
                pos += len(token) + 1
            text = " ".join(w)
            ents, start = [], None
            for i, tag in enumerate([*t, "O"]):
                if start is not None and not tag.startswith("I-"):
                    ents.append({"id": f"e{len(ents)}", "type": t[start][2:],
                                 "offsets": [[offsets[start][0], offsets[i - 1][1]]], "text": []})
                    start = None
                if tag.startswith("B-"):
                    start = i
            doc_id = f"idner:{split}-{k}"
            docs.append({"id": doc_id, "split": split, "text": text, "entities": ents,
                         "sentences": [{"id": f"{doc_id}-s0", "start": 0, "end": len(text), "tokens": offsets}]})
    return docs


@pytest.fixture(scope="module")
def baseline_run(tmp_path_factory, idner_dev):
    root = tmp_path_factory.mktemp("baselines")
    release = write_release(root / "releases", _ner_docs(idner_dev) + _news_docs(150), version="0.3.0")
    options = BaselineOptions(seed=7, samples=200, settings={"ner-crf": {"grid": ((0.05, 0.1), (0.2, 0.01)), "iterations": 60}})
    results = run_baselines(release, root / "models" / "0.3.0", SCHEMA, options, leaderboard=root / "board.json")
    return root, release, results


def _primary(results: dict, system: str) -> float:
    return next(r["primary"]["value"] for r in results["systems"] if r["system"] == system)


def test_baselines_run_trains_scores_and_beats_the_majority(baseline_run):
    root, _, results = baseline_run
    systems = {r["system"] for r in results["systems"]}
    assert systems == {"ner-dictionary", "ner-crf", "claims-majority", "checkworthy-tfidf-lr", "checkworthy-context-lr",
                       "claims-rules", "documents-majority", "documents-tfidf-lr"}
    assert results["skipped"] == [] and results["version"] == "0.3.0"
    assert _primary(results, "ner-crf") > _primary(results, "ner-dictionary")
    assert _primary(results, "checkworthy-tfidf-lr") > _primary(results, "claims-majority") + 0.1
    assert _primary(results, "documents-tfidf-lr") > _primary(results, "documents-majority")
    crf = next(r for r in results["systems"] if r["system"] == "ner-crf")
    low, high = crf["primary"]["ci"]
    assert low <= crf["primary"]["value"] <= high and crf["train_seconds"]["cpu"] > 0
    rules = next(r for r in results["systems"] if r["system"] == "claims-rules")
    assert {"claim_spans.micro.f1", "speakers.f1", "has_claim.f1"} <= set(rules["scores"])
    out = root / "models" / "0.3.0"
    saved = json.loads((out / "models.json").read_text())
    assert saved["release"] == "0.3.0"
    assert set(saved["models"]) == {"ner-crf", "checkworthy-tfidf-lr", "checkworthy-context-lr", "documents-tfidf-lr"}
    md = (out / "results.md").read_text()
    assert md.count("| ner-crf |") == 2  # its score, and what it is and how it was tuned
    assert "| ner-crf | CRF: word, shape" in md and "c1=" in md
    written = json.loads((out / "results.json").read_text())  # compact: what `newsbench build --results` shows
    assert "systems" not in written and written["version"] == "0.3.0"
    about = {a["system"]: a for a in written["about"]}
    assert set(about) == systems and about["ner-crf"]["tuned"].startswith("c1=")
    assert "neighbours=" in about["checkworthy-context-lr"]["tuned"]
    assert "chosen on validation" in about["checkworthy-context-lr"]["tuned"]
    crf_rows = [r for r in written["scores"] if r["system"] == "ner-crf"]
    assert crf_rows[0]["score"] == "spans.micro.f1" and crf_rows[0]["ci95_low"] <= crf_rows[0]["value"]
    from builder.release.card import json_markdown

    card = json_markdown(written).splitlines()
    assert any("| ner-crf |" in line and "| spans.micro.f1 |" in line for line in card)
    board = json.loads((root / "board.json").read_text())
    assert {e["system"] for e in board["0.3.0"]["ner"]["test"]} == {"ner-crf", "ner-dictionary"}


def test_baselines_run_is_reproducible(baseline_run, tmp_path):
    _, release, results = baseline_run
    again = run_baselines(release, tmp_path / "again", SCHEMA, BaselineOptions(
        seed=7, samples=200, settings={"ner-crf": {"grid": ((0.05, 0.1), (0.2, 0.01)), "iterations": 60}}))
    assert [(r["system"], r["primary"]) for r in again["systems"]] == \
           [(r["system"], r["primary"]) for r in results["systems"]]


def test_baselines_saved_models_pre_annotate_documents(baseline_run):
    root, _, _ = baseline_run
    pre = BaselinePreAnnotator.load(root / "models" / "0.3.0")
    assert pre.model_version == "newsbench-baselines-0.3.0"
    text = ('Presiden Joko Widodo meninjau banjir di Jakarta pada Senin. "Kerugian mencapai 3 miliar rupiah," '
            'kata Joko Widodo.')
    (result,) = pre.predict([{"id": "x:1", "text": text}])
    entities = [r for r in result.regions if r.layer == "entity"]
    claims = [r for r in result.regions if r.layer == "claim"]
    assert entities and all(0 < r.score <= 1 and text[r.start:r.end].strip() for r in entities)
    assert claims and claims[0].attributes["checkworthy"] in ("yes", "no") and "kind" in claims[0].attributes
    assert {r.label for r in entities} <= set(SCHEMA.entity_names)
    assert 0 <= result.score <= 1


def test_baselines_models_serve_label_studio_push_by_name(baseline_run):
    from builder.errors import InputError
    from builder.annotate.preannotate import make_preannotator

    root, _, _ = baseline_run
    pre = make_preannotator(f"model:{root / 'models' / '0.3.0'}")
    assert isinstance(pre, BaselinePreAnnotator) and pre.model_version == "newsbench-baselines-0.3.0"
    with pytest.raises(InputError, match="no trained baseline models here"):
        make_preannotator(f"model:{root / 'no-such-models'}")


def test_baselines_skips_what_the_release_cannot_train(tmp_path, idner_dev):
    release = write_release(tmp_path / "releases", _ner_docs(idner_dev))  # no claims, no document labels
    results = run_baselines(release, tmp_path / "out", SCHEMA, BaselineOptions(
        samples=0, settings={"ner-crf": {"grid": ((0.1, 0.1),), "iterations": 20}}))
    reasons = {s["system"]: s["reason"] for s in results["skipped"]}
    assert reasons["claims-*"] == "release 0.1.0 has no config 'claims'"
    assert reasons["documents-majority"] == "the training split holds no document labels"
    assert {r["system"] for r in results["systems"]} >= {"ner-crf", "ner-dictionary"}


def test_baselines_command(tmp_path, idner_dev, capsys):
    docs = _ner_docs(idner_dev)
    release = write_release(tmp_path / "releases", docs[:120] + docs[250:280] + docs[300:340], version="0.4.0")
    code = main(["baseline", "--release", str(release), "--out", str(tmp_path / "m"), "--samples", "0",
                 "--no-leaderboard"])
    assert code == 0
    assert "| ner-crf |" in capsys.readouterr().out
    assert json.loads((tmp_path / "m" / "results.json").read_text())["version"] == "0.4.0"


def test_baselines_without_validation_tune_by_cross_validation_on_train(tmp_path):
    docs = [d for d in _news_docs(60) if d["split"] != "validation"]  # train and test only
    release = write_release(tmp_path / "releases", docs, version="0.5.0")
    options = BaselineOptions(seed=3, samples=0, systems=("checkworthy-tfidf-lr", "checkworthy-context-lr",
                                                          "documents-tfidf-lr"),
                              settings={"checkworthy-tfidf-lr": {"C": (0.1, 10.0)}, "checkworthy-context-lr": {"C": (1.0,)}})
    results = run_baselines(release, tmp_path / "out", SCHEMA, options)
    assert {r["system"] for r in results["systems"]} == {"checkworthy-tfidf-lr", "checkworthy-context-lr",
                                                         "documents-tfidf-lr"}
    systems = {s["system"]: s for s in json.loads((tmp_path / "out/systems.json").read_text())["systems"]}
    tuning = systems["checkworthy-tfidf-lr"]["params"]["tuning"]
    assert tuning["method"] == "cross-validation" and tuning["reason"] == "no validation split"
    assert [g["value"] for g in tuning["grid"]] == [[0.1, 0.0, 0.0], [10.0, 0.0, 0.0]]  # (C, neighbours, cues)
    best = max(tuning["grid"], key=lambda g: g["score"])["value"]
    assert systems["checkworthy-tfidf-lr"]["params"]["C"] == best[0]
    # the context system chooses among no context, the neighbours' words, and neighbours with cues
    context = systems["checkworthy-context-lr"]["params"]
    assert [g["value"][1:] for g in context["tuning"]["grid"]] == [[0.0, 0.0], [0.5, 0.0], [0.5, 1.0]]
    chosen = max(context["tuning"]["grid"], key=lambda g: g["score"])["value"]
    assert [context["C"], context["neighbours"], context["cues"]] == chosen
    assert systems["documents-tfidf-lr"]["params"]["tuning"]["method"] == "cross-validation"


def test_baselines_command_runs_the_named_systems_with_their_options(tmp_path, idner_dev, capsys):
    docs = _ner_docs(idner_dev)
    release = write_release(tmp_path / "releases", docs[:120] + docs[250:280] + docs[300:340], version="0.4.0")
    code = main(["baseline", "--release", str(release), "--out", str(tmp_path / "m"), "--samples", "0",
                 "--no-leaderboard", "--system", "ner-crf", "--set", "ner-crf.iterations=15",
                 "--set", "ner-crf.grid=0.1:0.1"])
    assert code == 0
    (crf,) = json.loads((tmp_path / "m/systems.json").read_text())["systems"]
    assert crf["system"] == "ner-crf" and crf["params"]["max_iterations"] == 15 and crf["params"]["c1"] == 0.1
    capsys.readouterr()
    assert main(["baseline", "--release", str(release), "--system", "ner-crff", "--no-leaderboard"]) == 2
    assert "did you mean 'ner-crf'?" in capsys.readouterr().err
    assert main(["baseline", "--release", str(release), "--set", "ner-crf.iters=3", "--no-leaderboard"]) == 2
    assert "did you mean 'iterations'?" in capsys.readouterr().err


def test_baselines_folds_keep_each_document_on_one_side():
    from builder.bench.baselines.systems import folds

    groups = ["a", "a", "b", "c", "c", "c", "d"]
    out = folds(groups, k=3, seed=1)
    assert len(out) == 3
    for train, held in out:
        assert not {groups[i] for i in train} & {groups[i] for i in held}
        assert sorted(train + held) == list(range(len(groups)))
    assert folds(["a", "b"], k=3) == []
