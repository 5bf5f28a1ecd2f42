"""`newsbench prepare`: ingest, clean, dedup, split and segment the configured sources, resumably."""

from __future__ import annotations

import argparse
import sys

from builder.commands._common import add_config_option, config_of
from builder.commands._progress import Bars
from builder.errors import EXIT_OK, EXIT_USAGE, ConfigError
from builder.corpus.prepare import STAGE_NAMES, StageRun, run_prepare


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("prepare", help="run ingest, clean, dedup, split and segment",
                       description="Run ingest, clean, dedup, split and segment from the project config; "
                       "stages whose inputs and config did not change are skipped.")
    add_config_option(p)
    p.add_argument("--force", action="store_true", help="rerun every stage")
    p.add_argument("--until", choices=STAGE_NAMES, default=None, help="stop after this stage")
    p.add_argument("--no-progress", action="store_true", help="hide progress bars")
    p.add_argument("--engine", choices=("local", "dask"), default="local",
                   help="local: this process and its pool (default); dask: Dask tasks on a cluster "
                   "(needs pip install 'newsbench[distributed]')")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="with --engine dask: a running scheduler, e.g. tcp://10.0.0.5:8786 (default: "
                   "distributed.scheduler, else $DASK_SCHEDULER_ADDRESS, else a local cluster on this machine)")
    p.add_argument("--workers", type=int, default=None,
                   help="with --engine dask and no scheduler: worker processes of the local cluster (default: cores)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = config_of(args)

    def report(stage: StageRun) -> None:
        what = "unchanged, skipped" if stage.status == "skipped" else f"done in {stage.seconds:.1f}s"
        print(f"[{stage.name}] {what}", file=sys.stderr)

    with Bars(enabled=not args.no_progress) as bars:
        if args.engine == "local":
            if args.scheduler is not None or args.workers is not None:
                raise ConfigError("--scheduler and --workers apply to --engine dask", fix="add --engine dask")
            result = run_prepare(config, progress=bars, force=args.force, until=args.until, on_stage=report)
        else:
            from builder.corpus.distributed.engine import DaskEngine, EngineOptions

            options = EngineOptions.from_config(config, scheduler=args.scheduler, workers=args.workers)
            with DaskEngine(options) as engine:
                where = options.scheduler or f"a local cluster of {engine.workers()} worker processes"
                print(f"[engine] dask on {where}", file=sys.stderr)
                result = run_prepare(config, progress=bars, force=args.force, until=args.until,
                                     on_stage=report, engine=engine)
    print(result.table())
    last = config.stage_dir(result.stages[-1].name)
    print(f"\nOutputs under {config.work_dir}; final documents: {last / 'documents.jsonl'}")
    for message in result.input_errors:
        print(f"newsbench: error: {message}", file=sys.stderr)
    return EXIT_USAGE if result.input_errors else EXIT_OK
