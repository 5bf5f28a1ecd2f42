"""What every stage shares: counters by reason, a rejects file, stats and a completion marker.

A stage writes `work/<stage>/documents.jsonl`, `rejects.jsonl` (every dropped document and every removed
line, with its reason), `stats.json` (the counters) and `done.json` (a fingerprint of its inputs and config,
so that `prepare` can skip a stage whose inputs did not change).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from builder.errors import InputError

from builder.jsonl import AtomicWriter, write_json

# A progress callback: (what is being done, how many more items are done, the total when known). Library
# functions take one and call it as they go; only the command line draws bars (builder/commands/_progress.py).
Progress = Callable[[str, int, "int | None"], None]

DOCUMENTS = "documents.jsonl"
REJECTS = "rejects.jsonl"
STATS = "stats.json"
DONE = "done.json"


class RejectSink:
    """Keeps every dropped record with its reason; counts them by reason.

    Rejects go to a JSONL file beside the stage output, or to memory when no path is given (tests, Python use).
    """

    def __init__(self, stage: str, path: str | Path | None = None) -> None:
        self.stage = stage
        self.counts: Counter[str] = Counter()
        self._writer = AtomicWriter(path) if path is not None else None
        self.records: list[dict[str, Any]] = []

    def reject(
        self,
        reason: str,
        *,
        kind: str = "document",
        doc_id: str | None = None,
        where: str | None = None,
        detail: str | None = None,
        record: Any = None,
    ) -> None:
        entry = {
            "stage": self.stage,
            "kind": kind,
            "reason": reason,
            "id": doc_id,
            "where": where,
            "detail": detail,
            "record": record,
        }
        self.counts[f"{kind}:{reason}"] += 1
        if self._writer is not None:
            self._writer.write(entry)
        else:
            self.records.append(entry)

    def close(self, ok: bool = True) -> None:
        if self._writer is not None:
            if ok:
                self._writer.commit()
            else:
                self._writer.abort()


class StageDir:
    """The files of one stage under the work folder."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    @property
    def documents(self) -> Path:
        return self.root / DOCUMENTS

    @property
    def rejects(self) -> Path:
        return self.root / REJECTS

    @property
    def stats(self) -> Path:
        return self.root / STATS

    @property
    def done(self) -> Path:
        return self.root / DONE

    def write_stats(self, stats: dict[str, Any]) -> None:
        write_json(self.stats, stats)

    def mark_done(self, fingerprint: str) -> None:
        write_json(self.done, {"fingerprint": fingerprint})

    def is_done(self, fingerprint: str) -> bool:
        if not (self.done.is_file() and self.documents.is_file()):
            return False
        try:
            return json.loads(self.done.read_text())["fingerprint"] == fingerprint
        except (ValueError, KeyError):
            return False


def require_input(path: str | Path, previous: str) -> None:
    """Stop with a located error when the previous stage's documents are not there."""
    if not Path(path).is_file():
        raise InputError(
            "input documents not found",
            where=str(path),
            fix=f"run `newsbench {previous}` first, or pass --input FILE",
        )


def file_digest(path: str | Path) -> str:
    """sha256 of a file's bytes, read in chunks (inputs can be large)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fingerprint(*parts: Any) -> str:
    """A stable hash of config sections, code version and input digests."""
    return hashlib.sha256(orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)).hexdigest()
