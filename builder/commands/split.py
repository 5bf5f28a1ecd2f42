"""`newsbench split`: train/validation/test by duplicate cluster, kept stable by the split ledger."""

from __future__ import annotations

import argparse

from builder.commands._stage import add_stage_parser, run_stage_command


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = add_stage_parser(sub, "split", "assign train/validation/test by duplicate cluster, stable through the ledger")
    p.add_argument("--no-ledger", action="store_true",
                   help="read the split ledger but do not add new documents to it (split.update_ledger = false)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.no_ledger:
        args.overrides = {**getattr(args, "overrides", {}), "split.update_ledger": False}
    return run_stage_command(args, "split")
