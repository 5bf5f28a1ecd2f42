"""The light install: the extras table agrees with pyproject.toml, a command without its extra names the extra,
and (slow) the core install alone, in a fresh virtual environment, validates, builds and evaluates the shipped
release."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from builder.extras import COMMANDS, EXTRAS, MODULES

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
# a library hidden from one Python process, as if the extra that brings it were not installed
BLOCKER = """import os, sys
BLOCK = set(os.environ["NB_BLOCK"].split(","))
class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCK:
            raise ModuleNotFoundError(f"No module named '{name}'", name=name)
sys.meta_path.insert(0, Blocker())
"""


def _distribution(requirement: str) -> str:
    name = requirement.split(";")[0]
    for sep in "<>=[ ~!":
        name = name.split(sep)[0]
    return name.strip().lower().replace("_", "-")


def test_extras_table_agrees_with_pyproject():
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert set(EXTRAS) <= set(extras)
    assert extras["all"] == [f"newsbench[{','.join(e for e in EXTRAS if e != 'all')}]"]
    tops: dict[str, set[str]] = {}  # distribution -> its import names
    for top, ds in packages_distributions().items():
        for d in ds:
            tops.setdefault(d.lower().replace("_", "-"), set()).add(top)
    for extra in EXTRAS[:-1]:
        for requirement in extras[extra]:
            names = tops.get(_distribution(requirement))
            assert names, f"{requirement} ({extra}) is not installed here"
            assert extra in {MODULES.get(n) for n in names}, \
                f"one of {sorted(names)} ({requirement}) should map to '{extra}' in builder/extras.py"
    core = {_distribution(r) for r in PYPROJECT["project"]["dependencies"]}
    assert not any(MODULES.get(n) for d in core for n in tops.get(d, ()))  # nothing both core and an extra
    assert all(library in MODULES for needs in COMMANDS.values() for library in needs)


@pytest.mark.parametrize(("command", "blocked", "extra"), [
    (["prepare"], "ftfy", "prepare"), (["baseline", "--release", "releases/2.1.4"], "sklearn", "baselines"),
])
def test_a_command_without_its_extra_names_the_extra(tmp_path, command, blocked, extra):
    (tmp_path / "sitecustomize.py").write_text(BLOCKER)
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "NB_BLOCK": blocked}
    run = subprocess.run([sys.executable, "-m", "builder.cli", *command], cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert f"needs {blocked}, which the '{extra}' extra installs" in run.stderr
    assert f"pip install 'newsbench[{extra}]'" in run.stderr


@pytest.mark.slow
def test_the_core_install_alone_validates_builds_and_evaluates_the_shipped_release(tmp_path):
    """A fresh virtual environment with `pip install .` (no extra) in a copy of the repository whose corpus the
    full install prepared: the core verifies the newest release (`build` finds it unchanged), validates the shipped
    annotations and scores predictions."""
    from builder.release.layout import list_versions

    newest = list_versions(REPO / "releases")[-1]
    project = tmp_path / "project"
    shutil.copytree(REPO, project, ignore=shutil.ignore_patterns(".venv*", "work", ".git", "__pycache__", "*.egg-info",
                                                                 ".pytest_cache", ".hypothesis", "build"))
    full = [sys.executable, "-m", "builder.cli"]
    for step in (["prepare"], ["import"]):  # the corpus and the imported gold the release was built from
        done = subprocess.run([*full, *step], cwd=project, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
    venv = tmp_path / "core"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    pip = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "-c", "constraints.txt", "."], cwd=project,
                         capture_output=True, text=True, timeout=1200)
    assert pip.returncode == 0, pip.stderr[-2000:]
    core = str(venv / "bin" / "newsbench")
    installed = subprocess.run([str(venv / "bin" / "python"), "-c", "import sklearn"], capture_output=True)
    assert installed.returncode != 0  # the core really lacks the baselines' libraries

    def newsbench(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([core, *args], cwd=project, capture_output=True, text=True, timeout=600)

    validated = newsbench("validate", "annotations/raw", "annotations/gold")
    assert validated.returncode == 0, validated.stderr[-2000:]
    built = newsbench("build")
    assert built.returncode == 0, built.stderr[-2000:]
    assert f"releases/{newest}" in built.stdout + built.stderr
    assert subprocess.run(["git", "diff", "--quiet", "--no-index", str(REPO / "releases"), str(project / "releases")]
                          ).returncode == 0  # nothing in the releases changed
    import pyarrow.parquet as pq

    rows = [r for f in sorted((project / "releases" / newest / "data/documents").glob("test-*.parquet"))
            for r in pq.read_table(f, columns=["id", "labels"]).to_pylist()]
    predictions = tmp_path / "docs.jsonl"
    predictions.write_text("".join(json.dumps({"document_id": r["id"], "label": "valid"}) + "\n" for r in rows))
    scored = newsbench("evaluate", "--release", f"releases/{newest}", "--subset", "documents", "--predictions",
                       str(predictions), "--samples", "100", "--no-leaderboard")
    assert scored.returncode == 0, scored.stderr[-2000:]
    assert json.loads((tmp_path / "docs.json").read_text())["metrics"]["labels"]["accuracy"] > 0.5
    missing = newsbench("baseline", "--release", f"releases/{newest}")
    assert missing.returncode == 2 and "'baselines' extra" in missing.stderr
