"""Check-worthiness ranking within each document, and label scores, as per-document counts.

Sentences are ranked by score within their document (ties keep the sentence order), as CheckThat! ranks
sentences within each debate; average precision, R-precision and P@k are computed per document and averaged
over the documents that hold at least one check-worthy sentence (a document without one has no ranking to
judge). P@k divides by k even when a document has fewer than k sentences.
"""

from __future__ import annotations

import numpy as np

from builder.bench.evaluate.spans import _divide, prf


def ranking_counts(doc: np.ndarray, position: np.ndarray, score: np.ndarray, relevant: np.ndarray, n_docs: int,
                   ks: tuple[int, ...]) -> np.ndarray:
    """Per document: [AP, R-precision, P@k for each k, has a relevant sentence]; shape (docs, 3 + len(ks))."""
    order = np.lexsort((position, -score, doc))
    d, rel = doc[order], relevant[order].astype(np.float64)
    counts = np.bincount(d, minlength=n_docs)
    doc_first = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rank = np.arange(d.size) - doc_first[d] + 1
    cum = np.cumsum(rel)
    cum_in_doc = cum - (cum[doc_first[d]] - rel[doc_first[d]])
    n_rel = np.bincount(d, weights=rel, minlength=n_docs)
    has = n_rel > 0
    ap = _divide(np.bincount(d, weights=rel * cum_in_doc / rank, minlength=n_docs), n_rel)
    r_prec = _divide(np.bincount(d, weights=rel * (rank <= n_rel[d]), minlength=n_docs), n_rel)
    cols = [ap, r_prec]
    cols += [np.bincount(d, weights=rel * (rank <= k), minlength=n_docs) / k * has for k in ks]
    return np.stack([*cols, has.astype(np.float64)], axis=1)


def ranking_scores(sums: np.ndarray, ks: tuple[int, ...]) -> dict[str, np.ndarray]:
    """Means over the documents with something to find; NaN (null in reports) when there is none."""
    n = sums[..., -1]

    def mean(total: np.ndarray) -> np.ndarray:
        return np.where(n > 0, _divide(total, n), np.nan)

    out = {"map": mean(sums[..., 0]), "r_precision": mean(sums[..., 1])}
    for j, k in enumerate(ks):
        out[f"p@{k}"] = mean(sums[..., 2 + j])
    out["documents_ranked"] = n
    return out


def binary_counts(doc: np.ndarray, gold: np.ndarray, pred: np.ndarray, n_docs: int) -> np.ndarray:
    """Per document: true positives, predicted positives, gold positives; shape (docs, 3)."""
    g, p = gold.astype(np.float64), pred.astype(np.float64)
    return np.stack([np.bincount(doc, weights=g * p, minlength=n_docs), np.bincount(doc, weights=p, minlength=n_docs),
                     np.bincount(doc, weights=g, minlength=n_docs)], axis=1)


def binary_scores(sums: np.ndarray) -> dict[str, np.ndarray]:
    p, r, f = prf(sums[..., 0], sums[..., 1], sums[..., 2])
    return {"precision": p, "recall": r, "f1": f, "support": sums[..., 2]}


def confusion_counts(doc: np.ndarray, gold: np.ndarray, pred: np.ndarray, n_docs: int, n_values: int) -> np.ndarray:
    """Per unit's document: a flattened confusion matrix (gold x predicted); shape (docs, values * values)."""
    flat = np.bincount(doc * n_values * n_values + gold * n_values + pred, minlength=n_docs * n_values * n_values)
    return flat.reshape(n_docs, n_values * n_values).astype(np.float64)


def label_scores(sums: np.ndarray, n_values: int) -> dict[str, np.ndarray]:
    """Accuracy, per-value precision/recall/F1 and macro averages over the values present (as scikit-learn)."""
    cm = sums.reshape(*sums.shape[:-1], n_values, n_values)
    tp = np.diagonal(cm, axis1=-2, axis2=-1)
    npred, ntrue = cm.sum(-2), cm.sum(-1)
    p, r, f = prf(tp, npred, ntrue)
    present = (npred + ntrue) > 0
    n_present = present.sum(-1)
    out = {"accuracy": _divide(tp.sum(-1), ntrue.sum(-1)),
           "per_label.precision": p, "per_label.recall": r, "per_label.f1": f, "per_label.support": ntrue}
    for name, values in (("precision", p), ("recall", r), ("f1", f)):
        out[f"macro.{name}"] = _divide((values * present).sum(-1), n_present)
    return out


def roc_auc(positive_score: np.ndarray, positive: np.ndarray) -> float | None:
    """Area under the ROC curve by the rank-sum formula (ties get mean ranks); None with one class only."""
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if not n_pos or not n_neg:
        return None
    order = np.argsort(positive_score, kind="stable")
    ranks = np.empty(len(order))
    sorted_scores = positive_score[order]
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    mean_rank = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(mean_rank, counts)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
