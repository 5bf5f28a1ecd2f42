"""The Dask engine: tasks on a running Dask scheduler's workers, or on a local cluster of worker processes.

Dask's scheduler keeps every task until its result is in: when a worker process dies (killed, out of memory, its
machine lost), the tasks it was running or held results of go to another worker, up to
`distributed.scheduler.allowed-failures` (3) deaths per task. Our tasks are pure functions of their partition
that write their outputs atomically, so a rerun task writes the same bytes and nothing is counted twice.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.config import Config
from builder.errors import ConfigError, NewsbenchError
from builder.stage import Progress

INSTALL_FIX = "install the engine with: pip install 'newsbench[distributed]' (on the driver and on every worker)"


@dataclass(frozen=True)
class EngineOptions:
    scheduler: str = ""  # address of a running scheduler; "" = a local cluster
    workers: int = 0  # local cluster worker processes; 0 = all cores
    partition_mb: float = 16.0
    connect_timeout: float = 15.0

    @property
    def partition_bytes(self) -> int:
        return max(int(self.partition_mb * (1 << 20)), 1)

    @classmethod
    def from_config(cls, config: Config, *, scheduler: str | None = None, workers: int | None = None) -> EngineOptions:
        """Options from `[distributed]`, the arguments winning; the scheduler falls back to $DASK_SCHEDULER_ADDRESS."""
        section = config.distributed
        where = str(config.path or "config") + " [distributed]"
        address = scheduler if scheduler is not None else section.scheduler
        address = address or os.environ.get("DASK_SCHEDULER_ADDRESS", "")
        opts = cls(address, workers if workers is not None else section.workers, section.partition_mb,
                   section.connect_timeout)
        if opts.workers < 0 or opts.partition_mb <= 0 or opts.connect_timeout <= 0:
            raise ConfigError("workers must be >= 0, partition_mb and connect_timeout > 0", where=where,
                              fix="correct the value in the config or the override")
        return opts


@dataclass
class _Failed:
    """A NewsbenchError raised in a task, sent back as data so that the driver raises it with every field."""

    kind: str
    what: str
    where: str | None
    fix: str | None

    def error(self) -> NewsbenchError:
        from builder import errors

        cls = getattr(errors, self.kind, NewsbenchError)
        return cls(self.what, where=self.where, fix=self.fix)


def _call(func: Callable[[Any], Any], item: Any) -> Any:
    try:
        return func(item)
    except NewsbenchError as exc:
        return _Failed(type(exc).__name__, exc.what, exc.where, exc.fix)


def _sees(path: str) -> bool:
    return Path(path).exists()


class DaskEngine:
    """A Dask client for the stages of `prepare`; `with DaskEngine(opts) as engine:` starts and stops it."""

    name = "dask"

    def __init__(self, options: EngineOptions | None = None, *, client: Any = None) -> None:
        self.options = options or EngineOptions()
        self.client = client
        self._own_client = client is None
        self._cluster: Any = None

    # -- life cycle -------------------------------------------------------------------------------------------
    def start(self) -> DaskEngine:
        if self.client is not None:
            return self
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise ConfigError(f"the dask engine is not installed ({exc.name} is missing)", fix=INSTALL_FIX) from exc
        opts = self.options
        if opts.scheduler:
            try:
                self.client = Client(opts.scheduler, timeout=opts.connect_timeout, set_as_default=False)
            except (OSError, TimeoutError) as exc:
                raise ConfigError(
                    f"cannot reach the Dask scheduler at {opts.scheduler} within {opts.connect_timeout:g} s ({exc})",
                    fix="start it with `dask scheduler` and workers with `dask worker <address>`, check the address "
                    "and port, or leave out --scheduler (and unset DASK_SCHEDULER_ADDRESS) for a local cluster",
                ) from exc
        else:
            from builder.parallel import worker_count

            # One single-threaded process per core: the stages are pure Python and hold the GIL.
            self._cluster = LocalCluster(n_workers=worker_count(opts.workers), threads_per_worker=1,
                                         processes=True, dashboard_address=None)
            self.client = Client(self._cluster, set_as_default=False)
        return self

    def close(self) -> None:
        if self._own_client and self.client is not None:
            self.client.close()
            self.client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def __enter__(self) -> DaskEngine:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- work -------------------------------------------------------------------------------------------------
    def partition_bytes(self, total: int) -> int:
        """Bytes per task for an input of `total` bytes: `partition_mb`, smaller when that would leave fewer than
        4 tasks per worker (an idle worker waits for the last task), but not below 1 MB on its account."""
        balanced = max(-(-total // (4 * max(self.workers(), 1))), 1 << 20)
        return min(self.options.partition_bytes, balanced)

    def workers(self) -> int:
        assert self.client is not None
        return len(self.client.scheduler_info().get("workers", {}))

    def check_shared(self, path: Path) -> None:
        """Every worker must see `path` (the work folder): the stages read and write there."""
        assert self.client is not None
        try:
            self.client.wait_for_workers(1, timeout=self.options.connect_timeout)
        except (OSError, TimeoutError) as exc:
            raise ConfigError(f"the Dask scheduler {self.options.scheduler} has no workers",
                              fix="start workers with `dask worker <scheduler address>`") from exc
        try:
            seen = self.client.run(_sees, str(path))
        except ModuleNotFoundError as exc:  # pragma: no cover - a worker without newsbench
            raise ConfigError(f"a worker cannot import {exc.name}", fix=INSTALL_FIX) from exc
        blind = sorted(addr for addr, ok in seen.items() if not ok)
        if blind:
            raise ConfigError(
                f"worker(s) {', '.join(blind)} do not see {path}",
                fix="put project.work_dir and the sources on storage that every worker mounts at the same path "
                "(NFS, Lustre, a cloud file system) and run prepare from there",
            )

    def map(self, func: Callable[[Any], Any], items: Iterable[Any], *, desc: str,
            progress: Progress | None = None) -> list[Any]:
        """`func(item)` for every item as Dask tasks; the results in item order. A NewsbenchError in a task is
        raised here as itself; a task that kills its worker `allowed-failures` times stops the stage."""
        from distributed import as_completed
        from distributed.scheduler import KilledWorker

        assert self.client is not None, "start the engine first"
        items = list(items)
        token = uuid.uuid4().hex[:8]
        keys = [f"{desc}-{i:06d}-{token}" for i in range(len(items))]
        futures = self.client.map(_call, [func] * len(items), items, key=keys, pure=False)
        position = {f.key: i for i, f in enumerate(futures)}
        results: list[Any] = [None] * len(items)
        try:
            for future in as_completed(futures, loop=self.client.loop):
                try:
                    result = future.result()
                except KilledWorker as exc:
                    raise ConfigError(
                        f"task {future.key} was on a worker that died each of the times Dask allows "
                        "(out of memory, or the worker process was stopped)",
                        fix="lower distributed.partition_mb, or give the workers more memory",
                    ) from exc
                if isinstance(result, _Failed):
                    raise result.error()
                results[position[future.key]] = result
                if progress:
                    progress(f"{desc} (dask)", 1, len(items))
        finally:
            self.client.cancel(futures)
        return results
