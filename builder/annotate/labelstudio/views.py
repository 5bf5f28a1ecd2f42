"""Label Studio tasks (one element of a JSON export) as annotation views, for validation, agreement, adjudication.

A task's annotations are read into `builder.check.validate.model` views exactly as found; each result item keeps
its index in the annotation's `result` list as its path, which `locate` turns into keys inside the task.
Region attributes (per-region `Choices`) come back as separate result items with their region's id; document
labels are `Choices` on the whole text (see `builder.annotate.labelstudio.config`).
"""

from __future__ import annotations

from typing import Any

from builder.check.validate.model import (
    AnnotationView,
    DocChoice,
    Link,
    RecordView,
    RegionChoice,
    Span,
    Unmapped,
    Views,
    as_key,
    dict_items,
    first_item,
    item_count,
)
from builder.annotate.labelstudio.stated_text import stated_text_ok

TASKS = "labelstudio"  # the record kind's name
DOC_KEY = "doc_id"  # the task data field every task is keyed by (`convert.task_data`)
# Where a problem's field sits inside a result item.
_FIELDS = {"offsets": ("value",), "text": ("value", "text")}

_new = tuple.__new__  # builds a NamedTuple without its Python-level __new__ (the hot path builds ~1M of them)


def annotator_ref(completed_by: Any) -> Any:
    """The pseudonym canonical records use for a Label Studio user (`ls-user:<id>`); emails stay out of records."""
    user = completed_by.get("id") if isinstance(completed_by, dict) else completed_by
    return None if user is None else f"ls-user:{user}"


def locate(annotation: tuple, item: Any, at: str | None) -> tuple:
    """The keys of result item `item` (its index) of the annotation at `annotation`, down to its field `at`."""
    return (*annotation, "result", item, *_FIELDS.get(at, (at,) if at else ()))


def task_view(views: Views, task: dict[str, Any]) -> RecordView:
    data = task.get("data") if isinstance(task.get("data"), dict) else {}
    text = data.get("text")
    anns = []
    doc_controls = views.doc_controls
    for ai, ann in enumerate(dict_items(task.get("annotations"))):
        view = AnnotationView(ann.get("id"), annotator_ref(ann.get("completed_by")),
                              bool(ann.get("was_cancelled")), bool(ann.get("ground_truth")),
                              ann.get("updated_at"), ("annotations", ai), lead_time=ann.get("lead_time"),
                              locate=locate)
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
                _odd_result(views, view, r if isinstance(r, dict) else {}, ri)
        anns.append(view)
    proposed = [(("predictions", pi, "result", ri, "value"), r["value"].get("start"), r["value"].get("end"))
                for pi, pred in enumerate(dict_items(task.get("predictions")))
                for ri, r in enumerate(pred.get("result") if isinstance(pred.get("result"), list) else ())
                if isinstance(r, dict) and isinstance(r.get("value"), dict) and "start" in r["value"]]
    return RecordView(TASKS, data.get(DOC_KEY), task.get("id"), text if isinstance(text, str) else None,
                      None, anns, stated_text_ok, review=bool(data.get("review")), proposed=proposed)


def _odd_result(views: Views, view: AnnotationView, r: dict[str, Any], ri: int) -> None:
    """A malformed result item, read field by field: whatever is missing stays None."""
    v = r.get("value") if isinstance(r.get("value"), dict) else {}
    kind = r.get("type")
    rid, control = as_key(r.get("id")), as_key(r.get("from_name"))
    if kind == "labels":
        labels = v.get("labels")
        view.spans.append(Span(rid, control, as_key(first_item(labels)), v.get("start"), v.get("end"),
                               v.get("text"), ri, item_count(labels)))
    elif kind == "relation":
        view.links.append(Link(as_key(r.get("from_id")), as_key(r.get("to_id")), as_key(first_item(r.get("labels"))),
                               r.get("direction", "right"), ri))
    elif kind == "choices" and control in views.doc_controls:
        view.doc_choices.append(DocChoice(control, v.get("choices"), ri))
    elif kind == "choices":
        view.choices.append(RegionChoice(rid, control, v.get("choices"), v.get("start"),
                                         v.get("end"), ri))
    else:
        view.unmapped.append(Unmapped(r.get("from_name"), kind, ri))
