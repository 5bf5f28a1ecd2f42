"""Run a per-batch function over a stream of batches on several processes, keeping input order.

Per-document stages (clean, segment) use this to fill both cores; the batch stream stays lazy, so memory is
bounded by the batches in flight, not by the corpus.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def worker_count(requested: int | None) -> int:
    """0 or None means every core this process may use."""
    if requested and requested > 0:
        return requested
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def map_batches(
    func: Callable[[T], R],
    batches: Iterable[T],
    *,
    workers: int = 1,
    initializer: Callable[..., Any] | None = None,
    initargs: tuple[Any, ...] = (),
) -> Iterator[R]:
    """`func` over each batch, in order; in-process when workers == 1 (easier to debug and profile)."""
    if workers <= 1:
        if initializer is not None:
            initializer(*initargs)
        yield from map(func, batches)
        return
    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
    # Pool.imap would drain the whole input into its task queue; a window of pending results keeps memory
    # bounded by `2 * workers` batches in flight.
    window = 2 * workers
    pending: deque[Any] = deque()
    with ctx.Pool(workers, initializer=initializer, initargs=initargs) as pool:
        for batch in batches:
            pending.append(pool.apply_async(func, (batch,)))
            if len(pending) >= window:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()
