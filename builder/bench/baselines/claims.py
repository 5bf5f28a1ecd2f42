"""Claim baselines: sentence check-worthiness by TF-IDF + logistic regression, and rule-based claims.

The check-worthiness model reads word 1-2-grams and character 2-5-grams (inside word boundaries, which
catch affixes and numbers such as "persen" or "Rp"), weighs classes by their frequency, picks C on the
validation split by average precision and the decision threshold by F1 there.

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
from sklearn.pipeline import FeatureUnion, make_pipeline

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


@dataclass
class CheckworthyModel:
    """TF-IDF word and character n-grams + logistic regression; `score` is P(check-worthy)."""

    seed: int = 13
    grid: tuple[float, ...] = C_GRID
    pipeline: Any = None
    threshold: float = 0.5
    params: dict[str, Any] = field(default_factory=dict)

    def fit(self, texts: Sequence[str], labels: Sequence[bool], dev_texts: Sequence[str] = (),
            dev_labels: Sequence[bool] = ()) -> CheckworthyModel:
        y = np.asarray(labels, dtype=bool)
        if y.all() or not y.any():
            raise BaselineSkipped("the training split holds only one check-worthiness class")
        dev_y = np.asarray(dev_labels, dtype=bool)
        tune = bool(len(dev_texts)) and dev_y.any() and not dev_y.all()
        features = text_features().fit(list(texts))  # once: only the classifier changes with C
        x, dev_x = features.transform(list(texts)), features.transform(list(dev_texts)) if tune else None
        best = -1.0
        for c in self.grid if tune else self.grid if len(self.grid) == 1 else (DEFAULT_C,):
            clf = LogisticRegression(C=c, class_weight="balanced", max_iter=2000, solver="liblinear",
                                     random_state=self.seed).fit(x, y)
            score = average_precision_score(dev_y, clf.predict_proba(dev_x)[:, 1]) if tune else 0.0
            if score > best:
                best, self.params = score, {"C": c, "validation_average_precision": round(score, 6)}
                self.pipeline = make_pipeline(features, clf)
        if tune:
            self.threshold = best_threshold(dev_y, self.score(dev_texts))
        self.params["threshold"] = round(self.threshold, 6)
        return self

    def score(self, texts: Sequence[str]) -> np.ndarray:
        return self.pipeline.predict_proba(list(texts))[:, 1] if len(texts) else np.zeros(0)


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
