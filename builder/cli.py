"""The `newsbench` command line: parses arguments and calls the stage functions, nothing more.

Each subcommand lives in `builder/commands/<name>.py` with `add_parser(subparsers)` and `run(args) -> int`.
Options of the form `--section.key VALUE` (or `--set section.key=VALUE`) override the project config.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Any

from builder import __version__
from builder.config import parse_value
from builder.errors import EXIT_OK, EXIT_USAGE, NewsbenchError
from builder.extras import install_hint, missing_extra, missing_for

# Module names under builder/commands, in help order; the command is the module name without a trailing "_"
# ("import_" is `newsbench import`, since `import` is a Python keyword).
COMMANDS: list[str] = [
    "init",
    "ingest", "clean", "dedup", "split", "segment", "prepare", "annotate", "validate", "agreement", "adjudicate",
    "report",
    "import_", "evaluate", "baseline", "build", "diff", "publish", "demo",
]


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


def command_name(module: str) -> str:
    return module.rstrip("_")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; with `only`, just that subcommand's module is imported.

    Some commands import heavy libraries (scikit-learn, datasets); loading them all would cost every command
    a second or more of start-up, so a known command loads only its own module.
    """
    parser = argparse.ArgumentParser(
        prog="newsbench",
        description="Turn raw news articles into a published, annotated NLP benchmark.",
        epilog="Override any config value with --section.key VALUE, e.g. --dedup.threshold 0.7.",
    )
    parser.add_argument("--version", action="version", version=f"newsbench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMANDS:
        if only is None or command_name(module_name) == only:
            importlib.import_module(f"builder.commands.{module_name}").add_parser(sub)
    return parser


def _chosen_command(argv: list[str]) -> str | None:
    """The subcommand named in argv, when it is a known one (else the full parser reports the error)."""
    first = next((a for a in argv if not a.startswith("-")), None)
    return first if first in {command_name(m) for m in COMMANDS} else None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        rest, overrides = split_overrides(argv)
        parser = build_parser(_chosen_command(rest))
        try:
            args = parser.parse_args(rest)
        except SystemExit as exc:  # argparse said what is wrong (or printed the help): its code, returned
            return int(exc.code or 0) if not isinstance(exc.code, str) else EXIT_USAGE
        if args.command is None:
            parser.print_help()
            return EXIT_USAGE
        args.overrides = overrides
        missing = missing_for(args.command)
        if missing is not None:
            raise ModuleNotFoundError(f"No module named '{missing[0]}'", name=missing[0])
        return int(args.func(args) or 0)
    except NewsbenchError as exc:
        print(f"newsbench: error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("newsbench: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `newsbench ... | head`: the reader left; nothing to say
        return EXIT_OK
    except Exception as exc:  # a case no check foresaw: one line, never a traceback (unless asked for)
        if os.environ.get(DEBUG_ENV):
            raise
        missing = missing_extra(exc)
        if missing is not None:  # the core install without the extra this command needs
            library, extra = missing
            command = _chosen_command(argv) or "this command"
            print(f"newsbench: error: `newsbench {command}` needs {library}, which the '{extra}' extra installs "
                  f"(fix: {install_hint(extra)})", file=sys.stderr)
            return EXIT_USAGE
        where = _origin(exc)
        print(f"newsbench: error: {type(exc).__name__}: {exc}{' (in ' + where + ')' if where else ''} (fix: this "
              f"input reached a case newsbench does not check yet; rerun with {DEBUG_ENV}=1 for the traceback and "
              "report it with the command and the input)", file=sys.stderr)
        return EXIT_USAGE


DEBUG_ENV = "NEWSBENCH_DEBUG"


def _origin(exc: BaseException) -> str:
    """Where in newsbench the exception was raised (the innermost frame of the package), for the report."""
    tb, found = exc.__traceback__, ""
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if "/builder/" in name.replace("\\", "/"):
            found = f"{name.rsplit('/builder/', 1)[-1]}:{tb.tb_lineno}"
        tb = tb.tb_next
    return found


if __name__ == "__main__":
    sys.exit(main())
