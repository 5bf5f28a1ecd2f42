"""BigBIO / SEACrowd kb-shaped datasets from local Parquet or JSONL files, as documents with gold entities.

A kb record holds `passages` (each with `text` pieces at document `offsets`) and `entities` (`type`, `offsets`,
`text`), as `datasets` saves a `*_bigbio_kb` or `*_seacrowd_kb` config (`ds.to_parquet`, `ds.to_json`). The
document text is rebuilt from the passages at their offsets: a gap of one character between passages is a line
break, longer gaps are spaces, so every offset of the file slices the text it names. A passage whose text does not
fit its offsets makes the record unreadable (kept in the rejects); entities then go through the span import's
checks (offsets, stated text, label map, overlaps). Relations, events and coreferences are not in the label
schema's shape and are counted, not imported.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from builder.corpus.imports.spans import READER_KEY, SpansOptions, json_records
from builder.errors import InputError

OTHER_LAYERS = ("relations", "events", "coreferences")


def kb_text(passages: Any) -> tuple[str | None, str | None]:
    """(the document text rebuilt from kb passages, None) or (None, why it cannot be)."""
    if not isinstance(passages, list) or not passages:
        return None, "the record has no passages"
    pieces: list[tuple[int, int, str]] = []
    for k, p in enumerate(passages):
        if not isinstance(p, dict):
            return None, f"passage {k} is not an object"
        texts, offsets = p.get("text"), p.get("offsets")
        if not isinstance(texts, list) or not isinstance(offsets, list) or len(texts) != len(offsets):
            return None, f"passage {k} has {len(texts or [])} text piece(s) for {len(offsets or [])} offset(s)"
        for t, o in zip(texts, offsets):
            if not (isinstance(t, str) and isinstance(o, (list, tuple)) and len(o) == 2
                    and all(isinstance(v, int) and not isinstance(v, bool) for v in o) and 0 <= o[0] <= o[1]):
                return None, f"passage {k} has a piece {o!r} that is not [start, end]"
            if o[1] - o[0] != len(t):
                return None, f"passage {k}: the text {t[:30]!r} is {len(t)} characters, its offsets {list(o)} span {o[1] - o[0]}"
            pieces.append((o[0], o[1], t))
    pieces.sort()
    out: list[str] = []
    pos = 0
    for start, end, t in pieces:
        if start < pos:
            return None, f"passages overlap at {start}"
        if start > pos:
            out.append("\n" if start - pos == 1 and pos else " " * (start - pos))
        out.append(t)
        pos = end
    return "".join(out), None


def _rows(path: Path, options: SpansOptions) -> Iterator[tuple[int, dict[str, Any] | None, str | None, str]]:
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except Exception as exc:  # pyarrow raises several kinds for a damaged file
            raise InputError(f"cannot read the Parquet file: {exc}", where=str(path),
                             fix="pass the Parquet file of a kb config as `datasets` saves it") from None
        for n, row in enumerate(table.to_pylist(), 1):
            yield n, row, None, json.dumps(row, ensure_ascii=False, default=str)[:2000]
        return
    yield from json_records(path, options.encoding)


def read_kb(path: Path, options: SpansOptions) -> Iterator[tuple[int, dict[str, Any] | None, str | None, str]]:
    """The records of a kb file as span records: `text` rebuilt from the passages, kb-style `entities`."""
    for n, row, why, raw in _rows(path, options):
        if row is None:
            yield n, None, why, raw
            continue
        text, why = kb_text(row.get("passages"))
        if text is None:
            yield n, None, ("bad_kb_record", str(why), "repair the record: each passage's text must fill its offsets"), raw
            continue
        record = {"id": row.get("document_id") or row.get("id"), "text": text,
                  "entities": [{"offsets": [list(o) for o in e.get("offsets") or []], "type": e.get("type"),
                                "text": e.get("text")} for e in row.get("entities") or [] if isinstance(e, dict)],
                  READER_KEY: {"shape": "kb", "layers": {k: len(row.get(k) or []) for k in OTHER_LAYERS if row.get(k)}}}
        if "split" in row:
            record["split"] = row["split"]
        yield n, record, None, raw
