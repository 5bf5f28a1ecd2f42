"""Claim baselines: sentence check-worthiness by logistic regression, and rule-based claims.

The check-worthiness models read word 1-2-grams and character 2-5-grams (inside word boundaries, which
catch affixes and numbers such as "persen" or "Rp"), pick C on the validation split by average precision and the
decision threshold by F1 there. `checkworthy-tfidf-lr` reads the sentence alone and weighs classes by their
frequency. `checkworthy-context-lr` chooses on validation (with C) whether to read, beside the sentence, the words
of the sentences before and after it (at half weight) and the cues of `builder.bench.baselines.cues` (numbers,
quantities, comparisons, superlatives, names, quotes, reporting verbs, the claim rules' verdict, position in the
document), standardised: context is used where it ranks validation better, not by assumption. It does not reweigh
classes, so that its scores stay calibrated probabilities (logistic loss on the data's own prior).

The rule baseline is `builder.bench.baselines.rules.RulePreAnnotator` (quotes with a reporting verb, "menurut X",
"X mengatakan ...", hedges such as "dilaporkan"/"diduga"): it proposes claim spans, their speakers and a
check-worthiness guess, which are cut to the sentences they overlap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score
from sklearn.pipeline import FeatureUnion
from sklearn.preprocessing import StandardScaler
from scipy.sparse import csr_matrix, hstack

from builder.bench.baselines.cues import Sentence, cue_matrix, neighbours
from builder.bench.baselines.rules import RulePreAnnotator

C_GRID = (0.3, 1.0, 3.0)
DEFAULT_C = 1.0  # untuned, unless the grid names one value


class BaselineSkipped(Exception):
    """A baseline cannot be trained on this release (says why: no split, one class only ...)."""


def text_features() -> FeatureUnion:
    return FeatureUnion([
        ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=True)),
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, lowercase=True)),
    ])


def best_threshold(y: np.ndarray, scores: np.ndarray) -> float:
    """The score threshold with the best F1 on (y, scores); 0.5 without positives."""
    if not y.any():
        return 0.5
    order = np.argsort(-scores, kind="stable")
    tp = np.cumsum(y[order])
    f1 = 2 * tp / (np.arange(1, y.size + 1) + y.sum())
    k = int(np.argmax(f1))
    return float(scores[order][k])


def _sentences(items: Sequence[Sentence | str]) -> list[Sentence]:
    return [s if isinstance(s, Sentence) else Sentence(s) for s in items]


Point = tuple[float, float, float]  # (C, weight of the neighbours' words, weight of the cues)
CONTEXTS = ((0.0, 0.0), (0.5, 0.0), (0.5, 1.0))  # the context system's choices: none, neighbours, neighbours + cues


def points(cs: Sequence[float], contexts: Sequence[tuple[float, float]] = ((0.0, 0.0),)) -> tuple[Point, ...]:
    return tuple((float(c), float(a), float(w)) for c in cs for a, w in contexts)


@dataclass
class CheckworthyModel:
    """Logistic regression over TF-IDF word and character n-grams, and, at the grid points that say so, over the
    neighbours' words and the sentence's cues too; `score` is P(check-worthy). Sentences are `cues.Sentence`s (a
    plain string is a sentence without a document). `calibrated` leaves classes unweighted, so that scores stay
    probabilities under the data's own prior."""

    seed: int = 13
    grid: tuple[Point, ...] = points(C_GRID)
    calibrated: bool = False
    language: str = ""  # whose cue words (builder/lang/<code>/claims.toml); "" the language-free cues only
    words: Any = None  # the fitted TF-IDF features
    scaler: Any = None  # the cues' standardisation
    classifier: Any = None
    point: Point = (DEFAULT_C, 0.0, 0.0)
    threshold: float = 0.5
    params: dict[str, Any] = field(default_factory=dict)

    def __setstate__(self, state: dict[str, Any]) -> None:
        # a model saved before the context model held one sklearn pipeline (features, classifier) and C alone
        if "pipeline" in state:
            pipeline = state.pop("pipeline")
            state.update(words=pipeline.steps[0][1], classifier=pipeline.steps[-1][1], scaler=None,
                         point=(float(state.get("params", {}).get("C", DEFAULT_C)), 0.0, 0.0), calibrated=False,
                         language="", grid=tuple((float(c), 0.0, 0.0) for c in state.get("grid", C_GRID)))
        self.__dict__.update(state)

    def _parts(self, sentences: list[Sentence], around: bool, cues: bool) -> tuple[Any, Any, Any]:
        """(sentence words, neighbours' words or None, standardised cues or None)."""
        x = self.words.transform([s.text for s in sentences])
        near = self.words.transform([f"{before} {after}" for before, after, *_ in neighbours(sentences)]) \
            if around else None
        if not cues:
            return x, near, None
        matrix = cue_matrix(sentences, self.language)
        if self.scaler is None:  # fitting
            self.scaler = StandardScaler().fit(matrix)
        return x, near, csr_matrix(self.scaler.transform(matrix))

    @staticmethod
    def _join(parts: tuple[Any, Any, Any], point: Point) -> Any:
        x, around, cues = parts
        blocks = [x] + ([point[1] * around] if point[1] else []) + ([point[2] * cues] if point[2] else [])
        return hstack(blocks).tocsr() if len(blocks) > 1 else x

    def fit(self, texts: Sequence[Sentence | str], labels: Sequence[bool], dev_texts: Sequence[Sentence | str] = (),
            dev_labels: Sequence[bool] = ()) -> CheckworthyModel:
        y = np.asarray(labels, dtype=bool)
        if y.all() or not y.any():
            raise BaselineSkipped("the training split holds only one check-worthiness class")
        train, dev = _sentences(texts), _sentences(dev_texts)
        dev_y = np.asarray(dev_labels, dtype=bool)
        tune = bool(len(dev)) and dev_y.any() and not dev_y.all()
        grid = self.grid if tune or len(self.grid) == 1 else (next((p for p in self.grid if p[0] == DEFAULT_C),
                                                                   self.grid[0]),)
        around, cues = any(p[1] for p in grid), any(p[2] for p in grid)
        self.words, self.scaler = text_features().fit([s.text for s in train]), None  # once: only the point changes
        parts = self._parts(train, around, cues)
        dev_parts = self._parts(dev, around, cues) if tune else None
        best = -1.0
        for point in grid:
            clf = LogisticRegression(C=point[0], class_weight=None if self.calibrated else "balanced", max_iter=2000,
                                     solver="liblinear", random_state=self.seed).fit(self._join(parts, point), y)
            score = average_precision_score(dev_y, clf.predict_proba(self._join(dev_parts, point))[:, 1]) \
                if tune else 0.0
            if score > best:
                best, self.classifier, self.point = score, clf, point
        self.params = {"C": self.point[0], "neighbours": self.point[1], "cues": self.point[2]}
        if tune:
            self.params["validation_average_precision"] = round(best, 6)
            self.threshold = best_threshold(dev_y, self.score(dev))
        self.params["threshold"] = round(self.threshold, 6)
        if not self.point[2]:
            self.scaler = None
        return self

    def score(self, texts: Sequence[Sentence | str]) -> np.ndarray:
        sentences = _sentences(texts)
        if not sentences:
            return np.zeros(0)
        parts = self._parts(sentences, bool(self.point[1]), bool(self.point[2]))
        return self.classifier.predict_proba(self._join(parts, self.point))[:, 1]


@dataclass
class SentenceClaims:
    """What the rules found in one sentence: spans in sentence offsets, speakers, check-worthiness."""

    spans: list[dict[str, Any]] = field(default_factory=list)
    checkworthy: bool = False
    score: float = 0.0


def rule_claims(text: str, sentences: Sequence[tuple[str, int, int]],
                rules: RulePreAnnotator | None = None) -> dict[str, SentenceClaims]:
    """Rule claims of one document cut to its sentences (id, start, end): sentence id -> SentenceClaims.

    A sentence's score is its best claim's rule score, halved when the rules think it is not check-worthy."""
    rules = rules or RulePreAnnotator()
    doc = {"id": "x:doc", "text": text, "sentences": [{"start": s, "end": e} for _, s, e in sentences]}
    found = rules.predict_one(doc)
    regions = {r.id: r for r in found.regions}
    speaker = {rel.from_id: text[regions[rel.to_id].start:regions[rel.to_id].end] for rel in found.relations
               if rel.to_id in regions}
    out = {sid: SentenceClaims() for sid, _, _ in sentences}
    for region in found.regions:
        if region.layer != "claim":
            continue
        worthy = region.attributes.get("checkworthy") == "yes"
        for sid, start, end in sentences:
            a, b = max(region.start, start), min(region.end, end)
            if a >= b:
                continue
            claims = out[sid]
            claims.spans.append({"start": a - start, "end": b - start, **({"speaker": speaker[region.id]}
                                                                           if region.id in speaker else {})})
            claims.checkworthy |= worthy
            claims.score = max(claims.score, region.score if worthy else region.score / 2)
    return out
