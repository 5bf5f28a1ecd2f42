"""CSV sources: delimiter, encoding and column mapping from the config; multi-line fields are fine.

Config keys: `columns = { text = ..., key = ..., title = ..., published = ..., url = ..., outlet = ... }`
(only `text` is required), `labels = { name = column }`, `label_values = { raw = value }`, `delimiter`, `encoding`.
Columns that are not mapped are kept in `meta`. Without a key column the key is the hash of the raw record.
"""

from __future__ import annotations

import csv
import hashlib
import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from builder.config import Config, Source
from builder.corpus.ingest.base import (
    METADATA_ROLES,
    IngestContext,
    KeyTracker,
    build_document,
    check_encoding_name,
    read_decoded,
    read_metadata,
    map_labels,
    relative_key,
    source_files,
)

MAPPED = ("text", "key", *METADATA_ROLES)

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # long articles exceed the 128 KB default


def read_csv(
    config: Config, source: Source, ctx: IngestContext, files: list[Path] | None = None
) -> Iterator[dict[str, Any]]:
    """Documents of the source's files, or of `files` only (one partition of a distributed run)."""
    encoding = check_encoding_name(source)
    columns: dict[str, str] = dict(source.columns)
    columns.setdefault("text", "text")
    delimiter = source.delimiter
    for file in source_files(config, source) if files is None else files:
        read = read_decoded(file, source, encoding, ctx)
        if read is None:
            continue
        raw, text, used = read
        yield from _rows(config, source, ctx, file, text, raw, used, columns, delimiter)


def _rows(config, source, ctx, file, text, raw, used, columns, delimiter) -> Iterator[dict[str, Any]]:
    where = str(file)
    # strict: a quote never closed (or closed in the middle of a field) is an error at its line, never a record
    # that silently swallows the rows after it
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        ctx.problem("empty_file", "the CSV file is empty", where, "remove it from the source or add a header and rows")
        return
    except csv.Error as exc:
        ctx.problem("bad_csv", f"cannot parse the header: {exc}", where, "check delimiter and quoting")
        return
    header = [h.strip() for h in header]
    wanted = {role: col for role, col in columns.items() if role in MAPPED}
    wanted.update({f"label:{name}": col for name, col in source.labels.items()})
    missing = sorted({col for col in wanted.values() if col not in header})
    if missing:
        ctx.problem(
            "missing_column",
            f"column(s) {', '.join(map(repr, missing))} not in the header {header}",
            f"{where}:1",
            f"map the right header names in 'columns'/'labels' of source '{source.name}'"
            f" (delimiter is {delimiter!r}; check it too)",
        )
        return
    keys = KeyTracker()
    file_key = relative_key(config, source, file)
    mapped_cols = set(wanted.values())
    uri = str(file.relative_to(config.root)) if file.is_relative_to(config.root) else str(file)
    row_no = 0
    rows_seen = 0
    while True:
        first_line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            row_no += 1
            rows_seen += 1
            last = max(reader.line_num, first_line)
            ctx.problem("bad_csv_row", f"cannot parse the record of lines {first_line}-{last}: {exc}",
                        f"{where}:{first_line}", "close or double the quote (\"\") in this record; the rows "
                        "after it are read on", record=_lines(text, first_line, last))
            continue
        row_no += 1
        rows_seen += 1
        row_where = f"{where}:row {row_no} (line {first_line})"
        if not values:
            continue  # a blank line between records
        if not any(v.strip() for v in values):  # a row of empty fields (spreadsheets end with them): counted, quietly
            ctx.rejects.reject("empty_row", kind="row", where=row_where, detail="every field is empty", record=values)
            continue
        if len(values) != len(header):
            ctx.problem(
                "bad_field_count",
                f"{len(values)} fields, header has {len(header)}",
                row_where,
                f"check the delimiter ({delimiter!r}) and quoting of this row",
                record=values,
            )
            continue
        row = dict(zip(header, values))
        body = row[columns["text"]]
        if not body.strip():
            ctx.problem("empty_text", f"column {columns['text']!r} is empty", row_where, "fill or remove the row",
                        record=row)
            continue
        raw_record = delimiter.join(values).encode("utf-8")
        if "key" in columns and row[columns["key"]].strip():
            key, kind = row[columns["key"]].strip(), "column"
        elif "url" in columns and row[columns["url"]].strip():
            key, kind = row[columns["url"]].strip(), "url"
        else:
            key, kind = f"{file_key}:{hashlib.sha256(raw_record).hexdigest()}", "raw_hash"
        meta = {k: v for k, v in row.items() if k not in mapped_cols}
        fields = read_metadata(source, row, row_where, ctx, meta)
        yield build_document(
            config,
            source,
            key=keys.unique(key),
            key_kind=kind,
            text=body,
            uri=fields["url"] or uri,
            file=file,
            raw=raw_record,
            encoding=used,
            ctx=ctx,
            row=row_no,
            title=fields["title"],
            published=fields["published"],
            outlet=fields["outlet"],
            doc_labels=map_labels(source, row, row_where, ctx),
            meta=meta,
            retrieved=fields["retrieved_at"],
        )
    if not rows_seen:
        ctx.problem("no_rows", "the CSV file has a header but no rows", where, "add the rows, or remove the file from "
                    "the source")


def _lines(text: str, first: int, last: int) -> str:
    """Lines first..last (1-based, with their ends) of the text, as the file has them."""
    return "".join(io.StringIO(text, newline="").readlines()[first - 1:last])
