"""Options shared by subcommands."""

from __future__ import annotations

import argparse

from pathlib import Path

from builder.config import Config, config_from_dict, find_config, load_config


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default=None, help="project config (default: the nearest newsbench.toml)")


def config_of(args: argparse.Namespace) -> Config:
    return load_config(args.config, getattr(args, "overrides", None))


def optional_config(args: argparse.Namespace) -> tuple[Config, bool]:
    """(the project config, True), or outside any project (no --config, no newsbench.toml above the folder) the
    defaults and False: for commands that also work on a release alone."""
    if args.config is None and find_config() is None:
        return config_from_dict({}, Path.cwd()), False
    return config_of(args), True
