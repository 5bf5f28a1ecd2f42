"""Small real inputs and project folders for tests: the shipped seed article and the Pratiwi CSVs."""

from __future__ import annotations

import contextlib
import csv
import io
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


def team_project(root: Path, name: str, rows: list[int]) -> Path:
    """A project of some Pratiwi articles (rows of the 600-article CSV) for an annotation team: overlap 2, the
    shipped guidelines and label schema, people-made gold. Returns the config path."""
    table = io.StringIO()
    writer = csv.writer(table, delimiter=";")
    writer.writerow(["berita", "tagging"])
    every = pratiwi_rows()
    for k in rows:
        writer.writerow(every[k])
    return write_project(root, f"""
        [project]
        name = "{name}"
        [[sources]]
        name = "pratiwi2017"
        format = "csv"
        path = "pratiwi.csv"
        delimiter = ";"
        license = "CC-BY-4.0"
        redistributable = true
        retrieved_at = "2026-11-26"
        columns = {{ text = "berita" }}
        labels = {{ veracity = "tagging" }}
        label_values = {{ Valid = "valid", Hoax = "hoax" }}
        [annotate]
        overlap = 2
        [adjudicate]
        min_annotators = 1
        [release]
        annotations_creators = ["expert-generated"]
        """, {"pratiwi.csv": table.getvalue(),
              **{f: (REPO / f).read_text(encoding="utf-8") for f in ("annotations/GUIDELINES.md", "schema/labels.json")}})


def cli(*args: str) -> str:
    """Run a newsbench command in this process; its stdout. Fails the test, with the output, unless it exits 0."""
    from builder.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(args))
    assert code == 0, f"newsbench {' '.join(args)} exited {code}: {out.getvalue()}"
    return out.getvalue()


@contextlib.contextmanager
def in_project(root: Path, env: dict[str, str]):
    """Run the block from the project folder with the environment set, as a user's shell would."""
    import pytest

    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        mp.chdir(root)
        yield


def server_env(server) -> dict[str, str]:
    """The environment that points the commands at a test's Label Studio server."""
    return {"LABEL_STUDIO_URL": server.url, "LABEL_STUDIO_API_KEY": server.credentials().key}


def one_source_project(root: Path, fmt: str, files: dict[str, bytes | str], extra: str = "",
                       settings: str = "") -> Path:
    """A project of one source `t` of the format, reading the folder `t/` (files are named under it), with no
    word minimum; `extra` goes into the source block, `settings` after it. Returns the config path."""
    return write_project(root, f"""
        [[sources]]
        name = "t"
        format = "{fmt}"
        path = "t"
        license = "x"
        redistributable = false
        {extra}
        [clean]
        min_words = 1
        {settings}
        """, files)
