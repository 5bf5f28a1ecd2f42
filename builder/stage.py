"""The stage template, and what every stage shares: counters by reason, a rejects file, stats, a completion marker.

A stage declares its name, the stage it reads, the config sections that decide its output and its work; `run_stage`
owns the rest: it checks the options, opens the atomic writer of `work/<stage>/documents.jsonl` and the reject sink
`rejects.jsonl` (every dropped document and every removed line, with its reason), lets the stage write, and writes
`stats.json` from the stage's tally. `prepare` adds `done.json`, a fingerprint of the stage's inputs and config, so
that a rerun skips a stage whose inputs did not change. A `BatchStage` (clean, segment) only gives a per-batch
function that worker processes run; the base class owns the loop over batches and the tally (as datatrove's base
step does), and the distributed engine runs the same function on each partition. Over a file, the workers get the
raw lines and parse them (`parse_then`): the parent reads, writes and counts.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, ClassVar, Protocol

import orjson

from builder.config import Config
from builder.errors import InputError
from builder.jsonl import AtomicWriter, batched, iter_lines, line_error, parse_object, write_json
from builder.parallel import map_batches, worker_count

# A progress callback: (what is being done, how many more items are done, the total when known). Library
# functions take one and call it as they go; only the command line draws bars (builder/commands/_progress.py).
Progress = Callable[[str, int, "int | None"], None]

DOCUMENTS = "documents.jsonl"
REJECTS = "rejects.jsonl"
STATS = "stats.json"
DONE = "done.json"


class RejectSink:
    """Keeps every dropped record with its reason; counts them by reason.

    Rejects go to a JSONL file beside the stage output, or to memory when no path is given (tests, Python use).
    """

    def __init__(self, stage: str, path: str | Path | None = None) -> None:
        self.stage = stage
        self.counts: Counter[str] = Counter()
        self._writer = AtomicWriter(path) if path is not None else None
        self.records: list[dict[str, Any]] = []

    def reject(
        self,
        reason: str,
        *,
        kind: str = "document",
        doc_id: str | None = None,
        where: str | None = None,
        detail: str | None = None,
        record: Any = None,
    ) -> None:
        entry = {
            "stage": self.stage,
            "kind": kind,
            "reason": reason,
            "id": doc_id,
            "where": where,
            "detail": detail,
            "record": record,
        }
        self.counts[f"{kind}:{reason}"] += 1
        if self._writer is not None:
            self._writer.write(entry)
        else:
            self.records.append(entry)

    def close(self, ok: bool = True) -> None:
        if self._writer is not None:
            if ok:
                self._writer.commit()
            else:
                self._writer.abort()


class StageDir:
    """The files of one stage under the work folder."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    @property
    def documents(self) -> Path:
        return self.root / DOCUMENTS

    @property
    def rejects(self) -> Path:
        return self.root / REJECTS

    @property
    def stats(self) -> Path:
        return self.root / STATS

    @property
    def done(self) -> Path:
        return self.root / DONE

    def write_stats(self, stats: dict[str, Any]) -> None:
        write_json(self.stats, stats)

    def mark_done(self, fingerprint: str) -> None:
        write_json(self.done, {"fingerprint": fingerprint})

    def is_done(self, fingerprint: str) -> bool:
        if not (self.done.is_file() and self.documents.is_file()):
            return False
        try:
            return json.loads(self.done.read_text())["fingerprint"] == fingerprint
        except (ValueError, KeyError):
            return False


def require_input(path: str | Path, previous: str) -> None:
    """Stop with a located error when the previous stage's documents are not there."""
    if not Path(path).is_file():
        raise InputError(
            "input documents not found",
            where=str(path),
            fix=f"run `newsbench {previous}` first, or pass --input FILE",
        )


def file_digest(path: str | Path) -> str:
    """sha256 of a file's bytes, read in chunks (inputs can be large)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fingerprint(*parts: Any) -> str:
    """A stable hash of config sections, code version and input digests."""
    return hashlib.sha256(orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)).hexdigest()


# ---- the stage template ---------------------------------------------------------------------------------------


class Tally(Protocol):
    """What a stage counts while it writes; the partitions of a distributed run each keep one and merge them."""

    def stats(self) -> dict[str, Any]: ...


class Stage:
    """One stage of `prepare` (the registry and order: `builder.corpus.prepare.STAGES`)."""

    name: ClassVar[str]
    previous: ClassVar[str | None]  # the stage whose documents it reads; None: it reads the configured sources
    sections: ClassVar[tuple[str, ...]]  # the config sections whose values decide its output

    def __init__(self, config: Config) -> None:
        self.config = config

    def check(self) -> None:
        """Stop on a bad option now, before any file is written or any worker starts."""

    def side_state(self) -> Any:
        """Files besides its input that decide its output (the split ledger, project rule files), fingerprinted."""
        return None

    def write(self, in_path: Path | None, out: StageDir, writer: AtomicWriter, rejects: RejectSink,
              progress: Progress | None) -> Tally:
        """Read `in_path` (None for the first stage), write the kept documents and reject the rest."""
        raise NotImplementedError

    def finish(self, tally: Any, out: StageDir) -> None:
        """After the stats are written: raise when the output must not be used (split: leaked near duplicates)."""


class BatchTally(Tally, Protocol):
    def add(self, results: Any, writer: AtomicWriter, rejects: RejectSink) -> None: ...

    def merge(self, other: Any) -> None: ...


class BatchStage(Stage):
    """A stage whose work is the same for every batch of documents, on worker processes (clean, segment).

    A subclass gives `work` (a module-level function: batch of documents -> results), `initializer` (what each
    worker process sets up once, with its arguments), a fresh `tally()` that writes the results, and its config
    section's `batch_size` and `workers`.
    """

    work: ClassVar[Callable[[list[dict[str, Any]]], Any]]

    def initializer(self) -> tuple[Callable[..., Any] | None, tuple[Any, ...]]:
        return None, ()

    def tally(self) -> BatchTally:
        raise NotImplementedError

    @property
    def batch_size(self) -> int:
        return int(self.config.section(self.name).batch_size)

    @property
    def workers(self) -> int:
        return worker_count(int(self.config.section(self.name).workers))

    def write_records(self, records: Iterable[dict[str, Any]], writer: AtomicWriter, rejects: RejectSink, *,
                      workers: int = 1, progress: Progress | None = None) -> BatchTally:
        """The stage over a stream of documents: the whole input, or one partition of a distributed run."""
        return self._write_batches(type(self).work, batched(records, self.batch_size), writer, rejects,
                                   workers=workers, progress=progress)

    def write(self, in_path: Path | None, out: StageDir, writer: AtomicWriter, rejects: RejectSink,
              progress: Progress | None) -> Tally:
        """The stage over a file: the workers get its raw lines and parse them, so that this process neither
        parses every document nor pickles it for them (same results as `write_records` over `read_jsonl`)."""
        assert in_path is not None
        return self._write_batches(partial(parse_then, type(self).work), batched(iter_lines(in_path),
                                   self.batch_size), writer, rejects, workers=self.workers, progress=progress,
                                   path=in_path)

    def _write_batches(self, func: Callable[[Any], Any], batches: Iterable[list[Any]], writer: AtomicWriter,
                       rejects: RejectSink, *, workers: int, progress: Progress | None,
                       path: Path | None = None) -> BatchTally:
        tally = self.tally()
        init, args = self.initializer()
        for results in map_batches(func, batches, workers=workers, initializer=init, initargs=args):
            if isinstance(results, BadLine):
                raise line_error(results.why, path or "input", results.lineno)
            tally.add(results, writer, rejects)
            if progress:
                progress(self.name, len(results), None)
        return tally


@dataclass(frozen=True)
class BadLine:
    """The first line of a batch that is not a JSON object: the batch stops there, and the stage with it."""

    lineno: int
    why: str


def parse_then(work: Callable[[list[dict[str, Any]]], Any], lines: list[tuple[int, bytes]]) -> Any:
    """`work` over the documents of a batch of (line number, raw line) pairs, parsed here (in the worker)."""
    docs = []
    for lineno, line in lines:
        record, why = parse_object(line)
        if record is None:
            return BadLine(lineno, str(why))
        docs.append(record)
    return work(docs)


# How a stage's output gets written: in this process (`write_locally`), or by an engine's tasks
# (`builder.corpus.distributed.runners`). (input, output folder, progress) -> the stage's tally.
Write = Callable[[Path | None, "StageDir", "Progress | None"], Tally]


def write_locally(stage: Stage, in_path: Path | None, out: StageDir, progress: Progress | None) -> Tally:
    """The stage's documents and rejects, written here through one atomic writer and one reject sink."""
    rejects = RejectSink(stage.name, out.rejects)
    ok = False
    try:
        with AtomicWriter(out.documents) as writer:
            tally = stage.write(in_path, out, writer, rejects, progress)
        ok = True
    finally:
        rejects.close(ok)
    return tally


def run_stage(stage: Stage, in_path: Path | None, out: StageDir, *, progress: Progress | None = None,
              write: Write | None = None) -> dict[str, Any]:
    """Run one stage into `out` (its documents, rejects and stats, which are returned): check its options, find
    its input (default: the previous stage's documents), write, count, finish."""
    stage.check()
    if stage.previous is not None:
        if in_path is None:
            in_path = StageDir(stage.config.stage_dir(stage.previous)).documents
        require_input(in_path, stage.previous)
        in_path = Path(in_path)
    if write is None:
        tally = write_locally(stage, in_path, out, progress)
    else:
        tally = write(in_path, out, progress)
    stats = tally.stats()
    out.write_stats(stats)
    stage.finish(tally, out)
    return stats
