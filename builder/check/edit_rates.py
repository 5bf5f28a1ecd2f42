"""How much annotators changed the pre-annotations they were shown: per label, from canonical records.

Each submitted annotation is compared with the newest prediction of its task (what Label Studio showed the
annotator). A span is *unchanged* when the annotation holds it with the same offsets and label; everything
else was edited: a proposed span removed, moved or relabelled, or a span added. Per label:

    edit rate = 1 - unchanged / (proposed + final - unchanged)

the share of the label's spans, proposed or final, that the annotator did not take over as they were (0 =
accepted as proposed, 1 = nothing kept). Claim attributes are compared on the unchanged claims; `said_by`
relations as (claim span, speaker span) pairs, with the same formula. A high rate says the pre-annotator is of
little help for that label; a rate near 0 on a large sample can also mean annotators accepted proposals
without reading them, which is why the figure is published.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

Span = tuple[int, int, str]


def _spans(layer: dict[str, Any]) -> dict[str, Span]:
    return {str(r["id"]): (int(r["start"]), int(r["end"]), str(r["label"]))
            for key in ("entities", "claims") for r in layer.get(key) or []
            if isinstance(r.get("start"), int) and isinstance(r.get("end"), int)}


def _attributes(layer: dict[str, Any]) -> dict[Span, dict[str, Any]]:
    return {(int(c["start"]), int(c["end"]), str(c["label"])): dict(c.get("attributes") or {})
            for c in layer.get("claims") or [] if isinstance(c.get("start"), int)}


def _pairs(layer: dict[str, Any]) -> Counter:
    spans = _spans(layer)
    return Counter((str(r.get("type")), spans[str(r["from_id"])], spans[str(r["to_id"])])
                   for r in layer.get("relations") or []
                   if str(r.get("from_id")) in spans and str(r.get("to_id")) in spans)


def _newest(predictions: list[dict[str, Any]], task_id: Any) -> dict[str, Any] | None:
    mine = [p for p in predictions if p.get("task_id") == task_id] or predictions
    return max(mine, key=lambda p: (str(p.get("created_at") or ""), p.get("id") or 0)) if mine else None


def _tally(into: dict[str, Counter], before: Counter, after: Counter, group: Callable[[Any], str]) -> None:
    """Proposed, final and unchanged counts of each group (a label, a relation type)."""
    for name in {group(k) for k in before} | {group(k) for k in after}:
        b = Counter({k: n for k, n in before.items() if group(k) == name})
        a = Counter({k: n for k, n in after.items() if group(k) == name})
        c = into.setdefault(name, Counter())
        c["proposed"] += sum(b.values())
        c["final"] += sum(a.values())
        c["unchanged"] += sum((a & b).values())


class EditCounter:
    """Accumulates proposed / final / unchanged counts per label, attribute and relation type."""

    def __init__(self) -> None:
        self.spans: dict[str, Counter] = {}
        self.attributes: dict[str, Counter] = {}
        self.relations: dict[str, Counter] = {}
        self.annotations = 0
        self.documents: set[str] = set()

    def add(self, doc_id: str, prediction: dict[str, Any], annotation: dict[str, Any]) -> None:
        self.annotations += 1
        self.documents.add(doc_id)
        _tally(self.spans, Counter(_spans(prediction).values()), Counter(_spans(annotation).values()),
               lambda span: span[2])
        old, new = _attributes(prediction), _attributes(annotation)
        for span in old.keys() & new.keys():
            for name in set(old[span]) | set(new[span]):
                c = self.attributes.setdefault(name, Counter())
                c["compared"] += 1
                c["changed"] += old[span].get(name) != new[span].get(name)
        _tally(self.relations, _pairs(prediction), _pairs(annotation), lambda pair: pair[0])

    def add_record(self, rec: dict[str, Any], annotator: str | None = None) -> None:
        """Every submitted annotation of a canonical record against its task's newest prediction (a review
        project's predictions are annotators' versions, not pre-annotations: not counted)."""
        if rec.get("purpose") == "review":
            return
        doc_id = str(rec.get("document_id"))
        for ann in rec.get("annotations") or []:
            if ann.get("was_cancelled") or (annotator is not None and ann.get("annotator") != annotator):
                continue
            pred = _newest(rec.get("predictions") or [], ann.get("task_id"))
            if pred is not None:
                self.add(doc_id, pred, ann)

    @staticmethod
    def _row(name: str, c: Counter) -> dict[str, Any]:
        union = c["proposed"] + c["final"] - c["unchanged"]
        return {"label": name, "proposed": c["proposed"], "final": c["final"], "unchanged": c["unchanged"],
                "removed_or_changed": c["proposed"] - c["unchanged"], "added_or_changed": c["final"] - c["unchanged"],
                "edit_rate": round(1 - c["unchanged"] / union, 4) if union else 0.0}

    def report(self, order: list[str] | None = None) -> dict[str, Any]:
        rank = {name: i for i, name in enumerate(order or [])}
        labels = sorted(self.spans, key=lambda n: (rank.get(n, len(rank)), n))
        return {
            "documents": len(self.documents),
            "annotations": self.annotations,
            "spans": [self._row(n, self.spans[n]) for n in labels],
            "attributes": [{"attribute": n, "compared": c["compared"], "changed": c["changed"],
                            "change_rate": round(c["changed"] / c["compared"], 4) if c["compared"] else 0.0}
                           for n, c in sorted(self.attributes.items())],
            "relations": [self._row(n, c) for n, c in sorted(self.relations.items())],
        }


def pre_annotation_edits(records: Iterable[dict[str, Any]], *, documents: set[str] | None = None,
                         order: list[str] | None = None) -> dict[str, Any]:
    """The edit report of canonical annotation records (only `documents`, when given)."""
    counter = EditCounter()
    for rec in records:
        if documents is None or str(rec.get("document_id")) in documents:
            counter.add_record(rec)
    return counter.report(order)
