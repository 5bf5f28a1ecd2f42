"""`newsbench baseline --release DIR`: train and score every baseline; save models and results by version."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from builder.bench.baselines.run import BaselineOptions, results_markdown, run_baselines
from builder.bench.baselines.systems import SYSTEMS, check_systems, system_settings
from builder.bench.evaluate.report import leaderboard_path
from builder.commands._common import add_config_option, config_of
from builder.errors import EXIT_OK
from builder.labels import label_schema_of
from builder.release.layout import find_release, releases_dir


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("baseline", help="train and score the CPU baselines on a release",
                              description="Train the NER, claim and document baselines on a release's train "
                                          "split (tuned on validation), score them on a split with bootstrap "
                                          "intervals, and save models, predictions, reports and results.")
    p.add_argument("--release", required=True, help="release folder, or a version under releases/")
    p.add_argument("--out", type=Path, default=None,
                   help="output folder (default <baselines.models_dir>/<release version>/)")
    p.add_argument("--split", default="test", help="split to score (default test)")
    p.add_argument("--samples", type=int, default=None, help="bootstrap samples (default baselines.samples)")
    p.add_argument("--seed", type=int, default=None, help="seed of models and bootstrap (default project.seed)")
    p.add_argument("--leaderboard", type=Path, default=None,
                   help="leaderboard JSON to add the baselines to (default evaluate.leaderboard)")
    p.add_argument("--no-leaderboard", action="store_true")
    p.add_argument("--system", action="append", default=[], metavar="NAME",
                   help=f"run only this system (repeatable, or NAME,NAME): {', '.join(SYSTEMS)}")
    p.epilog = ("Set a system's option with --set NAME.OPTION=VALUE, e.g. --set ner-crf.iterations=50, "
                "--set ner-crf.grid=0.05:0.01,0.2:0.1, --set checkworthy-tfidf-lr.C=0.3,1 (or in [baselines] options).")
    add_config_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # `--set ner-crf.iterations=50` names a system, not a config section: it is an option of that system
    overrides = dict(getattr(args, "overrides", None) or {})
    given: dict[str, dict[str, object]] = {}
    for key in [k for k in overrides if k.split(".", 1)[0] in SYSTEMS]:
        system, _, option = key.partition(".")
        given.setdefault(system, {})[option] = overrides.pop(key)
    args.overrides = overrides
    config = config_of(args)
    release = find_release(args.release, releases_dir(config))
    out = args.out or config.resolve(config.baselines.models_dir) / release.version
    settings = {name: dict(opts) if isinstance(opts, dict) else opts for name, opts in config.baselines.options.items()}
    for system, opts in given.items():
        settings[system] = {**(settings.get(system) or {}), **opts}
    named = [n.strip() for given in args.system for n in given.split(",") if n.strip()]
    options = BaselineOptions(split=args.split, seed=config.seed if args.seed is None else args.seed,
                              samples=int(config.baselines.samples) if args.samples is None
                              else args.samples, systems=check_systems(named or config.baselines.systems),
                              settings=system_settings(settings))
    board = None if args.no_leaderboard else (args.leaderboard or leaderboard_path(config))
    results = run_baselines(release, out, label_schema_of(config), options, leaderboard=board)
    print(results_markdown(results))
    print(f"wrote {out / 'results.json'} (pass it to `newsbench build --results`) and the models in {out}",
          file=sys.stderr)
    return EXIT_OK
