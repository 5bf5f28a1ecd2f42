"""Scoring NER predictions (tags per sentence, or character spans per document) against the `ner` config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from builder.bench.evaluate.bootstrap import Family
from builder.bench.evaluate.common import EvalOptions, nest, primary, score_families
from builder.bench.evaluate.gold import TokenGold, document_lengths, token_gold
from builder.release.layout import ReleaseFolder
from builder.bench.evaluate.predictions import NerPredictions, read_ner
from builder.bench.evaluate.spans import (
    SpanSet,
    semeval_counts,
    semeval_scores,
    seqeval_counts,
    seqeval_scores,
    token_counts,
    token_scores,
)
from builder.tags import Spans, TagVocab, decode_codes, split_tag
from builder.release.tasks import TASKS


def label_table(vocab: TagVocab, labels: tuple[str, ...]) -> np.ndarray:
    """Label index of each tag code's type (-1 for O)."""
    index = {name: k for k, name in enumerate(labels)}
    return np.array([-1 if tag == "O" else index.get(split_tag(tag)[1], -1) for tag in vocab.tags], dtype=np.int64)


def _label_of(spans: Spans, labels: tuple[str, ...]) -> np.ndarray:
    index = {name: k for k, name in enumerate(labels)}
    return np.array([index.get(t, -1) for t in spans.types], dtype=np.int64)[spans.type]


def token_spans(gold: TokenGold, codes: np.ndarray, labels: tuple[str, ...], mode: str) -> SpanSet:
    """Spans of tag codes on the token axis (each sentence followed by one free position)."""
    spans = decode_codes(codes, gold.lengths, gold.vocab, mode)
    base = gold.first + np.arange(len(gold.ids))
    return SpanSet.of(gold.doc[spans.unit], base[spans.unit] + spans.start, base[spans.unit] + spans.end,
                      _label_of(spans, labels))


def char_axis(gold: TokenGold, lengths: np.ndarray) -> np.ndarray:
    """Where each document starts on the character axis (documents back to back, one position apart)."""
    return np.concatenate(([0], np.cumsum(lengths + 1)[:-1]))


def gold_char_spans(gold: TokenGold, labels: tuple[str, ...], mode: str, doc_base: np.ndarray) -> SpanSet:
    spans = decode_codes(gold.codes, gold.lengths, gold.vocab, mode)
    first = gold.first[spans.unit]
    doc = gold.doc[spans.unit]
    start = gold.token_start[first + spans.start]
    end = gold.token_end[first + spans.end - 1]
    return SpanSet.of(doc, doc_base[doc] + start, doc_base[doc] + end, _label_of(spans, labels))


def project_to_tokens(gold: TokenGold, pred: SpanSet, doc_base: np.ndarray, labels: tuple[str, ...]) -> np.ndarray:
    """Tag codes of the gold tokens under predicted character spans: a token inside a span takes its label
    (B- where the span starts on it, I- after); later spans win where predictions overlap."""
    token_doc = np.repeat(gold.doc, gold.lengths)
    starts, ends = doc_base[token_doc] + gold.token_start, doc_base[token_doc] + gold.token_end
    order = np.argsort(starts, kind="stable")
    s_sorted, e_sorted = starts[order], ends[order]
    lo = np.searchsorted(s_sorted, pred.start, side="left")
    hi = np.searchsorted(e_sorted, pred.end, side="right")
    codes = np.zeros(gold.codes.size, dtype=np.int64)
    b_code = np.array([gold.vocab.index[f"B-{name}"] for name in labels], dtype=np.int64)
    i_code = np.array([gold.vocab.index[f"I-{name}"] for name in labels], dtype=np.int64)
    lens = np.maximum(hi - lo, 0)
    first_of_span = np.cumsum(lens) - lens
    covered = order[np.repeat(lo, lens) + np.arange(int(lens.sum())) - np.repeat(first_of_span, lens)]
    codes[covered] = i_code[np.repeat(pred.label, lens)]
    starts_on_token = (lens > 0) & (s_sorted[np.minimum(lo, s_sorted.size - 1)] == pred.start)
    codes[order[lo[starts_on_token]]] = b_code[pred.label[starts_on_token]]
    return codes


def score_ner(gold: TokenGold, preds: NerPredictions, options: EvalOptions,
              doc_lengths: np.ndarray | None = None) -> dict[str, Any]:
    """Span (seqeval and SemEval schemes) and token scores with bootstrap intervals."""
    labels = gold.labels
    n_docs, n_labels = gold.n_docs, len(labels)
    if preds.format == "tags":
        gold_spans = token_spans(gold, gold.codes, labels, options.decoding)
        pred_spans = token_spans(gold, preds.codes, labels, options.decoding)
        pred_codes = preds.codes
    else:
        base = char_axis(gold, doc_lengths)
        gold_spans = gold_char_spans(gold, labels, options.decoding, base)
        index = {name: k for k, name in enumerate(labels)}
        label = np.array([index[x] for x in preds.label], dtype=np.int64)
        pred_spans = SpanSet.of(preds.doc, base[preds.doc] + preds.start, base[preds.doc] + preds.end, label)
        pred_codes = project_to_tokens(gold, pred_spans, base, labels)
    pred_spans = pred_spans.unique()
    gold_spans.check_disjoint()
    types = label_table(gold.vocab, labels)
    token_doc = np.repeat(gold.doc, gold.lengths)
    families = [
        Family("spans", seqeval_counts(gold_spans, pred_spans, n_docs, n_labels), seqeval_scores),
        Family("semeval", semeval_counts(gold_spans, pred_spans, n_docs, n_labels), semeval_scores),
        Family("tokens", token_counts(types[gold.codes], types[pred_codes], gold.codes, pred_codes, token_doc,
                                      n_docs, n_labels), lambda s: token_scores(s, n_labels)),
    ]
    replicates: dict[str, np.ndarray] = {TASKS["ner"].metric: np.zeros(0)}
    scored = score_families(families, n_docs, options, replicates)
    span_sums = families[0].counts.sum(axis=0)
    present = (span_sums[1] + span_sums[2]) > 0
    metrics = {name: nest(point, ci, labels, present) for name, (point, ci) in scored.items()}
    return {
        "format": preds.format,
        "decoding": options.decoding,
        "units": {"sentences": len(gold.ids), "documents": n_docs, "tokens": int(gold.codes.size),
                  "gold_spans": len(gold_spans), "predicted_spans": len(pred_spans)},
        "metrics": metrics,
        "primary": primary(TASKS["ner"].metric, TASKS["ner"].value(metrics), replicates),
    }


def evaluate_ner(release: ReleaseFolder, predictions: Path, options: EvalOptions, fallback_tags: list[str]) -> dict:
    spans = _first_format(predictions) == "spans"
    for _ in range(2):
        gold, _ = token_gold(release, "ner", options.split, "ner_tags", fallback_tags, offsets=spans)
        lengths = document_lengths(release, options.split, gold) if spans else None
        preds = read_ner(predictions, gold, gold.labels, lengths, allow_missing=options.allow_missing)
        if preds.format == "tags" or spans:
            break
        spans = True  # the first line misled the guess: read the offsets that character spans need
    return score_ner(gold, preds, options, lengths)


def _first_format(path: Path) -> str | None:
    """The format of the first line that names one (only a hint: the checker reads every line)."""
    try:
        with open(path, "rb") as fh:
            for line in fh:
                if b'"sentence_id"' in line:
                    return "tags"
                if b'"document_id"' in line:
                    return "spans"
    except OSError:
        return None
    return None


def tag_scores(gold_tags: list[list[str]], pred_tags: list[list[str]], *, mode: str = "conlleval",
               docs: list[int] | None = None) -> tuple[tuple[str, ...], dict[str, np.ndarray], np.ndarray]:
    """seqeval-style span scores of tag lists in memory: (labels, scores, per-document counts).

    Labels are every type found in gold or predictions, sorted (seqeval's target names). `docs` gives each
    sentence's document index (default: each sentence its own document)."""
    vocab = TagVocab.of()
    gold_codes, lengths = vocab.encode(gold_tags)
    pred_codes, pred_lengths = vocab.encode(pred_tags)
    if not np.array_equal(lengths, pred_lengths):
        raise ValueError("gold and predicted sentences differ in length")
    doc = np.arange(len(gold_tags), dtype=np.int64) if docs is None else np.asarray(docs, dtype=np.int64)
    n_docs = int(doc.max()) + 1 if doc.size else 0
    gold_spans = decode_codes(gold_codes, lengths, vocab, mode)
    pred_spans = decode_codes(pred_codes, lengths, vocab, mode)
    labels = tuple(sorted({gold_spans.types[t] for t in np.unique(gold_spans.type)}
                          | {pred_spans.types[t] for t in np.unique(pred_spans.type)}))
    base = np.concatenate(([0], np.cumsum(lengths + 1)[:-1])) if lengths.size else lengths

    def spanset(spans: Spans) -> SpanSet:
        return SpanSet.of(doc[spans.unit], base[spans.unit] + spans.start, base[spans.unit] + spans.end,
                          _label_of(spans, labels) if len(spans) else np.zeros(0))

    counts = seqeval_counts(spanset(gold_spans), spanset(pred_spans), n_docs, len(labels))
    return labels, seqeval_scores(counts.sum(axis=0)), counts
