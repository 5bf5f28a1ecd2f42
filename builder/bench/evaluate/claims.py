"""Scoring claim predictions against the `claims` config.

Check-worthiness: ranking within each document (MAP, R-precision, P@k) and F1 of the "yes" class, both from
the predicted label and from `score >= threshold`. When every line also gives `has_claim`, `claims` (spans
in sentence offsets) and speakers, the claim detection, span (seqeval and SemEval schemes) and speaker scores
are added. Speakers are compared per sentence as sets of names, case and spacing ignored.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from builder.bench.evaluate.bootstrap import Family
from builder.bench.evaluate.common import EvalOptions, nest, primary, score_families
from builder.bench.evaluate.gold import TokenGold, token_gold
from builder.release.layout import ReleaseFolder
from builder.bench.evaluate.predictions import ClaimsPredictions, read_claims
from builder.bench.evaluate.ranking import binary_counts, binary_scores, ranking_counts, ranking_scores
from builder.bench.evaluate.spans import SpanSet, semeval_counts, semeval_scores, seqeval_counts, seqeval_scores
from builder.tags import decode_codes
from builder.release.tasks import TASKS

_SPACE = re.compile(r"\s+")


def normalise_name(name: str) -> str:
    return _SPACE.sub(" ", name).strip().casefold()


def speaker_counts(doc: np.ndarray, gold: list[list[str]], pred: list[set[str]], n_docs: int) -> np.ndarray:
    """Per document: speakers found, predicted, in gold (sets of normalised names per sentence)."""
    tp = np.zeros(len(gold))
    npred = np.zeros(len(gold))
    ntrue = np.zeros(len(gold))
    for i, (g, p) in enumerate(zip(gold, pred)):
        gs, ps = {normalise_name(x) for x in g if x}, {normalise_name(x) for x in p}
        tp[i], npred[i], ntrue[i] = len(gs & ps), len(ps), len(gs)
    return np.stack([np.bincount(doc, weights=w, minlength=n_docs) for w in (tp, npred, ntrue)], axis=1)


def claim_spans(gold: TokenGold, sentence_start: np.ndarray, text_len: np.ndarray, preds: ClaimsPredictions,
                mode: str) -> tuple[SpanSet, SpanSet]:
    """Gold (from claim_tags) and predicted claim spans on one character axis, sentences back to back."""
    base = np.concatenate(([0], np.cumsum(text_len + 1)[:-1]))
    spans = decode_codes(gold.codes, gold.lengths, gold.vocab, mode)
    first = gold.first[spans.unit]
    unit = spans.unit
    g_start = gold.token_start[first + spans.start] - sentence_start[unit]
    g_end = gold.token_end[first + spans.end - 1] - sentence_start[unit]
    g = SpanSet.of(gold.doc[unit], base[unit] + g_start, base[unit] + g_end, np.zeros(unit.size))
    arr = np.array(preds.spans or [], dtype=np.int64).reshape(-1, 3)
    p = SpanSet.of(gold.doc[arr[:, 0]], base[arr[:, 0]] + arr[:, 1], base[arr[:, 0]] + arr[:, 2],
                   np.zeros(arr.shape[0]))
    return g, p.unique()


def score_claims(gold: TokenGold, table: Any, preds: ClaimsPredictions, options: EvalOptions,
                 claim_label: str) -> dict[str, Any]:
    n_docs = gold.n_docs
    worthy = np.asarray(table["checkworthy"].to_numpy(zero_copy_only=False), dtype=bool)
    has_claim = np.asarray(table["has_claim"].to_numpy(zero_copy_only=False), dtype=bool)
    position = np.asarray(table["sentence_index"].to_numpy(zero_copy_only=False), dtype=np.int64)
    families = [
        Family("ranking", ranking_counts(gold.doc, position, preds.score, worthy, n_docs, options.ks),
               lambda s: ranking_scores(s, options.ks)),
        Family("checkworthy", binary_counts(gold.doc, worthy, preds.checkworthy, n_docs), binary_scores),
        Family("checkworthy_at_threshold",
               binary_counts(gold.doc, worthy, preds.score >= options.threshold, n_docs), binary_scores),
    ]
    if preds.has_claim is not None:
        families.append(Family("has_claim", binary_counts(gold.doc, has_claim, preds.has_claim, n_docs),
                               binary_scores))
    if preds.spans is not None:
        start = np.asarray(table["start"].to_numpy(zero_copy_only=False), dtype=np.int64)
        text_len = np.array([len(t) for t in table["text"].to_pylist()], dtype=np.int64)
        g, p = claim_spans(gold, start, text_len, preds, options.decoding)
        families.append(Family("claim_spans", seqeval_counts(g, p, n_docs, 1), seqeval_scores))
        families.append(Family("claim_spans_semeval", semeval_counts(g, p, n_docs, 1), semeval_scores))
        families.append(Family("speakers", speaker_counts(gold.doc, table["speakers"].to_pylist(), preds.speakers,
                                                          n_docs), binary_scores))
    replicates: dict[str, np.ndarray] = {TASKS["claims"].metric: np.zeros(0)}
    scored = score_families(families, n_docs, options, replicates)
    metrics = {name: nest(point, ci, (claim_label,)) for name, (point, ci) in scored.items()}
    return {
        "threshold": options.threshold,
        "units": {"sentences": len(gold.ids), "documents": n_docs, "checkworthy": int(worthy.sum()),
                  "with_claim": int(has_claim.sum())},
        "metrics": metrics,
        "primary": primary(TASKS["claims"].metric, TASKS["claims"].value(metrics), replicates),
    }


def evaluate_claims(release: ReleaseFolder, predictions: Path, options: EvalOptions, fallback_tags: list[str],
                    claim_label: str, positive: str, values: tuple[str, ...]) -> dict:
    gold, table = token_gold(release, "claims", options.split, "claim_tags", fallback_tags,
                             ["sentence_index", "start", "text", "has_claim", "checkworthy", "speakers"])
    text_len = np.array([len(t) for t in table["text"].to_pylist()], dtype=np.int64)
    preds = read_claims(predictions, gold.ids, gold.index, text_len, positive=positive, values=values,
                        allow_missing=options.allow_missing)
    return score_claims(gold, table, preds, options, claim_label)
