"""The check-worthiness cues and the context model, on sentences of Indonesian news and English debate transcripts."""

from __future__ import annotations

import numpy as np
import pytest

from builder.bench.baselines.claims import CheckworthyModel
from builder.bench.baselines.cues import NAMES, OWN, Sentence, cue_matrix, neighbours, sentence_cues
from tests.helpers.projects import pratiwi_rows
from builder.corpus.segment import segment_text


def cue(text: str, lang: str) -> dict[str, float]:
    return dict(zip(OWN, sentence_cues(text, lang)))


def test_cues_read_indonesian_numbers_comparisons_and_speakers():
    c = cue('"Harga beras naik 20 persen dibanding tahun lalu, tertinggi sejak 2015," kata Menteri Zulkifli.', "id")
    assert c["number"] == 1.0 and c["numbers"] == pytest.approx(np.log1p(2))
    assert c["quantity"] > 0 and c["comparative"] > 0 and c["superlative"] > 0  # persen/tahun, naik/dibanding, tertinggi
    assert c["quote"] == 1.0 and c["speech_verb"] == 1.0 and c["rule_claim"] == 1.0 and c["rule_speaker"] == 1.0
    plain = cue("Semoga kita semua sehat selalu.", "id")
    assert plain["opinion"] > 0 and plain["number"] == 0.0 and plain["rule_claim"] == 0.0


def test_cues_read_english_transcripts_and_any_language_without_data():
    c = cue("Unemployment fell to 4 percent, the biggest drop we have ever seen.", "en")
    assert c["comparative"] > 0 and c["quantity"] > 0 and c["superlative"] > 0 and c["superlative_affix"] > 0
    assert cue("I think we should thank our veterans.", "en")["opinion"] > 0
    # a language without claims.toml keeps the language-free cues and finds no listed word
    fr = cue("Le chômage a baissé de 4 % depuis 2019, a déclaré « Macron ».", "fr")
    assert fr["number"] == 1.0 and fr["quote"] == 1.0 and fr["names"] > 0
    assert fr["comparative"] == fr["quantity"] == fr["speech_verb"] == 0.0


def test_cues_neighbours_are_the_document_order_and_lone_sentences_have_none():
    sents = [Sentence("b", "d1", 2), Sentence("x", "d2", 0), Sentence("a", "d1", 0), Sentence("c", "d1", 5),
             Sentence("alone")]
    near = neighbours(sents)
    assert near[0][:5] == ("a", "c", 0.5, False, False) and near[0][5] == 3
    assert near[2][:2] == ("", "b") and near[2][3] and near[3][4]  # first and last of d1
    assert near[1][:5] == ("", "", 0.0, True, True) and near[4][:2] == ("", "")
    m = cue_matrix(sents, "en")
    assert m.shape == (5, len(NAMES)) and np.isfinite(m).all()


def _sentences(n: int) -> tuple[list[Sentence], list[bool]]:
    """Sentences of real Pratiwi articles; the check-worthy ones are those with a number next to a quantity word."""
    out, labels = [], []
    for k, (text, _) in enumerate(pratiwi_rows()[:n]):
        text = " ".join(text.split())
        for i, s in enumerate(segment_text(text, doc_id=f"x:{k}")[1]):
            sentence = text[s["start"]:s["end"]]
            out.append(Sentence(sentence, f"x:{k}", i))
            labels.append(bool(cue(sentence, "id")["number"]) and bool(cue(sentence, "id")["quantity"]))
    return out, labels


def test_context_model_chooses_its_context_on_validation():
    sents, labels = _sentences(40)
    cut = int(len(sents) * 0.6)
    grid = ((1.0, 0.0, 0.0), (1.0, 0.5, 0.0), (1.0, 0.5, 1.0))
    model = CheckworthyModel(calibrated=True, language="id", grid=grid).fit(sents[:cut], labels[:cut], sents[cut:],
                                                                             labels[cut:])
    # the planted label is a cue (a number beside a quantity word): the cues rank validation best
    assert model.point == (1.0, 0.5, 1.0) and model.params["validation_average_precision"] > 0.9


def test_context_model_scores_are_probabilities_and_rank_held_out_sentences():
    sents, labels = _sentences(60)
    cut = int(len(sents) * 0.7)
    model = CheckworthyModel(calibrated=True, language="id", grid=((1.0, 0.5, 1.0),)).fit(sents[:cut], labels[:cut])
    assert model.scaler is not None and model.params["cues"] == 1.0
    scores = model.score(sents[cut:])
    assert ((scores >= 0) & (scores <= 1)).all()
    y = np.asarray(labels[cut:])
    assert y.any() and scores[y].mean() > scores[~y].mean() + 0.3
    # a plain string is a sentence without a document, scored as well
    assert model.score(["Harga naik 30 persen."])[0] > model.score(["Semoga sehat selalu."])[0]


def test_a_checkworthiness_model_saved_before_the_context_model_still_scores():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from builder.bench.baselines.claims import text_features

    sents, labels = _sentences(20)
    texts = [s.text for s in sents]
    features = text_features().fit(texts)
    old = {"seed": 13, "grid": (0.3, 1.0, 3.0), "threshold": 0.4, "params": {"C": 1.0, "threshold": 0.4},
           "pipeline": make_pipeline(features, LogisticRegression().fit(features.transform(texts), labels))}
    pipeline = old["pipeline"]
    model = CheckworthyModel.__new__(CheckworthyModel)
    model.__setstate__(dict(old))  # what unpickling a models/<version>/checkworthy-tfidf-lr.joblib of before does
    assert model.point == (1.0, 0.0, 0.0) and model.threshold == 0.4
    assert np.allclose(model.score(texts[:5]), pipeline.predict_proba(texts[:5])[:, 1])
