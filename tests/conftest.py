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
