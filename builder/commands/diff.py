"""`newsbench diff V1 V2`: the changelog between two releases."""

from __future__ import annotations

import argparse
import json

from builder.commands._common import add_config_option, config_of
from builder.release.diff import changes_markdown, diff_releases
from builder.errors import EXIT_OK
from builder.release.layout import find_release, releases_dir


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("diff", help="list documents and spans added, removed or changed between two releases",
                       description="Compare two releases (versions under releases/ or folders): documents "
                       "added/removed/moved between splits, spans added/removed/changed per label.")
    add_config_option(p)
    p.add_argument("old", help="the older release: a version such as 1.0.0, or a release folder")
    p.add_argument("new", help="the newer release")
    p.add_argument("--json", action="store_true", help="print the change summary as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = config_of(args)
    releases = releases_dir(config)
    old, new = find_release(args.old, releases), find_release(args.new, releases)
    summary = diff_releases(old, new).summary()
    if args.json:
        print(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        print(changes_markdown(summary, old.path.name, new.path.name), end="")
    return EXIT_OK
