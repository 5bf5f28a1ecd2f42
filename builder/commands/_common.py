"""Options shared by subcommands."""

from __future__ import annotations

import argparse

from builder.config import Config, load_config


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default=None, help="project config (default: the nearest newsbench.toml)")


def config_of(args: argparse.Namespace) -> Config:
    return load_config(args.config, getattr(args, "overrides", None))
