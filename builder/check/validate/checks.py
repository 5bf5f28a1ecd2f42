"""Semantic checks of one record's annotations: offsets, texts, ids, choices, relations, speakers, overlaps.

The rules come from the label schema (controls, labels, choices, relations with their ends and limits,
whether entities may nest). Checks collect every problem of a record, never only the first. Vocabulary
(control names, labels, choices) is in the export schema's enums for Label Studio tasks, so for those it is
checked here only when asked (`vocabulary=True`), to report each problem once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from builder.labels import ATTRIBUTE, DOC_LABEL, SPAN, LabelSchema, fields, speaker_relation
from builder.spans import ENTITY
from builder.check.validate.model import AnnotationView, RecordView, Span, StatedText, as_key
from builder.check.validate.problems import WARNING, Problem, make_problem
from builder.spans import span_ok

Emit = Callable[..., None]


def pointer(path: tuple, *more: Any) -> str:
    return "/" + "/".join(str(p) for p in (*path, *more)) if (path or more) else ""


class Checker:
    """All semantic checks for one label schema."""

    def __init__(self, labels: LabelSchema) -> None:
        self.labels = labels
        ctl = fields(labels)
        self.span_controls = {c.name: (c.layer, frozenset(c.values)) for c in ctl.values() if c.kind == SPAN}
        self.region_controls = {c.name: (c.layer, frozenset(c.values)) for c in ctl.values()
                                if c.kind == ATTRIBUTE}
        self.doc_controls = {c.name: frozenset(c.values) for c in ctl.values() if c.kind == DOC_LABEL}
        self.required = tuple((c.name, c.layer) for c in ctl.values() if c.kind == ATTRIBUTE and c.required)
        self.relations = {r.name: r for r in labels.relations}
        self.relation_names = ", ".join(self.relations) or "none declared"
        self.allow_nested = labels.allow_nested
        self.speaker = speaker_relation(labels)

    # ---- one annotation ----------------------------------------------------------------------------------

    def check_annotation(self, ann: AnnotationView, text: str | None, emit: Emit, *, vocabulary: bool,
                         stated_ok: StatedText | None = None) -> None:
        """Every problem of one annotation; `text` None skips the offset checks (no text to check against).

        A region's stated text must be its slice of the text; `stated_ok` may allow what a tool is known to
        write instead (see the view's kind)."""
        regions: dict[Any, tuple[str, Span]] = {}
        entities = []
        n = len(text) if text is not None else 0
        span_controls = self.span_controls
        for sp in ann.spans:
            rid, control, label, s, e, stated, path, n_labels = sp
            info = span_controls.get(control)
            if info is None:
                _unknown_control(span_controls, control, path, emit, vocabulary, region_id=rid)
                continue
            layer, allowed = info
            if vocabulary and label not in allowed:
                emit("unknown-label", path, region_id=rid, detail=control, found=label, expected=sorted(allowed))
            if vocabulary and n_labels > 1:
                emit("several-labels", path, region_id=rid, detail=n_labels, found=n_labels, expected=1)
            if rid in regions:
                other = regions[rid][1]
                emit("duplicate-region-id", path, region_id=rid, found=rid, expected="a unique id",
                     detail=f"another {other.control} region at {pointer(ann.item_path(other.path))}")
            else:
                regions[rid] = (layer, sp)
            if type(s) is not int or type(e) is not int:
                if text is not None:  # the schema reports the type; say that the offsets cannot be checked
                    emit("offset-range", path, region_id=rid, start=s, end=e, length=n, found=[s, e],
                         expected=f"integers 0 <= start < end <= {n}", at="offsets")
                continue
            if text is not None:
                if not span_ok(s, e, n):
                    emit("offset-range", path, region_id=rid, start=s, end=e, length=n, found=[s, e],
                         expected=f"0 <= start < end <= {n}", at="offsets")
                    continue
                if stated is not None and stated != text[s:e] and not (stated_ok and stated_ok(stated, text[s:e])):
                    emit("text-mismatch", path, region_id=rid, found=stated, expected=text[s:e], at="text")
            if layer == ENTITY:
                entities.append((s, e, len(entities), sp))
        if not self.allow_nested and len(entities) > 1:
            self._overlaps(entities, emit)
        self._choices(ann, regions, emit, vocabulary)
        self._doc_choices(ann, emit, vocabulary)
        self._links(ann, regions, emit, vocabulary)
        for item in ann.unmapped:
            emit("unknown-control", item.path, detail=item.control, found={"from_name": item.control,
                 "type": item.type}, expected=list(self.span_controls) + list(self.region_controls)
                 + list(self.doc_controls))
        for sp, repair in ann.repairs:
            emit("repaired-offsets", sp.path, severity=WARNING, region_id=sp.id, detail=repair, found=repair)

    def _overlaps(self, entities: list[tuple[int, int, int, Span]], emit: Emit) -> None:
        entities.sort()
        reach_end, reach = entities[0][1], entities[0][3]
        for s, e, _, sp in entities[1:]:
            if s < reach_end:
                emit("overlap", sp.path, region_id=sp.id,
                     detail=f"[{s}, {e}) {sp.label} overlaps [{reach.start}, {reach.end}) {reach.label} "
                            f"(region {reach.id})", found=[s, e], expected=f"start >= {reach_end}")
            if e > reach_end:
                reach_end, reach = e, sp

    def _choices(self, ann: AnnotationView, regions: dict[Any, tuple[str, Span]], emit: Emit,
                 vocabulary: bool) -> None:
        given: set[tuple[Any, Any]] = set()
        region_controls = self.region_controls
        for rid, control, values, start, end, path in ann.choices:
            info = region_controls.get(control)
            if info is None:
                _unknown_control(region_controls, control, path, emit, vocabulary, region_id=rid)
                continue
            layer, allowed = info
            if vocabulary:
                self._values(values, allowed, control, path, emit, region_id=rid)
            region = regions.get(rid)
            if region is None:
                emit("unknown-region", path, region_id=rid, detail=f"choice '{control}'", found=rid,
                     expected=sorted(map(str, regions)))
                continue
            if region[0] != layer:
                emit("wrong-layer", path, region_id=rid, found=region[0], expected=layer,
                     detail=f"'{control}' is an attribute of {layer} regions, but region '{rid}' is {region[0]}")
            elif start is not None and (start != region[1].start or end != region[1].end):
                emit("choice-offsets", path, region_id=rid, found=[start, end],
                     expected=[region[1].start, region[1].end])
            key = (rid, control)
            if key in given:
                emit("duplicate-choice", path, region_id=rid, detail=control, found=values)
            given.add(key)
        if ann.cancelled:
            return
        for name, layer in self.required:
            for rid, (rlayer, sp) in regions.items():
                if rlayer == layer and (rid, name) not in given:
                    emit("missing-attribute", sp.path, region_id=rid, detail=name, found=None,
                         expected=sorted(region_controls[name][1]))

    def _values(self, values: Any, allowed: frozenset[str], control: Any, path: tuple, emit: Emit,
                **where: Any) -> None:
        if not isinstance(values, list) or len(values) != 1:
            emit("several-labels", path, detail=_n(values), found=values, expected="one value", **where)
        for v in values if isinstance(values, list) else ():
            if as_key(v) not in allowed:
                emit("unknown-label", path, detail=control, found=v, expected=sorted(allowed), **where)

    def _doc_choices(self, ann: AnnotationView, emit: Emit, vocabulary: bool) -> None:
        seen: set[Any] = set()
        for dc in ann.doc_choices:
            allowed = self.doc_controls.get(dc.control)
            if allowed is None:
                _unknown_control(self.doc_controls, dc.control, dc.path, emit, vocabulary)
                continue
            if vocabulary:
                self._values(dc.values, allowed, dc.control, dc.path, emit)
            if dc.control in seen:
                emit("duplicate-choice", dc.path, detail=dc.control, found=dc.values)
            seen.add(dc.control)

    def _links(self, ann: AnnotationView, regions: dict[Any, tuple[str, Span]], emit: Emit, vocabulary: bool) -> None:
        per_source: dict[tuple[str, Any], int] = {}
        seen: set[tuple[Any, Any, Any]] = set()
        for ln in ann.links:
            rel = self.relations.get(ln.label)
            if rel is None:
                if not vocabulary:  # the export schema reports it
                    continue
                if ln.label is None:
                    emit("relation-label", ln.path, detail=self.relation_names, found=None,
                         expected=list(self.relations))
                else:
                    emit("unknown-label", ln.path, detail="relations", found=ln.label, expected=list(self.relations))
                continue
            ends = []
            for rid, role in ((ln.from_id, "from_id"), (ln.to_id, "to_id")):
                if rid not in regions:
                    emit("unknown-region", ln.path, region_id=rid, detail=f"relation '{ln.label}' ({role})",
                         found=rid, expected=sorted(map(str, regions)), at=role)
                ends.append(regions.get(rid))
            if None in ends:
                continue
            (src_layer, src), (dst_layer, dst) = ends
            if ln.direction == "left":
                (src_layer, src), (dst_layer, dst) = (dst_layer, dst), (src_layer, src)
            where = {"source": rel.source, "target": rel.target}
            if ln.direction not in ("right", "left", None):
                emit("relation-direction", ln.path, region_id=src.id, found=ln.direction, expected="right",
                     detail=f"'{rel.name}' is directed; this relation is '{ln.direction}'", **where,
                     at="direction")
                continue
            if (src_layer, dst_layer) != (rel.source, rel.target):
                emit("relation-direction", ln.path, region_id=src.id, found=f"{src_layer} -> {dst_layer}",
                     expected=f"{rel.source} -> {rel.target}",
                     detail=f"'{rel.name}' goes from region '{src.id}' ({src_layer}) to '{dst.id}' ({dst_layer})",
                     **where)
                continue
            key = (rel.name, src.id, dst.id)
            if key in seen:
                emit("duplicate-relation", ln.path, region_id=src.id, detail=rel.name, found=[src.id, dst.id])
                continue
            seen.add(key)
            count = per_source[(rel.name, src.id)] = per_source.get((rel.name, src.id), 0) + 1
            if rel.max_per_source is not None and count == rel.max_per_source + 1:
                emit("relation-count", ln.path, region_id=src.id, detail=rel.name, source=rel.source,
                     count=sum(1 for k in seen if k[:2] == (rel.name, src.id)), limit=rel.max_per_source,
                     found=sorted(str(k[2]) for k in seen if k[:2] == (rel.name, src.id)),
                     expected=f"at most {rel.max_per_source}")

    # ---- documents ----------------------------------------------------------------------------------------

    def check_speakers(self, doc: dict[str, Any], emit: Emit) -> None:
        """A document's claim.speaker_id must be the entity its speaker relation names."""
        if self.speaker is None:
            return
        links = {(as_key(r.get("arg1_id")), as_key(r.get("arg2_id"))) for r in _list(doc.get("relations"))
                 if isinstance(r, dict) and r.get("type") == self.speaker.name}
        for i, claim in enumerate(_list(doc.get("claims"))):
            if (isinstance(claim, dict) and claim.get("speaker_id") is not None
                    and (as_key(claim.get("id")), as_key(claim["speaker_id"])) not in links):
                emit("speaker-mismatch", ("claims", i, "speaker_id"), region_id=claim.get("id"),
                     detail=self.speaker.name, found=claim["speaker_id"], expected="a said_by relation")


def _unknown_control(known: dict[str, Any], control: Any, path: Any, emit: Emit, vocabulary: bool,
                     **where: Any) -> None:
    if vocabulary:  # else the export schema's enum reports it
        emit("unknown-control", path, detail=control, found=control, expected=list(known), **where)


def _list(items: Any) -> list[Any]:
    return items if isinstance(items, list) else []  # anything else is the schema's to report


def _n(values: Any) -> int:
    return len(values) if isinstance(values, list) else 0


def annotation_emitter(out: list[Problem], base: dict[str, Any], ann: AnnotationView | None) -> Emit:
    """An `emit` that records problems with the record's and the annotation's place."""
    ctx = dict(base)
    if ann is not None:
        ctx["annotation_id"] = ann.id
        ctx["annotator"] = ann.annotator

    def emit(check: str, path: Any, *, at: str | None = None, **fields: Any) -> None:
        keys = ann.item_path(path, at) if ann is not None else (path if at is None else (*path, at))
        out.append(make_problem(check, pointer=pointer(keys), **{**ctx, **fields}))

    return emit


def _about(ann: AnnotationView, base: dict[str, Any], check: str, detail: Any) -> Problem:
    """A warning about an annotation as a whole."""
    return make_problem(check, severity=WARNING, detail=detail, pointer=pointer(ann.path),
                        **{**base, "annotation_id": ann.id, "annotator": ann.annotator})


def check_record(checker: Checker, view: RecordView, base: dict[str, Any], *, vocabulary: bool,
                 text: str | None = None) -> list[Problem]:
    """Problems of every annotation of a record; `text` overrides the record's own text (canonical records)."""
    out: list[Problem] = []
    text = view.text if text is None else text
    submitted: dict[Any, list[Any]] = {}
    for ann in view.annotations:
        checker.check_annotation(ann, text, annotation_emitter(out, base, ann), vocabulary=vocabulary,
                                 stated_ok=view.stated_ok)
        held = len(ann.spans) + len(ann.doc_choices)
        if ann.cancelled and held:
            out.append(_about(ann, base, "skipped-with-results", held))
        elif not ann.cancelled and ann.annotator is not None:
            submitted.setdefault(ann.annotator, []).append(ann)
    if text is not None:
        for path, start, end in view.proposed:
            if not (type(start) is int and type(end) is int and 0 <= start < end <= len(text)):
                out.append(make_problem("prediction-range", severity=WARNING, start=start, end=end, length=len(text),
                                        pointer=pointer(path), **base))
    for who, anns in submitted.items():
        if len(anns) > 1:
            for ann in anns[:-1]:
                out.append(_about(ann, base, "annotated-twice", len(anns)))
    return out
