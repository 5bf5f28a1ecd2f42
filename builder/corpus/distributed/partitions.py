"""Partitions of a JSONL file by byte range, and the per-partition outputs a stage gathers in input order.

A partition starts at the beginning of a line and ends where the next one starts, so every line belongs to exactly
one partition and concatenating the partitions' outputs in partition order gives the bytes a single pass would
write. Workers read their byte range straight from shared storage; only small results travel to the driver.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar


from builder.jsonl import AtomicWriter, iter_range, line_error, parse_object
from builder.stage import RejectSink, StageDir, require_input

T = TypeVar("T")
PARTS = ".parts"  # under the stage folder; removed once the stage output is gathered


@dataclass(frozen=True)
class Partition:
    """Bytes [start, end) of `path`, which begin and end on line boundaries."""

    index: int
    path: Path
    start: int
    end: int

    def lines(self) -> Iterator[tuple[int, int, bytes]]:
        """(line number within the partition, byte offset in the file, line) of every non-blank line."""
        return iter_range(self.path, self.start, self.end)

    def records(self) -> Iterator[dict[str, Any]]:
        """The JSON objects of the partition; a bad line raises the InputError a single pass would raise."""
        for lineno, _, line in self.lines():
            record, why = parse_object(line)
            if record is None:
                raise line_error(str(why), self.path, self.line_in_file(lineno))
            yield record

    def line_count(self) -> int:
        """Physical lines in the partition (blank ones included): what line numbers of later partitions add."""
        count = 0
        last = b"\n"
        with open(self.path, "rb") as fh:
            fh.seek(self.start)
            left = self.end - self.start
            while left > 0:
                chunk = fh.read(min(left, 1 << 22))
                if not chunk:
                    break
                count += chunk.count(b"\n")
                last = chunk[-1:]
                left -= len(chunk)
        return count + (last != b"\n")

    def line_in_file(self, lineno: int) -> int:
        """The file's line number of the partition's line `lineno` (counts the lines before it: error path only)."""
        return Partition(-1, self.path, 0, self.start).line_count() + lineno


def plan_partitions(path: str | Path, target_bytes: int) -> list[Partition]:
    """Cut a file into partitions of about `target_bytes`, each starting at a line start; none is empty."""
    path = Path(path)
    size = path.stat().st_size
    target = max(int(target_bytes), 1)
    starts = [0]
    with open(path, "rb") as fh:
        pos = target
        while pos < size:
            fh.seek(pos - 1)
            fh.readline()  # to the end of the line that holds byte pos - 1: the next line starts here
            boundary = fh.tell()
            if boundary >= size:
                break
            starts.append(boundary)
            pos = boundary + target
    ends = [*starts[1:], size]
    return [Partition(i, path, a, b) for i, (a, b) in enumerate(zip(starts, ends)) if b > a]


def stage_partitions(in_path: Path, previous: str, out: StageDir, target_bytes: Callable[[int], int]
                     ) -> tuple[list[Partition], PartsDir]:
    """Check a stage's input, cut it (`target_bytes(file size)` a partition) and empty its partition folder."""
    require_input(in_path, previous)
    return plan_partitions(in_path, target_bytes(Path(in_path).stat().st_size)), PartsDir(out).reset()


class PartsDir:
    """Where the tasks of one stage write their partitions' documents and rejects (shared storage)."""

    def __init__(self, out: StageDir) -> None:
        self.out = out
        self.root = out.root / PARTS

    def reset(self) -> PartsDir:
        """Start empty: a killed earlier run may have left partial partitions behind."""
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True, exist_ok=True)
        return self

    def file(self, kind: str, index: int, suffix: str = ".jsonl") -> Path:
        return self.root / f"{kind}-{index:06d}{suffix}"

    def write(self, stage: str, index: int, fill: Callable[[AtomicWriter, RejectSink], T]) -> T:
        """Run `fill(writer, rejects)` on the partition's two files; they appear (atomically) only on success,
        so a task killed half way leaves nothing that a retry or the gather could mistake for output."""
        rejects = RejectSink(stage, self.file("rejects", index))
        ok = False
        try:
            with AtomicWriter(self.file("documents", index)) as writer:
                result = fill(writer, rejects)
            ok = True
        finally:
            rejects.close(ok)
        return result

    def gather(self, count: int) -> None:
        """Concatenate the partitions' documents and rejects, in partition order, into the stage's files."""
        for kind, dest in (("documents", self.out.documents), ("rejects", self.out.rejects)):
            with AtomicWriter(dest) as out:
                for index in range(count):
                    with open(self.file(kind, index), "rb") as part:
                        while chunk := part.read(1 << 22):
                            out.write_bytes(chunk)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
