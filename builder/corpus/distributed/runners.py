"""Which engine task plan writes each stage of the registry (`builder.corpus.prepare.STAGES`).

The batch stages share one plan (a task per byte range, `perdoc`); the stages with a decision over the whole
corpus have their own (`ingest`, `dedup`, `split`). Everything else (options, input, stats, the stage's final
check) is `builder.stage.run_stage`, as in a single process.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from builder.corpus.dedup import Dedup
from builder.corpus.distributed.dedup import run_dedup
from builder.corpus.distributed.engine import DaskEngine
from builder.corpus.distributed.ingest import run_ingest
from builder.corpus.distributed.perdoc import run_batches
from builder.corpus.distributed.split import run_split
from builder.corpus.ingest import Ingest
from builder.corpus.split import Split
from builder.errors import ConfigError
from builder.stage import BatchStage, Progress, Stage, StageDir, run_stage

PLANS = {Ingest: run_ingest, Dedup: run_dedup, Split: run_split}


def run_on(engine: DaskEngine, stage: Stage, in_path: Path | None, out: StageDir, *,
           progress: Progress | None = None) -> dict[str, Any]:
    """`run_stage` with the stage's documents written by `engine`'s tasks."""
    plan = PLANS.get(type(stage)) or (run_batches if isinstance(stage, BatchStage) else None)
    if plan is None:
        raise ConfigError(f"the dask engine has no plan for stage '{stage.name}'",
                          fix="run prepare with --engine local, or add the stage to builder.corpus.distributed")
    return run_stage(stage, in_path, out, progress=progress,
                     write=lambda path, folder, bar: plan(engine, stage, path, folder, bar))


def runner(engine: DaskEngine) -> Any:
    """What `run_prepare` calls to run a stage on `engine`."""
    return partial(run_on, engine)
