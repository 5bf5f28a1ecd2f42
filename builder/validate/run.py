"""Validate files of annotation records: every problem located, valid records kept, invalid ones quarantined.

Each input file is read as a stream of records (a JSON array or JSON Lines) and cut into regions, one per
worker process. Workers check their records and return the problems and the byte ranges of the valid ones;
this process then writes `valid/<file>.jsonl` (valid records as they were, one a line), `quarantine.jsonl`
(each invalid record with its problems), `report.json` and `report.txt`. Every record ends up in exactly one
of the two outputs. A file that cannot be read or parsed is reported and makes the exit code 2.
"""

from __future__ import annotations

import itertools
import time
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from builder.errors import EXIT_INVALID_DATA, EXIT_OK, EXIT_USAGE, InputError
from builder.jsonl import AtomicWriter, paused_gc, write_json
from builder.labels import LabelSchema
from builder.parallel import map_batches, worker_count
from builder.validate import reader
from builder.validate.corpus import Corpus
from builder.validate.problems import ERROR, Problem, make_problem
from builder.validate.records import RecordValidator

REPORT_JSON = "report.json"
REPORT_TXT = "report.txt"
QUARANTINE = "quarantine.jsonl"
VALID_DIR = "valid"


@dataclass
class RegionResult:
    """What a worker found in one region of a file (record numbers are counted from the region's start)."""

    start: int
    stop: int
    next_offset: int  # where the record after the last one starts (arrays: checked against the next region)
    count: int = 0
    valid: array = field(default_factory=lambda: array("q"))  # local index, offset, end; three per record
    invalid: list[tuple[int, int, int, list[Problem]]] = field(default_factory=list)
    warnings: list[tuple[int, Problem]] = field(default_factory=list)  # problems that do not invalidate
    documents: list[tuple[int, Any, Any]] = field(default_factory=list)  # local index, document id, task id
    lines: dict[int, int] = field(default_factory=dict)  # local index -> JSONL line, counted from the region's start
    line_count: int = 0  # lines in the region (JSON Lines)


@dataclass
class FileReport:
    file: str
    format: str | None = None
    records: int = 0
    valid: int = 0
    invalid: int = 0
    by_check: Counter = field(default_factory=Counter)
    valid_out: str | None = None
    error: str | None = None  # the file could not be read or parsed

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "format": self.format, "records": self.records, "valid": self.valid,
                "invalid": self.invalid, "by_check": dict(sorted(self.by_check.items())),
                "valid_out": self.valid_out, "error": self.error}


@dataclass
class ValidationReport:
    files: list[FileReport]
    problems: list[Problem]
    corpus: str | None
    out_dir: Path
    seconds: float = 0.0

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.severity == ERROR)

    @property
    def exit_code(self) -> int:
        if any(f.error for f in self.files):
            return EXIT_USAGE
        return EXIT_INVALID_DATA if self.errors else EXIT_OK

    def summary(self) -> dict[str, Any]:
        by_check = Counter(p.check for p in self.problems)
        return {
            "files": len(self.files),
            "unreadable_files": sum(1 for f in self.files if f.error),
            "records": sum(f.records for f in self.files),
            "valid_records": sum(f.valid for f in self.files),
            "invalid_records": sum(f.invalid for f in self.files),
            "problems": len(self.problems),
            "errors": self.errors,
            "warnings": len(self.problems) - self.errors,
            "by_check": dict(sorted(by_check.items())),
            "corpus": self.corpus or "not checked (--no-corpus)",
            "seconds": round(self.seconds, 3),
            "exit_code": self.exit_code,
        }

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary(), "files": [f.to_dict() for f in self.files],
                "problems": [p.to_dict() for p in self.problems]}

    def text(self, limit: int | None = None) -> str:
        s = self.summary()
        lines = [(f"validated {s['records']} records in {s['files']} file(s): {s['valid_records']} valid, "
                 f"{s['invalid_records']} invalid; {s['errors']} error(s), {s['warnings']} warning(s); "
                 f"corpus: {s['corpus']}")]
        for f in self.files:
            state = f"UNREADABLE: {f.error}" if f.error else f"{f.records} records, {f.valid} valid, {f.invalid} invalid"
            lines.append(f"  {f.file} ({f.format or '?'}): {state}")
        if s["by_check"]:
            lines.append("problems by check: " + ", ".join(f"{k} {v}" for k, v in s["by_check"].items()))
        shown = self.problems if limit is None else self.problems[:limit]
        lines += [p.line() for p in shown]
        if len(shown) < len(self.problems):
            lines.append(f"... and {len(self.problems) - len(shown)} more in {self.out_dir / REPORT_TXT}")
        return "\n".join(lines)


# ---- workers ------------------------------------------------------------------------------------------------

_STATE: dict[str, Any] = {}


def _init(labels: LabelSchema, corpus: Corpus | None) -> None:
    _STATE["validator"] = RecordValidator(labels, corpus)


def _check_region(job: tuple[str, str, str, int, int]) -> RegionResult:
    path_s, name, fmt, start, stop = job
    path = Path(path_s)
    validator: RecordValidator = _STATE["validator"]
    result = RegionResult(start, stop, stop)
    with paused_gc():
        _check_records(validator, path, name, fmt, start, stop, result)
    return result


def _check_records(validator: RecordValidator, path: Path, name: str, fmt: str, start: int, stop: int,
                   result: RegionResult) -> None:
    valid = result.valid
    i = -1
    seen: list[int] = []
    for i, rec in enumerate(reader.iter_records(path, fmt, start, stop, first_line=1, lines_seen=seen)):
        base = {"file": name, "record": None}  # numbered across regions by `_merge`
        view, problems = validator.check(rec.value, base)
        if view is not None:
            result.documents.append((i, view.document_id, view.task_id))
        if rec.line is not None:
            result.lines[i] = rec.line
        if any(p.severity == ERROR for p in problems):
            result.invalid.append((i, rec.offset, rec.end, problems))
        else:
            valid.extend((i, rec.offset, rec.end))
            result.warnings.extend((i, p) for p in problems)
        result.next_offset = rec.end
    result.count = i + 1
    result.line_count = seen[0] if seen else 0


def _in_process(labels: LabelSchema, corpus: Corpus | None, job: tuple[str, str, str, int, int]) -> RegionResult:
    _init(labels, corpus)
    return _check_region(job)


# ---- files --------------------------------------------------------------------------------------------------

def display_name(path: Path, root: Path | None) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve())) if root else str(path)
    except ValueError:
        return str(path)


def annotation_files(annotations_dir: Path) -> list[Path]:
    """The record files under the annotations folder: raw exports, canonical records, gold documents."""
    found = [p for p in sorted((annotations_dir / "raw").rglob("*.json*"))
             if p.suffix in (".json", ".jsonl") and p.name != "manifest.json" and not p.name.startswith(".")]
    found += sorted((annotations_dir / "canonical").glob("*.jsonl"))
    found += sorted((annotations_dir / "gold").glob("*.jsonl"))
    return found


def validate_files(paths: Iterable[Path], labels: LabelSchema, *, corpus: Corpus | None, out_dir: Path,
                   workers: int = 1, root: Path | None = None, keep_valid: bool = True) -> ValidationReport:
    """Validate each file; write the valid records, the quarantine and both reports under `out_dir`."""
    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    files: list[FileReport] = []
    problems: list[Problem] = []
    workers = worker_count(workers)
    with AtomicWriter(out_dir / QUARANTINE) as quarantine:
        for path in paths:
            name = display_name(path, root)
            report = FileReport(name)
            files.append(report)
            try:
                _validate_file(path, name, report, problems, quarantine, labels, corpus, out_dir, workers,
                               keep_valid)
            except InputError as exc:
                report.error = exc.message
    result = ValidationReport(files, problems, str(corpus.path) if corpus else None, out_dir)
    result.seconds = time.perf_counter() - started
    write_json(out_dir / REPORT_JSON, result.to_dict())
    with AtomicWriter(out_dir / REPORT_TXT) as out:
        out.write_bytes(result.text().encode("utf-8") + b"\n")
    return result


def _validate_file(path: Path, name: str, report: FileReport, problems: list[Problem], quarantine: AtomicWriter,
                   labels: LabelSchema, corpus: Corpus | None, out_dir: Path, workers: int, keep_valid: bool) -> None:
    if not path.is_file():
        raise InputError("no such file", where=str(path), fix="pass an existing export or records file")
    fmt = reader.detect_format(path)
    report.format = fmt
    jobs = [(str(path), name, fmt, a, b) for a, b in reader.regions(path, fmt, workers)]
    try:
        results = list(map_batches(_check_region, jobs, workers=min(workers, len(jobs)), initializer=_init,
                                   initargs=(labels, corpus)))
        misplaced = any(r.next_offset > nxt.start for r, nxt in itertools.pairwise(results))
    except InputError:
        if len(jobs) == 1:
            raise
        misplaced = True
    if misplaced:  # a region cut fell inside an element: read the file again in one piece
        results = [_in_process(labels, corpus, (str(path), name, fmt, jobs[0][3], path.stat().st_size))]
    _merge(path, name, results, report, problems, quarantine, out_dir, keep_valid)


def _merge(path: Path, name: str, results: list[RegionResult], report: FileReport, problems: list[Problem],
           quarantine: AtomicWriter, out_dir: Path, keep_valid: bool) -> None:
    """Number the records across regions, mark repeated documents, write valid and quarantined records."""
    valid: dict[int, tuple[int, int]] = {}
    invalid: dict[int, tuple[int, int, list[Problem]]] = {}
    numbered: list[tuple[int, Problem]] = []
    lines: dict[int, int] = {}
    first_of: dict[Any, int] = {}
    offset = line_offset = 0
    for r in results:
        v = r.valid
        for k in range(0, len(v), 3):
            valid[offset + v[k]] = (v[k + 1], v[k + 2])
        for i, a, b, probs in r.invalid:
            invalid[offset + i] = (a, b, probs)
        numbered += [(offset + i, p) for i, p in r.warnings]
        lines.update({offset + i: line_offset + line for i, line in r.lines.items()})
        line_offset += r.line_count
        for i, doc_id, task_id in r.documents:
            n = offset + i
            if not isinstance(doc_id, str):
                continue
            if doc_id not in first_of:
                first_of[doc_id] = n
                continue
            dup = make_problem("duplicate-document", file=name, document_id=doc_id, task_id=task_id,
                               detail=lines.get(first_of[doc_id], first_of[doc_id] + 1), found=doc_id,
                               expected="one task per document")
            if n in valid:
                invalid[n] = (*valid.pop(n), [dup])
            else:
                invalid[n][2].append(dup)
        offset += r.count
    for n, (_, _, probs) in invalid.items():
        numbered += [(n, p) for p in probs]
    numbered.sort(key=lambda x: x[0])
    for n, p in numbered:
        if p.record is None:
            p.record = lines.get(n, n + 1)
        problems.append(p)
        report.by_check[p.check] += 1
    report.records, report.invalid, report.valid = offset, len(invalid), len(valid)
    with open(path, "rb") as fh:
        for n in sorted(invalid):
            a, b, probs = invalid[n]
            fh.seek(a)
            quarantine.write({"file": name, "record": lines.get(n, n + 1), "problems": [p.to_dict() for p in probs],
                              "value": orjson.loads(fh.read(b - a))})
        if keep_valid:
            target = out_dir / VALID_DIR / (name.strip("/").replace("/", "__").rsplit(".", 1)[0] + ".jsonl")
            report.valid_out = str(target)
            with AtomicWriter(target) as out:
                _copy_records(fh, [valid[n] for n in sorted(valid)], out)


def _copy_records(fh: Any, ranges: list[tuple[int, int]], out: AtomicWriter, block: int = 8 << 20) -> None:
    """Write the records at `ranges` (sorted byte ranges of `fh`) one a line, reading the file in blocks."""
    i = 0
    while i < len(ranges):
        j = i
        while j + 1 < len(ranges) and ranges[j + 1][1] - ranges[i][0] <= block:
            j += 1
        start = ranges[i][0]
        fh.seek(start)
        data = fh.read(ranges[j][1] - start)
        parts = []
        for a, b in ranges[i:j + 1]:
            raw = data[a - start:b - start].strip()
            parts.append(raw if b"\n" not in raw else orjson.dumps(orjson.loads(raw)))  # pretty-printed arrays
        out.write_bytes(b"\n".join(parts) + b"\n")
        i = j + 1
