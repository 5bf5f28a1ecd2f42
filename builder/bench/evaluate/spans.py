"""Span and token scores, vectorised over a whole split, with per-document counts for the bootstrap.

Spans of every unit (sentence or document) live on one global axis: each unit gets its own range of
positions, so a span is (start, end) on that axis plus a label index, and matching is a few searchsorted calls.
Gold spans never overlap (they come from IOB2 tags), which makes "the gold span a prediction hits first" the
first gold span ending after the prediction starts.

Two families of span scores:
- `seqeval`: precision, recall and F1 per label with micro, macro and weighted averages, exactly as
  seqeval's `classification_report` (a predicted span counts when start, end and label all match; macro
  averages over the labels present in gold or predictions).
- `semeval`: the four schemes of SemEval-2013 task 9.1 as nervaluate counts them. Each prediction, in turn,
  is compared with the first gold span it overlaps: correct (COR), incorrect (INC), partial (PAR) or, with no
  overlap, spurious (SPU); a gold span no prediction hits first is missed (MIS). `strict` wants boundaries and
  label, `exact` boundaries only, `partial` counts boundary overlap as half, `type` wants overlap and label.
  POS = COR+INC+PAR+MIS, ACT = COR+INC+PAR+SPU; precision (COR + PAR/2)/ACT, recall (COR + PAR/2)/POS (PAR
  is zero except in `partial`). Per label, COR/INC/PAR/MIS go to the gold label, SPU to the predicted one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SCHEMES = ("strict", "exact", "partial", "type")
CATEGORIES = ("COR", "INC", "PAR", "MIS", "SPU")


@dataclass(frozen=True)
class SpanSet:
    """Spans on the global axis: document index (the bootstrap unit), start, end (exclusive), label index."""

    doc: np.ndarray
    start: np.ndarray
    end: np.ndarray
    label: np.ndarray

    @classmethod
    def of(cls, doc, start, end, label) -> SpanSet:
        arrays = [np.asarray(a, dtype=np.int64).reshape(-1) for a in (doc, start, end, label)]
        order = np.lexsort((arrays[3], arrays[2], arrays[1]))
        return cls(*(a[order] for a in arrays))

    def __len__(self) -> int:
        return int(self.start.size)

    def unique(self) -> SpanSet:
        """Without repeated (start, end, label): a prediction counts once, as in seqeval's span sets."""
        if len(self) < 2:
            return self
        keep = np.ones(len(self), dtype=bool)
        keep[1:] = (np.diff(self.start) != 0) | (np.diff(self.end) != 0) | (np.diff(self.label) != 0)
        return SpanSet(self.doc[keep], self.start[keep], self.end[keep], self.label[keep])

    def check_disjoint(self) -> None:
        if len(self) > 1 and (self.start[1:] < self.end[:-1]).any():
            raise ValueError("gold spans overlap; span scores need non-overlapping gold spans")


def _bincount2(doc: np.ndarray, label: np.ndarray, n_docs: int, n_labels: int,
               weights: np.ndarray | None = None) -> np.ndarray:
    """(documents x labels) counts."""
    flat = np.bincount(doc * n_labels + label, weights=weights, minlength=n_docs * n_labels)
    return flat.reshape(n_docs, n_labels)


def seqeval_counts(gold: SpanSet, pred: SpanSet, n_docs: int, n_labels: int) -> np.ndarray:
    """Per document, per label: true positives, predicted spans, gold spans; shape (docs, 3, labels)."""
    n = len(gold)
    k = np.searchsorted(gold.start, pred.start)
    kk = np.minimum(k, max(n - 1, 0))
    hit = (k < n) & (gold.start[kk] == pred.start) & (gold.end[kk] == pred.end) & (gold.label[kk] == pred.label) \
        if n else np.zeros(len(pred), dtype=bool)
    tp = _bincount2(pred.doc[hit], pred.label[hit], n_docs, n_labels)
    npred = _bincount2(pred.doc, pred.label, n_docs, n_labels)
    ntrue = _bincount2(gold.doc, gold.label, n_docs, n_labels)
    return np.stack([tp, npred, ntrue], axis=1).astype(np.float64)


def _divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.zeros(np.broadcast(num, den).shape, dtype=np.float64)
    np.divide(num, den, out=out, where=den != 0)
    return out


def prf(tp: np.ndarray, npred: np.ndarray, ntrue: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision, recall, F1; 0 where undefined (seqeval's zero_division default)."""
    p = _divide(tp, npred)
    r = _divide(tp, ntrue)
    den = p + r
    f = _divide(2 * p * r, den)
    return p, r, f


def seqeval_scores(sums: np.ndarray) -> dict[str, np.ndarray]:
    """Scores from summed counts of shape (..., 3, labels); names as in the report ("micro.f1", "per_label.f1")."""
    tp, npred, ntrue = sums[..., 0, :], sums[..., 1, :], sums[..., 2, :]
    p, r, f = prf(tp, npred, ntrue)
    out = {"per_label.precision": p, "per_label.recall": r, "per_label.f1": f, "per_label.support": ntrue}
    mp, mr, mf = prf(tp.sum(-1), npred.sum(-1), ntrue.sum(-1))
    out.update({"micro.precision": mp, "micro.recall": mr, "micro.f1": mf, "micro.support": ntrue.sum(-1)})
    present = (npred + ntrue) > 0  # seqeval's target names: labels found in gold or predictions
    n_present = present.sum(-1)
    for name, values in (("precision", p), ("recall", r), ("f1", f)):
        out[f"macro.{name}"] = _divide((values * present).sum(-1), n_present)
        out[f"weighted.{name}"] = _divide((values * ntrue).sum(-1), ntrue.sum(-1))
    out["macro.support"] = out["weighted.support"] = ntrue.sum(-1)
    return out


def semeval_counts(gold: SpanSet, pred: SpanSet, n_docs: int, n_labels: int) -> np.ndarray:
    """Per document, scheme, category (COR INC PAR MIS SPU) and label; shape (docs, 4, 5, labels)."""
    n = len(gold)
    out = np.zeros((n_docs, len(SCHEMES), len(CATEGORIES), n_labels), dtype=np.float64)
    if n:
        j = np.searchsorted(gold.end, pred.start, side="right")  # first gold span ending after the start
        jj = np.minimum(j, n - 1)
        overlap = (j < n) & (gold.start[jj] < pred.end)
        exact = overlap & (gold.start[jj] == pred.start) & (gold.end[jj] == pred.end)
        same = overlap & (gold.label[jj] == pred.label)
        hit_label = np.where(overlap, gold.label[jj], pred.label)
        missed = np.ones(n, dtype=bool)
        missed[jj[overlap]] = False
    else:
        overlap = exact = same = np.zeros(len(pred), dtype=bool)
        hit_label = pred.label
        missed = np.zeros(0, dtype=bool)
    spurious = ~overlap
    cor_inc_par = {
        "strict": (exact & same, overlap & ~(exact & same), None),
        "exact": (exact, overlap & ~exact, None),
        "partial": (exact, None, overlap & ~exact),
        "type": (same, overlap & ~same, None),
    }
    for s, scheme in enumerate(SCHEMES):
        for c, mask in enumerate(cor_inc_par[scheme]):
            if mask is not None:
                out[:, s, c] = _bincount2(pred.doc[mask], hit_label[mask], n_docs, n_labels)
        out[:, s, 3] = _bincount2(gold.doc[missed], gold.label[missed], n_docs, n_labels)
        out[:, s, 4] = _bincount2(pred.doc[spurious], pred.label[spurious], n_docs, n_labels)
    return out


def semeval_scores(sums: np.ndarray) -> dict[str, np.ndarray]:
    """Scores from summed counts of shape (..., 4, 5, labels): "<scheme>.micro.f1", "<scheme>.per_label.f1"."""
    out: dict[str, np.ndarray] = {}
    for s, scheme in enumerate(SCHEMES):
        for level, counts in (("per_label", sums[..., s, :, :]), ("micro", sums[..., s, :, :].sum(-1))):
            cor, inc, par, mis, spu = (counts[..., c, :] if level == "per_label" else counts[..., c]
                                       for c in range(len(CATEGORIES)))
            pos, act = cor + inc + par + mis, cor + inc + par + spu
            credit = cor + 0.5 * par
            p, r = _divide(credit, act), _divide(credit, pos)
            f = _divide(2 * p * r, p + r)
            for name, value in (("precision", p), ("recall", r), ("f1", f), ("COR", cor), ("INC", inc),
                                ("PAR", par), ("MIS", mis), ("SPU", spu), ("POS", pos), ("ACT", act)):
                out[f"{scheme}.{level}.{name}"] = value
    return out


def token_counts(gold_type: np.ndarray, pred_type: np.ndarray, gold_tag: np.ndarray, pred_tag: np.ndarray,
                 token_doc: np.ndarray, n_docs: int, n_labels: int) -> np.ndarray:
    """Per document: tokens, tags equal, then per label token tp / predicted / gold; shape (docs, 2 + 3*labels).

    `*_type` is the label index of each token (-1 outside any span), `*_tag` the full tag code (B/I kept)."""
    tokens = np.bincount(token_doc, minlength=n_docs).astype(np.float64)
    equal = np.bincount(token_doc, weights=(gold_tag == pred_tag).astype(np.float64), minlength=n_docs)
    parts = [tokens[:, None], equal[:, None]]
    for mask, label in (((gold_type == pred_type) & (gold_type >= 0), gold_type), (pred_type >= 0, pred_type),
                        (gold_type >= 0, gold_type)):
        parts.append(_bincount2(token_doc[mask], label[mask], n_docs, n_labels))
    return np.concatenate(parts, axis=1)


def token_scores(sums: np.ndarray, n_labels: int) -> dict[str, np.ndarray]:
    """Tag accuracy and token-level precision/recall/F1 of the labels (B/I ignored), micro and per label."""
    tokens, equal = sums[..., 0], sums[..., 1]
    tp, npred, ntrue = (sums[..., 2 + k * n_labels: 2 + (k + 1) * n_labels] for k in range(3))
    out = {"accuracy": _divide(equal, tokens)}
    p, r, f = prf(tp, npred, ntrue)
    out.update({"per_label.precision": p, "per_label.recall": r, "per_label.f1": f, "per_label.support": ntrue})
    mp, mr, mf = prf(tp.sum(-1), npred.sum(-1), ntrue.sum(-1))
    out.update({"micro.precision": mp, "micro.recall": mr, "micro.f1": mf})
    return out
