"""Streaming JSONL reading with located errors, and atomic writing: the one JSONL reader of the project.

Stages read and write one record per line so that memory stays bounded by the batch, not the corpus. A line is
read with `iter_lines` (its number, optionally its byte offset, within a byte range of the file when asked), its
object by `parse_object` (the one rule: a non-blank line holds one JSON object), and a bad line is reported with
`line_error` (file, line and the fix). Writes go to a temporary file that is renamed into place, so an
interrupted stage never leaves a partial output.
"""

from __future__ import annotations

import gc
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import IO, Any

import orjson

from builder.errors import InputError


def _open(path: str | Path) -> IO[bytes]:
    try:
        return open(path, "rb")
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror}", where=str(path), fix="check the path") from exc


def iter_lines(path: str | Path) -> Iterator[tuple[int, bytes]]:
    """(line number, raw line) of every non-blank line; a file that cannot be opened raises a located InputError."""
    with _open(path) as fh:
        for lineno, line in enumerate(fh, 1):
            if line.strip():
                yield lineno, line


def iter_range(path: str | Path, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int, bytes]]:
    """(line number counted from `start`, byte offset in the file, raw line) of the non-blank lines that start in
    bytes [start, end); `start` must be a line start."""
    with _open(path) as fh:
        fh.seek(start)
        offset = start
        for lineno, line in enumerate(fh, 1):
            if end is not None and offset >= end:
                break
            if line.strip():
                yield lineno, offset, line
            offset += len(line)


# Every key of an object ends with a quote, maybe spaces, and a colon; so does an escaped quote before a colon
# inside a string. Counting these is an upper bound on the keys of the line, and cheap (no string is scanned).
_KEY_END = re.compile(rb'"\s*:')


_NESTED = (dict, list)  # what orjson gives for objects and arrays
_SCALARS = frozenset({str, int, float, bool, type(None)})


def _key_count(value: Any) -> int:
    """The keys of every object in a parsed JSON value. Only containers are descended into, and a container of
    scalars alone (a sentence's tags) is told apart in C (`issuperset` over `map(type, ...)`), not item by item."""
    if isinstance(value, dict):
        n, items = len(value), value.values()
    elif isinstance(value, list):
        n, items = 0, value
    else:
        return 0
    if _SCALARS.issuperset(map(type, items)):
        return n
    return n + sum(_key_count(v) for v in items if type(v) in _NESTED)


def key_ends(raw: bytes) -> int:
    """An upper bound of the keys of the JSON text `raw`: every key ends with a quote, maybe spaces, and a colon."""
    return len(_KEY_END.findall(raw))


def _top_level_keys(value: Any) -> int:
    if isinstance(value, dict):
        return len(value)
    if isinstance(value, list) and set(map(type, value)) <= {dict}:
        return sum(map(len, value))
    return 0


def repeated_keys(line: bytes | str, record: Any) -> list[str]:
    """The keys an object of the line repeats (a JSON parser keeps the last value and drops the others unseen).
    A quick count of key-like strings decides whether the exact, slower parse is needed at all."""
    raw = line.encode("utf-8") if isinstance(line, str) else line
    raw_keys = key_ends(raw)
    # The top-level keys alone are a lower bound of the keys, found in C for a list of objects (a predictions
    # file read at once); only when they do not settle it are all the keys counted.
    if raw_keys <= _top_level_keys(record) or raw_keys <= _key_count(record):
        return []
    found: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: set[str] = set()
        for k, _ in items:
            if k in seen:
                found.append(k)
            seen.add(k)
        return dict(items)

    json.loads(raw, object_pairs_hook=pairs)
    return found


def parse_object(line: bytes | str, *, unique_keys: bool = False) -> tuple[dict[str, Any] | None, str | None]:
    """(the line's JSON object, None), or (None, why it is not one). With `unique_keys`, an object that repeats a
    key is not one either (which value was meant cannot be known)."""
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return None, f"line is not valid JSON ({exc})"
    if not isinstance(record, dict):
        return None, f"line holds a JSON {type(record).__name__}, not an object"
    if unique_keys:
        twice = repeated_keys(line, record)
        if twice:
            return None, f"the line repeats the key(s) {', '.join(map(repr, dict.fromkeys(twice)))}: keep one"
    return record, None


def line_error(why: str, path: str | Path, lineno: int) -> InputError:
    """The located error of a line that is not one JSON object."""
    return InputError(why, where=f"{path}:{lineno}", fix="repair or remove the line; every line must be one JSON "
                                                        "object")


def read_jsonl(path: str | Path) -> Iterator[dict[str, Any]]:
    """Yield the records of a JSONL file; a line that is not a JSON object raises a located InputError."""
    for lineno, line in iter_lines(path):
        record, why = parse_object(line)
        if record is None:
            raise line_error(str(why), path, lineno)
        yield record


def dumps(record: Any) -> bytes:
    """One JSONL line, keys in insertion order, UTF-8, no escaping of non-ASCII."""
    return orjson.dumps(record) + b"\n"


class AtomicWriter:
    """Write a file through a temporary sibling and rename it into place on success only."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        # mkstemp creates 0600; outputs are ordinary files, so give them the mode the umask allows
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        self._tmp = Path(tmp)
        self._fh: IO[bytes] = os.fdopen(fd, "wb")
        self.count = 0

    def write(self, record: Any) -> None:
        self._fh.write(dumps(record))
        self.count += 1

    def write_bytes(self, data: bytes) -> None:
        self._fh.write(data)

    def fileno(self) -> int:
        """The temporary file's descriptor, with everything written so far flushed to it.

        For copying into the file in the kernel (os.copy_file_range) or syncing it early; what is written
        through the descriptor lands at its current position, before any later `write`.
        """
        self._fh.flush()
        return self._fh.fileno()

    def commit(self) -> None:
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        os.replace(self._tmp, self.path)

    def abort(self) -> None:
        if not self._fh.closed:
            self._fh.close()
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> AtomicWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()


def write_jsonl(path: str | Path, records: Iterable[Any]) -> int:
    """Write records atomically; return how many were written."""
    with AtomicWriter(path) as out:
        for record in records:
            out.write(record)
    return out.count


def write_json(path: str | Path, obj: Any) -> None:
    """Write one pretty JSON document atomically (stats, reports, manifests)."""
    with AtomicWriter(path) as out:
        out.write_bytes(orjson.dumps(obj, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")


def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Group an iterable into lists of at most `size` items (itertools.batched is 3.12+)."""
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while many small objects are parsed or built.

    Parsed JSON records, offsets and tag lists hold no reference cycles; collector passes triggered every few
    thousand allocations would rescan every live object for nothing, which makes large files several times slower.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
