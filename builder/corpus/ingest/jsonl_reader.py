"""JSONL sources: one JSON object per line, mapped with `columns` like CSV (default text field: "text")."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any


from builder.config import Config, Source
from builder.jsonl import parse_object
from builder.corpus.ingest.base import (
    METADATA_ROLES,
    IngestContext,
    KeyTracker,
    build_document,
    check_encoding_name,
    map_labels,
    relative_key,
    not_an_input,
    read_metadata,
    source_files,
)

MAPPED = ("text", "key", *METADATA_ROLES)


def read_jsonl_source(
    config: Config, source: Source, ctx: IngestContext, files: list[Path] | None = None
) -> Iterator[dict[str, Any]]:
    """Documents of the source's files, or of `files` only (one partition of a distributed run)."""
    encoding = check_encoding_name(source)
    if encoding == "auto":
        encoding = "utf-8"  # JSON text is UTF-8 (RFC 8259)
    columns: dict[str, str] = dict(source.columns)
    columns.setdefault("text", "text")
    mapped = {columns[r] for r in MAPPED if r in columns} | set(source.labels.values())
    for file in source_files(config, source) if files is None else files:
        where = str(file)
        why = not_an_input(file)
        if why is not None and not why.startswith("hidden"):  # never open a FIFO or a device: it can block
            ctx.problem(why.split(" ", 1)[0], f"cannot read: {why.replace('_', ' ')}", where,
                        "point the source at regular files")
            continue
        try:
            fh = open(file, "rb")
        except OSError as exc:
            ctx.problem("unreadable_file", f"cannot read: {exc.strerror}", where, "check the path and permissions")
            continue
        keys = KeyTracker()
        file_key = relative_key(config, source, file)
        uri = str(file.relative_to(config.root)) if file.is_relative_to(config.root) else str(file)
        with fh:
            for lineno, line in enumerate(fh, 1):
                line_where = f"{where}:{lineno}"
                if not line.strip():
                    continue
                try:
                    record, why = parse_object(line.decode(encoding), unique_keys=True)
                except UnicodeError as exc:
                    record, why = None, f"line is not {encoding} (" + (
                        f"{exc.reason} at byte {exc.start}" if isinstance(exc, UnicodeDecodeError) else str(exc)) + ")"
                if record is None:
                    ctx.problem("bad_json_line", str(why), line_where, "repair the line (one JSON object per line, "
                                "UTF-8)", record=line.decode(encoding, "replace"))
                    continue
                body = record.get(columns["text"])
                if not isinstance(body, str) or not body.strip():
                    ctx.problem("empty_text", f"field {columns['text']!r} is missing or empty", line_where,
                                f"fill the field, or map the text field with columns.text on source "
                                f"'{source.name}'", record=record)
                    continue

                meta = {k: v for k, v in record.items() if k not in mapped}
                fields = read_metadata(source, record, line_where, ctx, meta)
                key_value = record.get(columns["key"]) if "key" in columns else None
                if isinstance(key_value, bool) or not isinstance(key_value, (str, int, float, type(None))):
                    ctx.rejects.reject("unusable_metadata", kind="field", where=line_where, record=key_value,
                                       detail=f"key {columns['key']!r} is {type(key_value).__name__}, not text; the "
                                       "line's hash is the key (fix: give the key as a string)")
                    meta[columns["key"]] = key_value
                    key_value = None
                if key_value not in (None, ""):
                    key, kind = str(key_value), "column"
                elif fields["url"]:
                    key, kind = fields["url"], "url"
                else:
                    key, kind = f"{file_key}:{hashlib.sha256(line.strip()).hexdigest()}", "raw_hash"
                yield build_document(
                    config,
                    source,
                    key=keys.unique(key),
                    key_kind=kind,
                    text=body,
                    uri=fields["url"] or uri,
                    file=file,
                    raw=line.strip(),
                    encoding=encoding,
                    ctx=ctx,
                    row=lineno,
                    title=fields["title"],
                    published=fields["published"],
                    outlet=fields["outlet"],
                    doc_labels=map_labels(source, record, line_where, ctx),
                    meta=meta,
                    retrieved=fields["retrieved_at"],
                )
