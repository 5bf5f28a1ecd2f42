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


def test_demo_reproduces_the_committed_release_and_its_scores(tmp_path: Path, capsys) -> None:
    for name in PROJECT:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, tmp_path / name, ignore=shutil.ignore_patterns("*.joblib", "predictions",
                                                                                 "reports"))
        else:
            shutil.copy(src, tmp_path / name)
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
