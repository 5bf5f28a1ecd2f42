"""Validate one record: its JSON Schema, then the semantic checks, then the corpus.

The schema runs first with jsonschema-rs (compiled, Draft 2020-12) as a pass/fail test; only a record that
fails is run through `jsonschema` for its detailed, located messages. Semantic checks run on every record
(they read values defensively), so a record with a schema error still gets its other problems reported.
A schema-valid record of a kind with a quick pass (Label Studio tasks) first gets that pass; only when it finds
something are the views built and the located checks run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import jsonschema_rs
from jsonschema import Draft202012Validator

from builder.document import sha256_text
from builder.labels import LabelSchema
from builder.check.validate.checks import Checker, annotation_emitter, check_record
from builder.check.validate.corpus import Corpus
from builder.check.validate.kinds import KINDS, RecordKind, kind_of
from builder.check.validate.model import DOCUMENT, RecordView, Views
from builder.check.validate.problems import Problem, make_problem, schema_problems


class Checked(NamedTuple):
    """What `RecordValidator.problems` found in one record."""

    document_id: Any
    task_id: Any
    problems: list[Problem]
    corpus_later: RecordKind | None = None  # the record's corpus check is left to the caller (for this kind)
    text_sha256: str | None = None  # then: the hash of the record's text (None: it has none)


class RecordValidator:
    """Schema, semantic and corpus checks of single records of the given kinds, for one label schema and corpus."""

    def __init__(self, labels: LabelSchema, corpus: Corpus | None, kinds: Sequence[RecordKind] = KINDS) -> None:
        self.labels = labels
        self.corpus = corpus
        self.kinds = tuple(kinds)
        self.views = Views(labels)
        self.checker = Checker(labels)
        schemas = {k.name: k.schema(labels) for k in self.kinds}
        self._fast = {name: jsonschema_rs.validator_for(s) for name, s in schemas.items()}
        self._full = {name: Draft202012Validator(s) for name, s in schemas.items()}
        self._quick = {k.name: k.quick(self.checker) for k in self.kinds}

    def check(self, value: Any, base: dict[str, Any]) -> tuple[RecordView | None, list[Problem]]:
        """The record's view (None when it is not a known kind of record) and all its problems."""
        kind = kind_of(value, self.kinds)
        if kind is None:
            return None, self._not_a_record(value, base)
        view = kind.view(self.views, value)
        return view, self._problems(kind, value, view, base, self._fast[kind.name].is_valid(value))

    def problems(self, value: Any, base: dict[str, Any], *, corpus_later: bool = False) -> Checked:
        """All problems of a record, the same `check` gives, found faster; with its document and task id.

        A record that passes the schema and its kind's quick pass (nearly every task of an export) needs no view.
        With `corpus_later`, the corpus check of a record that carries its text is left to the caller:
        `text_sha256` is then the hash of its text, for `corpus_problem`, whose problem goes right after the
        record's schema problems.
        """
        kind = kind_of(value, self.kinds)
        if kind is None:
            return Checked(None, None, self._not_a_record(value, base))
        schema_ok = self._fast[kind.name].is_valid(value)
        quick = self._quick[kind.name]
        if schema_ok and quick is not None:
            facts = quick(value)
            if facts is not None:
                return self._text_corpus(kind, *facts, [], base, corpus_later)
        view = kind.view(self.views, value)
        if kind.hashes_text:
            problems = self._problems(kind, value, view, base, schema_ok, with_corpus=False)
            return self._text_corpus(kind, view.document_id, view.task_id, view.text, problems, base, corpus_later)
        return Checked(view.document_id, view.task_id, self._problems(kind, value, view, base, schema_ok))

    def _text_corpus(self, kind: RecordKind, doc_id: Any, task_id: Any, text: str | None, problems: list[Problem],
                     base: dict[str, Any], later: bool) -> Checked:
        """A record's problems with its corpus problem put in, or its text's hash for the caller to check."""
        if self.corpus is None or not isinstance(doc_id, str):
            return Checked(doc_id, task_id, problems)
        have = sha256_text(text) if text is not None else None
        if later:
            return Checked(doc_id, task_id, problems, kind, have)
        found = corpus_problem(self.corpus, kind, doc_id, have, located(base, doc_id, task_id))
        if found is not None:
            problems.insert(schema_count(problems), found)
        return Checked(doc_id, task_id, problems)

    def _problems(self, kind: RecordKind, value: dict[str, Any], view: RecordView, base: dict[str, Any],
                  schema_ok: bool, *, with_corpus: bool = True) -> list[Problem]:
        """Schema problems (detailed by `jsonschema` when jsonschema-rs failed it), corpus, semantic checks."""
        base = located(base, view.document_id, view.task_id)
        problems: list[Problem] = []
        if not schema_ok:
            problems += schema_problems(self._full[kind.name].iter_errors(value), kind.schema_name, base,
                                        lambda path: _locate(view, value, path))
        text = view.text
        if with_corpus:
            text, corpus_problems = self._corpus(kind, view, base)
            problems += corpus_problems
        problems += check_record(self.checker, view, base, vocabulary=not kind.vocabulary_in_schema, text=text)
        if kind.name == DOCUMENT:
            self.checker.check_speakers(value, annotation_emitter(problems, base, None))
        return problems

    def _corpus(self, kind: RecordKind, view: RecordView, base: dict[str, Any]) -> tuple[str | None, list[Problem]]:
        """Problems of the record against the corpus, and the text its offsets are checked against."""
        doc_id, text = view.document_id, view.text
        if not kind.hashes_text and text is not None and view.text_sha256 != sha256_text(text):  # a stated hash
            return text, [make_problem("text-hash", pointer=kind.hash_pointer, found=view.text_sha256,
                                       expected=sha256_text(text), **base)]
        if self.corpus is None or not isinstance(doc_id, str):
            return text, []
        have = sha256_text(text) if kind.hashes_text and text is not None else view.text_sha256
        found = corpus_problem(self.corpus, kind, doc_id, have, base)
        if found is not None:
            return text, [found]
        if text is None:  # records that keep offsets but not the text are checked on the corpus text
            text = self.corpus.text(doc_id)
        return text, []

    @staticmethod
    def _not_a_record(value: Any, base: dict[str, Any]) -> list[Problem]:
        if isinstance(value, dict):
            if "data" not in value and "annotations" not in value and {"annotation_id", "annotator"} & value.keys():
                return [make_problem("json-min-record", found=sorted(value)[:12], **base)]
            return [make_problem("unknown-record", found=sorted(value)[:12], **base)]
        return [make_problem("not-object", detail=type(value).__name__, found=type(value).__name__,
                             expected="object", **base)]


def corpus_problem(corpus: Corpus, kind: RecordKind, doc_id: str, have: Any,
                   base: dict[str, Any]) -> Problem | None:
    """The record's document missing from the corpus, or its text hash `have` not the corpus one."""
    want = corpus.sha(doc_id)
    if want is None:
        return make_problem("unknown-document", detail=corpus.path.name, found=doc_id, pointer=kind.id_pointer,
                            **base)
    if have != want:
        return make_problem("text-hash", found=have, expected=want, pointer=kind.hash_pointer, **base)
    return None


def schema_count(problems: list[Problem]) -> int:
    """How many schema problems a record's problems start with (its corpus problem comes next)."""
    n = 0
    while n < len(problems) and problems[n].check == "schema":
        n += 1
    return n


def located(base: dict[str, Any], doc_id: Any, task_id: Any) -> dict[str, Any]:
    """A problem's place: `base` (file, record) with the record's document and task."""
    return {**base, "document_id": doc_id if isinstance(doc_id, str) else None, "task_id": task_id}


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
