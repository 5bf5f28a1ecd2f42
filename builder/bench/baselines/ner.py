"""NER baselines: a CRF over the features of `builder.bench.baselines.features`, and a dictionary baseline.

Both take sentences as token lists and return IOB2 tags. The CRF is tuned on the validation split over a small
grid of L1/L2 penalties (lbfgs, deterministic) and keeps the best model by span micro F1 there.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sklearn_crfsuite

from builder.bench.baselines.features import Gazetteer, marks_of, out_of_fold_marks, sentence_features
from builder.bench.evaluate.ner import tag_scores
from builder.tags import iob2, sentence_spans

GRID = ((0.05, 0.01), (0.05, 0.1), (0.2, 0.01), (0.2, 0.1))  # (c1, c2)


def micro_f1(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> float:
    return float(tag_scores(list(gold), list(pred))[1]["micro.f1"])


@dataclass
class DictionaryTagger:
    """Tags the phrases seen as entities in training (longest match first) with their most frequent type,
    when at least half of their occurrences in training were entities: the classic CoNLL dictionary baseline."""

    gazetteer: Gazetteer = field(default_factory=Gazetteer)
    min_share: float = 0.5

    def fit(self, sentences: Sequence[Sequence[str]], tags: Sequence[Sequence[str]]) -> DictionaryTagger:
        self.gazetteer = Gazetteer.build(sentences, tags, min_share=self.min_share)
        return self

    def predict(self, sentences: Sequence[Sequence[str]]) -> list[list[str]]:
        out = []
        for words in sentences:
            tags, _ = iob2(len(words), [(start, end, label) for start, end, label, _ in self.gazetteer.match(words)])
            out.append(tags)
        return out


@dataclass
class CrfTagger:
    """A linear-chain CRF; `fit` tunes (c1, c2) on the validation sentences when given."""

    max_iterations: int = 100
    min_freq: int = 2  # drop features seen once: a third of the training time, no loss of F1
    language: str = ""  # whose affixes are features (builder.lang); "" none
    grid: tuple[tuple[float, float], ...] = GRID
    gazetteer: Gazetteer = field(default_factory=Gazetteer)
    crf: Any = None
    params: dict[str, Any] = field(default_factory=dict)
    tuning: list[dict[str, float]] = field(default_factory=list)

    def fit(self, sentences: Sequence[Sequence[str]], tags: Sequence[Sequence[str]],
            dev_sentences: Sequence[Sequence[str]] = (), dev_tags: Sequence[Sequence[str]] = ()) -> CrfTagger:
        self.gazetteer = Gazetteer.build(sentences, tags)
        x = [sentence_features(w, *m, lang=self.language) for w, m in zip(sentences, out_of_fold_marks(sentences, tags))]
        y = [list(t) for t in tags]
        grid = self.grid if dev_sentences else self.grid[:1]
        best = -1.0
        for c1, c2 in grid:
            started = time.perf_counter()
            crf = sklearn_crfsuite.CRF(algorithm="lbfgs", c1=c1, c2=c2, max_iterations=self.max_iterations,
                                       all_possible_transitions=True, min_freq=self.min_freq)
            crf.fit(x, y)
            self.crf = crf
            score = micro_f1(dev_tags, self.predict(dev_sentences)) if dev_sentences else 0.0
            self.tuning.append({"c1": c1, "c2": c2, "validation_f1": round(score, 6),
                                "seconds": round(time.perf_counter() - started, 3)})
            if score > best:
                best, keep = score, crf
                self.params = {"c1": c1, "c2": c2, "max_iterations": self.max_iterations, "min_freq": self.min_freq}
        self.crf = keep
        return self

    def features(self, sentences: Sequence[Sequence[str]]) -> list[list[dict[str, object]]]:
        return [sentence_features(w, *marks_of(self.gazetteer, w), lang=self.language) for w in sentences]

    def predict(self, sentences: Sequence[Sequence[str]]) -> list[list[str]]:
        return [list(t) for t in self.crf.predict(self.features(sentences))] if sentences else []

    def predict_with_scores(self, sentences: Sequence[Sequence[str]]) -> list[list[tuple[int, int, str, float]]]:
        """(start, end, type, score) per sentence; a span's score is the mean marginal of its tags."""
        feats = self.features(sentences)
        out = []
        predicted = self.crf.predict(feats)
        for tags, marginals, spans in zip(predicted, self.crf.predict_marginals(feats), sentence_spans(predicted)):
            out.append([(s, e, label, round(sum(marginals[k][tags[k]] for k in range(s, e)) / (e - s), 4))
                        for s, e, label in spans])
        return out
