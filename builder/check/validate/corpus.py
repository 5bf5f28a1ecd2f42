"""The corpus annotations are checked against: document id -> text hash, and each text on demand.

Tasks are pushed from the segment stage's `documents.jsonl`; validation checks that each task's document is
still there with the same text. Only ids, hashes and line offsets are held in memory; a text is read back when
a check needs it (canonical records do not carry their text). Lines written by newsbench stages start with
`{"schema_version":...,"id":...` and hold one top-level `text_sha256`: those are read without a full JSON parse;
any other line is parsed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import IO, Any

import orjson

from builder.document import sha256_text
from builder.errors import InputError
from builder.jsonl import parse_object

_HEAD = re.compile(rb'\{"schema_version":"[^"\\]*","id":"([^"\\]*)"')
_SHA_KEY = b'"text_sha256":"'
_HEX = re.compile(rb"[0-9a-f]{64}")
_FIX_OPEN = "run `newsbench prepare`, pass --corpus FILE, or --no-corpus to skip the check"


class CorpusError(InputError):
    """The corpus cannot be read (not a problem of the file being validated)."""


class Corpus:
    """Document ids with their text hashes and where each line starts.

    The file is indexed on construction, or with `load=False` on first use (or `load()`): `newsbench validate`
    indexes it while its workers already check the records that do not need it.
    """

    def __init__(self, path: str | Path, *, load: bool = True) -> None:
        self.path = Path(path)
        self._index: dict[str, tuple[str, int]] | None = None
        self._open().close()  # say now when it cannot be read
        if load:
            self.load()

    def _open(self) -> IO[bytes]:
        try:
            return open(self.path, "rb")
        except OSError as exc:
            raise CorpusError(f"cannot open the corpus: {exc.strerror}", where=str(self.path), fix=_FIX_OPEN) from exc

    @property
    def loaded(self) -> bool:
        return self._index is not None

    @property
    def index(self) -> dict[str, tuple[str, int]]:
        return self._index if self._index is not None else self.load()

    def load(self) -> dict[str, tuple[str, int]]:
        """Index the file (once)."""
        if self._index is not None:
            return self._index
        fh = self._open()
        index: dict[str, tuple[str, int]] = {}
        offset = 0
        with fh:
            for lineno, line in enumerate(fh, 1):
                parsed = _fast(line)
                if parsed is None and line.strip():
                    parsed = _slow(line, self.path, lineno)
                if parsed is not None:
                    index.setdefault(parsed[0], (parsed[1], offset))
                offset += len(line)
        self._index = index
        return index

    def __contains__(self, doc_id: Any) -> bool:
        return doc_id in self.index

    def __len__(self) -> int:
        return len(self.index)

    def sha(self, doc_id: Any) -> str | None:
        entry = self.index.get(doc_id)
        return entry[0] if entry else None

    def document(self, doc_id: Any) -> dict[str, Any] | None:
        """The whole document record, read back from the file."""
        entry = self.index.get(doc_id)
        if entry is None:
            return None
        with open(self.path, "rb") as fh:
            fh.seek(entry[1])
            return orjson.loads(fh.readline())

    def text(self, doc_id: Any) -> str | None:
        doc = self.document(doc_id)
        return doc.get("text") if doc else None


def _fast(line: bytes) -> tuple[str, str] | None:
    m = _HEAD.match(line)
    if m is None:
        return None
    at = line.find(_SHA_KEY)
    if at < 0 or line.find(_SHA_KEY, at + 1) >= 0:
        return None
    sha = line[at + len(_SHA_KEY): at + len(_SHA_KEY) + 64]
    if not _HEX.fullmatch(sha) or line[at + len(_SHA_KEY) + 64: at + len(_SHA_KEY) + 65] != b'"':
        return None
    return m.group(1).decode(), sha.decode()


def _slow(line: bytes, path: Path, lineno: int) -> tuple[str, str]:
    doc, why = parse_object(line)
    if doc is None:
        raise CorpusError(f"corpus {why}", where=f"{path}:{lineno}",
                          fix="pass the segment stage's documents.jsonl as --corpus")
    if not isinstance(doc.get("id"), str) or not isinstance(doc.get("text"), str):
        raise CorpusError("corpus line is not a document with 'id' and 'text'", where=f"{path}:{lineno}",
                         fix="pass the segment stage's documents.jsonl as --corpus")
    sha = doc.get("text_sha256")
    return doc["id"], sha if isinstance(sha, str) else sha256_text(doc["text"])
