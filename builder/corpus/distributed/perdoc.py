"""clean and segment on the engine: one task per byte range of the previous stage's documents.

Each task runs the stage's own `clean_records` / `segment_records` on its partition, so the rules are the same
code as in a single process; the partitions' outputs are concatenated in order and their tallies added up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

from builder.corpus.clean import CleanTally, build_cleaners, clean_records
from builder.config import Config
from builder.corpus.distributed.engine import DaskEngine
from builder.corpus.distributed.partitions import Partition, PartsDir, stage_partitions
from builder.jsonl import AtomicWriter
from builder.corpus.segment import SegmentTally, configured_abbreviations, segment_records
from builder.stage import RejectSink, StageDir

Process = Callable[[Config, Iterable[dict[str, Any]], AtomicWriter, RejectSink], Any]


def process_partition(stage: str, process: Process, config: Config, parts: PartsDir, part: Partition) -> Any:
    return parts.write(stage, part.index, lambda writer, rejects: process(config, part.records(), writer, rejects))


def _run(stage: str, previous: str, process: Process, total: Any, config: Config, in_path: Path, out: StageDir,
         engine: DaskEngine, progress: bool) -> dict[str, Any]:
    partitions, parts = stage_partitions(in_path, previous, out, engine.partition_bytes)
    task = partial(process_partition, stage, process, config, parts)
    for tally in engine.map(task, partitions, desc=stage, progress=progress):
        total.merge(tally)
    parts.gather(len(partitions))
    parts.remove()
    stats = total.stats()
    out.write_stats(stats)
    return stats


def run_clean(config: Config, in_path: Path, out: StageDir, *, engine: DaskEngine,
              progress: bool = False) -> dict[str, Any]:
    """`builder.corpus.clean.run_clean` with the partitions as tasks; the same files and stats."""
    build_cleaners(config)  # a bad rule set stops the run here, not in every task
    return _run("clean", "ingest", clean_records, CleanTally(), config, Path(in_path), out, engine, progress)


def run_segment(config: Config, in_path: Path, out: StageDir, *, engine: DaskEngine,
                progress: bool = False) -> dict[str, Any]:
    """`builder.corpus.segment.run_segment` with the partitions as tasks; the same files and stats."""
    configured_abbreviations(config)  # a bad option stops the run here, not in every task
    return _run("segment", "split", segment_records, SegmentTally(), config, Path(in_path), out, engine, progress)
