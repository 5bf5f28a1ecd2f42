"""`newsbench segment`: paragraphs, sentences and tokens as character offsets into each document's text."""

from __future__ import annotations

import argparse

from builder.commands._stage import add_stage_parser


def add_parser(sub: argparse._SubParsersAction) -> None:
    add_stage_parser(
        sub, "segment", "split each document into paragraphs, sentences and tokens (character offsets)"
    )
