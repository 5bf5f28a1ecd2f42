"""Shared pytest fixtures. Each section belongs to one part of the package; keep sections self-contained."""

from __future__ import annotations

from pathlib import Path

import pytest

# ---- Label Studio: a real server for tests marked `labelstudio` ---------------------------------------------
# One server per test session, started from a copy of a data dir made once with `label-studio init` (~3 s
# starts). The server is installed into .venv-labelstudio/ when missing (about a minute). A server that cannot
# start fails the tests: they must run in CI, never skip.


@pytest.fixture(scope="session")
def labelstudio_server(tmp_path_factory: pytest.TempPathFactory):
    from builder.config import config_from_dict
    from builder.errors import NewsbenchError
    from builder.annotate.labelstudio import server

    repo = Path(__file__).resolve().parent.parent
    settings = server.server_settings(config_from_dict({}, repo))
    try:
        running = server.start_disposable(settings, tmp_path_factory.mktemp("labelstudio") / "data")
    except NewsbenchError as exc:
        pytest.fail(f"the Label Studio test server did not start: {exc.message}", pytrace=False)
    yield running
    server.terminate(running.pid)


# ---- the repository stays as the tests found it ----------------------------------------------------------------
# A command run inside the repository writes where the project config says (releases/leaderboard.json ...): a test
# that forgets --no-leaderboard or --out would change the committed files. This fails the session when one did.

_WATCHED = ("releases", "annotations", "models", "data", "schema", "DATASET_CARD.md")


def _repo_state() -> str:
    import subprocess

    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all", "--", *_WATCHED], cwd=root,
                          capture_output=True, text=True)
    return done.stdout if done.returncode == 0 else ""  # not a git checkout: nothing to compare


@pytest.fixture(scope="session", autouse=True)
def repository_unchanged():
    before = _repo_state()
    yield
    after = _repo_state()
    assert after == before, f"tests changed files of the repository:\n{after}"
