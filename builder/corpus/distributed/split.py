"""split on the engine: facts per partition, the placement once on the driver, each partition written by a task.

The placement (ledger, then hash, stratified or temporal order of the clusters) is a decision over the whole
corpus, so the driver takes every document's few facts in input order through `Grouping.add` and runs `place`,
as a single pass does; the tasks read and write the documents.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from builder.corpus.distributed.engine import DaskEngine
from builder.corpus.distributed.partitions import Partition, PartsDir, stage_partitions
from builder.jsonl import AtomicWriter
from builder.corpus.split import (
    Grouping,
    RecordFacts,
    Split,
    SplitOptions,
    SplitResult,
    SplitTally,
    split_result,
    place,
    read_ledger,
    record_facts,
    record_split,
    today,
)
from builder.stage import Progress, RejectSink, StageDir


def partition_facts(opts: SplitOptions, part: Partition) -> list[RecordFacts]:
    return [record_facts(record, opts) for record in part.records()]


def write_partition(in_path: Path, day: str, parts: PartsDir,
                    task: tuple[Partition, int, list[tuple[str, str]], list[bool]]) -> SplitTally:
    part, base, decisions, ledgered = task
    tally = SplitTally(day)

    def fill(writer: AtomicWriter, rejects: RejectSink) -> None:
        for k, record in enumerate(part.records()):
            tally.write(record, f"{in_path}: record {base + k + 1}", decisions[k], ledgered[k], writer, rejects)

    parts.write("split", part.index, fill)
    return tally


def run_split(engine: DaskEngine, stage: Split, in_path: Path, out: StageDir,
              progress: Progress | None) -> SplitResult:
    """The split stage with the partitions as tasks; the same documents, ledger, leakage and stats."""
    opts = SplitOptions.from_config(stage.config)
    ledger = read_ledger(opts.ledger, opts.names) if opts.ledger else {}
    partitions, parts = stage_partitions(in_path, "dedup", out, engine.partition_bytes)

    grouping = Grouping()
    bases = []
    for facts in engine.map(partial(partition_facts, opts), partitions, desc="split: reading", progress=progress):
        bases.append(len(grouping.ids))
        for f in facts:
            grouping.add(f)
    placement = place(grouping.clusters, grouping.ids, ledger, opts)

    ends = [*bases[1:], len(grouping.ids)]
    tasks = [
        (part, base, [record_split(i, grouping, placement) for i in range(base, end)],
         [grouping.ids[i] in ledger for i in range(base, end)])
        for part, base, end in zip(partitions, bases, ends)
    ]
    tally = SplitTally(today())
    for t in engine.map(partial(write_partition, in_path, tally.today, parts), tasks, desc="split: writing",
                        progress=progress):
        tally.merge(t)
    parts.gather(len(partitions))
    parts.remove()
    return split_result(opts, in_path, out, ledger, grouping, placement, tally)
