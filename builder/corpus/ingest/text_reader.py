"""Plain-text sources: one article per file; the key is the file's path relative to the source path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from builder.config import Config, Source
from builder.corpus.ingest.base import (
    IngestContext,
    build_document,
    check_encoding_name,
    read_decoded,
    relative_key,
    source_files,
)


def read_text(
    config: Config, source: Source, ctx: IngestContext, files: list[Path] | None = None
) -> Iterator[dict[str, Any]]:
    """Documents of the source's files, or of `files` only (one partition of a distributed run)."""
    encoding = check_encoding_name(source)
    files = source_files(config, source) if files is None else files
    first_line_title = bool(source.first_line_title)
    for file in files:
        where = str(file)
        read = read_decoded(file, source, encoding, ctx)
        if read is None:
            continue
        raw, text, used = read
        title = None
        if first_line_title:
            head, _, rest = text.lstrip().partition("\n")
            title, text = head.strip(), rest
        if not text.strip():
            ctx.problem("empty_text", "the article is empty", where, "remove the file or give it text")
            continue
        key = relative_key(config, source, file)
        yield build_document(
            config,
            source,
            key=key,
            key_kind="path",
            text=text,
            uri=str(file.relative_to(config.root)) if file.is_relative_to(config.root) else str(file),
            file=file,
            raw=raw,
            encoding=used,
            ctx=ctx,
            title=title,
        )
