"""The kinds of record validation knows: what identifies each, its JSON Schema, its view and where its ids are.

`RecordValidator` and `validate_files` take the kinds to accept; these are the two of this project's own
formats, canonical annotation records and canonical documents. An annotation tool's adapter adds the kind of its
exports (Label Studio tasks: `builder.annotate.labelstudio.validation.TASKS`), so that no tool's format is known
here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from builder.document import load_schema
from builder.labels import LabelSchema
from builder.check.validate.model import CANONICAL, DOCUMENT, RecordView, Views

# A quick yes/no pass over a schema-valid record: its (document id, task id, text) when the semantic checks would
# find nothing, else None (then the record gets the views and the located checks).
QuickPass = Callable[[dict[str, Any]], "tuple[Any, Any, Any] | None"]


class RecordKind(Protocol):
    name: str
    schema_name: str  # the schema's file name, for messages
    id_pointer: str  # where the document id is
    hash_pointer: str  # where the text, or its hash, is
    hashes_text: bool  # the record carries its text, compared with the corpus by its hash (no stated hash)
    vocabulary_in_schema: bool  # labels, fields and choices are enums of its schema (reported there, once)

    def matches(self, record: dict[str, Any]) -> bool: ...

    def schema(self, labels: LabelSchema) -> dict[str, Any]: ...

    def view(self, views: Views, record: dict[str, Any]) -> RecordView: ...

    def quick(self, checker: Any) -> QuickPass | None: ...


class CanonicalRecords:
    """One document's annotations as `annotate pull` writes them (schema/annotation.schema.json)."""

    name = CANONICAL
    schema_name = "annotation.schema.json"
    id_pointer = "/document_id"
    hash_pointer = "/text_sha256"
    hashes_text = False
    vocabulary_in_schema = False

    def matches(self, record: dict[str, Any]) -> bool:
        return "task_ids" in record and "annotations" in record and "document_id" in record

    def schema(self, labels: LabelSchema) -> dict[str, Any]:
        return load_schema("annotation")

    def view(self, views: Views, record: dict[str, Any]) -> RecordView:
        return views.canonical(record)

    def quick(self, checker: Any) -> QuickPass | None:
        return None


class Documents:
    """Canonical documents with their own annotation layer: the gold layer, an imported corpus."""

    name = DOCUMENT
    schema_name = "document.schema.json"
    id_pointer = "/id"
    hash_pointer = "/text_sha256"
    hashes_text = False
    vocabulary_in_schema = False

    def matches(self, record: dict[str, Any]) -> bool:
        return "text" in record and "text_sha256" in record and "id" in record

    def schema(self, labels: LabelSchema) -> dict[str, Any]:
        return load_schema("document")

    def view(self, views: Views, record: dict[str, Any]) -> RecordView:
        return views.document(record)

    def quick(self, checker: Any) -> QuickPass | None:
        return None


KINDS: tuple[RecordKind, ...] = (CanonicalRecords(), Documents())


def kind_of(record: Any, kinds: Sequence[RecordKind]) -> RecordKind | None:
    """The first kind that recognises the record; None when none does (or it is not an object)."""
    if not isinstance(record, dict):
        return None
    return next((k for k in kinds if k.matches(record)), None)
