"""One view of annotations, whatever file they come from: a canonical record, a document, a tool's export.

Validation, agreement and adjudication all read annotations through these views, so that each rule is written
once. A view keeps the values exactly as found (a bad offset stays bad, an unknown label stays unknown) with the
path of each item inside its record, so that a check can point at it (ids and names that are JSON lists or
objects are kept as their JSON text, see `as_key`). Nothing is checked here. `Views` builds the views of
canonical records and documents; an annotation tool's adapter builds views of its own exports (Label Studio:
`builder.annotate.labelstudio.views`), each item's path then being whatever its `locate` understands.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson

from builder.labels import DOC_LABEL, LabelSchema, fields
from builder.spans import CLAIM, ENTITY

CANONICAL = "canonical"
DOCUMENT = "document"


class Span(NamedTuple):
    id: Any
    control: Any  # entity or claim control name (from_name)
    label: Any
    start: Any
    end: Any
    text: Any  # the stated text (Label Studio value.text), None when absent
    path: Any  # where it is in the record: a tuple of keys, or what the view's `locate` reads
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


# (annotation path, item path, field) -> the item's keys inside the record
Locate = Callable[[tuple, Any, "str | None"], tuple]
# (stated text, the slice text[start:end]) -> whether a tool's known way of writing the stated text explains it
StatedText = Callable[[str, str], bool]


@dataclass(slots=True)
class AnnotationView:
    """One annotator's annotation of one document (or the gold layer of a document).

    Items hold their place as a path of keys inside the record; a tool's view may hold something shorter (an
    index into the annotation's result list) and give `locate`, which makes it a path.
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
    locate: Locate | None = None

    def item_path(self, path: Any, at: str | None = None) -> tuple:
        """The keys of an item inside the record, down to its field `at` when given.

        `at` names what a problem is about: "offsets" (the region's start and end, which a record-native region
        holds itself), "text" (its stated text), or a field of the item ("from_id", "direction").
        """
        if self.locate is not None:
            return self.locate(self.path, path, at)
        return path if at in (None, "offsets") else (*path, at)


@dataclass(slots=True)
class RecordView:
    kind: str  # the record kind's name (builder.check.validate.kinds)
    document_id: Any
    task_id: Any
    text: str | None  # None when the record does not carry its text (canonical records)
    text_sha256: str | None
    annotations: list[AnnotationView]
    stated_ok: StatedText | None = None  # what a region's stated text may be besides its exact slice
    review: bool = False  # the annotations are reviewers' decisions (a review project), not annotators' work
    # pre-annotation regions, as (path, start, end): a tool shows them to the annotator, so they must fit the text
    proposed: list[tuple[tuple, Any, Any]] = field(default_factory=list)


def as_key(value: Any) -> Any:
    """The value, or the JSON text of a list or an object: ids and names are looked up in sets and dicts, and a
    broken record may hold anything there (its schema problem says so)."""
    if not isinstance(value, (list, dict)):
        return value
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # built in Python with keys JSON does not have
        return repr(value)


def first_item(values: Any) -> Any:
    return values[0] if isinstance(values, list) and values else None


def item_count(values: Any) -> int:
    return len(values) if isinstance(values, list) else 0


class Views:
    """Builds views for one label schema (it decides which choice controls are document labels)."""

    def __init__(self, labels: LabelSchema) -> None:
        self.labels = labels
        self.doc_controls = frozenset(f.name for f in fields(labels).values() if f.kind == DOC_LABEL)
        self.attributes = tuple(a.name for a in labels.claim_attributes)

    def canonical(self, rec: dict[str, Any]) -> RecordView:
        anns = []
        for ai, ann in enumerate(dict_items(rec.get("annotations"))):
            base = ("annotations", ai)
            view = AnnotationView(ann.get("id"), ann.get("annotator"), bool(ann.get("was_cancelled")),
                                  bool(ann.get("ground_truth")), ann.get("updated_at"), base,
                                  lead_time=ann.get("lead_time"))
            for key, control in (("entities", ENTITY), ("claims", CLAIM)):
                for i, r in enumerate(dict_items(ann.get(key))):
                    path = (*base, key, i)
                    labels = r.get("labels")
                    span = Span(as_key(r.get("id")), control, as_key(r.get("label")), r.get("start"), r.get("end"),
                                r.get("text"),
                                path, item_count(labels) if labels else 1)
                    view.spans.append(span)
                    if r.get("offset_check") == "repaired":
                        view.repairs.append((span, r.get("repair")))
                    attrs = r.get("attributes")
                    for name, value in (attrs.items() if isinstance(attrs, dict) else ()):
                        view.choices.append(RegionChoice(span.id, name, value if isinstance(value, list)
                                                         else [value], None, None, (*path, "attributes", name)))
            for i, r in enumerate(dict_items(ann.get("relations"))):
                view.links.append(Link(as_key(r.get("from_id")), as_key(r.get("to_id")), as_key(r.get("type")),
                                       r.get("direction"),
                                       (*base, "relations", i)))
            doc_labels = ann.get("doc_labels")
            for name, values in (doc_labels.items() if isinstance(doc_labels, dict) else ()):
                view.doc_choices.append(DocChoice(name, values, (*base, "doc_labels", name)))
            for i, r in enumerate(dict_items(ann.get("unmapped"))):
                view.unmapped.append(Unmapped(r.get("from_name"), r.get("type"), (*base, "unmapped", i)))
            anns.append(view)
        task_ids = rec.get("task_ids")
        return RecordView(CANONICAL, rec.get("document_id"), first_item(task_ids), None, rec.get("text_sha256"), anns,
                          review=rec.get("purpose") == "review")

    def document(self, doc: dict[str, Any]) -> RecordView:
        """A canonical document's own layer (`entities`, `claims`, `relations`, `doc_labels`) as one annotation."""
        view = AnnotationView(None, None, False, True, None, ())
        for key, control in (("entities", ENTITY), ("claims", CLAIM)):
            for i, r in enumerate(dict_items(doc.get(key))):
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
        for i, r in enumerate(dict_items(doc.get("relations"))):
            view.links.append(Link(as_key(r.get("arg1_id")), as_key(r.get("arg2_id")), as_key(r.get("type")), "right",
                                   ("relations", i)))
        for i, r in enumerate(dict_items(doc.get("doc_labels"))):
            view.doc_choices.append(DocChoice(as_key(r.get("name")), [r.get("value")], ("doc_labels", i)))
        return RecordView(DOCUMENT, doc.get("id"), None, doc.get("text") if isinstance(doc.get("text"), str) else None,
                          doc.get("text_sha256"), [view])


def dict_items(items: Any) -> list[dict[str, Any]]:
    """The dict items of a list (anything else is the schema's to report)."""
    if not isinstance(items, list):
        return []
    return [x if isinstance(x, dict) else {} for x in items]
