"""The shape shared by the single-stage commands (ingest, clean, dedup, split, segment)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from builder.commands._common import add_config_option, config_of
from builder.commands._progress import Bars
from builder.corpus.prepare import stage_named
from builder.errors import EXIT_OK, EXIT_USAGE
from builder.stage import StageDir, run_stage


def add_stage_parser(sub: argparse._SubParsersAction, name: str, help_text: str) -> argparse.ArgumentParser:
    p = sub.add_parser(name, help=help_text, description=help_text)
    add_config_option(p)
    if stage_named(name).previous is not None:
        p.add_argument("--input", type=Path, default=None,
                       help="documents JSONL to read (default: work/<previous stage>/documents.jsonl)")
    p.add_argument("--output-dir", type=Path, default=None, help=f"where to write (default: work/{name}/)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=lambda args: run_stage_command(args, name))
    return p


def run_stage_command(args: argparse.Namespace, name: str) -> int:
    config = config_of(args)
    stage = stage_named(name)(config)
    out = StageDir(args.output_dir or config.stage_dir(name))
    with Bars(enabled=not args.no_progress) as bars:
        stats = run_stage(stage, getattr(args, "input", None), out, progress=bars)
    print(json.dumps({k: v for k, v in stats.items() if k != "input_errors"}, indent=2, ensure_ascii=False))
    print(f"wrote {out.documents}", file=sys.stderr)
    errors = stats.get("input_errors", [])
    for message in errors:
        print(f"newsbench: error: {message}", file=sys.stderr)
    return EXIT_USAGE if errors else EXIT_OK
