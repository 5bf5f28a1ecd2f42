"""Stream the records of a JSON array file (a Label Studio export) or a JSON Lines file, one at a time.

A JSON array is not read whole (a 50,000-task export would take GBs as Python objects, mostly in the cyclic
garbage collector's way). Each element is parsed on its own: its end is looked for with a byte search for the
separator between elements (`}` + separator + the first key of an element, learnt from the first two elements),
and a candidate end is accepted only when orjson parses exactly that slice as one value. JSON values are
self-delimiting, so an accepted slice is the element. The first candidate is tried directly; once one has
proved wrong (the separator also occurs inside elements, as in `json.dumps` output), only candidates where the
braces counted since the element's start balance are tried. When no candidate works (braces inside strings,
other key orders), the element's end is taken from where orjson stops parsing a window of the file. Reading
goes through a buffer of a few MB, so memory holds the buffer and one element.

Files can be cut into regions that start at record boundaries, one per worker (`regions`). A region of an
array is only trusted when the region before it ends exactly where it starts (checked by the caller).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from builder.errors import InputError

ARRAY = "array"
JSONL = "jsonl"
CHUNK = 8 << 20
CUT_READ = 1 << 20  # a region cut reads on from here to find the next element
FAST_LIMIT = 16 << 20  # an element this long without a fitting end is left to the slow path
_WS = b" \t\r\n"
_FIRST_KEY = re.compile(rb'\{\s*"(?:[^"\\]|\\.)*"\s*:')
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class Unparsable:
    """The value of a JSON Lines record whose line does not parse, and why."""

    reason: str


@dataclass(slots=True)
class RawRecord:
    offset: int  # byte offset of the record in the file
    end: int  # byte offset just past it
    line: int | None  # JSON Lines: the 1-based line number
    value: Any
    raw: bytes  # the record's bytes as in the file (JSON Lines: with its line end)


class _Buffer:
    """File bytes [base, base + len(data)) with refills from the file."""

    def __init__(self, fh: Any, start: int, first: int | None = None) -> None:
        self.fh = fh
        fh.seek(start)
        self.base = start
        size = first or CHUNK  # a first read smaller than a chunk where only a few elements are read
        self.data = fh.read(size)
        self.eof = len(self.data) < size

    def more(self, keep_from: int) -> bool:
        """Drop bytes before file offset `keep_from`, read the next chunk; False at end of file."""
        if self.eof:
            return False
        cut = keep_from - self.base
        chunk = self.fh.read(max(CHUNK, len(self.data) - cut))
        self.data = self.data[cut:] + chunk
        self.base = keep_from
        self.eof = not chunk or len(chunk) < CHUNK
        return bool(chunk)

    def byte(self, pos: int) -> int | None:
        """The byte at file offset `pos`, reading on; None at end of file."""
        while pos - self.base >= len(self.data):
            if not self.more(min(pos, self.base + len(self.data))):
                return None
        return self.data[pos - self.base]

    def skip_ws(self, pos: int) -> int:
        while True:
            b = self.byte(pos)
            if b is None or b not in _WS:
                return pos
            pos += 1

    def ensure(self, pos: int, n: int) -> None:
        """Have file bytes [pos, pos + n) in the buffer (fewer at end of file)."""
        while pos + n - self.base > len(self.data) and self.more(pos):
            pass


def detect_format(path: Path) -> str:
    """ARRAY when the first non-space byte is '[', else JSONL."""
    with open(path, "rb") as fh:
        head = fh.read(4096).lstrip(_BOM).lstrip(_WS)
        while not head:
            more = fh.read(4096)
            if not more:
                raise InputError("file is empty", where=str(path), fix="validate an export with at least one task")
            head = more.lstrip(_WS)
    if head[:1] not in (b"[", b"{"):
        raise InputError(f"not JSON: {_looks_like(head)}", where=str(path),
                         fix="export the project from Label Studio as JSON (the full format, not JSON-MIN, CSV or "
                             "CONLL), or run `newsbench annotate pull`; CoNLL data becomes a corpus with "
                             "`newsbench import conll`")
    return ARRAY if head[:1] == b"[" else JSONL


_CONLL_LINE = re.compile(rb"^\S+(?:[ \t]+\S+)*[ \t]+(?:O|[BIESLU]-\S+)\s*$")


def _looks_like(head: bytes) -> str:
    """What a file that is not JSON seems to be, to say so."""
    lines = [x for x in head.splitlines()[:20] if x.strip()]
    if lines and (lines[0].startswith(b"-DOCSTART-") or sum(bool(_CONLL_LINE.match(x)) for x in lines) >= len(lines) / 2):
        return "it looks like a CoNLL file (Label Studio's CONLL2003 export)"
    if lines and (lines[0].count(b",") >= 2 or lines[0].count(b"\t") >= 2):
        return "it looks like a CSV or TSV file (Label Studio's CSV/TSV export)"
    return f"it starts with {head[:40]!r}"


def regions(path: Path, fmt: str, parts: int) -> list[tuple[int, int]]:
    """Byte ranges [start, stop) that begin at record boundaries, about equal, at most `parts` of them.

    An array cut is placed where an element with the same keys as the first one parses; the caller still
    checks that each region ends where the next begins (a string could mimic an element).
    """
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = _array_start(fh, path) if fmt == ARRAY else (3 if fh.read(3) == _BOM else 0)
        if parts <= 1 or size < 4 * CHUNK:
            return [(head, size)]
        literal, keys = None, set()
        if fmt == ARRAY:
            buf = _Buffer(fh, head)
            first = _slow_element(buf, path, buf.skip_ws(head))
            literal = _learn(buf, first) if isinstance(first.value, dict) else None
            if literal is None:
                return [(head, size)]
            keys = set(first.value)
        cuts = [head]
        for k in range(1, parts):
            at = head + (size - head) * k // parts
            cut = _element_after(fh, path, literal, at, keys) if literal else _line_after(fh, at)
            if cut is None or cut <= cuts[-1]:
                break
            cuts.append(cut)
    return [(a, b) for a, b in zip(cuts, [*cuts[1:], size])]


def _line_after(fh: Any, pos: int) -> int | None:
    buf = _Buffer(fh, pos)
    at = buf.data.find(b"\n")
    while at < 0 and buf.more(buf.base + len(buf.data)):
        at = buf.data.find(b"\n")
    return buf.base + at + 1 if at >= 0 else None


def _element_after(fh: Any, path: Path, literal: bytes, pos: int, keys: set[str]) -> int | None:
    """The start of the first element after `pos` that follows `literal` and has the first element's keys."""
    buf = _Buffer(fh, pos, first=min(CHUNK, CUT_READ))
    search = pos
    while search - pos < FAST_LIMIT:
        at = buf.data.find(literal, search - buf.base)
        while at < 0 and buf.more(max(search, buf.base + len(buf.data) - len(literal))):
            at = buf.data.find(literal, search - buf.base)
        if at < 0:
            return None
        start = buf.base + at + literal.rindex(b"{")
        try:
            rec = _slow_element(buf, path, start)
        except InputError:
            rec = None
        if rec is not None and isinstance(rec.value, dict) and set(rec.value) == keys:
            return start
        search = start
    return None


def _array_start(fh: Any, path: Path) -> int:
    fh.seek(0)
    buf = _Buffer(fh, 0)
    pos = 3 if buf.data.startswith(_BOM) else 0
    pos = buf.skip_ws(pos)
    if buf.byte(pos) != ord("["):
        raise InputError("not a JSON array", where=str(path), fix="pass a Label Studio JSON export or JSON Lines")
    return pos + 1


def iter_records(path: Path, fmt: str, start: int, stop: int, *, first_line: int | None = None,
                 lines_seen: list[int] | None = None) -> Iterator[RawRecord]:
    """Records starting in [start, stop) of a file; for arrays `start` is a record's first byte (or the '[').

    JSON Lines records carry their line number, counted from the file's start, or from `first_line` at
    `start` when given (workers number their region's lines from 1 and the caller adds the lines before it;
    `lines_seen` receives the count of lines read, blank ones included).
    """
    with open(path, "rb") as fh:
        if fmt == JSONL:
            yield from _jsonl_records(fh, path, start, stop, first_line, lines_seen)
        else:
            yield from _array_records(fh, path, start, stop)


def _lines_before(fh: Any, start: int) -> int:
    fh.seek(0)
    count, pos = 0, 0
    while pos < start:
        chunk = fh.read(min(CHUNK, start - pos))
        if not chunk:
            break
        count += chunk.count(b"\n")
        pos += len(chunk)
    return count


def _jsonl_records(fh: Any, path: Path, start: int, stop: int, first_line: int | None,
                   lines_seen: list[int] | None) -> Iterator[RawRecord]:
    lineno = first_line if first_line is not None else _lines_before(fh, start) + 1
    first = lineno
    buf = _Buffer(fh, start)
    pos = start
    while pos < stop:
        rel = pos - buf.base
        nl = buf.data.find(b"\n", rel)
        while nl < 0 and buf.more(pos):
            rel = pos - buf.base
            nl = buf.data.find(b"\n", rel)
        end = buf.base + (nl + 1 if nl >= 0 else len(buf.data))
        if end == pos:
            break
        line = buf.data[pos - buf.base: end - buf.base]
        if line.strip():
            try:
                value: Any = orjson.loads(line)
            except orjson.JSONDecodeError as exc:  # one bad line is one bad record, never an unreadable file
                value = Unparsable(exc.msg)
            yield RawRecord(pos, end, lineno, value, line)
        lineno += 1
        pos = end
    if lines_seen is not None:
        lines_seen.append(lineno - first)


def _array_records(fh: Any, path: Path, start: int, stop: int) -> Iterator[RawRecord]:
    buf = _Buffer(fh, start)
    literal: bytes | None = None
    counting = False  # count braces only once a candidate end has proved wrong (the separator occurs inside)
    pos = buf.skip_ws(start)
    if buf.byte(pos) == ord("]"):
        return _closed(buf, path, pos)
    while pos < stop:
        if buf.byte(pos) is None:
            raise _syntax(buf, path, pos, "the array is not closed with ']'")
        rec = None
        if literal is not None:
            rec = _fast_element(buf, pos, literal, counting)
            if rec is None:
                counting = True
        if rec is None:
            rec = _slow_element(buf, path, pos)
        if literal is None and isinstance(rec.value, dict):
            literal = _learn(buf, rec)
        yield rec
        pos = buf.skip_ws(rec.end)
        b = buf.byte(pos)
        if b == ord(","):
            pos = buf.skip_ws(pos + 1)
        elif b == ord("]"):
            return _closed(buf, path, pos)
        else:
            raise _syntax(buf, path, pos, "expected ',' or ']' after an element")
    if buf.byte(pos) is None:  # the file ended inside the array (a region's end is the next element's start)
        raise _syntax(buf, path, pos, "the array is not closed with ']'")


def _closed(buf: _Buffer, path: Path, pos: int) -> None:
    """The array closes at `pos`: nothing but white space may follow (two exports joined, a stray comma)."""
    after = buf.skip_ws(pos + 1)
    if buf.byte(after) is not None:
        raise InputError(f"not valid JSON at byte {after}: more after the array's closing ']'", where=str(path),
                         fix="keep one JSON array per file (were two exports joined?), or export it again")


def _learn(buf: _Buffer, rec: RawRecord) -> bytes | None:
    """The literal that separates this element from the next: "}" + separator + the next one's first key."""
    end = rec.end
    while end > rec.offset and buf.data[end - 1 - buf.base] in _WS:
        end -= 1
    if buf.data[end - 1 - buf.base] != ord("}"):
        return None
    nxt = buf.skip_ws(rec.end)
    if buf.byte(nxt) != ord(","):
        return None
    nxt = buf.skip_ws(nxt + 1)
    buf.ensure(nxt, 4096)
    m = _FIRST_KEY.match(buf.data, nxt - buf.base)
    return b"}" + buf.data[end - buf.base: nxt - buf.base] + m.group() if m else None


def _fast_element(buf: _Buffer, pos: int, literal: bytes, counting: bool) -> RawRecord | None:
    """The element at `pos` ending where `literal` starts, if orjson agrees; else None.

    Without `counting` the first candidate is tried; with it, the first one where the braces balance.
    """
    depth = 0
    counted = search = pos  # file offsets: braces are counted up to `counted`, the literal is searched from `search`
    while True:
        data, base = buf.data, buf.base
        at = data.find(literal, search - base)
        if at < 0:
            if search - pos > FAST_LIMIT:
                return None
            search = max(search, base + len(data) - len(literal) + 1)
            if not buf.more(pos):
                return None
            continue
        end = base + at + 1
        if counting:
            depth += data.count(b"{", counted - base, end - base) - data.count(b"}", counted - base, end - base)
        counted = search = end
        if depth == 0:
            raw = data[pos - base:end - base]
            try:
                value = orjson.loads(raw)
            except orjson.JSONDecodeError:
                return None
            return RawRecord(pos, end, None, value, raw)


def _slow_element(buf: _Buffer, path: Path, pos: int) -> RawRecord:
    """The element at `pos`, its end taken from where orjson stops parsing a growing window."""
    window = 1 << 16
    while True:
        buf.ensure(pos, window)
        rel = pos - buf.base
        avail = len(buf.data) - rel
        view = memoryview(buf.data)[rel: rel + window]
        try:
            value = orjson.loads(view)
            # the window parsed whole: only possible when it ends exactly at the element's end
            return RawRecord(pos, pos + len(view), None, value, bytes(view))
        except orjson.JSONDecodeError as exc:
            if exc.msg.startswith("unexpected content after document"):
                n = len(bytes(view).decode("utf-8", "replace")[: exc.pos].encode("utf-8"))
                value = orjson.loads(view[:n])
                return RawRecord(pos, pos + n, None, value, bytes(view[:n]))
            if window >= avail and buf.eof:
                n = len(bytes(view).decode("utf-8", "replace")[: exc.pos].encode("utf-8"))
                raise _syntax(buf, path, pos + n, exc.msg) from exc
            window *= 4


def _syntax(buf: _Buffer, path: Path, pos: int, what: str) -> InputError:
    return InputError(f"not valid JSON at byte {pos}: {what}", where=str(path),
                      fix="the export is damaged or truncated: pull or export it again")
