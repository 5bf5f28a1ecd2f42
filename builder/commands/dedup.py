"""`newsbench dedup`: exact and near-duplicate clusters with a representative each, and a cluster report."""

from __future__ import annotations

import argparse

from builder.commands._stage import add_stage_parser


def add_parser(sub: argparse._SubParsersAction) -> None:
    add_stage_parser(sub, "dedup", "group exact and near duplicates into clusters (MinHash LSH + exact Jaccard)")
