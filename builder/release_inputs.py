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

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
from datasets import Features

from builder.config import Config
from builder.dataset import CLAIM_LAYER, ENTITY_LAYER, BatchStats, RowBuilder
from builder.document import SCHEMA_DIR, document_errors, load_schema
from builder.errors import DataInvalidError, InputError
from builder.jsonl import batched, read_jsonl, write_json
from builder.labels import LabelSchema
from builder.parallel import map_batches, worker_count
from builder.release_labels import ReleaseLabels
from builder.stage import RejectSink, file_digest

STAGES = ("ingest", "clean", "dedup", "split", "segment")
UNKNOWN_LICENCES = {"", "unknown", "none", "proprietary", "all rights reserved"}
_MAX_REPORTED = 20  # problems quoted in the error message; all of them go to the report file


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


def layer_problems(doc: dict[str, Any], schema: LabelSchema) -> list[str]:
    """Semantic problems of a document's entities, claims, relations and document labels, each with its pointer.

    The checks a release cannot do without: labels in the label schema, offsets inside the text, stated span
    text equal to the slice, unique ids, speakers and relation arguments that exist.
    """
    text = doc.get("text") or ""
    out: list[str] = []
    ids: Counter[str] = Counter()
    entity_ids = set()
    types = set(schema.entity_names)

    def spans(kind: str, i: int, item: dict[str, Any]) -> None:
        ids[str(item.get("id"))] += 1
        pieces = item.get("text") or []
        for k, (a, b) in enumerate(item.get("offsets") or []):
            if not 0 <= a < b <= len(text):
                out.append(f"/{kind}/{i}/offsets/{k}: [{a}, {b}] is outside the text (length {len(text)})")
            elif k < len(pieces) and pieces[k] != text[a:b]:
                out.append(f"/{kind}/{i}/text/{k}: states {pieces[k]!r} but the text holds {text[a:b]!r}")

    for i, e in enumerate(doc.get("entities") or []):
        spans("entities", i, e)
        entity_ids.add(str(e.get("id")))
        if e.get("type") not in types:
            out.append(f"/entities/{i}/type: '{e.get('type')}' is not an entity type of the label schema "
                       f"({', '.join(schema.entity_names)})")
    for i, c in enumerate(doc.get("claims") or []):
        spans("claims", i, c)
        for attr in schema.claim_attributes:
            value = c.get(attr.name)
            if value is not None and value not in attr.values:
                out.append(f"/claims/{i}/{attr.name}: '{value}' is not one of {', '.join(attr.values)}")
        if c.get("speaker_id") is not None and str(c["speaker_id"]) not in entity_ids:
            out.append(f"/claims/{i}/speaker_id: '{c['speaker_id']}' is not an entity of this document")
    relation_types = {r.name for r in schema.relations}
    for i, r in enumerate(doc.get("relations") or []):
        ids[str(r.get("id"))] += 1
        if r.get("type") not in relation_types:
            out.append(f"/relations/{i}/type: '{r.get('type')}' is not a relation of the label schema")
        for key in ("arg1_id", "arg2_id"):
            if str(r.get(key)) not in ids:
                out.append(f"/relations/{i}/{key}: '{r.get(key)}' is not a span of this document")
    doc_values = {d.name: d.values for d in schema.doc_labels}
    for i, d in enumerate(doc.get("doc_labels") or []):
        if d.get("name") not in doc_values:
            out.append(f"/doc_labels/{i}/name: '{d.get('name')}' is not a document label of the label schema")
        elif d.get("value") not in doc_values[d["name"]]:
            out.append(f"/doc_labels/{i}/value: '{d.get('value')}' is not one of {', '.join(doc_values[d['name']])}")
    out += [f"/: id '{k}' is used {n} times" for k, n in ids.items() if n > 1]
    return out


def _schema_checker() -> Callable[[dict[str, Any]], list[str]]:
    """Document-schema problems of a record: a compiled validator for the pass, `jsonschema` for the messages."""
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - the compiled validator is optional
        return document_errors
    fast = jsonschema_rs.validator_for(load_schema("document"))
    return lambda record: [] if fast.is_valid(record) else document_errors(record)


LAYER_KEYS = ("entities", "claims", "relations", "doc_labels")


def load_gold(paths: tuple[Path, ...], schema: LabelSchema, report: Path) -> dict[str, dict[str, Any]]:
    """Document id -> the gold layers of its record. Every record is checked; any problem stops the build.

    The layers a record holds (an `entities` or `claims` key, even an empty list) are the layers that were
    annotated; a document's text must match the corpus (`text_sha256`), which the row pass checks.
    """
    gold: dict[str, dict[str, Any]] = {}
    problems: list[dict[str, Any]] = []
    check_schema = _schema_checker()
    for path in paths:
        for line, record in enumerate(read_jsonl(path), 1):
            where = {"file": str(path), "line": line, "document_id": record.get("id")}
            found = check_schema(record) or layer_problems(record, schema)
            if record.get("id") in gold:
                found.append(f"/id: document '{record['id']}' has a second gold record (the first is in "
                             f"{gold[record['id']]['_where']})")
            problems += [{**where, "problem": p} for p in found]
            if not found:
                gold[record["id"]] = {"_where": f"{path}:{line}", "text_sha256": record["text_sha256"],
                                      **{k: record[k] for k in LAYER_KEYS if k in record}}
    if problems:
        stop(problems, report, "gold record", "fix the gold layer (newsbench validate / adjudicate) and build again")
    return gold


def stop(problems: list[dict[str, Any]], report: Path, what: str, fix: str) -> None:
    """Write every problem to the report and raise one located error quoting the first ones."""
    write_json(report, {"problems": problems, "count": len(problems)})
    shown = "; ".join(f"{p['file']}:{p['line']} {p.get('document_id')}: {p['problem']}"
                      for p in problems[:_MAX_REPORTED])
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


_CTX: PassContext | None = None


def _init(ctx: PassContext) -> None:
    global _CTX
    _CTX = ctx


@dataclass
class BatchResult:
    tables: dict[str, dict[str, pa.Table]]
    stats: BatchStats
    rejects: list[tuple[str, str, str, dict[str, Any]]]  # reason, doc id, detail, source
    problems: list[dict[str, Any]]
    included: dict[str, str]  # doc id -> split
    sources: Counter  # (name, license, may be redistributed, included) -> documents


def _layers(doc: dict[str, Any], gold: dict[str, Any] | None) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The document with its gold layers laid over it, and which span layers were annotated."""
    if gold is None:
        return doc, tuple(k for k in (ENTITY_LAYER, CLAIM_LAYER) if k in doc)
    merged = {**doc, **{k: gold[k] for k in ("entities", "claims", "relations") if k in gold}}
    if "doc_labels" in gold:
        names = {d["name"] for d in gold["doc_labels"]}
        merged["doc_labels"] = [d for d in doc.get("doc_labels") or [] if d["name"] not in names] + gold["doc_labels"]
    return merged, tuple(k for k in (ENTITY_LAYER, CLAIM_LAYER) if k in gold)


def _row_batch(lines: list[tuple[int, bytes]]) -> BatchResult:
    ctx = _CTX
    assert ctx is not None
    rows = RowBuilder(ctx.labels, ctx.features)
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
        where = {"file": ctx.documents, "line": line, "document_id": doc_id}
        if gold is not None and gold["text_sha256"] != doc.get("text_sha256"):
            result.problems.append({**where, "problem": f"the gold record ({gold['_where']}) was annotated on a "
                                    "different text (text_sha256 differs); re-adjudicate on the current corpus"})
            continue
        doc, layers = _layers(doc, gold)
        if gold is None and layers:  # spans that came with the corpus (imported corpora) are checked here
            found = layer_problems(doc, ctx.schema)
            if found:
                result.problems += [{**where, "problem": p} for p in found]
                continue
        rows.add_document(doc, split, layers)
        result.included[doc_id] = split
    result.tables = rows.tables()
    return result


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
    gold = load_gold(inputs.gold, schema, work / "gold_problems.json")
    ctx = PassContext(labels, schema, features, gold, source_terms(config), include_restricted,
                      str(inputs.documents))
    rel = config["release"]
    out = ReleaseRows(gold_documents=len(gold))
    problems: list[dict[str, Any]] = []
    seen: set[str] = set()
    sink = RejectSink("build", work / "rejects.jsonl")
    ok = False
    try:
        for result in map_batches(_row_batch, _numbered(inputs.documents, int(rel["batch_size"])),
                                  workers=worker_count(int(rel["workers"])), initializer=_init, initargs=(ctx,)):
            out.add_tables(result.tables)
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
            stop([{"file": gold[d]["_where"].rsplit(":", 1)[0], "line": gold[d]["_where"].rsplit(":", 1)[1],
                   "document_id": d, "problem": f"gold record of a document that is not in the corpus "
                   f"{inputs.documents}"} for d in missing], work / "gold_problems.json", "gold record",
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
    out.stats.update(rows.stats)
    out.add_tables(rows.tables())

