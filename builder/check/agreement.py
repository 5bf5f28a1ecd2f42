"""Agreement between annotators on documents that two or more of them annotated.

- Span F1, pairwise, per label: strict (same start, end and label) and partial (a span counts as found when a
  span of the same label overlaps it). For a pair (a, b) over their common documents, strict F1 =
  2|A & B| / (|A| + |B|); partial F1 = 2PR / (P + R) with R the share of a's spans overlapped by one of b's and
  P the share of b's spans overlapped by one of a's. Both are symmetric in a and b. Pairs are pooled (micro)
  per label, per annotator and per pair.
- Krippendorff's alpha, nominal, TOKEN-LEVEL (not unitized): the units are the tokens of the segmented corpus
  (`sentences[].tokens`, or the segmenter's tokens when a document has none); an annotator's value for a token
  is the label of the span that overlaps it, or "O". Computed for entities and for claims separately.
- Kappa for per-claim attributes (check-worthiness, kind) and document labels: Cohen's kappa when the measure
  involves exactly two annotators, Fleiss' kappa (its form for a varying number of raters per unit) when more.
  Claims of different annotators are the same unit when their spans match (`claim_match`: "exact" offsets, or
  "overlap": overlapping claims of different annotators, skipped when one annotator has two in a group).

Every figure is None when it is undefined (no spans of a label, one category only).
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

from builder.check.validate.corpus import Corpus
from builder.check.validate.kinds import KINDS, RecordKind
from builder.jsonl import write_json
from builder.labels import LabelSchema
from builder.spans import CLAIM, ENTITY
from builder.stage import RejectSink
from builder.corpus.segment import segment_text
from builder.check.validate.layers import DocAnnotations, Layer, SpanKey, collect, overlap_groups

METHOD = {
    "span_f1": "pairwise F1 pooled over annotator pairs and documents; strict = same offsets and label, "
               "partial = overlapping span of the same label",
    "alpha": "Krippendorff's alpha, nominal, token-level (units: tokens of the segmented corpus; value: the label "
             "of the span over the token, or O); not unitized alpha",
    "kappa": "Cohen's kappa with two annotators, Fleiss' kappa (varying raters per unit) with more; claims are "
             "matched across annotators by {claim_match} spans",
}


# ---- span F1 ------------------------------------------------------------------------------------------------

@dataclass
class F1Counts:
    """Pooled counts for span F1 between reference spans (a) and other spans (b)."""

    a: int = 0
    b: int = 0
    strict: int = 0
    partial_a: int = 0  # a's spans overlapped by one of b's
    partial_b: int = 0  # b's spans overlapped by one of a's

    def add(self, other: F1Counts) -> None:
        self.a += other.a
        self.b += other.b
        self.strict += other.strict
        self.partial_a += other.partial_a
        self.partial_b += other.partial_b

    @property
    def strict_f1(self) -> float | None:
        return 2 * self.strict / (self.a + self.b) if self.a + self.b else None

    @property
    def partial_f1(self) -> float | None:
        if not (self.a and self.b):
            return None if not (self.a or self.b) else 0.0
        recall, precision = self.partial_a / self.a, self.partial_b / self.b
        return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _overlapped(spans: Sequence[tuple[int, int]], others: Sequence[tuple[int, int]]) -> int:
    """How many of `spans` overlap at least one of `others` (a document holds tens of spans: pairs are fine)."""
    count = 0
    for s, e in spans:
        count += any(os < e and s < oe for os, oe in others)
    return count


def span_counts(a: Iterable[SpanKey], b: Iterable[SpanKey]) -> dict[str, F1Counts]:
    """Per label: F1 counts between a's spans and b's."""
    by_a: dict[str, list[tuple[int, int]]] = defaultdict(list)
    by_b: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for _, s, e, label in a:
        by_a[label].append((s, e))
    for _, s, e, label in b:
        by_b[label].append((s, e))
    out = {}
    for label in set(by_a) | set(by_b):
        sa, sb = by_a.get(label, []), by_b.get(label, [])
        out[label] = F1Counts(len(sa), len(sb), len(set(sa) & set(sb)), _overlapped(sa, sb), _overlapped(sb, sa))
    return out


# ---- Krippendorff's alpha (nominal) --------------------------------------------------------------------------

def krippendorff_alpha(units: Iterable[Sequence[Hashable]]) -> float | None:
    """Nominal alpha from the values each unit received (one per annotator who coded it; missing ones left out).

    alpha = 1 - (n - 1) * sum_{c != k} o_ck / sum_{c != k} n_c n_k, with o the coincidence matrix; units
    with fewer than two values are not pairable. None when there is no pairable value or only one category.
    """
    patterns: Counter[tuple[str, ...]] = Counter(tuple(sorted(map(str, u))) for u in units if len(u) >= 2)
    n_c: Counter[str] = Counter()
    disagree = 0.0  # sum over c != k of o_ck
    for values, times in patterns.items():
        m = len(values)
        counts = Counter(values)
        n_c.update({c: k * times for c, k in counts.items()})
        same = sum(k * (k - 1) for k in counts.values())
        disagree += times * (m * (m - 1) - same) / (m - 1)
    n = sum(n_c.values())
    expected = n * n - sum(v * v for v in n_c.values())  # sum over c != k of n_c n_k
    if n < 2 or expected == 0:
        return None
    return 1.0 - (n - 1) * disagree / expected


# ---- kappa --------------------------------------------------------------------------------------------------

def cohen_kappa(pairs: Iterable[tuple[Hashable, Hashable]]) -> float | None:
    """Cohen's kappa of two raters from (rating of rater 1, rating of rater 2) per unit."""
    pairs = list(pairs)
    if not pairs:
        return None
    n = len(pairs)
    observed = sum(1 for x, y in pairs if x == y) / n
    first, second = Counter(x for x, _ in pairs), Counter(y for _, y in pairs)
    chance = sum(first[c] * second[c] for c in first) / (n * n)
    return None if chance == 1 else (observed - chance) / (1 - chance)


def fleiss_kappa(units: Iterable[Sequence[Hashable]]) -> float | None:
    """Fleiss' kappa for units rated by varying numbers of raters (units with fewer than two are left out)."""
    agreement, totals, used = 0.0, Counter(), 0
    for ratings in units:
        m = len(ratings)
        if m < 2:
            continue
        counts = Counter(ratings)
        agreement += (sum(k * k for k in counts.values()) - m) / (m * (m - 1))
        totals.update(counts)
        used += 1
    if not used:
        return None
    all_ratings = sum(totals.values())
    chance = sum((v / all_ratings) ** 2 for v in totals.values())
    observed = agreement / used
    return None if chance == 1 else (observed - chance) / (1 - chance)


# ---- documents ------------------------------------------------------------------------------------------------

@dataclass
class Agreement:
    per_label: dict[tuple[str, str], F1Counts] = field(default_factory=lambda: defaultdict(F1Counts))
    per_annotator: dict[str, F1Counts] = field(default_factory=lambda: defaultdict(F1Counts))
    per_pair: dict[tuple[str, str], F1Counts] = field(default_factory=lambda: defaultdict(F1Counts))
    alpha_units: dict[str, list[list[str]]] = field(default_factory=lambda: defaultdict(list))
    kappa_units: dict[str, list[dict[str, str]]] = field(default_factory=lambda: defaultdict(list))
    docs: Counter = field(default_factory=Counter)
    annotator_docs: Counter = field(default_factory=Counter)
    ambiguous_claims: int = 0


def token_spans(doc: dict[str, Any] | None, text: str, language: str) -> list[tuple[int, int]]:
    """The tokens of a document: from its sentences, else from the segmenter."""
    sentences = (doc or {}).get("sentences")
    if not sentences:
        sentences = segment_text(text, language=language)[1]
    return [(t[0], t[1]) for s in sentences for t in s.get("tokens", [])]


def token_values(tokens: list[tuple[int, int]], spans: Iterable[SpanKey]) -> list[str]:
    """Per token: the label of a span overlapping it (the first by start), else "O"."""
    values = ["O"] * len(tokens)
    starts = [t[0] for t in tokens]
    for _, s, e, label in sorted(spans, key=lambda k: (k[1], k[2])):
        i = max(0, bisect.bisect_right(starts, s) - 1)
        while i < len(tokens) and tokens[i][0] < e:
            if tokens[i][1] > s and values[i] == "O":
                values[i] = label
            i += 1
    return values


def claim_units(layers: Sequence[Layer], match: str) -> tuple[list[dict[str, dict[str, str]]], int]:
    """Claims matched across annotators: per unit, annotator -> that annotator's attributes; and the count of
    overlap groups left out because one annotator has two claims in them."""
    if match == "exact":
        units: dict[tuple[int, int], dict[str, dict[str, str]]] = defaultdict(dict)
        for layer in layers:
            for key in layer.claims:
                units[(key[1], key[2])][layer.annotator] = layer.attributes.get(key, {})
        return list(units.values()), 0
    items = [(key[1], key[2], layer) for layer in layers for key in layer.claims]
    groups = overlap_groups(items, lambda x: (x[0], x[1]))
    out, ambiguous = [], 0
    for group in groups:
        annotators = [layer.annotator for _, _, layer in group]
        if len(set(annotators)) != len(annotators):
            ambiguous += 1
            continue
        out.append({layer.annotator: layer.attributes.get((CLAIM, s, e, _claim_label(layer, s, e)), {})
                    for s, e, layer in group})
    return out, ambiguous


def _claim_label(layer: Layer, s: int, e: int) -> str:
    return next(k[3] for k in layer.claims if k[1] == s and k[2] == e)


def measure(docs: Iterable[DocAnnotations], labels: LabelSchema, *, documents: dict[str, dict[str, Any]] | None = None,
            texts: dict[str, str] | None = None, claim_match: str = "overlap", language: str = "id") -> Agreement:
    """Gather every agreement count over documents annotated by two or more annotators."""
    agg = Agreement()
    documents, texts = documents or {}, texts or {}
    for doc in docs:
        layers = doc.layers
        agg.docs["annotated"] += bool(layers)
        if len(layers) < 2:
            continue
        agg.docs["multi"] += 1
        for layer in layers:
            agg.annotator_docs[layer.annotator] += 1
        for x, y in combinations(layers, 2):
            for layer_name in (ENTITY, CLAIM):
                for label, counts in span_counts(x.spans(layer_name), y.spans(layer_name)).items():
                    agg.per_label[(layer_name, label)].add(counts)
                    agg.per_pair[(x.annotator, y.annotator)].add(counts)
                    agg.per_annotator[x.annotator].add(counts)  # a = the annotator, b = the others
                    agg.per_annotator[y.annotator].add(_swap(counts))
        text = texts.get(doc.document_id)
        if text is not None:
            tokens = token_spans(documents.get(doc.document_id), text, language)
            for layer_name in (ENTITY, CLAIM):
                per = [token_values(tokens, layer.spans(layer_name)) for layer in layers]
                agg.alpha_units[layer_name].extend(list(col) for col in zip(*per))
        units, ambiguous = claim_units(layers, claim_match)
        agg.ambiguous_claims += ambiguous
        for unit in units:
            for attr in labels.claim_attributes:
                agg.kappa_units[f"claim.{attr.name}"].append(
                    {a: attrs[attr.name] for a, attrs in unit.items() if attr.name in attrs})
        for d in labels.doc_labels:
            agg.kappa_units[f"doc.{d.name}"].append(
                {layer.annotator: layer.doc_labels[d.name] for layer in layers if d.name in layer.doc_labels})
    return agg


def _swap(c: F1Counts) -> F1Counts:
    return F1Counts(c.b, c.a, c.strict, c.partial_b, c.partial_a)


def kappa(units: list[dict[str, str]]) -> tuple[str, float | None, int, int]:
    """(method, kappa, units rated by two or more, annotators) for units of annotator -> value."""
    rated = [u for u in units if len(u) >= 2]
    annotators = sorted({a for u in rated for a in u})
    if len(annotators) == 2:
        a, b = annotators
        return "cohen", cohen_kappa((u[a], u[b]) for u in rated), len(rated), 2
    return "fleiss", fleiss_kappa(list(u.values()) for u in rated), len(rated), len(annotators)


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def report(agg: Agreement, labels: LabelSchema, *, claim_match: str = "overlap") -> dict[str, Any]:
    """The agreement tables as JSON: lists of rows (the release card shows each as a table)."""
    order = [(ENTITY, n) for n in labels.entity_names] + [(CLAIM, labels.claim.name)]
    per_label = []
    for key in order + sorted(set(agg.per_label) - set(order)):
        c = agg.per_label.get(key, F1Counts())
        per_label.append({"layer": key[0], "label": key[1], "spans_a": c.a, "spans_b": c.b, "strict_matches": c.strict,
                          "strict_f1": _r(c.strict_f1), "partial_f1": _r(c.partial_f1)})
    entity_total = F1Counts()
    for (layer_name, _), c in agg.per_label.items():
        if layer_name == ENTITY:
            entity_total.add(c)
    per_annotator = [{"annotator": a, "documents": agg.annotator_docs[a], "strict_f1": _r(c.strict_f1),
                      "partial_f1": _r(c.partial_f1), "spans_over_pairs": c.a}
                     for a, c in sorted(agg.per_annotator.items())]
    per_pair = [{"annotator_a": a, "annotator_b": b, "strict_f1": _r(c.strict_f1), "partial_f1": _r(c.partial_f1)}
                for (a, b), c in sorted(agg.per_pair.items())]
    alpha = [{"layer": layer_name, "alpha": _r(krippendorff_alpha(agg.alpha_units.get(layer_name, []))),
              "units": "tokens", "tokens": len(agg.alpha_units.get(layer_name, []))}
             for layer_name in (ENTITY, CLAIM)]
    kappas = []
    for what in [f"claim.{a.name}" for a in labels.claim_attributes] + [f"doc.{d.name}" for d in labels.doc_labels]:
        method, value, n_units, n_annotators = kappa(agg.kappa_units.get(what, []))
        kappas.append({"what": what, "method": method, "kappa": _r(value), "units": n_units,
                       "annotators": n_annotators})
    return {
        "method": {k: v.format(claim_match=claim_match) for k, v in METHOD.items()},
        "documents": {"annotated": agg.docs["annotated"], "two_or_more_annotators": agg.docs["multi"],
                      "annotators": len(agg.annotator_docs), "claim_groups_left_out": agg.ambiguous_claims},
        "entities_overall": {"strict_f1": _r(entity_total.strict_f1), "partial_f1": _r(entity_total.partial_f1)},
        "per_label": per_label,
        "per_annotator": per_annotator,
        "per_pair": per_pair,
        "alpha": alpha,
        "kappa": kappas,
    }


def agreement_report(paths: list[Path], labels: LabelSchema, corpus: Corpus, rejects: RejectSink, *,
                     claim_match: str = "overlap", language: str = "id", kinds: Sequence[RecordKind] = KINDS,
                     only: Collection[str] | None = None) -> tuple[dict[str, Any], Counter]:
    """The agreement tables over the records files (of the documents in `only`, when given), and what was read;
    invalid records go to `rejects`."""
    stats: Counter[str] = Counter()
    docs = collect(paths, labels, corpus, rejects, stats, kinds=kinds)
    multi = [d for d in docs.values() if len(d.layers) >= 2 and (only is None or d.document_id in only)]
    documents = {d.document_id: corpus.document(d.document_id) for d in multi}
    texts = {k: v["text"] for k, v in documents.items() if v}
    chosen = [d for d in docs.values() if only is None or d.document_id in only]
    result = report(measure(chosen, labels, documents=documents, texts=texts, claim_match=claim_match,
                            language=language), labels, claim_match=claim_match)
    return result, stats


def run_agreement(paths: list[Path], labels: LabelSchema, corpus: Corpus, out: Path, *,
                  claim_match: str = "overlap", language: str = "id",
                  kinds: Sequence[RecordKind] = KINDS) -> dict[str, Any]:
    """Agreement over the records files: the tables (written to `out` as JSON, with the records left out as
    invalid written beside it as `<out>.rejects.jsonl`) and what was read."""
    rejects = RejectSink("agreement", rejects_path(out))
    try:
        result, stats = agreement_report(paths, labels, corpus, rejects, claim_match=claim_match,
                                         language=language, kinds=kinds)
    finally:
        rejects.close()
    result["inputs"] = {"files": [str(f) for f in paths], "records": stats["records"],
                        "records_rejected": stats["records_rejected"], "annotations": stats["annotations"],
                        "skips": stats["skips"], "superseded": stats["superseded"],
                        "review_records": stats["review_records"]}
    write_json(out, result)
    return result


def rejects_path(out: Path) -> Path:
    return out.with_suffix(".rejects.jsonl")


def render(result: dict[str, Any]) -> str:
    """The tables as plain text."""
    lines = [f"documents: {result['documents']}", "",
             f"{'layer':8} {'label':8} {'spans a/b':>11} {'strict F1':>9} {'partial F1':>10}"]
    for row in result["per_label"]:
        lines.append(f"{row['layer']:8} {row['label']:8} {row['spans_a']:>5}/{row['spans_b']:<5} "
                     f"{_f(row['strict_f1']):>9} {_f(row['partial_f1']):>10}")
    overall = result["entities_overall"]
    lines.append(f"{'entity':8} {'all':8} {'':11} {_f(overall['strict_f1']):>9} {_f(overall['partial_f1']):>10}")
    lines += ["", f"{'annotator':24} {'docs':>5} {'strict F1':>9} {'partial F1':>10}"]
    for row in result["per_annotator"]:
        lines.append(f"{row['annotator']:24} {row['documents']:>5} {_f(row['strict_f1']):>9} {_f(row['partial_f1']):>10}")
    lines += [""] + [f"alpha ({row['layer']}, token-level, {row['tokens']} tokens): {_f(row['alpha'])}"
                     for row in result["alpha"]]
    lines += [f"kappa {row['what']} ({row['method']}, {row['units']} units, {row['annotators']} annotators): "
              f"{_f(row['kappa'])}" for row in result["kappa"]]
    return "\n".join(lines)


def _f(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"
