"""`newsbench build`: a versioned release (Parquet per config and split, card, manifest) from the gold layer."""

from __future__ import annotations

import argparse
import sys

from builder.commands._common import add_config_option, config_of
from builder.commands._progress import Bars
from builder.errors import EXIT_OK
from builder.release.build import build_release
from builder.release.licence import how_to_declare


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("build", help="build a versioned Hugging Face dataset release under releases/",
                       description="Build releases/<version>/ from the corpus, the gold layer and the raw "
                       "annotations. Without --version the version follows from what changed since the latest "
                       "release; rebuilding a version from the same inputs changes nothing.")
    add_config_option(p)
    p.add_argument("--version", default=None, help="the version to build (default: chosen from the changes)")
    p.add_argument("--documents", default=None, help="corpus JSONL (default: release.documents or work/segment/)")
    p.add_argument("--results", default=None, help="baseline scores JSON to put in the card (release.results; "
                   "without it, the newest release's results while that file is unchanged)")
    p.add_argument("--no-results", action="store_true", help="build without baseline scores, even inherited ones")
    p.add_argument("--agreement", default=None, help="an agreement JSON to show instead of the one the build "
                   "computes from the raw annotations (release.agreement)")
    p.add_argument("--include-restricted", action="store_true", default=None,
                   help="keep sources that may not be redistributed; the release is private and cannot be published")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = config_of(args)
    with Bars(enabled=not args.no_progress, unit=" docs") as bars:
        result = build_release(config, version=args.version, documents=args.documents, results=args.results,
                               agreement=args.agreement, include_restricted=args.include_restricted,
                               inherit_results=not args.no_results, progress=bars)
    m = result.manifest
    what = "unchanged (same inputs)" if result.status == "unchanged" else "built"
    print(f"release {result.version} {what}: {result.path}")
    shown = m["inputs"].get("results") or []
    if shown and not (args.results or config.release.results):
        print(f"baseline scores: {shown[0]['path']} (given to an earlier build; --no-results leaves them out)")
    print(f"visibility: {'public' if result.public else 'PRIVATE (publish refuses it): ' + ', '.join(m['restricted_sources'])}")
    for name, s in sorted(m["statistics"]["sources"].items()):
        if s["excluded"]:
            print(f"left out by the licence gate: {s['excluded']} document(s) of '{name}' (licence {s['license']!r}); "
                  f"to publish them, {how_to_declare(config, name)}")
    for w in m.get("card_warnings") or []:
        print(f"card: {w['section']} says \"{w['sentence']}\", but {w['data']}: correct the section",
              file=sys.stderr)
    if m.get("previous"):
        print(f"version step from {m['previous']}: {m['bump']} ({'; '.join(m['bump_reasons'])})")
    for config_name, splits in m["configs"].items():
        print(f"  {config_name}: " + ", ".join(f"{s} {v['rows']}" for s, v in splits.items()))
    print(f'load: load_dataset("{result.path}", "{next(iter(m["configs"]))}")', file=sys.stderr)
    return EXIT_OK
