"""The `newsbench` command line: parses arguments and calls the stage functions, nothing more.

Each subcommand lives in `builder/commands/<name>.py` with `add_parser(subparsers)` and `run(args) -> int`.
Options of the form `--section.key VALUE` (or `--set section.key=VALUE`) override the project config.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Any

from builder import __version__
from builder.config import parse_value
from builder.errors import EXIT_USAGE, NewsbenchError

COMMANDS: list[str] = ["ingest", "clean", "dedup", "split", "segment", "prepare", "annotate", "validate", "agreement", "adjudicate", "import_", "evaluate", "baseline", "build", "diff", "publish"]  # module names under builder/commands, in help order


def split_overrides(argv: list[str]) -> tuple[list[str], dict[str, Any]]:
    """Take `--a.b VALUE`, `--a.b=VALUE` and `--set a.b=VALUE` out of argv; return the rest and the overrides."""
    rest: list[str] = []
    overrides: dict[str, Any] = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--set" and i + 1 < len(argv) and "=" in argv[i + 1]:
            key, value = argv[i + 1].split("=", 1)
            overrides[key] = parse_value(value)
            i += 2
            continue
        if arg.startswith("--") and "." in arg.split("=", 1)[0] and not arg[2:3].isdigit():
            if "=" in arg:
                key, value = arg[2:].split("=", 1)
                i += 1
            elif i + 1 < len(argv):
                key, value = arg[2:], argv[i + 1]
                i += 2
            else:
                raise NewsbenchError(f"option {arg} has no value", fix=f"write {arg} VALUE")
            overrides[key] = parse_value(value)
            continue
        rest.append(arg)
        i += 1
    return rest, overrides


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsbench",
        description="Turn raw news articles into a published, annotated NLP benchmark.",
        epilog="Override any config value with --section.key VALUE, e.g. --dedup.threshold 0.7.",
    )
    parser.add_argument("--version", action="version", version=f"newsbench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"builder.commands.{name}")
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        rest, overrides = split_overrides(argv)
        parser = build_parser()
        args = parser.parse_args(rest)
        if args.command is None:
            parser.print_help()
            return EXIT_USAGE
        args.overrides = overrides
        return int(args.func(args) or 0)
    except NewsbenchError as exc:
        print(f"newsbench: error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("newsbench: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
