"""ingest on the engine: one task per group of source files, outputs gathered in source and file order."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

from builder.config import Config
from builder.corpus.distributed.engine import DaskEngine
from builder.corpus.distributed.partitions import PartsDir
from builder.corpus.ingest import Ingest, IngestTally, ingest_files
from builder.corpus.ingest.base import check_encoding_name, source_files
from builder.jsonl import AtomicWriter
from builder.stage import Progress, RejectSink, StageDir


@dataclass(frozen=True)
class FileGroup:
    index: int
    source: int  # position in config.sources
    files: tuple[Path, ...]  # empty for a source without files, so that its reader reports it
    first: bool = False  # the source's first group: it reports the files the source leaves out


def plan_files(config: Config, target_bytes: int) -> list[FileGroup]:
    """Consecutive files of each source, about `target_bytes` a group. A file is never cut: a CSV record can span
    lines and keys are made unique per file, so a large single file is one task."""
    groups: list[FileGroup] = []
    for s, source in enumerate(config.sources):
        check_encoding_name(source)  # a bad codec name stops the run here, not in a task
        files = source_files(config, source)
        start = len(groups)
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
        groups[start] = FileGroup(groups[start].index, s, groups[start].files, True)
    return groups


def ingest_group(stage: Ingest, parts: PartsDir, group: FileGroup) -> IngestTally:
    def fill(writer: AtomicWriter, rejects: RejectSink) -> IngestTally:
        tally = ingest_files(stage.config, stage.config.sources[group.source], list(group.files), writer, rejects,
                             report=group.first)
        tally.rejected.update(rejects.counts)
        return tally

    return parts.write("ingest", group.index, fill)


def run_ingest(engine: DaskEngine, stage: Ingest, in_path: Path | None, out: StageDir,
               progress: Progress | None) -> IngestTally:
    """The ingest stage with the file groups as tasks; the same files and stats."""
    config = stage.config
    total = sum(f.stat().st_size for s in config.sources for f in source_files(config, s) if f.is_file())
    groups = plan_files(config, engine.partition_bytes(total))
    parts = PartsDir(out).reset()
    results = engine.map(partial(ingest_group, stage, parts), groups, desc="ingest", progress=progress)
    parts.gather(len(groups))
    parts.remove()
    tally = IngestTally()
    for r in results:
        tally.merge(r)
    return tally
