"""One view of annotations, whatever file they come from: a Label Studio task, a canonical record, a document.

Validation, agreement and adjudication all read annotations through these views, so that each rule is written
once. A view keeps the values exactly as found (a bad offset stays bad, an unknown label stays unknown) with the
path of each item inside its record, so that a check can point at it (ids and names that are JSON lists or
objects are kept as their JSON text, see `as_key`). Nothing is checked here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson

from builder.label_enums import controls
from builder.labels import CLAIM_CONTROL, ENTITY_CONTROL, LabelSchema

LABELSTUDIO = "labelstudio"
CANONICAL = "canonical"
DOCUMENT = "document"
DOC_KEY = "doc_id"  # the task data field tasks are keyed by (builder.annotate.labelstudio.convert.task_data)


_new = tuple.__new__  # builds a NamedTuple without its Python-level __new__ (the hot path builds ~1M of them)


class Span(NamedTuple):
    id: Any
    control: Any  # entity or claim control name (from_name)
    label: Any
    start: Any
    end: Any
    text: Any  # the stated text (Label Studio value.text), None when absent
    path: Any  # where it is in the record: a tuple of keys, or (Label Studio) its index in the result list
    n_labels: int = 1


class RegionChoice(NamedTuple):
    region_id: Any
    control: Any
    values: Any
    start: Any
    end: Any
    path: Any


class Link(NamedTuple):
    from_id: Any
    to_id: Any
    label: Any
    direction: Any
    path: Any


class DocChoice(NamedTuple):
    control: Any
    values: Any
    path: Any


class Unmapped(NamedTuple):
    control: Any
    type: Any
    path: Any


@dataclass(slots=True)
class AnnotationView:
    """One annotator's annotation of one document (or the gold layer of a document).

    Items hold their place as a path inside the record; Label Studio items hold only their index in the
    annotation's result list (`full_path` makes it a path).
    """

    id: Any
    annotator: Any
    cancelled: bool
    ground_truth: bool
    updated_at: Any
    path: tuple
    spans: list[Span] = field(default_factory=list)
    choices: list[RegionChoice] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    doc_choices: list[DocChoice] = field(default_factory=list)
    unmapped: list[Unmapped] = field(default_factory=list)
    repairs: list[tuple[Span, Any]] = field(default_factory=list)  # canonical regions whose offsets were moved
    lead_time: Any = None

    def full_path(self, path: Any) -> tuple:
        return path if isinstance(path, tuple) else (*self.path, "result", path)


@dataclass(slots=True)
class RecordView:
    kind: str
    document_id: Any
    task_id: Any
    text: str | None  # None when the record does not carry its text (canonical records)
    text_sha256: str | None
    annotations: list[AnnotationView]


def annotator_ref(completed_by: Any) -> Any:
    """The pseudonym canonical records use for a Label Studio user (`ls-user:<id>`)."""
    user = completed_by.get("id") if isinstance(completed_by, dict) else completed_by
    return None if user is None else f"ls-user:{user}"


def as_key(value: Any) -> Any:
    """The value, or the JSON text of a list or an object: ids and names are looked up in sets and dicts, and a
    broken record may hold anything there (its schema problem says so)."""
    if not isinstance(value, (list, dict)):
        return value
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # built in Python with keys JSON does not have
        return repr(value)


def _first(values: Any) -> Any:
    return values[0] if isinstance(values, list) and values else None


def _n(values: Any) -> int:
    return len(values) if isinstance(values, list) else 0


class Views:
    """Builds views for one label schema (it decides which choice controls are document labels)."""

    def __init__(self, labels: LabelSchema) -> None:
        self.labels = labels
        self.doc_controls = frozenset(c.name for c in controls(labels).values() if c.kind == "choices")
        self.attributes = tuple(a.name for a in labels.claim_attributes)

    def labelstudio(self, task: dict[str, Any]) -> RecordView:
        data = task.get("data") if isinstance(task.get("data"), dict) else {}
        text = data.get("text")
        anns = []
        doc_controls = self.doc_controls
        for ai, ann in enumerate(_dicts(task.get("annotations"))):
            view = AnnotationView(ann.get("id"), annotator_ref(ann.get("completed_by")),
                                  bool(ann.get("was_cancelled")), bool(ann.get("ground_truth")),
                                  ann.get("updated_at"), ("annotations", ai), lead_time=ann.get("lead_time"))
            spans, links, choices, docs = view.spans.append, view.links.append, view.choices.append, \
                view.doc_choices.append
            results = ann.get("result")
            # The hot loop of agreement and adjudication (~20 items a task, every task): direct lookups, and the
            # item's index as its path. A malformed item raises and is read field by field instead (the schema
            # reports what is wrong with it).
            for ri, r in enumerate(results if isinstance(results, list) else ()):
                try:
                    kind = r["type"]
                    if kind == "labels":
                        v = r["value"]
                        labels = v["labels"]
                        spans(_new(Span, (as_key(r["id"]), as_key(r["from_name"]), as_key(labels[0]), v["start"],
                                          v["end"], v.get("text"), ri, len(labels))))
                    elif kind == "choices":
                        v = r["value"]
                        control = as_key(r["from_name"])
                        if control in doc_controls:
                            docs(_new(DocChoice, (control, v["choices"], ri)))
                        else:
                            choices(_new(RegionChoice, (as_key(r["id"]), control, v["choices"], v.get("start"),
                                                        v.get("end"), ri)))
                    elif kind == "relation":
                        labels = r.get("labels")
                        links(_new(Link, (as_key(r["from_id"]), as_key(r["to_id"]),
                                          as_key(labels[0]) if labels else None,
                                          r.get("direction", "right"), ri)))
                    else:
                        view.unmapped.append(Unmapped(r.get("from_name"), kind, ri))
                except (KeyError, TypeError, IndexError, AttributeError):
                    self._odd_result(view, r if isinstance(r, dict) else {}, ri)
            anns.append(view)
        return RecordView(LABELSTUDIO, data.get(DOC_KEY), task.get("id"), text if isinstance(text, str) else None,
                          None, anns)

    def _odd_result(self, view: AnnotationView, r: dict[str, Any], ri: int) -> None:
        """A malformed result item, read field by field: whatever is missing stays None."""
        v = r.get("value") if isinstance(r.get("value"), dict) else {}
        kind = r.get("type")
        rid, control = as_key(r.get("id")), as_key(r.get("from_name"))
        if kind == "labels":
            labels = v.get("labels")
            view.spans.append(Span(rid, control, as_key(_first(labels)), v.get("start"), v.get("end"),
                                   v.get("text"), ri, _n(labels)))
        elif kind == "relation":
            view.links.append(Link(as_key(r.get("from_id")), as_key(r.get("to_id")), as_key(_first(r.get("labels"))),
                                   r.get("direction", "right"), ri))
        elif kind == "choices" and control in self.doc_controls:
            view.doc_choices.append(DocChoice(control, v.get("choices"), ri))
        elif kind == "choices":
            view.choices.append(RegionChoice(rid, control, v.get("choices"), v.get("start"),
                                             v.get("end"), ri))
        else:
            view.unmapped.append(Unmapped(r.get("from_name"), kind, ri))

    def canonical(self, rec: dict[str, Any]) -> RecordView:
        anns = []
        for ai, ann in enumerate(_dicts(rec.get("annotations"))):
            base = ("annotations", ai)
            view = AnnotationView(ann.get("id"), ann.get("annotator"), bool(ann.get("was_cancelled")),
                                  bool(ann.get("ground_truth")), ann.get("updated_at"), base,
                                  lead_time=ann.get("lead_time"))
            for key, control in (("entities", ENTITY_CONTROL), ("claims", CLAIM_CONTROL)):
                for i, r in enumerate(_dicts(ann.get(key))):
                    path = (*base, key, i)
                    labels = r.get("labels")
                    span = Span(as_key(r.get("id")), control, as_key(r.get("label")), r.get("start"), r.get("end"),
                                r.get("text"),
                                path, _n(labels) if labels else 1)
                    view.spans.append(span)
                    if r.get("offset_check") == "repaired":
                        view.repairs.append((span, r.get("repair")))
                    attrs = r.get("attributes")
                    for name, value in (attrs.items() if isinstance(attrs, dict) else ()):
                        view.choices.append(RegionChoice(span.id, name, value if isinstance(value, list)
                                                         else [value], None, None, (*path, "attributes", name)))
            for i, r in enumerate(_dicts(ann.get("relations"))):
                view.links.append(Link(as_key(r.get("from_id")), as_key(r.get("to_id")), as_key(r.get("type")),
                                       r.get("direction"),
                                       (*base, "relations", i)))
            doc_labels = ann.get("doc_labels")
            for name, values in (doc_labels.items() if isinstance(doc_labels, dict) else ()):
                view.doc_choices.append(DocChoice(name, values, (*base, "doc_labels", name)))
            for i, r in enumerate(_dicts(ann.get("unmapped"))):
                view.unmapped.append(Unmapped(r.get("from_name"), r.get("type"), (*base, "unmapped", i)))
            anns.append(view)
        task_ids = rec.get("task_ids")
        return RecordView(CANONICAL, rec.get("document_id"), _first(task_ids), None, rec.get("text_sha256"), anns)

    def document(self, doc: dict[str, Any]) -> RecordView:
        """A canonical document's own layer (`entities`, `claims`, `relations`, `doc_labels`) as one annotation."""
        view = AnnotationView(None, None, False, True, None, ())
        for key, control in (("entities", ENTITY_CONTROL), ("claims", CLAIM_CONTROL)):
            for i, r in enumerate(_dicts(doc.get(key))):
                offsets = r.get("offsets") if isinstance(r.get("offsets"), list) else []
                texts = r.get("text") if isinstance(r.get("text"), list) else []
                label = as_key(r.get("type")) if key == "entities" else self.labels.claim.name
                for k, off in enumerate(offsets):
                    start, end = (off + [None, None])[:2] if isinstance(off, list) else (None, None)
                    rid = as_key(r.get("id")) if k == 0 else f"{r.get('id')}#{k}"
                    view.spans.append(Span(rid, control, label, start, end, texts[k] if k < len(texts) else None,
                                           (key, i, "offsets", k)))
                if key == "claims":
                    for name in self.attributes:
                        if r.get(name) is not None:
                            view.choices.append(RegionChoice(as_key(r.get("id")), name, [r.get(name)], None, None,
                                                             (key, i, name)))
        for i, r in enumerate(_dicts(doc.get("relations"))):
            view.links.append(Link(as_key(r.get("arg1_id")), as_key(r.get("arg2_id")), as_key(r.get("type")), "right",
                                   ("relations", i)))
        for i, r in enumerate(_dicts(doc.get("doc_labels"))):
            view.doc_choices.append(DocChoice(as_key(r.get("name")), [r.get("value")], ("doc_labels", i)))
        return RecordView(DOCUMENT, doc.get("id"), None, doc.get("text") if isinstance(doc.get("text"), str) else None,
                          doc.get("text_sha256"), [view])


def _dicts(items: Any) -> list[dict[str, Any]]:
    """The dict items of a list (anything else is the schema's to report)."""
    if not isinstance(items, list):
        return []
    return [x if isinstance(x, dict) else {} for x in items]


def record_kind(record: Any) -> str | None:
    """Which kind of record this is, from its keys; None when it is none of them."""
    if not isinstance(record, dict):
        return None
    if "data" in record and "annotations" in record:
        return LABELSTUDIO
    if "task_ids" in record and "annotations" in record and "document_id" in record:
        return CANONICAL
    if "text" in record and "text_sha256" in record and "id" in record:
        return DOCUMENT
    return None
