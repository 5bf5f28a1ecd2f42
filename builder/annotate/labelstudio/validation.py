"""Label Studio tasks as a kind of record `newsbench validate` checks (`builder.check.validate.kinds`).

A task of a JSON export (or of `annotate pull`'s JSON Lines) is recognised by its `data` and `annotations`; its
schema is generated from the label schema (`export_schema`); its view is `views.task_view`; schema-valid tasks
first get the quick pass of `quick`. Its text is compared with the corpus by hash, and its labels, controls and
choices are enums of its schema.
"""

from __future__ import annotations

from typing import Any

from builder.annotate.labelstudio.export_schema import export_schema
from builder.annotate.labelstudio.quick import QuickCheck
from builder.annotate.labelstudio.views import DOC_KEY, TASKS, task_view
from builder.check.validate.checks import Checker
from builder.check.validate.kinds import KINDS, QuickPass, RecordKind
from builder.check.validate.model import RecordView, Views
from builder.labels import LabelSchema


class Tasks:
    name = TASKS
    schema_name = "labelstudio-export.schema.json"
    id_pointer = f"/data/{DOC_KEY}"
    hash_pointer = "/data/text"
    hashes_text = True
    vocabulary_in_schema = True

    def matches(self, record: dict[str, Any]) -> bool:
        return "data" in record and "annotations" in record

    def schema(self, labels: LabelSchema) -> dict[str, Any]:
        return export_schema(labels)

    def view(self, views: Views, record: dict[str, Any]) -> RecordView:
        return task_view(views, record)

    def quick(self, checker: Checker) -> QuickPass:
        check = QuickCheck(checker)

        def facts(task: dict[str, Any]) -> tuple[Any, Any, Any] | None:
            data = task["data"]  # the schema makes it an object
            text = data.get("text")
            return (data.get(DOC_KEY), task.get("id"), text) if check.task_ok(task, text) else None

        return facts


TASK_KIND = Tasks()
# Every kind of annotation record newsbench reads: Label Studio tasks first (a task has keys the others lack).
ANNOTATION_KINDS: tuple[RecordKind, ...] = (TASK_KIND, *KINDS)
