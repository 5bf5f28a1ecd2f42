"""The worker side of `validate_files`: check the records of one region of a file.

A worker reads the records that start in its region, checks each one (`RecordValidator.problems`) and writes the
valid ones, one a line and as they were, to the region's part file while their bytes are at hand; the main
process then joins the parts into `valid/<file>.jsonl` (`merge`). It returns the problems, where each record is
in the file and in the part, and the document id of each record, for the checks across records. The
corpus check of a record that carries its text is left to the main process (with its text's hash), which indexes the corpus while
the workers run.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Sequence
from typing import IO, Any, NamedTuple

import orjson

from builder.jsonl import paused_gc
from builder.labels import LabelSchema
from builder.check.validate import reader
from builder.check.validate.corpus import Corpus
from builder.check.validate.problems import ERROR, Problem, make_problem
from builder.check.validate.kinds import KINDS, RecordKind
from builder.check.validate.records import RecordValidator

# Numbers per valid record in RegionResult.valid: local index, file offset, file end, part offset, part end.
VALID_FIELDS = 5


class Job(NamedTuple):
    path: str
    name: str  # the file's name in problems
    fmt: str
    start: int
    stop: int
    part: str | None  # where to write the region's valid records (None: not written)


@dataclass
class RegionResult:
    """What a worker found in one region of a file (record numbers are counted from the region's start)."""

    start: int
    stop: int
    next_offset: int  # where the record after the last one starts (arrays: checked against the next region)
    part: str | None = None
    count: int = 0
    valid: array = field(default_factory=lambda: array("q"))  # VALID_FIELDS numbers per valid record
    invalid: list[tuple[int, int, int, list[Problem]]] = field(default_factory=list)  # index, offset, end, ...
    warnings: list[tuple[int, Problem]] = field(default_factory=list)  # problems that do not invalidate
    documents: list[tuple[int, str, Any]] = field(default_factory=list)  # local index, document id, task id
    corpus_later: list[tuple[int, str, Any, str | None, RecordKind]] = field(default_factory=list)  # ... hash, kind
    lines: dict[int, int] = field(default_factory=dict)  # local index -> JSONL line, from the region's start
    line_count: int = 0  # lines in the region (JSON Lines)


_STATE: dict[str, Any] = {}


def init(labels: LabelSchema, corpus: Corpus | None, kinds: Sequence[RecordKind] = KINDS) -> None:
    """Per process: the validator (compiled schemas, label rules, the corpus index)."""
    _STATE["validator"] = RecordValidator(labels, corpus, kinds)


def check_region(job: Job) -> RegionResult:
    result = RegionResult(job.start, job.stop, job.stop, job.part)
    # Parsed records hold no reference cycles: collector passes would only rescan them.
    with paused_gc():
        if job.part is None:
            _check_records(_STATE["validator"], job, result, None)
        else:
            with open(job.part, "wb", buffering=1 << 20) as out:
                _check_records(_STATE["validator"], job, result, out)
    return result


def _check_records(validator: RecordValidator, job: Job, result: RegionResult, out: IO[bytes] | None) -> None:
    base = {"file": job.name, "record": None}  # records are numbered across regions by the merge
    valid, documents, lines = result.valid, result.documents, result.lines
    written = 0
    i = -1
    seen: list[int] = []
    for i, rec in enumerate(reader.iter_records(Path(job.path), job.fmt, job.start, job.stop, first_line=1,
                                                lines_seen=seen)):
        if isinstance(rec.value, reader.Unparsable):
            if rec.line is not None:
                lines[i] = rec.line
            result.invalid.append((i, rec.offset, rec.end, [make_problem("bad-json", detail=rec.value.reason,
                                                                         file=job.name)]))
            result.next_offset = rec.end
            continue
        doc_id, task_id, problems, corpus_later, sha = validator.problems(rec.value, base, corpus_later=True)
        if isinstance(doc_id, str):
            documents.append((i, doc_id, task_id))
        if corpus_later is not None:
            result.corpus_later.append((i, doc_id, task_id, sha, corpus_later))
        if rec.line is not None:
            lines[i] = rec.line
        if any(p.severity == ERROR for p in problems):
            result.invalid.append((i, rec.offset, rec.end, problems))
        else:
            size = 0
            if out is not None:
                line = valid_line(rec)
                size = out.write(line)
            valid.extend((i, rec.offset, rec.end, written, written + size))
            written += size
            result.warnings.extend((i, p) for p in problems)
        result.next_offset = rec.end
    result.count = i + 1
    result.line_count = seen[0] if seen else 0


def valid_line(rec: reader.RawRecord) -> bytes:
    """The record as it was in the file, on one line (a pretty-printed array element is written compact)."""
    raw = rec.raw.strip()
    if b"\n" in raw:
        raw = orjson.dumps(rec.value)
    return raw + b"\n"
