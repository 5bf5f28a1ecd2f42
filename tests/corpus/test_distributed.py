"""`prepare --engine dask`: the same bytes as a single process, near duplicates across partitions, a killed worker
retried by the engine, and errors that name their fix. Runs a real local Dask cluster of two worker processes."""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from builder.config import load_config
from builder.corpus.distributed.engine import DaskEngine, EngineOptions
from builder.corpus.distributed.partitions import plan_partitions
from builder.errors import ConfigError, InputError
from builder.jsonl import read_jsonl
from builder.corpus.prepare import STAGE_NAMES, run_prepare
from tests.helpers.projects import REPO

OUTPUTS = [f"{stage}/{name}" for stage in STAGE_NAMES for name in ("documents.jsonl", "rejects.jsonl", "stats.json")]
OUTPUTS += ["dedup/clusters.jsonl", "split/leakage.json"]
PARTITION_MB = 0.25  # the shipped corpus in ~10 partitions per stage


def _project(root: Path) -> Path:
    root.mkdir(parents=True)
    shutil.copy(REPO / "newsbench.toml", root / "newsbench.toml")
    shutil.copytree(REPO / "data/raw", root / "data/raw")
    return root


def _snapshot(root: Path) -> dict[str, bytes]:
    files = {name: (root / "work" / name).read_bytes() for name in OUTPUTS}
    files["ledger"] = (root / "data/splits/ledger.jsonl").read_bytes()
    return files


def _reset(root: Path) -> None:
    shutil.rmtree(root / "work", ignore_errors=True)
    shutil.rmtree(root / "data/splits", ignore_errors=True)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return _project(tmp_path_factory.mktemp("dist") / "project")


@pytest.fixture(scope="module")
def local_outputs(project) -> dict[str, bytes]:
    _reset(project)
    run_prepare(load_config(project / "newsbench.toml"))
    outputs = _snapshot(project)
    _reset(project)
    return outputs


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as lc, \
            Client(lc, set_as_default=False) as client:
        yield client


def _config(root: Path):
    return load_config(root / "newsbench.toml", {"distributed.partition_mb": PARTITION_MB})


def test_distributed_prepare_writes_the_bytes_of_a_single_process(project, local_outputs, cluster):
    _reset(project)
    config = _config(project)
    with DaskEngine(EngineOptions(partition_mb=PARTITION_MB), client=cluster) as engine:
        result = run_prepare(config, engine=engine)
    assert [s.status for s in result.stages] == ["ran"] * 5
    outputs = _snapshot(project)
    for name, data in local_outputs.items():
        assert outputs[name] == data, f"{name} differs from the single-process run"
    assert not list((project / "work").rglob(".parts"))  # partitions gathered and removed

    # The run was really cut up, and dedup found duplicates whose documents sit in different partitions.
    clean_out = project / "work/clean/documents.jsonl"
    partitions = plan_partitions(clean_out, int(PARTITION_MB * (1 << 20)))
    assert len(partitions) >= 8
    part_of = {}
    for part in partitions:
        for record in part.records():
            part_of[record["id"]] = part.index
    crossing_near = crossing_exact = 0
    for cluster_entry in read_jsonl(project / "work/dedup/clusters.jsonl"):
        for pair in cluster_entry["pairs"]:
            crossing_near += part_of[pair["a"]] != part_of[pair["b"]]
        for member in cluster_entry["members"]:
            if member["exact_of"]:
                crossing_exact += part_of[member["id"]] != part_of[member["exact_of"]]
    assert crossing_near > 0 and crossing_exact > 0

    # A rerun on the local engine finds every stage done: the engine is not part of the fingerprint.
    again = run_prepare(load_config(project / "newsbench.toml"))
    assert [s.status for s in again.stages] == ["skipped"] * 5


def _processing(client, pids: dict[str, int], prefix: str) -> tuple[str, list[str]] | None:
    for address, keys in client.processing().items():
        keys = [k for k in keys if str(k).startswith(prefix)]
        if keys and address in pids:
            return address, keys
    return None


def test_distributed_prepare_survives_a_killed_worker(project, local_outputs, cluster):
    _reset(project)
    config = _config(project)
    pids = cluster.run(os.getpid)
    assert len(set(pids.values())) == 2 and os.getpid() not in pids.values()
    done: dict[str, object] = {}

    def prepare() -> None:
        try:
            with DaskEngine(EngineOptions(partition_mb=PARTITION_MB), client=cluster) as engine:
                done["result"] = run_prepare(config, engine=engine)
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            done["error"] = exc

    thread = threading.Thread(target=prepare)
    thread.start()
    parts = project / "work/clean/.parts"
    killed = None
    deadline = time.monotonic() + 60
    while killed is None and thread.is_alive() and time.monotonic() < deadline:
        finished = len(list(parts.glob("documents-*.jsonl"))) if parts.is_dir() else 0
        busy = _processing(cluster, pids, "clean-") if finished >= 2 else None
        if busy:
            address, keys = busy
            os.kill(pids[address], signal.SIGKILL)  # half way through clean, a task on that worker dies with it
            killed = (pids[address], keys)
        time.sleep(0.005)
    thread.join(120)
    assert killed is not None, "the test did not catch a clean task running"
    assert "error" not in done, done.get("error")
    assert not thread.is_alive()

    # The engine ran the killed worker's tasks again, on the survivor or on the worker the nanny restarted.
    pid, keys = killed
    stories = cluster.run_on_scheduler(
        lambda dask_scheduler, keys=keys: {k: [t[2] for t in dask_scheduler.story(k)] for k in keys})
    assert any(states.count("processing") >= 2 for states in stories.values()), stories
    assert pid not in cluster.run(os.getpid).values()

    outputs = _snapshot(project)
    for name, data in local_outputs.items():
        assert outputs[name] == data, f"{name} differs after the worker was killed"
    for stage in STAGE_NAMES:
        ids = [d["id"] for d in read_jsonl(project / "work" / stage / "documents.jsonl")]
        assert not [i for i, n in Counter(ids).items() if n > 1], f"{stage}: a document is written twice"


def test_distributed_bad_line_is_located_in_the_whole_file(tmp_path, cluster):
    root = _project(tmp_path / "bad")
    config = _config(root)
    with DaskEngine(EngineOptions(partition_mb=PARTITION_MB), client=cluster) as engine:
        run_prepare(config, until="ingest", engine=engine)
        docs = root / "work/ingest/documents.jsonl"
        lines = docs.read_bytes().splitlines(keepends=True)
        lines[700] = b"{not json\n"
        docs.write_bytes(b"".join(lines))
        from builder.corpus.clean import Clean
        from builder.corpus.distributed.runners import run_on
        from builder.stage import StageDir

        with pytest.raises(InputError) as err:
            run_on(engine, Clean(config), docs, StageDir(root / "work/clean"))
    assert err.value.where == f"{docs}:701"
    assert "not valid JSON" in err.value.what


def test_distributed_engine_errors_name_the_fix(monkeypatch):
    with pytest.raises(ConfigError) as err:
        DaskEngine(EngineOptions(scheduler="tcp://127.0.0.1:9", connect_timeout=1)).start()
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err.value.what
    assert "dask scheduler" in err.value.fix
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if the extra were not installed
    with pytest.raises(ConfigError) as err:
        DaskEngine().start()
    assert "newsbench[distributed]" in err.value.fix


def test_distributed_partitions_cover_every_line_once(tmp_path):
    path = tmp_path / "docs.jsonl"
    lines = [b'{"id": "a"}\n', b"\n", b'{"id": "' + b"x" * 300 + b'"}\n', b'{"id": "b"}\n', b'{"id": "c"}']
    path.write_bytes(b"".join(lines))
    for target in (1, 7, 40, 10_000):
        parts = plan_partitions(path, target)
        assert parts[0].start == 0 and parts[-1].end == path.stat().st_size
        assert all(a.end == b.start for a, b in itertools.pairwise(parts))
        records = [r["id"] for p in parts for r in p.records()]
        assert records == ["a", "x" * 300, "b", "c"]
        assert sum(p.line_count() for p in parts) == 5
