"""What a release is built from, and the pass that turns it into rows.

Inputs: the segmented corpus (`work/segment/documents.jsonl`), the gold layer (`annotations/gold/*.jsonl`,
canonical documents with entities, claims, relations and document labels), the canonical annotation records
(`annotations/canonical/*.jsonl`), the label and document schemas, and optionally baseline results, agreement
figures, the hand-written card sections and the prepare stages' statistics. Each is hashed for the manifest.

The licence gate is here: a document whose source may not be redistributed (or whose licence is unknown) is
left out of a public release, counted by source and written to `work/build/rejects.jsonl`; with
`release.include_restricted = true` it stays in and the release is private (publish refuses it).
Gold records are checked before any row is built; any problem stops the build with the full report.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
from datasets import Features

from builder.config import Config
from builder.release.dataset import CLAIM_LAYER, ENTITY_LAYER, SPAN_STATUSES, BatchStats, RowBuilder
from builder.document import SCHEMA_DIR
from builder.release.edit_rates import EditCounter
from builder.errors import ConfigError, DataInvalidError, InputError
from builder.jsonl import batched, paused_gc, read_jsonl, write_json
from builder.labels import LabelSchema
from builder.parallel import map_batches, worker_count
from builder.release.labels import ReleaseLabels
from builder.stage import RejectSink, file_digest
from builder.check.validate.records import RecordValidator
from builder.check.validate.problems import ERROR

STAGES = ("ingest", "clean", "dedup", "split", "segment")
UNKNOWN_LICENCES = {"", "unknown", "none", "proprietary", "all rights reserved"}
_MAX_REPORTED = 5  # problems quoted in the error message; all of them go to the report file


@dataclass(frozen=True)
class ReleaseInputs:
    documents: Path
    gold: tuple[Path, ...]
    raw: tuple[Path, ...]
    label_schema: Path
    document_schema: Path
    results: Path | None = None
    agreement: Path | None = None
    card_sections: tuple[Path, ...] = ()
    stage_stats: tuple[Path, ...] = ()

    def files(self) -> dict[str, list[Path]]:
        """Role -> files, in a fixed order."""
        return {
            "documents": [self.documents],
            "gold": list(self.gold),
            "raw_annotations": list(self.raw),
            "label_schema": [self.label_schema],
            "document_schema": [self.document_schema],
            "results": [self.results] if self.results else [],
            "agreement": [self.agreement] if self.agreement else [],
            "card_sections": list(self.card_sections),
            "stage_stats": list(self.stage_stats),
        }


def _optional(config: Config, value: str | Path | None, what: str) -> Path | None:
    if not value:
        return None
    path = config.resolve(value)
    if not path.is_file():
        raise InputError(f"{what} file not found", where=str(path), fix=f"pass an existing {what} JSON or leave it empty")
    return path


def collect_inputs(config: Config, *, documents: str | Path | None = None, results: str | Path | None = None,
                   agreement: str | Path | None = None) -> ReleaseInputs:
    """Find every input of a build from the config; missing required inputs raise a located InputError."""
    rel = config["release"]
    annotations = config.resolve(config.get("project.annotations_dir", "annotations"))
    doc_path = config.resolve(documents or rel["documents"] or config.stage_dir("segment") / "documents.jsonl")
    if not doc_path.is_file():
        raise InputError("corpus documents not found", where=str(doc_path),
                         fix="run `newsbench prepare` first, or set release.documents / pass --documents")
    gold_dir = config.resolve(rel["gold_dir"] or annotations / "gold")
    raw_dir = config.resolve(rel["raw_dir"] or annotations / "canonical")
    card_dir = config.resolve(rel["card_dir"]) if rel["card_dir"] else None
    label_schema = config.resolve(config.get("project.label_schema", "schema/labels.json"))
    stats = tuple(p for s in STAGES if (p := config.stage_dir(s) / "stats.json").is_file())
    return ReleaseInputs(
        documents=doc_path,
        gold=tuple(sorted(gold_dir.glob("*.jsonl"))) if gold_dir.is_dir() else (),
        raw=tuple(sorted(raw_dir.glob("*.jsonl"))) if raw_dir.is_dir() else (),
        label_schema=label_schema,
        document_schema=SCHEMA_DIR / "document.schema.json",
        results=_optional(config, results or rel["results"], "results"),
        agreement=_optional(config, agreement or rel["agreement"], "agreement"),
        card_sections=tuple(sorted(card_dir.glob("*.md"))) if card_dir and card_dir.is_dir() else (),
        stage_stats=stats,
    )


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.resolve().as_posix()


def input_digests(inputs: ReleaseInputs, root: Path) -> dict[str, list[dict[str, str]]]:
    """Role -> [{path (relative to the project), sha256}] for the manifest."""
    return {role: [{"path": _relative(p, root), "sha256": file_digest(p)} for p in paths]
            for role, paths in inputs.files().items()}


# ---- licences ----------------------------------------------------------------------------------------------


def source_terms(config: Config) -> dict[str, dict[str, Any]]:
    """Source name -> {license, redistributable} as the project config declares them."""
    return {s["name"]: {"license": str(s.get("license", "")), "redistributable": bool(s.get("redistributable"))}
            for s in config.get("sources", [])}


def may_redistribute(source: dict[str, Any], declared: dict[str, dict[str, Any]]) -> bool:
    """A document's source may be redistributed only if the record and the config both say so, under a known licence."""
    name = source.get("name")
    terms = declared.get(name, {})
    licences = {str(source.get("license") or "").strip().lower(), str(terms.get("license", source.get("license")) or "").strip().lower()}
    return (bool(source.get("redistributable")) and bool(terms.get("redistributable", True))
            and not licences & UNKNOWN_LICENCES)


# ---- checks of annotation layers ---------------------------------------------------------------------------
# Gold records and corpus documents that carry spans are checked by `builder.check.validate.RecordValidator` (document
# schema, labels and attribute values of the label schema, offsets, stated texts, speakers, relations, text hash).


@lru_cache(maxsize=4)
def _validator(schema: LabelSchema) -> RecordValidator:
    return RecordValidator(schema, None)


def record_problems(record: dict[str, Any], schema: LabelSchema, file: str, line: int) -> list[dict[str, Any]]:
    """The validator's errors of one record, located (file, line, document, pointer) with their fix."""
    _, problems = _validator(schema).check(record, {"file": file, "record": line})
    return [{"file": file, "line": line, "document_id": p.document_id, "problem": p.line(), "check": p.check,
             "pointer": p.pointer} for p in problems if p.severity == ERROR]


LAYER_KEYS = ("entities", "claims", "relations", "doc_labels")


_GOLD_SCHEMA: LabelSchema | None = None


def _init_gold(schema: LabelSchema) -> None:
    global _GOLD_SCHEMA
    _GOLD_SCHEMA = schema


def _mine(file: str, line: int, what: str, document_id: str | None = None) -> dict[str, Any]:
    """A problem found by the build itself, in the validator's one-line form."""
    where = f"{file} record {line}" + (f" doc {document_id}" if document_id else "")
    return {"file": file, "line": line, "document_id": document_id, "problem": f"error: {where}: {what}"}


def _gold_batch(lines: list[tuple[str, int, bytes]]) -> list[tuple[str, str, str, bytes, list[dict[str, Any]]]]:
    """Per gold record: (id, where, text_sha256, its layers as JSON, problems); the text is not kept."""
    out = []
    with paused_gc():
        for path, line, raw in lines:
            try:
                record = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                out.append(("", f"{path}:{line}", "", b"", [_mine(path, line, f"the line is not valid JSON ({exc})")]))
                continue
            if not isinstance(record, dict):
                out.append(("", f"{path}:{line}", "", b"", [_mine(path, line, "the line is not a JSON object")]))
                continue
            problems = record_problems(record, _GOLD_SCHEMA, path, line)
            layers = {k: record[k] for k in LAYER_KEYS if k in record}
            out.append((str(record.get("id")), f"{path}:{line}", str(record.get("text_sha256")),
                        orjson.dumps(layers), problems))
    return out


def load_gold(paths: tuple[Path, ...], schema: LabelSchema, report: Path, *, workers: int = 1,
              batch_size: int = 1000) -> dict[str, dict[str, Any]]:
    """Document id -> {where, text_sha256, layers (JSON bytes)}. Every record is checked; any problem stops
    the build with the full report.

    The layers a record holds (an `entities` or `claims` key, even an empty list) are the layers that were
    annotated; a document's text must match the corpus (`text_sha256`), which the row pass checks.
    """
    gold: dict[str, dict[str, Any]] = {}
    problems: list[dict[str, Any]] = []
    lines = ((str(path), n, raw) for path in paths for batch in _numbered(path, batch_size) for n, raw in batch)
    for results in map_batches(_gold_batch, batched(lines, batch_size), workers=workers, initializer=_init_gold,
                               initargs=(schema,)):
        for doc_id, where, text_sha256, layers, found in results:
            file, line = where.rsplit(":", 1)
            if doc_id in gold:
                found = [*found, _mine(file, int(line), f"/id: a second gold record of the document (the first is "
                                                       f"{gold[doc_id]['_where']})", doc_id)]
            problems += found
            if not found:
                gold[doc_id] = {"_where": where, "text_sha256": text_sha256, "layers": layers}
    if problems:
        stop(problems, report, "gold record", "fix the gold layer (newsbench validate / adjudicate) and build again")
    return gold


def stop(problems: list[dict[str, Any]], report: Path, what: str, fix: str) -> None:
    """Write every problem to the report and raise one located error quoting the first ones."""
    write_json(report, {"problems": problems, "count": len(problems)})
    shown = "; ".join(p["problem"] for p in problems[:_MAX_REPORTED])
    more = f" (and {len(problems) - _MAX_REPORTED} more)" if len(problems) > _MAX_REPORTED else ""
    raise DataInvalidError(f"{len(problems)} {what} problem(s): {shown}{more}; full report: {report}",
                           where=problems[0]["file"], fix=fix)


# ---- the row pass ------------------------------------------------------------------------------------------


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
    span_status: str  # annotation_status of the annotated documents (release.span_status)


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


def _layers(doc: dict[str, Any], gold: dict[str, Any] | None) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The document with its gold layers laid over it, and which span layers were annotated."""
    if gold is None:
        return doc, tuple(k for k in (ENTITY_LAYER, CLAIM_LAYER) if k in doc)
    gold = orjson.loads(gold["layers"])
    merged = {**doc, **{k: gold[k] for k in ("entities", "claims", "relations") if k in gold}}
    if "doc_labels" in gold:
        names = {d["name"] for d in gold["doc_labels"]}
        merged["doc_labels"] = [d for d in doc.get("doc_labels") or [] if d["name"] not in names] + gold["doc_labels"]
    return merged, tuple(k for k in (ENTITY_LAYER, CLAIM_LAYER) if k in gold)


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
            result.problems.append(_mine(ctx.documents, line, f"/text_sha256: the gold record ({gold['_where']}) "
                                         "was annotated on a different text; re-adjudicate on the current corpus",
                                         doc_id))
            continue
        doc, layers = _layers(doc, gold)
        if gold is None and layers:  # spans that came with the corpus (imported corpora) are checked here
            found = record_problems(doc, ctx.schema, ctx.documents, line)
            if found:
                result.problems += found
                continue
        rows.add_document(doc, split, layers)
        result.included[doc_id] = split
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


def _numbered(path: Path, size: int) -> Iterator[list[tuple[int, bytes]]]:
    """Batches of (line number, raw line) so that workers, not the parent, parse the JSON."""
    try:
        fh = open(path, "rb")
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror}", where=str(path), fix="check the path") from exc
    with fh:
        numbered = ((n, line) for n, line in enumerate(fh, 1) if line.strip())
        yield from batched(numbered, size)


def read_release_rows(config: Config, inputs: ReleaseInputs, schema: LabelSchema, labels: ReleaseLabels,
                      features: dict[str, Features], work: Path, *, include_restricted: bool,
                      progress: Callable[[int], None] | None = None) -> ReleaseRows:
    """Run the corpus (with gold laid over it) and the raw annotations through the row builders."""
    rel = config["release"]
    workers = worker_count(int(rel["workers"]))
    with paused_gc():
        gold = load_gold(inputs.gold, schema, work / "gold_problems.json", workers=workers,
                         batch_size=int(rel["batch_size"]))
    parts = work / "parts"
    shutil.rmtree(parts, ignore_errors=True)
    parts.mkdir(parents=True)
    status = str(rel["span_status"])
    if status not in SPAN_STATUSES:
        raise ConfigError(f"release.span_status = {status!r} is not a span status", where=str(config.path or "config"),
                          fix=f"use one of {', '.join(SPAN_STATUSES)}")
    ctx = PassContext(labels, schema, features, gold, source_terms(config), include_restricted,
                      str(inputs.documents), str(parts), status)
    out = ReleaseRows(gold_documents=len(gold))
    problems: list[dict[str, Any]] = []
    seen: set[str] = set()
    sink = RejectSink("build", work / "rejects.jsonl")
    ok = False
    try:
        for result in map_batches(_row_batch, _numbered(inputs.documents, int(rel["batch_size"])),
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
                progress(len(result.included))
        if problems:
            stop(problems, work / "gold_problems.json", "annotation",
                 "re-adjudicate the listed documents on the current corpus, or correct the spans")
        missing = sorted(set(gold) - seen)
        if missing:
            stop([_mine(gold[d]["_where"].rsplit(":", 1)[0], int(gold[d]["_where"].rsplit(":", 1)[1]),
                        f"/id: the document is not in the corpus {inputs.documents}", d) for d in missing],
                 work / "gold_problems.json", "gold record",
                 "run `newsbench prepare` on the corpus the gold was made from, or remove the stale records")
        out.gold_unused = sorted(set(gold) - set(out.included))
        _raw_rows(inputs.raw, out, labels, features, sink)
        ok = True
    finally:
        sink.close(ok)
    return out


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

