"""The gold layer a release is built with: canonical documents with entities, claims, relations and labels.

Every gold record is checked before any row is built, by the same validator as `newsbench validate` (document
schema, labels and attribute values of the label schema, offsets, stated texts, speakers, relations, text
hash); any problem stops the build with the full report (`work/build/gold_problems.json`).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from builder.errors import DataInvalidError
from builder.jsonl import batched, iter_lines, paused_gc, write_json
from builder.labels import LabelSchema
from builder.parallel import map_batches
from builder.check.validate.problems import ERROR
from builder.check.validate.records import RecordValidator

_MAX_REPORTED = 5  # problems quoted in the error message; all of them go to the report file


@lru_cache(maxsize=4)
def _validator(schema: LabelSchema) -> RecordValidator:
    return RecordValidator(schema, None)


def record_problems(record: dict[str, Any], schema: LabelSchema, file: str, line: int) -> list[dict[str, Any]]:
    """The validator's errors of one record, located (file, line, document, pointer) with their fix."""
    _, problems = _validator(schema).check(record, {"file": file, "record": line})
    return [{"file": file, "line": line, "document_id": p.document_id, "problem": p.line(), "check": p.check,
             "pointer": p.pointer} for p in problems if p.severity == ERROR]


LAYER_KEYS = ("entities", "claims", "relations", "doc_labels")


_GOLD_SCHEMA: LabelSchema | None = None


def _init_gold(schema: LabelSchema) -> None:
    global _GOLD_SCHEMA
    _GOLD_SCHEMA = schema


def build_problem(file: str, line: int, what: str, document_id: str | None = None) -> dict[str, Any]:
    """A problem found by the build itself, in the validator's one-line form."""
    where = f"{file} record {line}" + (f" doc {document_id}" if document_id else "")
    return {"file": file, "line": line, "document_id": document_id, "problem": f"error: {where}: {what}"}


def _gold_batch(lines: list[tuple[str, int, bytes]]) -> list[tuple[str, str, str, bytes, list[dict[str, Any]]]]:
    """Per gold record: (id, where, text_sha256, its layers as JSON, problems); the text is not kept."""
    out = []
    with paused_gc():
        for path, line, raw in lines:
            try:
                record = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                out.append(("", f"{path}:{line}", "", b"", [build_problem(path, line, f"the line is not valid JSON ({exc})")]))
                continue
            if not isinstance(record, dict):
                out.append(("", f"{path}:{line}", "", b"", [build_problem(path, line, "the line is not a JSON object")]))
                continue
            problems = record_problems(record, _GOLD_SCHEMA, path, line)
            layers = {k: record[k] for k in (*LAYER_KEYS, "adjudication") if k in record}
            out.append((str(record.get("id")), f"{path}:{line}", str(record.get("text_sha256")),
                        orjson.dumps(layers), problems))
    return out


def load_gold(paths: tuple[Path, ...], schema: LabelSchema, report: Path, *, workers: int = 1,
              batch_size: int = 1000) -> dict[str, dict[str, Any]]:
    """Document id -> {where, text_sha256, layers (JSON bytes)}. Every record is checked; any problem stops
    the build with the full report.

    The layers a record holds (an `entities` or `claims` key, even an empty list) are the layers that were
    annotated; a document's text must match the corpus (`text_sha256`), which the row pass checks.
    """
    gold: dict[str, dict[str, Any]] = {}
    problems: list[dict[str, Any]] = []
    lines = ((str(path), n, raw) for path in paths for n, raw in iter_lines(path))
    for results in map_batches(_gold_batch, batched(lines, batch_size), workers=workers, initializer=_init_gold,
                               initargs=(schema,)):
        for doc_id, where, text_sha256, layers, found in results:
            file, line = where.rsplit(":", 1)
            if doc_id in gold:
                found = [*found, build_problem(file, int(line), f"/id: a second gold record of the document (the first is "
                                                       f"{gold[doc_id]['_where']})", doc_id)]
            problems += found
            if not found:
                gold[doc_id] = {"_where": where, "text_sha256": text_sha256, "layers": layers}
    if problems:
        stop(problems, report, "gold record", "fix the gold layer (newsbench validate / adjudicate) and build again")
    return gold


def stop(problems: list[dict[str, Any]], report: Path, what: str, fix: str) -> None:
    """Write every problem to the report and raise one located error quoting the first ones."""
    write_json(report, {"problems": problems, "count": len(problems)})
    shown = "; ".join(p["problem"] for p in problems[:_MAX_REPORTED])
    more = f" (and {len(problems) - _MAX_REPORTED} more)" if len(problems) > _MAX_REPORTED else ""
    raise DataInvalidError(f"{len(problems)} {what} problem(s): {shown}{more}; full report: {report}",
                           where=problems[0]["file"], fix=fix)
