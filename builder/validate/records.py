"""Validate one record: its JSON Schema, then the semantic checks, then the corpus.

The schema runs first with jsonschema-rs (compiled, Draft 2020-12) as a pass/fail test; only a record that
fails is run through `jsonschema` for its detailed, located messages. Semantic checks run on every record
(they read values defensively), so a record with a schema error still gets its other problems reported.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator

from builder.document import load_schema, sha256_text
from builder.labels import LabelSchema
from builder.validate.checks import Checker, annotation_emitter, check_record
from builder.validate.corpus import Corpus
from builder.validate.export_schema import export_schema
from builder.validate.model import CANONICAL, DOCUMENT, LABELSTUDIO, RecordView, Views, record_kind
from builder.validate.problems import Problem, make_problem, schema_problems

SCHEMA_FILES = {LABELSTUDIO: "labelstudio-export.schema.json", CANONICAL: "annotation.schema.json",
                DOCUMENT: "document.schema.json"}


@cache
def _schemas(labels: LabelSchema) -> dict[str, dict[str, Any]]:
    return {LABELSTUDIO: export_schema(labels), CANONICAL: load_schema("annotation"), DOCUMENT: load_schema("document")}


class RecordValidator:
    """Schema, semantic and corpus checks of single records for one label schema and corpus."""

    def __init__(self, labels: LabelSchema, corpus: Corpus | None) -> None:
        self.labels = labels
        self.corpus = corpus
        self.views = Views(labels)
        self.checker = Checker(labels)
        schemas = _schemas(labels)
        self._fast = {k: jsonschema_rs.validator_for(s) for k, s in schemas.items()}
        self._full = {k: Draft202012Validator(s) for k, s in schemas.items()}

    def view(self, kind: str, value: dict[str, Any]) -> RecordView:
        if kind == LABELSTUDIO:
            return self.views.labelstudio(value)
        if kind == CANONICAL:
            return self.views.canonical(value)
        return self.views.document(value)

    def check(self, value: Any, base: dict[str, Any]) -> tuple[RecordView | None, list[Problem]]:
        """The record's view (None when it is not a known kind of record) and all its problems."""
        kind = record_kind(value)
        if kind is None:
            if isinstance(value, dict):
                return None, [make_problem("unknown-record", found=sorted(value)[:12], **base)]
            return None, [make_problem("not-object", detail=type(value).__name__, found=type(value).__name__,
                                       expected="object", **base)]
        view = self.view(kind, value)
        base = {**base, "document_id": view.document_id if isinstance(view.document_id, str) else None,
                "task_id": view.task_id}
        problems: list[Problem] = []
        if not self._fast[kind].is_valid(value):
            problems += schema_problems(self._full[kind].iter_errors(value), SCHEMA_FILES[kind], base,
                                        lambda path: _locate(view, value, path))
        text, corpus_problems = self._corpus(kind, view, value, base)
        problems += corpus_problems
        problems += check_record(self.checker, view, base, vocabulary=kind != LABELSTUDIO, text=text)
        if kind == DOCUMENT:
            self.checker.check_speakers(value, annotation_emitter(problems, base, None))
        return view, problems

    def _corpus(self, kind: str, view: RecordView, value: dict[str, Any],
                base: dict[str, Any]) -> tuple[str | None, list[Problem]]:
        """Problems of the record against the corpus, and the text its offsets are checked against."""
        text = view.text
        if kind == DOCUMENT and text is not None and view.text_sha256 != sha256_text(text):
            return text, [make_problem("text-hash", pointer="/text_sha256", found=view.text_sha256,
                                       expected=sha256_text(text), **base)]
        if self.corpus is None or not isinstance(view.document_id, str):
            return text, []
        want = self.corpus.sha(view.document_id)
        if want is None:
            return text, [make_problem("unknown-document", detail=self.corpus.path.name, found=view.document_id,
                                       pointer=_ID_POINTER[kind], **base)]
        have = sha256_text(text) if kind == LABELSTUDIO and text is not None else view.text_sha256
        if have != want:
            return text, [make_problem("text-hash", found=have, expected=want, pointer=_HASH_POINTER[kind], **base)]
        if kind == CANONICAL:  # canonical records keep offsets, not the text: check them on the corpus text
            text = self.corpus.text(view.document_id)
        return text, []


_ID_POINTER = {LABELSTUDIO: "/data/doc_id", CANONICAL: "/document_id", DOCUMENT: "/id"}
_HASH_POINTER = {LABELSTUDIO: "/data/text", CANONICAL: "/text_sha256", DOCUMENT: "/text_sha256"}


def _locate(view: RecordView, value: dict[str, Any], path: list[Any]) -> dict[str, Any]:
    """The annotation (and region) a schema error's path falls in, when it falls in one."""
    out: dict[str, Any] = {}
    if len(path) >= 2 and path[0] == "annotations" and isinstance(path[1], int) and path[1] < len(view.annotations):
        ann = view.annotations[path[1]]
        out["annotation_id"], out["annotator"] = ann.id, ann.annotator
        if len(path) >= 4:
            try:
                item = value["annotations"][path[1]][path[2]][path[3]]
                out["region_id"] = item.get("id") if isinstance(item, dict) else None
            except (KeyError, IndexError, TypeError):
                pass
    return out
