"""The main side of `validate_files`: join the workers' region results of one file, in file order.

Each region's result is added as soon as it arrives, while the workers check the next regions: its records are
numbered after those of the regions before it, its tasks are checked against the corpus (the workers leave that
to this process, which indexes the corpus meanwhile), a document already seen in the file makes the record a
duplicate, and its valid records (the worker's part file, less any record just found invalid) are appended to
`valid/<file>.jsonl`. `problems` and `write_quarantine` then give what was found.
"""

from __future__ import annotations

import os
from array import array
from pathlib import Path

import orjson

from builder.jsonl import AtomicWriter
from builder.check.validate.corpus import Corpus
from builder.check.validate.problems import Problem, make_problem
from builder.check.validate.records import corpus_problem, located, schema_count
from builder.check.validate.worker import VALID_FIELDS, RegionResult

BLOCK = 8 << 20


class RegionsMisplaced(Exception):
    """A region does not start where the one before it ended: a cut fell inside an array element."""


class FileMerge:
    """The records of one file, region by region."""

    def __init__(self, name: str, valid_out: AtomicWriter | None, corpus: Corpus | None) -> None:
        self.name = name
        self.valid_out = valid_out
        self.corpus = corpus
        self.records = 0  # records in the regions added so far
        self.valid = 0
        self.next_offset: int | None = None
        self._lines = 0
        self.line_of: dict[int, int] = {}  # record number (0-based) -> JSONL line
        self.first_of: dict[str, int] = {}  # document id -> the record it first appears in
        self.invalid: dict[int, tuple[int, int, list[Problem]]] = {}  # record -> offset, end, problems
        self.warnings: dict[int, list[Problem]] = {}  # record -> problems that do not make it invalid

    def add(self, r: RegionResult) -> None:
        """Join the next region's result (the first call also indexes the corpus, if not done yet)."""
        if self.next_offset is not None and self.next_offset > r.start:
            raise RegionsMisplaced(f"{self.name}: a region starts at byte {r.start}, inside the record before it")
        region = _Region(self, r)
        self.line_of.update({region.offset + i: self._lines + line for i, line in r.lines.items()})
        for i, a, b, probs in r.invalid:
            self.invalid[region.offset + i] = (a, b, probs)
        for i, p in r.warnings:
            self.warnings.setdefault(region.offset + i, []).append(p)
        self._corpus(region)  # before the duplicates: a task's problems list its corpus problem first
        self._duplicates(region)
        if self.valid_out is not None and r.part is not None:
            _append_part(self.valid_out, r.part, r.valid, region.moved)
        self.valid += len(r.valid) // VALID_FIELDS - len(region.moved)
        self.records += r.count
        self._lines += r.line_count
        self.next_offset = r.next_offset

    def _corpus(self, region: _Region) -> None:
        """The corpus checks the worker left to this process (records that carry their text)."""
        for i, doc_id, task_id, have, kind in region.result.corpus_later:
            base = located({"file": self.name, "record": None}, doc_id, task_id)
            found = corpus_problem(self.corpus, kind, doc_id, have, base) if self.corpus else None
            if found is not None:
                region.add_problem(i, found, at_schema_end=True)

    def _duplicates(self, region: _Region) -> None:
        """Mark records whose document an earlier record of the file has."""
        for i, doc_id, task_id in region.result.documents:
            n = region.offset + i
            first = self.first_of.setdefault(doc_id, n)
            if first != n:
                region.add_problem(i, make_problem(
                    "duplicate-document", file=self.name, document_id=doc_id, task_id=task_id,
                    detail=self.line_of.get(first, first + 1), found=doc_id, expected="one task per document"))

    def problems(self) -> list[Problem]:
        """Every problem of the file in record order, each with its record number (JSONL: its line)."""
        numbered = [(n, p) for n, probs in self.warnings.items() for p in probs]
        numbered += [(n, p) for n, (_, _, probs) in self.invalid.items() for p in probs]
        numbered.sort(key=lambda x: x[0])
        for n, p in numbered:
            if p.record is None:
                p.record = self.line_of.get(n, n + 1)
        return [p for _, p in numbered]

    def write_quarantine(self, path: Path, quarantine: AtomicWriter) -> None:
        """Each invalid record, as parsed from the file, with its problems."""
        with open(path, "rb") as fh:
            for n in sorted(self.invalid):
                a, b, probs = self.invalid[n]
                fh.seek(a)
                raw = fh.read(b - a)
                entry = {"file": self.name, "record": self.line_of.get(n, n + 1),
                         "problems": [p.to_dict() for p in probs]}
                try:
                    entry["value"] = orjson.loads(raw)
                except orjson.JSONDecodeError:  # a line that does not parse is kept as it was
                    entry["raw"] = raw.decode("utf-8", "replace").rstrip("\r\n")
                quarantine.write(entry)


class _Region:
    """One region's result being joined: its records' numbers, and its valid records found invalid here."""

    def __init__(self, merge: FileMerge, result: RegionResult) -> None:
        self.merge = merge
        self.result = result
        self.offset = merge.records  # records before the region
        self.moved: set[int] = set()  # valid records (local index) now invalid: left out of the valid output
        self._where: dict[int, int] | None = None  # local index -> position in result.valid, when first needed

    def add_problem(self, i: int, problem: Problem, *, at_schema_end: bool = False) -> None:
        """Add a problem to record `i`; a record the worker found valid becomes invalid."""
        n = self.offset + i
        invalid = self.merge.invalid
        if n in invalid:
            probs = invalid[n][2]
            probs.insert(schema_count(probs) if at_schema_end else len(probs), problem)
            return
        valid = self.result.valid
        if self._where is None:
            self._where = {valid[k]: k for k in range(0, len(valid), VALID_FIELDS)}
        k = self._where[i]
        # A corpus problem comes before the record's other problems; a duplicate comes after them.
        problems = [problem, *self.merge.warnings.pop(n, [])] if at_schema_end else [problem]
        invalid[n] = (valid[k + 1], valid[k + 2], problems)
        self.moved.add(i)


def _append_part(out: AtomicWriter, part: str, valid: array, leave_out: set[int]) -> None:
    """Append a worker's part file to `out`, without the byte ranges of the records in `leave_out`."""
    keep: list[tuple[int, int]] = []
    at = 0
    if leave_out:
        for k in range(0, len(valid), VALID_FIELDS):
            if valid[k] in leave_out:
                keep.append((at, valid[k + 3]))
                at = valid[k + 4]
    keep.append((at, os.path.getsize(part)))
    dst = out.fileno()
    with open(part, "rb") as fh:
        for a, b in keep:
            _copy_range(fh.fileno(), dst, a, b)
    # Write the joined regions back now, while the workers check the next ones: the commit's fsync then waits
    # for the last region only.
    os.fdatasync(dst)


def _copy_range(src: int, dst: int, start: int, end: int) -> None:
    """Copy bytes [start, end) of `src` to `dst` at its position, in the kernel where the file system can."""
    while start < end:
        try:
            n = os.copy_file_range(src, dst, end - start, start)
        except OSError:  # not between these files here (older kernels, some file systems): through memory
            n = os.write(dst, os.pread(src, min(BLOCK, end - start), start))
        if n == 0:
            raise OSError(f"a part file ends at byte {start}, expected {end}")
        start += n
