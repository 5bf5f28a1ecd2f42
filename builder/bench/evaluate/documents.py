"""Scoring document labels (e.g. veracity hoax/valid) against the `documents` config.

Accuracy and per-value precision/recall/F1 with the macro average over the values present in gold or
predictions (as scikit-learn); each document is its own bootstrap unit. Documents without a gold value are
not scored. With --allow-missing a document without a prediction counts as wrong. When every prediction has
a score and the label has two values, ROC-AUC of the first value (e.g. "hoax") is added, taking
P(first) = score when the predicted label is the first value, else 1 - score.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from builder.bench.evaluate.bootstrap import Family
from builder.bench.evaluate.common import EvalOptions, nest, primary, score_families
from builder.bench.evaluate.gold import DocumentGold, document_gold
from builder.release.layout import ReleaseFolder
from builder.bench.evaluate.predictions import DocumentPredictions, read_documents
from builder.bench.evaluate.ranking import confusion_counts, label_scores, roc_auc
from builder.release.tasks import TASKS


def score_documents(gold: DocumentGold, preds: DocumentPredictions, options: EvalOptions) -> dict[str, Any]:
    scored = np.flatnonzero(gold.gold >= 0)
    n, n_values = scored.size, len(gold.values)
    g = gold.gold[scored]
    p = preds.label[scored]
    p = np.where(p >= 0, p, n_values)  # a missing prediction is a value of its own, never right
    width = n_values + 1
    families = [Family("labels", confusion_counts(np.arange(n), g, p, n, width), lambda s: label_scores(s, width))]
    replicates: dict[str, np.ndarray] = {TASKS["documents"].metric: np.zeros(0)}
    point, ci = score_families(families, n, options, replicates)["labels"]
    names = (*gold.values, "(none)")
    cm = families[0].counts.sum(axis=0).reshape(width, width)
    present = (cm.sum(0) + cm.sum(1)) > 0
    metrics = {"labels": nest(point, ci, names, present)}
    if preds.score is not None and n_values == 2:
        s = preds.score[scored]
        first = np.where(p == 0, s, 1 - s)
        auc = roc_auc(first, g == 0)
        if auc is not None:
            metrics["labels"]["roc_auc"] = {gold.values[0]: round(auc, 12)}
    metrics["labels"]["confusion"] = {
        gv: {pv: int(cm[i, j]) for j, pv in enumerate(names) if cm[:, j].any()} for i, gv in enumerate(gold.values)
    }
    return {
        "label": gold.label_name,
        "units": {"documents": int(n), "without_gold": int(len(gold.ids) - n)},
        "metrics": metrics,
        "primary": primary(TASKS["documents"].metric, TASKS["documents"].value(metrics), replicates),
    }


def evaluate_documents(release: ReleaseFolder, predictions: Path, options: EvalOptions,
                       fallback: dict[str, tuple[str, ...]]) -> dict:
    gold = document_gold(release, options.split, options.label_name, fallback)
    preds = read_documents(predictions, gold, allow_missing=options.allow_missing)
    return score_documents(gold, preds, options)
