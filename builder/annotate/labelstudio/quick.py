"""A quick pass over a schema-valid Label Studio task: True when the semantic checks would report nothing.

Almost every task of an export is valid, and building the views of `model` for it and running the located
checks of `checks` costs as much as parsing it. This pass runs the same rules directly on the parsed dicts,
locates nothing and stops at the first sign of a problem or of anything unusual (a missing key, a float offset,
an unknown control): then it returns False and the task goes through the full checks, which find, locate and
report every problem. So it may be stricter than the checks, never more lenient; a test compares the two on
every break of the test table and on random mutations of a real export.

It relies on nothing the export schema checks: a malformed item only makes it return False.
"""

from __future__ import annotations

from typing import Any

from builder.spans import ENTITY, span_ok
from builder.check.validate.checks import Checker
from builder.annotate.labelstudio.stated_text import stated_text_ok

_SHAPE_ERRORS = (KeyError, TypeError, IndexError, AttributeError)


class QuickCheck:
    """The rules of `Checker.check_annotation` (vocabulary left to the schema) as a yes/no test on dicts."""

    def __init__(self, checker: Checker) -> None:
        self.span_layer = {name: layer for name, (layer, _) in checker.span_controls.items()}
        self.choice_layer = {name: layer for name, (layer, _) in checker.region_controls.items()}
        self.doc_controls = frozenset(checker.doc_controls)
        self.required = checker.required
        self.relations = {name: (r.source, r.target, r.max_per_source) for name, r in checker.relations.items()}
        self.allow_nested = checker.allow_nested

    def task_ok(self, task: dict[str, Any], text: Any) -> bool:
        """Whether every annotation of a Label Studio task passes every semantic check against `text`."""
        if type(text) is not str:
            return False
        try:
            submitters = set()
            for ann in task["annotations"]:
                cancelled = bool(ann.get("was_cancelled"))
                if cancelled and ann["result"]:
                    return False  # a skip that holds results: the checks warn
                if not cancelled:
                    who = ann.get("completed_by")
                    who = who.get("id") if isinstance(who, dict) else who
                    if who in submitters:
                        return False  # one person's second annotation of the task: the checks warn
                    submitters.add(who)
                if not self._annotation_ok(ann["result"], text, cancelled):
                    return False
            n = len(text)
            for pred in task.get("predictions") or ():
                if type(pred) is dict:
                    for r in pred.get("result") or ():
                        v = r.get("value") if type(r) is dict else None
                        if type(v) is dict and "start" in v and not (type(v["start"]) is int and type(v["end"]) is int
                                                 and 0 <= v["start"] < v["end"] <= n):
                            return False  # a pre-annotation outside the text: the checks warn
        except _SHAPE_ERRORS:  # an item without the keys or types the views expect: let the checks say what
            return False
        return True

    def _annotation_ok(self, results: list[dict[str, Any]], text: str, cancelled: bool) -> bool:
        regions: dict[Any, tuple[str, int, int]] = {}  # region id -> layer, start, end
        per_layer: dict[str, int] = {}  # regions per layer
        entities: list[tuple[int, int]] = []
        later: list[dict[str, Any]] = []  # choices and relations refer to regions that may come after them
        n = len(text)
        span_layer = self.span_layer
        for r in results:
            if r["type"] != "labels":
                later.append(r)
                continue
            layer = span_layer.get(r["from_name"])
            rid = r["id"]
            v = r["value"]
            s = v["start"]
            e = v["end"]
            if layer is None or rid in regions or not span_ok(s, e, n):
                return False
            stated = v.get("text")
            if stated is not None and stated != text[s:e] and not stated_text_ok(stated, text[s:e]):
                return False
            regions[rid] = (layer, s, e)
            per_layer[layer] = per_layer.get(layer, 0) + 1
            if layer == ENTITY:
                entities.append((s, e))
        if not self.allow_nested and len(entities) > 1 and _overlap(entities):
            return False
        return self._later_ok(later, regions, per_layer, cancelled)

    def _later_ok(self, items: list[dict[str, Any]], regions: dict[Any, tuple[str, int, int]],
                  per_layer: dict[str, int], cancelled: bool) -> bool:
        given: set[tuple[Any, str]] = set()  # (region id, choice control)
        per_control: dict[str, int] = {}  # choices given per control (each on its own region of the right layer)
        doc_given: set[str] = set()
        drawn: set[tuple[str, Any, Any]] = set()  # (relation, source id, target id)
        per_source: dict[tuple[str, Any], int] = {}
        doc_controls, choice_layer, relations = self.doc_controls, self.choice_layer, self.relations
        for r in items:
            kind = r["type"]
            if kind == "choices":
                control = r["from_name"]
                if control in doc_controls:
                    if control in doc_given:
                        return False
                    doc_given.add(control)
                    continue
                rid = r["id"]
                layer = choice_layer.get(control)
                region = regions.get(rid)
                key = (rid, control)
                if layer is None or region is None or region[0] != layer or key in given:
                    return False
                v = r["value"]
                start = v.get("start")
                if start is not None and (start != region[1] or v.get("end") != region[2]):
                    return False
                given.add(key)
                per_control[control] = per_control.get(control, 0) + 1
            elif kind == "relation":
                labels = r.get("labels")
                rel = relations.get(labels[0] if labels else None)
                src, dst = r["from_id"], r["to_id"]
                direction = r.get("direction", "right")
                if rel is None or src not in regions or dst not in regions:
                    return False
                if direction not in ("right", "left", None):
                    return False
                if direction == "left":
                    src, dst = dst, src
                name = labels[0]
                source, target, limit = rel
                if regions[src][0] != source or regions[dst][0] != target or (name, src, dst) in drawn:
                    return False
                drawn.add((name, src, dst))
                count = per_source[(name, src)] = per_source.get((name, src), 0) + 1
                if limit is not None and count > limit:
                    return False
            else:
                return False
        # Every region of a layer has each required attribute: as each choice counted sits on a region of its
        # layer and no region has one twice, counting suffices.
        return cancelled or all(per_control.get(name, 0) == per_layer.get(layer, 0)
                                for name, layer in self.required)


def _overlap(spans: list[tuple[int, int]]) -> bool:
    """Whether any two non-empty [start, end) spans overlap.

    Sorted, they overlap exactly when one starts before the one before it ends: if none does, each ends before
    the next starts, so all are apart.
    """
    spans.sort()
    rest = iter(spans)
    _, end = next(rest)
    for start, next_end in rest:
        if start < end:
            return True
        end = next_end
    return False
