"""`prepare --engine dask`: the five stages as Dask tasks on a cluster, with the outputs of a single process.

The stages' own per-record code runs in the tasks (readers, `Cleaner`, MinHash signatures, the split decision,
the segmenter); this package only cuts the input into partitions, moves small facts to the driver where a stage
needs the whole corpus (duplicate ids, exact copies, LSH buckets across partitions, clusters, split placement),
and concatenates the partitions' outputs in input order. See the README section "Distributed engine".
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import partial
from typing import Any

from builder.corpus.distributed.engine import DaskEngine, EngineOptions

ENGINES = ("local", "dask")

STAGE_FUNCTIONS = {
    "ingest": "builder.corpus.distributed.ingest:run_ingest",
    "clean": "builder.corpus.distributed.perdoc:run_clean",
    "dedup": "builder.corpus.distributed.dedup:run_dedup",
    "split": "builder.corpus.distributed.split:run_split",
    "segment": "builder.corpus.distributed.perdoc:run_segment",
}


def stage_function(engine: DaskEngine, stage: str) -> Callable[..., dict[str, Any]]:
    """The stage as `run_<stage>(config, [in_path,] out, *, progress)` on `engine`."""
    module, func = STAGE_FUNCTIONS[stage].split(":")
    return partial(getattr(importlib.import_module(module), func), engine=engine)


__all__ = ["ENGINES", "DaskEngine", "EngineOptions", "stage_function"]
