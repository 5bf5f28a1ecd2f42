"""`newsbench ingest`: read the configured sources into canonical documents."""

from __future__ import annotations

import argparse

from builder.commands._stage import add_stage_parser


def add_parser(sub: argparse._SubParsersAction) -> None:
    add_stage_parser(sub, "ingest", "read the configured sources into canonical documents")
