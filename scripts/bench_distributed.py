"""Benchmark `prepare --engine dask` against the single-process run, on the shipped and on generated corpora.

    python scripts/bench_distributed.py [--docs 10000 100000] [--no-shipped] [--shards 16] [--out DIR]

Needs the distributed and bench extras: `pip install -e '.[distributed,bench]'`. Not part of the tests or CI.

For each corpus (the shipped articles, then a generated corpus per `--docs`, from `scripts/gen_corpus.py`, cut into
`--shards` JSONL files so that ingest has files to spread) it runs the whole of `prepare` (force, fresh work folder),
each run in a fresh process:
- `single process`: the local engine with every stage's `workers = 1`;
- `local pool, 2`: the local engine with its process pool of 2 (the default on this machine);
- `dask, N workers`: `--engine dask` on a local cluster of N worker processes (`--dask-workers`, default 1 2).
It prints articles/s and MB/s of the raw input, seconds (the Dask cluster's start apart), peak RSS of the process
tree (sampled every 50 ms; an upper bound, a shared page counts in each process), the driver's and the largest
worker's peak, CPU seconds, the load average, and whether every stage's documents, rejects and the split ledger
are the same bytes as the single-process run. Then a linear projection of time and driver memory to 10M
articles from the two largest corpora. Everything also goes to `DIR/bench_distributed.json`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil

SCRIPTS = Path(__file__).resolve().parent
REPO = SCRIPTS.parent
sys.path.insert(0, str(SCRIPTS))
sys.path.insert(0, str(REPO))

import bench_prepare  # corpus generation and the bench config
from builder.corpus.prepare import STAGE_NAMES  # noqa: E402

MB = 1024 * 1024
STAGES = STAGE_NAMES
COMPARED = [f"{s}/{f}" for s in STAGES for f in ("documents.jsonl", "rejects.jsonl")] + ["dedup/clusters.jsonl"]


@dataclass
class Run:
    corpus: str
    name: str
    engine: str  # local | dask
    workers: int
    docs: int = 0
    raw_bytes: int = 0
    seconds: float = 0.0  # prepare, inside the child
    start_seconds: float = 0.0  # the Dask cluster's start
    stages: dict[str, float] = field(default_factory=dict)
    peak_tree_mb: float = 0.0
    driver_mb: float = 0.0
    worker_mb: float = 0.0
    cpu_seconds: float = 0.0
    load: float = 0.0
    digests: dict[str, str] = field(default_factory=dict)
    same_bytes: bool | None = None

    @property
    def docs_per_s(self) -> float:
        return self.docs / self.seconds if self.seconds else 0.0

    @property
    def mb_per_s(self) -> float:
        return self.raw_bytes / MB / self.seconds if self.seconds else 0.0


# --------------------------------------------------------------------------------------------------- child


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()


def child(spec_file: Path, result_file: Path) -> None:
    from builder.config import config_from_dict
    from builder.corpus.prepare import run_prepare

    spec = json.loads(spec_file.read_text())
    config = config_from_dict(spec["config"], root=Path(spec["root"]))
    ledger = config.resolve(config.split.ledger)
    shutil.rmtree(config.work_dir, ignore_errors=True)
    ledger.unlink(missing_ok=True)
    if spec.get("ledger_from"):
        ledger.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(spec["ledger_from"], ledger)
    result: dict[str, Any] = {"start_seconds": 0.0}
    if spec["engine"] == "dask":
        from builder.corpus.distributed.engine import DaskEngine, EngineOptions

        t0 = time.perf_counter()
        engine = DaskEngine(EngineOptions(workers=spec["workers"], partition_mb=spec["partition_mb"])).start()
        engine.client.wait_for_workers(spec["workers"])
        result["start_seconds"] = time.perf_counter() - t0
        result["worker_pids"] = list(engine.client.run(os.getpid).values())
    else:
        engine = None
    t0 = time.perf_counter()
    res = run_prepare(config, force=True, engine=engine)
    result["seconds"] = time.perf_counter() - t0
    if engine is not None:
        engine.close()
    result["stages"] = {s.name: round(s.seconds, 2) for s in res.stages}
    result["docs"] = res.stages[0].stats["documents_out"]
    result["digests"] = {name: _digest(config.work_dir / name) for name in COMPARED}
    result["digests"]["ledger"] = _digest(ledger)
    result_file.write_text(json.dumps(result))


# --------------------------------------------------------------------------------------------------- parent


def measure(run: Run, spec: dict[str, Any], logs: Path) -> Run:
    """Run one child; sample the RSS of its process tree, per process, until it exits."""
    logs.mkdir(parents=True, exist_ok=True)
    tag = f"{run.corpus}-{run.name}".replace(" ", "_").replace(",", "")
    spec_file, result_file = logs / f"{tag}.spec.json", logs / f"{tag}.result.json"
    spec_file.write_text(json.dumps(spec))
    result_file.unlink(missing_ok=True)
    argv = [sys.executable, str(Path(__file__).resolve()), "--child", str(spec_file), str(result_file)]
    peaks: dict[int, int] = {}
    cpu: dict[int, float] = {}
    tree_peak = 0
    with open(logs / f"{tag}.log", "wb") as log:
        proc_handle = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        root = psutil.Process(proc_handle.pid)
        stop = threading.Event()

        def sample() -> None:
            nonlocal tree_peak
            while not stop.is_set():
                total = 0
                try:
                    procs = [root, *root.children(recursive=True)]
                except psutil.Error:
                    procs = []
                for p in procs:
                    try:
                        with p.oneshot():
                            rss = p.memory_info().rss
                            t = p.cpu_times()
                    except psutil.Error:
                        continue
                    total += rss
                    peaks[p.pid] = max(peaks.get(p.pid, 0), rss)
                    cpu[p.pid] = max(cpu.get(p.pid, 0.0), t.user + t.system)
                tree_peak = max(tree_peak, total)
                stop.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = proc_handle.wait()
        stop.set()
        sampler.join()
    if code != 0 or not result_file.is_file():
        tail = (logs / f"{tag}.log").read_text(errors="replace")[-3000:]
        raise SystemExit(f"bench: {tag} failed (exit {code}):\n{tail}")
    res = json.loads(result_file.read_text())
    workers = res.get("worker_pids", [])
    run.docs, run.seconds, run.start_seconds = res["docs"], res["seconds"], res["start_seconds"]
    run.stages, run.digests = res["stages"], res["digests"]
    run.peak_tree_mb = tree_peak / MB
    run.driver_mb = peaks.get(proc_handle.pid, 0) / MB
    run.worker_mb = max((peaks.get(pid, 0) for pid in workers), default=0) / MB
    run.cpu_seconds = sum(cpu.values())
    run.load = os.getloadavg()[0]
    return run


def corpus_specs(args: argparse.Namespace, out: Path) -> list[tuple[str, dict[str, Any], str | None, int]]:
    """(name, raw config, ledger to start from, raw input bytes) of every corpus."""
    import tomllib

    specs = []
    if args.shipped:
        raw = tomllib.loads((REPO / "newsbench.toml").read_text(encoding="utf-8"))
        sources = [REPO / s["path"] for s in raw["sources"]]
        size = sum(p.stat().st_size if p.is_file() else sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
                   for p in sources)
        ledger = REPO / raw["split"]["ledger"]
        specs.append(("shipped", raw, str(ledger) if ledger.is_file() else None, size))
    for docs in args.docs:
        folder = out / f"gen-{docs}"
        bench_prepare.ensure_corpus(folder, docs, args.seed, 2)
        shards = folder / "shards"
        corpus = folder / "corpus" / "corpus.jsonl"
        if not shards.is_dir() or sum(p.stat().st_size for p in shards.glob("*.jsonl")) != corpus.stat().st_size:
            bench_prepare.shard_corpus(corpus, shards, args.shards)
        raw = bench_prepare.bench_config_raw(folder, folder / "work", 1, [])
        raw["sources"][0]["path"] = str(shards)
        specs.append((f"{docs // 1000}k", raw, None, corpus.stat().st_size))
    return specs


def runs_for(corpus: str, dask_workers: list[int]) -> list[Run]:
    runs = [Run(corpus, "single process", "local", 1), Run(corpus, "local pool, 2", "local", 2)]
    runs += [Run(corpus, f"dask, {n} worker{'s' * (n > 1)}", "dask", n) for n in dask_workers]
    return runs


def with_workers(raw: dict[str, Any], workers: int, work: Path) -> dict[str, Any]:
    from builder.config import defaults

    raw = json.loads(json.dumps(raw))
    for section, options in defaults().items():
        if isinstance(options, dict) and "workers" in options and section != "distributed":
            raw.setdefault(section, {})["workers"] = workers
    raw.setdefault("project", {})["work_dir"] = str(work / "work")
    raw.setdefault("split", {})["ledger"] = str(work / "ledger.jsonl")
    return raw


def table(runs: list[Run]) -> str:
    rows = [("| corpus | run | articles/s | MB/s | seconds | cluster start s | peak RSS tree MB | driver MB | "
             "largest worker MB | CPU s | load | same bytes |"),
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in runs:
        same = "reference" if r.same_bytes is None else ("yes" if r.same_bytes else "**NO**")
        worker = f"{r.worker_mb:,.0f}" if r.engine == "dask" else "-"
        rows.append(f"| {r.corpus} | {r.name} | {r.docs_per_s:,.0f} | {r.mb_per_s:.2f} | {r.seconds:.1f} | "
                    f"{r.start_seconds:.1f} | {r.peak_tree_mb:,.0f} | {r.driver_mb:,.0f} | "
                    f"{worker} | {r.cpu_seconds:.0f} | {r.load:.1f} | {same} |")
    return "\n".join(rows)


def projection(runs: list[Run], target: int = 10_000_000) -> list[str]:
    """Time and driver memory at `target` articles, linear through the two largest corpora, per run kind."""
    lines = []
    for name in dict.fromkeys(r.name for r in runs):
        points = sorted((r.docs, r) for r in runs if r.name == name and r.corpus != "shipped")
        if len(points) < 2:
            continue
        (n1, a), (n2, b) = points[-2], points[-1]
        per_doc_s = (b.seconds - a.seconds) / (n2 - n1)
        per_doc_mb = (b.driver_mb - a.driver_mb) / (n2 - n1)
        hours = (b.seconds + per_doc_s * (target - n2)) / 3600
        driver_gb = (b.driver_mb + per_doc_mb * (target - n2)) / 1024
        lines.append(f"- {name}: {hours:.1f} h, driver {driver_gb:.1f} GB ({per_doc_s * 1e3:.2f} ms and "
                     f"{per_doc_mb * MB / 1024:.2f} KB of driver memory per article between {n1:,} and {n2:,})")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--docs", type=int, nargs="*", default=[10_000, 100_000], help="generated corpus sizes")
    ap.add_argument("--no-shipped", dest="shipped", action="store_false", help="skip the shipped corpus")
    ap.add_argument("--dask-workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--shards", type=int, default=16, help="files the generated corpus is cut into")
    ap.add_argument("--partition-mb", type=float, default=16.0)
    ap.add_argument("--seed", type=int, default=gen_seed())
    ap.add_argument("--out", type=Path, default=Path("/tmp/newsbench-bench-distributed"))
    args = ap.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    print(f"load before: {os.getloadavg()[0]:.2f}", flush=True)
    runs: list[Run] = []
    for corpus, raw, ledger, size in corpus_specs(args, out):
        reference: Run | None = None
        for run in runs_for(corpus, args.dask_workers):
            work = out / "runs" / corpus  # one folder for every run: rejects name the files they come from
            spec = {"config": with_workers(raw, run.workers if run.engine == "local" else 1, work),
                    "root": str(REPO), "engine": run.engine, "workers": run.workers,
                    "partition_mb": args.partition_mb, "ledger_from": ledger}
            run.raw_bytes = size
            measure(run, spec, out / "logs")
            if reference is None:
                reference = run
            else:
                run.same_bytes = run.digests == reference.digests
            print(f"{corpus} {run.name}: {run.seconds:.1f} s, {run.docs_per_s:,.0f} articles/s, "
                  f"tree {run.peak_tree_mb:,.0f} MB, load {run.load:.1f}, same bytes {run.same_bytes}", flush=True)
            runs.append(run)
    print()
    print(table(runs))
    lines = projection(runs)
    if lines:
        print("\nProjection to 10M articles (linear through the two largest corpora):")
        print("\n".join(lines))
    (out / "bench_distributed.json").write_text(json.dumps([asdict(r) for r in runs], indent=2))
    return 0 if all(r.same_bytes is not False for r in runs) else 1


def gen_seed() -> int:
    return bench_prepare.gen_corpus.Params.seed


if __name__ == "__main__":
    raise SystemExit(main())
