"""Which documents a push takes: splits, seeded samples, and the least confident with proposals first."""

from __future__ import annotations

import pytest

from builder.annotate.labelstudio.push import Selection, select_ids
from builder.errors import InputError
from builder.spans import ENTITY, PreAnnotation, Region, confidence


class Scores:
    """A pre-annotator whose proposals for document i have the given scores (none: no proposal)."""

    model_version = "scores-1"

    def __init__(self, scores: dict[str, list[float]]) -> None:
        self.scores = scores

    def predict(self, docs):
        for d in docs:
            regions = tuple(Region(f"e{k}", ENTITY, "PER", 0, 1, s) for k, s in enumerate(self.scores[d["id"]]))
            yield PreAnnotation(d["id"], self.model_version, regions, (), 0.0)


DOCS = [{"id": f"d{i}", "text": "x", "split": "train" if i % 2 else "test"} for i in range(8)]
PRE = Scores({"d0": [], "d1": [0.9, 0.1], "d2": [0.4], "d3": [0.95], "d4": [], "d5": [0.2], "d6": [0.8],
              "d7": [0.5, 0.5]})


def test_selection_least_confident_takes_the_lowest_mean_among_documents_with_proposals():
    assert confidence(next(PRE.predict([DOCS[1]]))) == 0.5 and confidence(next(PRE.predict([DOCS[0]]))) is None
    assert select_ids(DOCS, Selection(sample=2, order="least-confident"), PRE) == {"d5", "d2"}
    assert select_ids(DOCS, Selection(sample=4, order="least-confident"), PRE) == {"d5", "d2", "d1", "d7"}
    # d1 and d7 tie at 0.5: the seeded order decides, the same every time
    three = select_ids(DOCS, Selection(sample=3, order="least-confident"), PRE)
    assert three == select_ids(DOCS, Selection(sample=3, order="least-confident"), PRE)
    assert three - {"d5", "d2"} in ({"d1"}, {"d7"})
    # documents without proposals only when there are not enough with
    assert select_ids(DOCS, Selection(sample=7, order="least-confident"), PRE) >= {"d1", "d2", "d3", "d5", "d6",
                                                                                     "d7"}
    assert select_ids(DOCS, Selection(("train",), 1, "least-confident"), PRE) == {"d5"}
    with pytest.raises(InputError, match="needs a pre-annotator"):
        select_ids(DOCS, Selection(sample=2, order="least-confident"), None)


def test_selection_random_and_input_samples_are_seeded():
    a = select_ids(DOCS, Selection(sample=3, order="random", seed=1), None)
    assert len(a) == 3 and a == select_ids(DOCS, Selection(sample=3, order="input", seed=1), None)
    assert any(select_ids(DOCS, Selection(sample=3, order="random", seed=s), None) != a for s in range(2, 6))
    assert select_ids(DOCS, Selection(order="random"), None) is None  # no sample: every document
    with pytest.raises(InputError, match="unknown order"):
        select_ids(DOCS, Selection(sample=1, order="best"), None)
