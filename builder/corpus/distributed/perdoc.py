"""The batch stages (clean, segment) on the engine: one task per byte range of the previous stage's documents.

Each task runs the stage's own `write_records` on its partition, so the rules are the same code as in a single
process; the partitions' outputs are concatenated in order and their tallies merged.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from builder.corpus.distributed.engine import DaskEngine
from builder.corpus.distributed.partitions import Partition, PartsDir, stage_partitions
from builder.stage import BatchStage, BatchTally, Progress, StageDir


def process_partition(stage: BatchStage, parts: PartsDir, part: Partition) -> Any:
    return parts.write(stage.name, part.index, lambda writer, rejects: stage.write_records(part.records(), writer,
                                                                                          rejects))


def run_batches(engine: DaskEngine, stage: BatchStage, in_path: Path, out: StageDir,
                progress: Progress | None) -> BatchTally:
    """`stage` with the partitions as tasks; the same files and tally as one process."""
    partitions, parts = stage_partitions(in_path, stage.previous or "", out, engine.partition_bytes)
    total = stage.tally()
    for tally in engine.map(partial(process_partition, stage, parts), partitions, desc=stage.name,
                            progress=progress):
        total.merge(tally)
    parts.gather(len(partitions))
    parts.remove()
    return total
