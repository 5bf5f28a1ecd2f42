"""`newsbench evaluate --release DIR --subset ner|claims|documents --predictions FILE`.

`--subset` names the dataset config scored, as in `load_dataset(<release>, <subset>)`; `--config` is the
project config, as in every command.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from builder.bench.evaluate import evaluate
from builder.bench.evaluate.common import DECODINGS, EvalOptions
from builder.bench.evaluate.gold import CONFIGS
from builder.bench.evaluate.hub import check_dataset_id, write_hub_results
from builder.bench.evaluate.predictions import MAX_PROBLEMS, PredictionsInvalid
from builder.bench.evaluate.report import leaderboard_path, markdown, update_leaderboard, write_report
from builder.commands._common import add_config_option, optional_config
from builder.errors import EXIT_INVALID_DATA, EXIT_OK, InputError
from builder.release.layout import find_release, releases_dir
from builder.release.tasks import task_id


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("evaluate", help="score a predictions file against a release split",
                              description="Check and score predictions (JSONL, formats in the README) against "
                                          "one split of a release, with bootstrap confidence intervals.")
    p.add_argument("--release", required=True, help="release folder, or a version under releases/")
    p.add_argument("--subset", required=True, choices=CONFIGS, help="dataset config to score")
    p.add_argument("--predictions", required=True, type=Path, help="predictions JSONL")
    p.add_argument("--split", default="test")
    p.add_argument("--system", default=None, help="system name for the report and leaderboard (default: file name)")
    p.add_argument("--decoding", choices=DECODINGS, default=None,
                   help="read tags as seqeval's default (conlleval) or strict IOB2 mode (default evaluate.decoding)")
    p.add_argument("--samples", type=int, default=None,
                   help="bootstrap samples, 0 for no intervals (default evaluate.samples)")
    p.add_argument("--seed", type=int, default=None, help="bootstrap seed (default project.seed)")
    p.add_argument("--threshold", type=float, default=0.5, help="claims: check-worthy when score >= threshold")
    p.add_argument("--k", default="1,3,5", help="claims: P@k cut-offs, comma-separated")
    p.add_argument("--label", default=None, help="documents: the document label to score (default: the first)")
    p.add_argument("--allow-missing", action="store_true", help="score units without a prediction as empty")
    p.add_argument("--check", action="store_true", help="only check the predictions file")
    p.add_argument("--max-problems", type=int, default=1000,
                   help="stop reading the predictions after this many problems (0: read to the end); a garbage "
                        "file is never read whole")
    p.add_argument("--output", type=Path, default=None,
                   help="report path prefix: writes PREFIX.json and PREFIX.md (default: beside the predictions)")
    p.add_argument("--leaderboard", type=Path, default=None,
                   help="leaderboard JSON to add the result to (default: evaluate.leaderboard inside a project; "
                   "outside one, none unless given)")
    p.add_argument("--no-leaderboard", action="store_true", help="do not touch the leaderboard")
    hub = p.add_argument_group("the Hub's evaluation results (a model repository's .eval_results/)")
    hub.add_argument("--hub-results", type=Path, default=None, metavar="DIR",
                     help="also write the score as a .eval_results YAML file into DIR")
    hub.add_argument("--hub-dataset", default=None, metavar="ORG/NAME",
                     help="the benchmark's Hub dataset id (default release.repo_id of the project)")
    hub.add_argument("--hub-revision", default=None, help="the dataset revision (commit hash) that was scored")
    hub.add_argument("--hub-source-url", default=None, help="where the predictions or the system can be seen")
    hub.add_argument("--hub-source-name", default=None, help="a display name for that source")
    add_config_option(p)
    p.set_defaults(func=run)


def _ks(text: str) -> tuple[int, ...]:
    try:
        ks = tuple(int(k) for k in text.split(",") if k.strip())
    except ValueError:
        ks = ()
    if not ks or min(ks) < 1:
        raise InputError(f"--k {text!r} is not a list of positive integers", fix="write e.g. --k 1,3,5")
    return ks


def run(args: argparse.Namespace) -> int:
    # a release is scored with its own labels, so a release downloaded alone needs no project around it
    config, in_project = optional_config(args)
    samples = int(config.evaluate.samples) if args.samples is None else args.samples
    options = EvalOptions(
        split=args.split, decoding=args.decoding or str(config.evaluate.decoding),
        samples=0 if args.check else samples,
        seed=config.seed if args.seed is None else args.seed, threshold=args.threshold, ks=_ks(args.k),
        label_name=args.label, allow_missing=args.allow_missing,
    )
    if samples < 0:
        raise InputError(f"--samples {samples} is negative", fix="use 0 (no intervals) or more, e.g. 1000")
    if args.max_problems < 0:
        raise InputError(f"--max-problems {args.max_problems} is negative", fix="use 0 (no limit) or more")
    dataset_id = args.hub_dataset or str(config.release.repo_id or "")
    if args.hub_results is not None:  # checked before scoring: a wrong flag costs nothing
        if not dataset_id:
            raise InputError("--hub-results needs the benchmark's Hub dataset id",
                             fix="pass --hub-dataset ORG/NAME (or set release.repo_id in the project config)")
        check_dataset_id(dataset_id)
        task_id(args.subset, args.split)  # the Hub ranks the test split: another one has no task to post to
    release = find_release(args.release, releases_dir(config) if in_project else None)
    limit = MAX_PROBLEMS.set(args.max_problems)
    try:
        report = evaluate(release, args.subset, args.predictions, options, release.label_schema(),
                          system=args.system)
    except PredictionsInvalid as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        if exc.total > len(exc.problems):
            print(f"... and {exc.total - len(exc.problems)} more", file=sys.stderr)
        print(f"newsbench: error: {exc.total} problem(s) in {args.predictions}", file=sys.stderr)
        return EXIT_INVALID_DATA
    finally:
        MAX_PROBLEMS.reset(limit)
    if args.check:
        print(f"ok: {args.predictions} fits {args.subset}/{args.split} of release {report['version']}")
        return EXIT_OK
    json_path, md_path = write_report(report, args.output or args.predictions.with_suffix(""), args.predictions)
    print(markdown(report))
    print(f"wrote {json_path} and {md_path}", file=sys.stderr)
    board = None if args.no_leaderboard else args.leaderboard or (leaderboard_path(config) if in_project else None)
    if board is not None:  # outside a project only with --leaderboard
        update_leaderboard(board, report)
        print(f"updated {board}", file=sys.stderr)
    if args.hub_results is not None:
        out = write_hub_results(report, args.hub_results, dataset_id, revision=args.hub_revision,
                                source_url=args.hub_source_url, source_name=args.hub_source_name)
        print(f"wrote {out} (copy it into the model repository's .eval_results/)", file=sys.stderr)
    print(json.dumps({k: report["primary"][k] for k in ("name", "value")}), file=sys.stderr)
    return EXIT_OK
