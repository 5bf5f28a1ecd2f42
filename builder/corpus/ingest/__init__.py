"""Ingest: read raw articles from the configured sources into canonical documents.

One reader per format (text, csv, jsonl, html), each a generator of documents that reports unreadable files and
records to a RejectSink. The `Ingest` stage streams every source into `work/ingest/documents.jsonl`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.config import Config, Source
from builder.corpus.ingest.base import IngestContext, InputProblem, report_skipped, source_files
from builder.corpus.ingest.csv_reader import read_csv
from builder.corpus.ingest.html_reader import read_html
from builder.corpus.ingest.jsonl_reader import read_jsonl_source
from builder.corpus.ingest.text_reader import read_text
from builder.jsonl import AtomicWriter
from builder.stage import Progress, RejectSink, Stage, StageDir

READERS = {"text": read_text, "csv": read_csv, "jsonl": read_jsonl_source, "html": read_html}



def iter_source(
    config: Config, source: Source, ctx: IngestContext, files: list[Path] | None = None
) -> Iterator[dict[str, Any]]:
    """Documents of one configured source (of `files` only, when given: one partition of a distributed run)."""
    yield from READERS[source.format](config, source, ctx, files)


@dataclass
class IngestTally:
    per_source: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    repairs: Counter[str] = field(default_factory=Counter)
    problems: list[InputProblem] = field(default_factory=list)

    def merge(self, other: IngestTally) -> None:
        self.per_source.update(other.per_source)
        self.rejected.update(other.rejected)
        self.repairs.update(other.repairs)
        self.problems.extend(other.problems)

    def stats(self) -> dict[str, Any]:
        return {
            "stage": "ingest",
            "documents_out": sum(self.per_source.values()),
            "per_source": dict(self.per_source),
            "rejected": dict(self.rejected),
            "repairs": dict(self.repairs),
            "input_errors": [p.message for p in self.problems],
        }


def ingest_files(config: Config, source: Source, files: list[Path] | None, writer: AtomicWriter,
                 rejects: RejectSink, progress: Progress | None = None, *, report: bool | None = None) -> IngestTally:
    """One source (of `files` only, when given: a partition of a distributed run) into `writer` and `rejects`.

    Problems are counted, kept and listed, never fatal for the other records: the caller decides the exit code
    from the stats' `input_errors`."""
    ctx = IngestContext(rejects=rejects)
    tally = IngestTally()
    if files is None:  # the whole source, listed once
        files = report_skipped(config, source, ctx)
    elif report:  # the first partition of a distributed run reports for its source
        report_skipped(config, source, ctx)
    for doc in iter_source(config, source, ctx, files):
        writer.write(doc)
        tally.per_source[doc["source"]["name"]] += 1
        if progress:
            progress("ingest", 1, None)
    tally.repairs.update(ctx.repairs)
    tally.problems.extend(ctx.problems)
    return tally


class Ingest(Stage):
    """The ingest stage: every configured source read into canonical documents."""

    name = "ingest"
    previous = None
    sections = ("sources",)

    def input_files(self) -> list[Path]:
        """The files the sources read, for the resume fingerprint of `prepare`."""
        files: list[Path] = []
        for source in self.config.sources:
            files.extend(source_files(self.config, source))
        return files

    def write(self, in_path: Path | None, out: StageDir, writer: AtomicWriter, rejects: RejectSink,
              progress: Progress | None) -> IngestTally:
        tally = IngestTally()
        for source in self.config.sources:
            part = ingest_files(self.config, source, None, writer, rejects, progress)
            tally.merge(part)
        tally.rejected.update(rejects.counts)
        return tally
