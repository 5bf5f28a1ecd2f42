"""`newsbench prepare`: ingest, clean, dedup, split and segment the configured sources, resumably."""

from __future__ import annotations

import argparse
import sys

from builder.commands._common import add_config_option, config_of
from builder.errors import EXIT_OK, EXIT_USAGE
from builder.prepare import STAGE_NAMES, StageRun, run_prepare


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("prepare", help="run ingest, clean, dedup, split and segment",
                       description="Run ingest, clean, dedup, split and segment from the project config; "
                       "stages whose inputs and config did not change are skipped.")
    add_config_option(p)
    p.add_argument("--force", action="store_true", help="rerun every stage")
    p.add_argument("--until", choices=STAGE_NAMES, default=None, help="stop after this stage")
    p.add_argument("--no-progress", action="store_true", help="hide progress bars")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = config_of(args)

    def report(stage: StageRun) -> None:
        what = "unchanged, skipped" if stage.status == "skipped" else f"done in {stage.seconds:.1f}s"
        print(f"[{stage.name}] {what}", file=sys.stderr)

    result = run_prepare(config, progress=not args.no_progress, force=args.force, until=args.until,
                         on_stage=report)
    print(result.table())
    last = config.stage_dir(result.stages[-1].name)
    print(f"\nOutputs under {config.work_dir}; final documents: {last / 'documents.jsonl'}")
    for message in result.input_errors:
        print(f"newsbench: error: {message}", file=sys.stderr)
    return EXIT_USAGE if result.input_errors else EXIT_OK
