"""`newsbench demo` on a copy of the repository's project: from raw data to the committed release and scores.

This is README command 1 without the install: prepare from the shipped raw data in a fresh folder, validate
the shipped annotations, find the newest committed release reproduced (same inputs), rebuild it from scratch
with byte-identical data files, and train baselines whose scores and intervals equal those in its card.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from builder.cli import main
from builder.release.layout import list_versions

REPO = Path(__file__).resolve().parent.parent
PROJECT = ("newsbench.toml", "data", "schema", "annotations", "releases", "card", "models")

pytestmark = pytest.mark.slow


def _copy_project(to: Path) -> None:
    for name in PROJECT:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, to / name, ignore=shutil.ignore_patterns("*.joblib", "predictions", "reports"))
        else:
            shutil.copy(src, to / name)


def test_demo_reproduces_the_committed_release_and_its_scores(tmp_path: Path, capsys) -> None:
    _copy_project(tmp_path)
    ledger = (tmp_path / "data/splits/ledger.jsonl").read_bytes()
    code = main(["demo", "--no-progress", "--config", str(tmp_path / "newsbench.toml")])
    out, err = capsys.readouterr()
    assert code == 0, err[-3000:]
    newest = list_versions(REPO / "releases")[-1]
    assert f"Release {newest}: " in out and "(unchanged; rebuilt from scratch with identical data files: yes)" in out
    assert "scores and intervals equal those in the release's card: yes" in err
    assert f'ner = load_dataset("releases/{newest}", "ner")' in out
    assert "| ner | ner-crf | spans.micro.f1 |" in out
    assert (tmp_path / "data/splits/ledger.jsonl").read_bytes() == ledger  # a placed document never moves
    assert (tmp_path / "DATASET_CARD.md").read_text() == (REPO / "DATASET_CARD.md").read_text()


def test_demo_never_cuts_a_release_nobody_asked_for(tmp_path: Path, capsys) -> None:
    """Changed inputs: the demo builds the next version in a scratch folder and says `build` would cut it."""
    _copy_project(tmp_path)
    with open(tmp_path / "card/limitations.md", "a", encoding="utf-8") as fh:
        fh.write("\nOne more limitation a user wrote.\n")
    before = sorted(p.name for p in (tmp_path / "releases").iterdir())
    code = main(["demo", "--no-progress", "--config", str(tmp_path / "newsbench.toml")])
    out, err = capsys.readouterr()
    assert code == 0, err[-3000:]
    newest = list_versions(REPO / "releases")[-1]
    assert f"the inputs differ from release {newest}" in out + err and "`newsbench build` cuts it" in out + err
    assert sorted(p.name for p in (tmp_path / "releases").iterdir()) == before
    assert not (tmp_path / "DATASET_CARD.md").exists()  # the repository's card is left alone too
    scratch = list_versions(tmp_path / "work/demo/releases")
    assert scratch[-1] != newest and "One more limitation a user wrote." in (
        tmp_path / "work/demo/releases" / scratch[-1] / "README.md").read_text()
