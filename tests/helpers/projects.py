"""Small real inputs and project folders for tests: the shipped seed article and the Pratiwi CSVs."""

from __future__ import annotations

import csv
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "data/raw/seed/000_23d7a92b4fbf0ff3.txt"
PRATIWI_600 = REPO / "data/raw/pratiwi2017/600 news with valid hoax label.csv"
PRATIWI_250 = REPO / "data/raw/pratiwi2017/250 news with valid hoax label.csv"


def pratiwi_rows(path: Path = PRATIWI_600) -> list[tuple[str, str]]:
    with open(path, encoding="cp1252", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    return [(r[0], r[1]) for r in rows[1:]]


def write_project(root: Path, toml: str, files: dict[str, bytes | str] | None = None) -> Path:
    """A project folder with a newsbench.toml and the given files; returns the config path."""
    root.mkdir(parents=True, exist_ok=True)
    for name, content in (files or {}).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    config = root / "newsbench.toml"
    config.write_text(textwrap.dedent(toml), encoding="utf-8")
    return config


def seed_project(root: Path, extra_sources: str = "") -> Path:
    """The seed article as a text source, plus optional extra [[sources]] blocks."""
    return write_project(
        root,
        f"""
        [project]
        work_dir = "work"
        [[sources]]
        name = "seed"
        format = "text"
        path = "seed"
        outlet = "KompasTV"
        license = "unknown"
        redistributable = false
        retrieved_at = "2026-11-26"
        rule_sets = ["kompastv"]
        {extra_sources}
        [clean]
        languages = ["id", "ms"]
        """,
        {"seed/000_23d7a92b4fbf0ff3.txt": SEED.read_bytes()},
    )
