"""HTML pages: main-text extraction with trafilatura; title, date, site name and canonical URL as metadata."""

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


def extract_html(html: str, url: str | None = None) -> dict[str, Any] | None:
    """Main text and metadata of a page, or None when no main text is found."""
    import trafilatura  # heavy import, only for HTML sources

    result = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=False, favor_precision=True
    )
    if result is None:
        return None
    data = result.as_dict() if hasattr(result, "as_dict") else dict(result)
    text = (data.get("text") or "").strip()
    if not text or _only_links(html, text):
        return None
    return data


def _only_links(html: str, text: str) -> bool:
    """Whether the extracted text is nothing but the page's link texts (a menu, an index page): no article."""
    from lxml import html as lxml_html

    try:
        tree = lxml_html.fromstring(html)
    except (ValueError, TypeError, SyntaxError):  # lxml's parser errors derive from these
        return False
    links = {w for a in tree.iter("a") for w in (a.text_content() or "").split()}
    words = text.split()
    return bool(words) and all(w in links for w in words)


def read_html(
    config: Config, source: Source, ctx: IngestContext, files: list[Path] | None = None
) -> Iterator[dict[str, Any]]:
    """Documents of the source's files, or of `files` only (one partition of a distributed run)."""
    encoding = check_encoding_name(source)
    for file in source_files(config, source) if files is None else files:
        where = str(file)
        read = read_decoded(file, source, encoding, ctx)
        if read is None:
            continue
        raw, html, used = read
        data = extract_html(html)
        if data is None:
            ctx.problem("no_main_text", "no article text found in the page", where,
                        "check that the page is an article, not an index or an error page")
            continue
        url = data.get("url")
        key, kind = (url, "url") if url else (relative_key(config, source, file), "path")
        meta = {k: data[k] for k in ("author", "sitename", "hostname", "description", "categories", "tags")
                if data.get(k)}
        yield build_document(
            config,
            source,
            key=key,
            key_kind=kind,
            text=data["text"],
            uri=url or (str(file.relative_to(config.root)) if file.is_relative_to(config.root) else str(file)),
            file=file,
            raw=raw,
            encoding=used,
            ctx=ctx,
            title=data.get("title"),
            published=data.get("date"),
            outlet=data.get("sitename") or source.outlet,
            meta=meta,
        )
