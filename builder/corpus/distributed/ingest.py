"""ingest on the engine: one task per group of source files, outputs gathered in source and file order."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from builder.config import Config
from builder.corpus.distributed.engine import DaskEngine
from builder.corpus.distributed.partitions import PartsDir
from builder.corpus.ingest import ingest_stats, iter_source, write_documents
from builder.corpus.ingest.base import IngestContext, InputProblem, check_encoding_name, source_files
from builder.jsonl import AtomicWriter
from builder.stage import RejectSink, StageDir


@dataclass(frozen=True)
class FileGroup:
    index: int
    source: int  # position in config["sources"]
    files: tuple[Path, ...]  # empty for a source without files, so that its reader reports it


@dataclass
class IngestPart:
    per_source: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    repairs: Counter[str] = field(default_factory=Counter)
    problems: list[InputProblem] = field(default_factory=list)


def plan_files(config: Config, target_bytes: int) -> list[FileGroup]:
    """Consecutive files of each source, about `target_bytes` a group. A file is never cut: a CSV record can span
    lines and keys are made unique per file, so a large single file is one task."""
    groups: list[FileGroup] = []
    for s, source in enumerate(config["sources"]):
        check_encoding_name(source)  # a bad codec name stops the run here, not in a task
        files = source_files(config, source)
        if not files:
            groups.append(FileGroup(len(groups), s, ()))
        batch: list[Path] = []
        size = 0
        for file in files:
            batch.append(file)
            size += file.stat().st_size if file.is_file() else 0
            if size >= target_bytes:
                groups.append(FileGroup(len(groups), s, tuple(batch)))
                batch, size = [], 0
        if batch:
            groups.append(FileGroup(len(groups), s, tuple(batch)))
    return groups


def ingest_group(config: Config, parts: PartsDir, group: FileGroup) -> IngestPart:
    result = IngestPart()

    def fill(writer: AtomicWriter, rejects: RejectSink) -> None:
        ctx = IngestContext(rejects=rejects)
        write_documents(iter_source(config, config["sources"][group.source], ctx, list(group.files)), writer,
                        result.per_source)
        result.rejected.update(rejects.counts)
        result.repairs.update(ctx.repairs)
        result.problems.extend(ctx.problems)

    parts.write("ingest", group.index, fill)
    return result


def run_ingest(config: Config, out: StageDir, *, engine: DaskEngine, progress: bool = False) -> dict[str, Any]:
    """`builder.corpus.ingest.run_ingest` with the file groups as tasks; the same files and stats."""
    total = sum(f.stat().st_size for s in config["sources"] for f in source_files(config, s) if f.is_file())
    groups = plan_files(config, engine.partition_bytes(total))
    parts = PartsDir(out).reset()
    results = engine.map(partial(ingest_group, config, parts), groups, desc="ingest", progress=progress)
    parts.gather(len(groups))
    parts.remove()
    total = IngestPart()
    for r in results:
        total.per_source.update(r.per_source)
        total.rejected.update(r.rejected)
        total.repairs.update(r.repairs)
        total.problems.extend(r.problems)
    stats = ingest_stats(total.per_source, total.rejected, total.repairs, total.problems)
    out.write_stats(stats)
    return stats
