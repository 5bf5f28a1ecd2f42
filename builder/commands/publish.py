"""`newsbench publish`: upload a release to the Hugging Face Hub and tag its version."""

from __future__ import annotations

import argparse

from builder.commands._common import add_config_option, config_of
from builder.errors import EXIT_OK, InputError
from builder.release.publish import publish
from builder.release.layout import find_release, list_versions, releases_dir


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("publish", help="upload a release to the Hugging Face Hub (token from HF_TOKEN)",
                       description="Upload releases/<version>/ to a Hub dataset repo and tag it v<version>. "
                       "Proves the release first (the project's inputs rebuild the same data files) and refuses releases "
                       "holding sources that may not be redistributed.")
    add_config_option(p)
    p.add_argument("version", nargs="?", default=None, help="the release to publish (default: the newest)")
    p.add_argument("--repo-id", default=None, help="ORG/NAME of the dataset repo (default: release.repo_id)")
    p.add_argument("--private", action="store_true", help="create the Hub repo as private")
    p.add_argument("--dry-run", action="store_true", help="list the files and print the card, upload nothing")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = config_of(args)
    version = args.version
    if version is None:
        versions = list_versions(releases_dir(config))
        if not versions:
            raise InputError("no release to publish", where=str(releases_dir(config)), fix="run `newsbench build`")
        version = versions[-1]
    repo_id = args.repo_id or config.release.repo_id
    if not repo_id:
        raise InputError("no repo id", fix="pass --repo-id ORG/NAME or set release.repo_id")
    plan = publish(find_release(version, releases_dir(config)), repo_id, private=args.private, dry_run=args.dry_run,
                   config=config)
    if args.dry_run:
        print(f"release {plan.version} proven: its inputs rebuild the same data files")
        print(f"would upload {len(plan.files)} file(s) of release {plan.version} to {plan.repo_id} "
              f"and tag {plan.tag}:")
        for path, size in plan.files:
            print(f"  {path}  ({size} bytes)")
        print("\n--- README.md (the card) ---\n" + plan.card)
    else:
        print(f"published release {plan.version} to https://huggingface.co/datasets/{plan.repo_id} "
              f"(commit {plan.commit}, tag {plan.tag})")
    return EXIT_OK
