"""The row pass of a build: the corpus, with the gold layer laid over it, and the raw annotation records.

The corpus is read in batches of lines that worker processes parse and turn into rows (`RowBuilder`); each batch's
tables come back as Arrow IPC files the parent maps, in corpus order. The licence gate is applied here
(`builder.release.licence`), and documents without a split, gold records of another text or of documents not in
the corpus stop or are counted and written to the build's rejects.
"""

from __future__ import annotations

import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
from datasets import Features

from builder.config import Config
from builder.errors import ConfigError
from builder.jsonl import batched, iter_lines, paused_gc, read_jsonl
from builder.labels import LabelSchema
from builder.parallel import map_batches, worker_count
from builder.check.edit_rates import EditCounter
from builder.release.features import SPAN_STATUSES, ReleaseLabels
from builder.release.gold import build_problem, load_gold, record_problems, stop
from builder.release.inputs import ReleaseInputs
from builder.release.conformance import document_problems
from builder.release.licence import may_redistribute, source_terms
from builder.release.rows.builder import BatchStats, RowBuilder
from builder.release.rows.documents import SPAN_LAYERS
from builder.stage import Progress, RejectSink

@dataclass
class PassContext:
    labels: ReleaseLabels
    schema: LabelSchema
    features: dict[str, Features]
    gold: dict[str, dict[str, Any]]
    declared: dict[str, dict[str, Any]]
    include_restricted: bool
    documents: str
    parts: str  # folder where workers leave each batch's tables as Arrow IPC files
    span_status: str  # annotation_status of gold records that do not say how they were decided
    annotated: frozenset[str] = frozenset()  # documents with a submitted annotation in the raw records


_CTX: PassContext | None = None


def _init(ctx: PassContext) -> None:
    global _CTX
    _CTX = ctx


@dataclass
class BatchResult:
    tables: dict[str, dict[str, str]]  # config -> split -> Arrow IPC file of this batch's rows
    stats: BatchStats
    rejects: list[tuple[str, str, str, dict[str, Any]]]  # reason, doc id, detail, source
    problems: list[dict[str, Any]]
    included: dict[str, str]  # doc id -> split
    sources: Counter  # (name, license, may be redistributed, included) -> documents


# How the spans of a document imported with its annotation were decided: by the corpus's own annotators.
IMPORTED = {"method": "imported", "annotators": None, "machine": False}


def _layers(doc: dict[str, Any], gold: dict[str, Any] | None) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The document with its gold layers laid over it, and which span layers were annotated."""
    if gold is None:
        return doc, tuple(k for k in SPAN_LAYERS if k in doc)
    gold = orjson.loads(gold["layers"])
    merged = {**doc, **{k: gold[k] for k in ("entities", "claims", "relations", "adjudication") if k in gold}}
    if "doc_labels" in gold:
        names = {d["name"] for d in gold["doc_labels"]}
        merged["doc_labels"] = [d for d in doc.get("doc_labels") or [] if d["name"] not in names] + gold["doc_labels"]
    return merged, tuple(k for k in SPAN_LAYERS if k in gold)


def _row_batch(lines: list[tuple[int, bytes]]) -> BatchResult:
    with paused_gc():
        return _rows_of(lines)


def _rows_of(lines: list[tuple[int, bytes]]) -> BatchResult:
    ctx = _CTX
    assert ctx is not None
    rows = RowBuilder(ctx.labels, ctx.features, ctx.span_status)
    result = BatchResult({}, rows.stats, [], [], {}, Counter())
    for line, raw in lines:
        doc = orjson.loads(raw)
        doc_id = doc.get("id")
        source = doc.get("source") or {}
        ok = may_redistribute(source, ctx.declared)
        result.sources[(source.get("name"), source.get("license"), ok, ok or ctx.include_restricted)] += 1
        if not ok and not ctx.include_restricted:
            result.rejects.append(("not_redistributable", doc_id,
                                   f"source '{source.get('name')}' (licence {source.get('license')!r}) may not be "
                                   "redistributed", source))
            continue
        split = doc.get("split")
        if not split:
            result.rejects.append(("no_split", doc_id, "the document has no split; run `newsbench prepare`", source))
            continue
        gold = ctx.gold.get(doc_id)
        if gold is not None and gold["text_sha256"] != doc.get("text_sha256"):
            result.problems.append(build_problem(ctx.documents, line, f"/text_sha256: the gold record ({gold['_where']}) "
                                         "was annotated on a different text; re-adjudicate on the current corpus",
                                         doc_id))
            continue
        doc, layers = _layers(doc, gold)
        if gold is None and layers:  # spans that came with the corpus (imported corpora) are checked here
            found = record_problems(doc, ctx.schema, ctx.documents, line)
            if found:
                result.problems += found
                continue
            doc = {**doc, "adjudication": IMPORTED}  # the corpus's own annotation: the card says where it came from
        row = rows.add_document(doc, split, layers, awaiting=gold is None and doc_id in ctx.annotated)
        result.included[doc_id] = split
        result.problems += [build_problem(ctx.documents, line, p, doc_id)
                            for p in document_problems(row, split, ctx.labels, not ctx.include_restricted)]
    result.tables = _spill(rows.tables(), Path(ctx.parts), lines[0][0] if lines else 0)
    return result


def _spill(tables: dict[str, dict[str, pa.Table]], folder: Path, first_line: int) -> dict[str, dict[str, str]]:
    """Write a batch's tables as uncompressed Arrow IPC files; the parent maps them instead of unpickling."""
    out: dict[str, dict[str, str]] = {}
    for config, splits in tables.items():
        for split, table in splits.items():
            path = folder / f"{first_line:012d}-{config}-{split}.arrow"
            with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)
            out.setdefault(config, {})[split] = str(path)
    return out


def _mapped(path: str) -> pa.Table:
    with pa.memory_map(path) as source:
        return pa.ipc.open_file(source).read_all()


@dataclass
class ReleaseRows:
    """Everything the row pass produced: tables per config and split, counters, what was left out."""

    tables: dict[str, dict[str, list[pa.Table]]] = field(default_factory=dict)
    stats: BatchStats = field(default_factory=BatchStats)
    rejects: Counter = field(default_factory=Counter)  # (reason, source) -> n
    sources: Counter = field(default_factory=Counter)
    included: dict[str, str] = field(default_factory=dict)
    gold_documents: int = 0
    gold_unused: list[str] = field(default_factory=list)
    edits: EditCounter = field(default_factory=EditCounter)  # pre-annotation edits of the released documents

    def add_tables(self, tables: dict[str, dict[str, pa.Table]]) -> None:
        for config, splits in tables.items():
            for split, table in splits.items():
                self.tables.setdefault(config, {}).setdefault(split, []).append(table)


def read_release_rows(config: Config, inputs: ReleaseInputs, schema: LabelSchema, labels: ReleaseLabels,
                      features: dict[str, Features], work: Path, *, include_restricted: bool,
                      progress: Progress | None = None) -> ReleaseRows:
    """Run the corpus (with gold laid over it) and the raw annotations through the row builders."""
    rel = config.release
    workers = worker_count(int(rel.workers))
    with paused_gc():
        gold = load_gold(inputs.gold, schema, work / "gold_problems.json", workers=workers,
                         batch_size=int(rel.batch_size))
    parts = work / "parts"
    shutil.rmtree(parts, ignore_errors=True)
    parts.mkdir(parents=True)
    status = str(rel.span_status)
    if status not in SPAN_STATUSES:
        raise ConfigError(f"release.span_status = {status!r} is not a span status", where=str(config.path or "config"),
                          fix=f"use one of {', '.join(SPAN_STATUSES)}")
    ctx = PassContext(labels, schema, features, gold, source_terms(config), include_restricted,
                      str(inputs.documents), str(parts), status, annotated_documents(inputs.raw))
    out = ReleaseRows(gold_documents=len(gold))
    problems: list[dict[str, Any]] = []
    seen: set[str] = set()
    sink = RejectSink("build", work / "rejects.jsonl")
    ok = False
    try:
        for result in map_batches(_row_batch, batched(iter_lines(inputs.documents), int(rel.batch_size)),
                                  workers=workers, initializer=_init, initargs=(ctx,)):
            out.add_tables({c: {sp: _mapped(path) for sp, path in splits.items()}
                            for c, splits in result.tables.items()})
            out.stats.update(result.stats)
            out.sources.update(result.sources)
            out.included.update(result.included)
            problems += result.problems
            seen.update(result.included)
            seen.update(p["document_id"] for p in result.problems)
            for reason, doc_id, detail, source in result.rejects:
                out.rejects[(reason, source.get("name"))] += 1
                sink.reject(reason, doc_id=doc_id, detail=detail, record={"source": source})
                seen.add(doc_id)
            if progress:
                progress("build", len(result.included), None)
        if problems:
            stop(problems, work / "gold_problems.json", "annotation",
                 "re-adjudicate the listed documents on the current corpus, or correct the spans")
        missing = sorted(set(gold) - seen)
        if missing:
            stop([build_problem(gold[d]["_where"].rsplit(":", 1)[0], int(gold[d]["_where"].rsplit(":", 1)[1]),
                        f"/id: the document is not in the corpus {inputs.documents}", d) for d in missing],
                 work / "gold_problems.json", "gold record",
                 "run `newsbench prepare` on the corpus the gold was made from, or remove the stale records")
        out.gold_unused = sorted(set(gold) - set(out.included))
        _raw_rows(inputs.raw, out, labels, features, sink)
        ok = True
    finally:
        sink.close(ok)
    return out


def annotated_documents(paths: tuple[Path, ...]) -> frozenset[str]:
    """The documents with at least one submitted annotation (not a skip) in the raw annotation records."""
    found = set()
    for path in paths:
        for record in read_jsonl(path):
            if any(not a.get("was_cancelled") for a in record.get("annotations") or []):
                found.add(record.get("document_id"))
    return frozenset(found)


def _raw_rows(paths: tuple[Path, ...], out: ReleaseRows, labels: ReleaseLabels, features: dict[str, Features],
              sink: RejectSink) -> None:
    """Rows of `raw_annotations` for the documents in the release; others are counted and written as rejects."""
    rows = RowBuilder(labels, features)
    for path in paths:
        for line, record in enumerate(read_jsonl(path), 1):
            doc_id = record.get("document_id")
            split = out.included.get(doc_id)
            if split is None:
                out.rejects[("annotation_of_document_not_in_release", None)] += 1
                sink.reject("annotation_of_document_not_in_release", kind="annotation_record", doc_id=doc_id,
                            where=f"{path}:{line}", detail="its document is not in this release (licence, "
                            "dedup or not in the corpus)")
                continue
            rows.add_raw(record, split)
            out.edits.add_record(record)
    out.stats.update(rows.stats)
    out.add_tables(rows.tables())
