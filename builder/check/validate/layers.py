"""Annotations gathered per document for agreement and adjudication: one layer per annotator.

`collect` reads canonical records (or a tool's exports, given their record kind), validates every record with the same checks as
`newsbench validate`, sends invalid ones to a reject sink with their problems (never used, never lost) and
groups the valid annotations by document. Per document and annotator it keeps the latest submitted
annotation (skips, `was_cancelled`, are not layers; older annotations of the same annotator are counted).
Records of a review project hold reviewers' decisions: the latest one per document is kept apart (`review`),
never counted as an annotator's layer (so agreement is not inflated by it).
A layer holds spans by value (offsets and label), so that two annotators' spans compare by what they mark,
not by Label Studio's random region ids.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from builder.labels import SPAN, LabelSchema, fields
from builder.spans import CLAIM, ENTITY
from builder.stage import RejectSink
from builder.check.validate import reader
from builder.check.validate.corpus import Corpus
from builder.check.validate.model import AnnotationView, RecordView
from builder.check.validate.problems import ERROR
from builder.check.validate.kinds import KINDS, RecordKind
from builder.check.validate.records import RecordValidator

SpanKey = tuple[str, int, int, str]  # layer, start, end, label
T = TypeVar("T")


@dataclass
class Layer:
    """One annotator's submitted annotation of one document, by value."""

    annotator: str
    annotation_id: Any
    ground_truth: bool
    updated_at: Any
    entities: set[SpanKey] = field(default_factory=set)
    claims: set[SpanKey] = field(default_factory=set)
    attributes: dict[SpanKey, dict[str, str]] = field(default_factory=dict)  # claim -> attribute -> value
    relations: set[tuple[str, SpanKey, SpanKey]] = field(default_factory=set)  # type, source span, target span
    doc_labels: dict[str, str] = field(default_factory=dict)

    def spans(self, layer: str) -> set[SpanKey]:
        return self.entities if layer == ENTITY else self.claims


@dataclass
class DocAnnotations:
    document_id: str
    layers: list[Layer]  # one per annotator, in annotator order
    raw: list[Any] = field(default_factory=list)  # the annotations as found, kept with the gold
    skipped_by: list[str] = field(default_factory=list)  # annotators who only skipped the document
    superseded: int = 0  # older annotations of an annotator who annotated again
    review: Layer | None = None  # the latest reviewer's decision on the document, if any
    review_raw: Any = None


def layer_of(view: AnnotationView, labels: LabelSchema) -> Layer:
    """The layer of a (valid) annotation view."""
    layers = {name: f.layer for name, f in fields(labels).items() if f.kind == SPAN}
    layer = Layer(str(view.annotator), view.id, view.ground_truth, view.updated_at)
    by_id: dict[Any, SpanKey] = {}
    for sp in view.spans:
        key = (layers[sp.control], sp.start, sp.end, sp.label)
        by_id[sp.id] = key
        layer.spans(key[0]).add(key)
    for ch in view.choices:
        if ch.region_id in by_id and by_id[ch.region_id][0] == CLAIM and ch.values:
            layer.attributes.setdefault(by_id[ch.region_id], {})[ch.control] = ch.values[0]
    for ln in view.links:
        src, dst = (ln.to_id, ln.from_id) if ln.direction == "left" else (ln.from_id, ln.to_id)
        if src in by_id and dst in by_id:
            layer.relations.add((ln.label, by_id[src], by_id[dst]))
    for dc in view.doc_choices:
        if dc.values:
            layer.doc_labels[dc.control] = dc.values[0]
    return layer


def overlap_groups(items: Iterable[T], span: Callable[[T], tuple[int, int]]) -> list[list[T]]:
    """Items whose spans chain by overlap, in groups (sorted by start, then end)."""
    groups: list[list[T]] = []
    reach = -1
    for item in sorted(items, key=span):
        start, end = span(item)
        if not groups or start >= reach:
            groups.append([])
            reach = end
        groups[-1].append(item)
        reach = max(reach, end)
    return groups


def _newer(a: AnnotationView, b: AnnotationView) -> bool:
    return (str(a.updated_at or ""), str(a.id)) > (str(b.updated_at or ""), str(b.id))


def collect(paths: Iterable[Path], labels: LabelSchema, corpus: Corpus | None, rejects: RejectSink,
            stats: Counter | None = None, *, kinds: Sequence[RecordKind] = KINDS) -> dict[str, DocAnnotations]:
    """Valid annotations per document id from records files of the given kinds; invalid records go to
    `rejects`."""
    validator = RecordValidator(labels, corpus, kinds)
    stats = stats if stats is not None else Counter()
    latest: dict[str, dict[str, tuple[AnnotationView, Any]]] = {}
    reviews: dict[str, dict[str, tuple[AnnotationView, Any]]] = {}
    skipped: dict[str, set[str]] = {}
    superseded: Counter[str] = Counter()
    seen: set[tuple[str, Any, Any]] = set()
    for path in paths:
        fmt = reader.detect_format(path)
        for rec in reader.iter_records(path, fmt, *reader.regions(path, fmt, 1)[0]):
            stats["records"] += 1
            where = f"{path}:{rec.line}" if rec.line else f"{path}@{rec.offset}"
            if isinstance(rec.value, reader.Unparsable):
                stats["records_rejected"] += 1
                rejects.reject("bad-json", kind="record", where=where, detail=rec.value.reason,
                               record=rec.raw.decode("utf-8", "replace"))
                continue
            view, problems = validator.check(rec.value, {"file": str(path), "record": rec.line})
            errors = [p for p in problems if p.severity == ERROR]
            if view is None or errors or not isinstance(view.document_id, str):
                stats["records_rejected"] += 1
                rejects.reject(errors[0].check if errors else "unknown-record", kind="record",
                               doc_id=view.document_id if view else None, where=where,
                               detail="; ".join(p.line() for p in errors[:20]), record=rec.value)
                continue
            if view.review:
                stats["review_records"] += 1
                _gather(view, rec.value, reviews, {}, Counter(), seen, Counter())
            else:
                _gather(view, rec.value, latest, skipped, superseded, seen, stats)
    out = {}
    for doc_id, per_annotator in latest.items():
        views = sorted(per_annotator.items())
        out[doc_id] = DocAnnotations(doc_id, [layer_of(v, labels) for _, (v, _) in views],
                                     [raw for _, (_, raw) in views],
                                     sorted(skipped.get(doc_id, set()) - set(per_annotator)), superseded[doc_id])
    for doc_id in set(skipped) - set(latest):
        out[doc_id] = DocAnnotations(doc_id, [], [], sorted(skipped[doc_id]))
    for doc_id, per_reviewer in reviews.items():
        view, raw = max(per_reviewer.values(), key=lambda vr: (str(vr[0].updated_at or ""), str(vr[0].id)))
        doc = out.setdefault(doc_id, DocAnnotations(doc_id, [], []))
        doc.review, doc.review_raw = layer_of(view, labels), {**raw, "role": "review"}
    return out


def _gather(view: RecordView, value: dict[str, Any], latest: dict[str, dict[str, tuple[AnnotationView, Any]]],
            skipped: dict[str, set[str]], superseded: Counter, seen: set[tuple[str, Any, Any]],
            stats: Counter) -> None:
    doc_id = view.document_id
    for i, ann in enumerate(view.annotations):
        key = (doc_id, ann.annotator, ann.id)
        if key in seen:  # the same annotation in two files (two pulls of a project)
            continue
        seen.add(key)
        stats["annotations"] += 1
        annotator = str(ann.annotator)
        if ann.cancelled:
            stats["skips"] += 1
            skipped.setdefault(doc_id, set()).add(annotator)
            continue
        mine = latest.setdefault(doc_id, {})
        raw = value["annotations"][i]
        if annotator in mine:
            superseded[doc_id] += 1
            stats["superseded"] += 1
            if not _newer(ann, mine[annotator][0]):
                continue
        mine[annotator] = (ann, raw)
