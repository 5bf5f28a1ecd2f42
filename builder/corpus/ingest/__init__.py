"""Ingest: read raw articles from the configured sources into canonical documents.

One reader per format (text, csv, jsonl, html), each a generator of documents that reports unreadable files and
records to a RejectSink. `run_ingest` streams every source into `work/ingest/documents.jsonl`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from tqdm import tqdm

from builder.config import Config
from builder.corpus.ingest.base import IngestContext, InputProblem
from builder.corpus.ingest.csv_reader import read_csv
from builder.corpus.ingest.html_reader import read_html
from builder.corpus.ingest.jsonl_reader import read_jsonl_source
from builder.corpus.ingest.text_reader import read_text
from builder.jsonl import AtomicWriter
from builder.stage import RejectSink, StageDir

READERS = {"text": read_text, "csv": read_csv, "jsonl": read_jsonl_source, "html": read_html}

__all__ = ["READERS", "InputProblem", "iter_source", "iter_sources", "run_ingest"]


def iter_source(
    config: Config, source: dict[str, Any], ctx: IngestContext, files: list[Path] | None = None
) -> Iterator[dict[str, Any]]:
    """Documents of one configured source (of `files` only, when given: one partition of a distributed run)."""
    yield from READERS[source["format"]](config, source, ctx, files)


def iter_sources(config: Config, ctx: IngestContext) -> Iterator[dict[str, Any]]:
    for source in config["sources"]:
        yield from iter_source(config, source, ctx)


def write_documents(docs: Iterable[dict[str, Any]], writer: AtomicWriter, per_source: Counter[str]) -> None:
    """Write ingested documents, counting them per source (the whole stage, or one partition of it)."""
    for doc in docs:
        writer.write(doc)
        per_source[doc["source"]["name"]] += 1


def ingest_stats(per_source: Counter[str], rejected: Counter[str], repairs: Counter[str],
                 problems: list[InputProblem]) -> dict[str, Any]:
    return {
        "stage": "ingest",
        "documents_out": sum(per_source.values()),
        "per_source": dict(per_source),
        "rejected": dict(rejected),
        "repairs": dict(repairs),
        "input_errors": [p.message for p in problems],
    }


def run_ingest(config: Config, out: StageDir, *, progress: bool = False) -> dict[str, Any]:
    """Read every source into `out.documents`; return stats. Problems are counted, kept and listed, never fatal
    for the other records: the caller decides the exit code from `stats["input_errors"]`."""
    rejects = RejectSink("ingest", out.rejects)
    ctx = IngestContext(rejects=rejects)
    per_source: Counter[str] = Counter()
    ok = False
    try:
        with AtomicWriter(out.documents) as writer:
            docs = tqdm(iter_sources(config, ctx), desc="ingest", unit="doc", disable=not progress, leave=False)
            write_documents(docs, writer, per_source)
        ok = True
    finally:
        rejects.close(ok)
    stats = ingest_stats(per_source, rejects.counts, ctx.repairs, ctx.problems)
    out.write_stats(stats)
    return stats


def source_inputs(config: Config) -> list[Path]:
    """The files the sources read, for the resume fingerprint of `prepare`."""
    from builder.corpus.ingest.base import source_files

    files: list[Path] = []
    for source in config["sources"]:
        files.extend(source_files(config, source))
    return files
