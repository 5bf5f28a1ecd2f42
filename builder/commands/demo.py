"""`newsbench demo`: prepare, validate, build, check the rebuild, train and score the baselines; print the
release, how to load it and the baseline table."""

from __future__ import annotations

import argparse
import sys

from builder.commands._common import add_config_option, config_of
from builder.commands._progress import Bars
from builder.errors import EXIT_INVALID_DATA, EXIT_OK


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "demo", help="the whole job on the shipped data: prepare, validate, build, baselines",
        description="Run prepare, validate every file under annotations/, build (or verify) the release, rebuild "
                    "it from scratch to compare the data files, then train and score the baselines; print the "
                    "release path, a load_dataset snippet and the baseline table with 95% confidence intervals.")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    add_config_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from builder.bench.baselines.run import results_markdown
    from builder.project.demo import loading_snippet, run_demo

    config = config_of(args)
    with Bars(enabled=not args.no_progress and sys.stderr.isatty()) as bars:
        result = run_demo(config, say=lambda m: print(m, file=sys.stderr, flush=True),
                          progress=bars if not args.no_progress and sys.stderr.isatty() else None)
    if result.status == "scratch":
        print(f"\nThe inputs differ from the newest release ({', '.join(result.changed or [])}): `newsbench build` "
              f"would cut {result.version}. The demo built it in {result.release} only, to check it.")
    print(f"\nRelease {result.version}: {result.release} ({result.status}; rebuilt from scratch with identical "
          f"data files: {'yes' if result.reproduced else 'no'})")
    print("\nLoad it:\n\n" + loading_snippet(result, config.root))
    print("\n" + results_markdown(result.results))
    print(f"Time: {sum(result.seconds.values()):.0f} s (" + ", ".join(f"{k} {v} s" for k, v in result.seconds.items())
          + ")")
    return EXIT_OK if result.reproduced and result.scores_match is not False else EXIT_INVALID_DATA
