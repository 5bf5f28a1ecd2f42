"""Progress bars for the command line: a `builder.stage.Progress` callback that draws one tqdm bar per task."""

from __future__ import annotations

import sys
from typing import Any

from builder.stage import Progress


class Bars:
    """`bars(what, n, total)` advances the bar named `what` by n; `close()` ends them all (use as a context)."""

    def __init__(self, *, enabled: bool = True, unit: str = "doc") -> None:
        self.enabled = enabled
        self.unit = unit
        self._bars: dict[str, Any] = {}

    def __call__(self, what: str, n: int, total: int | None = None) -> None:
        if not self.enabled:
            return
        bar = self._bars.get(what)
        if bar is None:
            from tqdm import tqdm

            bar = self._bars[what] = tqdm(desc=what, total=total, unit=self.unit, file=sys.stderr, leave=False)
        elif total is not None and bar.total != total:
            bar.total = total
            bar.refresh()
        bar.update(n)

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()
        self._bars.clear()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
