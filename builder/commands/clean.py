"""`newsbench clean`: normalise, strip boilerplate, read dateline/attribution/date, filter by quality."""

from __future__ import annotations

import argparse

from builder.commands._stage import add_stage_parser


def add_parser(sub: argparse._SubParsersAction) -> None:
    add_stage_parser(sub, "clean", "normalise, strip boilerplate, read dateline/attribution/date, filter by quality")
