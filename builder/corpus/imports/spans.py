"""Span JSONL as other tools write it: canonical documents with gold entities, at the offsets the file gives.

One record a line (or one JSON array), with the text in `text` (`text_field`) and its spans in any of the shapes:
- doccano sequence labelling: `"label": [[start, end, "PER"], ...]` (older exports: `"labels"`), or doccano 1.x
  `"entities": [{"start_offset", "end_offset", "label"}]`;
- Prodigy: `"spans": [{"start", "end", "label"}]`, with `"answer"` (only `accept` is gold; others are counted);
- kb-style: `"entities": [{"offsets": [[start, end], ...], "type", "text": [...]}]` (a discontinuous entity keeps
  every piece).

Offsets are code points into the text, end exclusive, as these tools write them. The text is kept exactly as
given (the offsets point into it), and segmented into sentences and tokens with the project's rules. A span
outside the text, with a stated text that is not `text[start:end]`, of an unmapped label or overlapping a kept one
(when the schema does not allow nesting) is dropped and counted with its reason; a record that cannot be read (not
JSON, no text, a Prodigy answer other than accept) is kept in the rejects with its line.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.corpus.imports.common import (ImportTerms, check_entity_map, entity_target, normalise_split,
                                           provenance, read_text, split_of_file)
from builder.corpus.ingest.base import InputProblem, KeyTracker
from builder.corpus.segment import segment_text
from builder.document import make_doc_id, new_document
from builder.errors import ConfigError, InputError
from builder.jsonl import AtomicWriter, parse_object
from builder.labels import LabelSchema
from builder.stage import RejectSink, StageDir

ID_FIELDS = ("id", "doc_id", "document_id", "_id")
# The key under which another format's reader hands over what is not the record: {"shape": ..., "skip": (reason,
# detail), "layers": {layer: count}}
READER_KEY = "\x00newsbench"


@dataclass
class SpansOptions(ImportTerms):
    text_field: str = "text"
    id_field: str = ""  # default: the first of ID_FIELDS the record has, else file and line
    doc_labels: dict[str, str] = field(default_factory=dict)  # document label name -> the record's field
    encoding: str = "utf-8"



def json_records(path: Path, encoding: str) -> Iterator[tuple[int, dict[str, Any] | None, str | None, str]]:
    """(line, record or None, why not, raw text) of a JSONL file, or of a JSON array's elements (line = index + 1)."""
    data = read_text(path, encoding)
    if data.lstrip().startswith("["):
        try:
            items = json.loads(data)
        except json.JSONDecodeError as exc:
            raise InputError(f"not valid JSON: {exc}", where=str(path), fix="repair the file, or export it as JSONL") from None
        for n, item in enumerate(items if isinstance(items, list) else [items], 1):
            ok = isinstance(item, dict)
            yield n, item if ok else None, None if ok else f"element is a JSON {type(item).__name__}, not an object", (
                json.dumps(item, ensure_ascii=False))
        return
    for n, line in enumerate(data.split("\n"), 1):
        if line.strip():
            record, why = parse_object(line, unique_keys=True)
            yield n, record, why, line


def raw_spans(record: dict[str, Any]) -> tuple[str, list[tuple[Any, ...]]]:
    """(shape, [(pieces [[start, end], ...], label, stated texts or None)]) of a record, whatever tool wrote it."""
    out: list[tuple[Any, ...]] = []
    if isinstance(record.get("spans"), list):
        for s in record["spans"]:
            s = s if isinstance(s, dict) else {}
            out.append(([[s.get("start"), s.get("end")]], s.get("label"), [s["text"]] if "text" in s else None))
        return "prodigy", out
    ents = record.get("entities")
    if isinstance(ents, list):
        for e in ents:
            e = e if isinstance(e, dict) else {}
            if "offsets" in e:
                texts = e.get("text")
                out.append((e.get("offsets"), e.get("type", e.get("label")),
                            texts if isinstance(texts, list) else [texts] if isinstance(texts, str) else None))
            else:
                out.append(([[e.get("start_offset", e.get("start")), e.get("end_offset", e.get("end"))]],
                            e.get("label", e.get("type")), [e["text"]] if "text" in e else None))
        return "kb" if any("offsets" in e for e in ents if isinstance(e, dict)) else "doccano", out
    for key in ("label", "labels"):
        items = record.get(key)
        if isinstance(items, list) and all(isinstance(x, list) for x in items):
            for x in items:
                out.append(([x[:2]], x[2] if len(x) > 2 else None, None))
            return "doccano", out
    return "none", out


def _piece_ok(piece: Any, length: int) -> bool:
    return (isinstance(piece, list) and len(piece) == 2 and all(isinstance(v, int) and not isinstance(v, bool)
                                                                for v in piece)
            and 0 <= piece[0] < piece[1] <= length)


Reader = Callable[[Path, SpansOptions], Iterator[tuple[int, dict[str, Any] | None, str | None, str]]]


def import_spans(paths: Sequence[str | Path], out: StageDir, options: SpansOptions, schema: LabelSchema,
                 abbreviations: Sequence[str] = (), *, reader: Reader | None = None,
                 fmt: str = "spans") -> tuple[dict[str, Any], list[InputProblem]]:
    """Import span JSONL files as documents into `out` (documents, rejects, stats); (stats, record problems).
    Another format's `reader` may turn its files into span records (kb datasets, Label Studio exports)."""
    read = reader or (lambda path, opts: json_records(path, opts.encoding))
    options.check()
    check_entity_map(options.label_map, schema, "a span import")
    known_labels = {c.name: c for c in schema.doc_labels}
    for name in options.doc_labels:
        if name not in known_labels:
            raise ConfigError(f"document label {name!r} is not in the label schema", where=schema.path,
                              fix=f"use one of {', '.join(known_labels) or '(none declared)'}, or add it")
    types = set(schema.entity_names)
    sink = RejectSink("import", out.rejects)
    problems: list[InputProblem] = []
    stats: dict[str, Any] = {"files": {}, "documents": 0, "shapes": {}}
    entity_counts: Counter[str] = Counter()
    source_labels: Counter[str] = Counter()
    shapes: Counter[str] = Counter()
    ok = False
    try:
        with AtomicWriter(out.documents) as writer:
            for raw_path in paths:
                path = Path(raw_path)
                source = provenance(path, options)
                file_split = options.split or split_of_file(path)
                keys = KeyTracker()  # a repeated id gets '#n', as ingest's keys do
                n_docs = 0
                for line, record, why, raw in read(path, options):
                    where = f"{path}:{line}"

                    def refuse(reason: str, what: str, fix: str) -> None:
                        problems.append(InputProblem(what, where, fix))
                        sink.reject(reason, kind="record", where=where, detail=f"{what} (fix: {fix})", record=raw)

                    if record is None:  # a reader of another format says why, and how to fix it
                        refuse(*(why if isinstance(why, tuple) else
                                 ("bad_json_line", str(why), "repair the line: one JSON object per line")))
                        continue
                    # what another format's reader adds beside the record (never read from a user's own file)
                    own = record.pop(READER_KEY, {}) if reader is not None else {}
                    text = record.get(options.text_field)
                    if not isinstance(text, str) or not text.strip():
                        refuse("no_text", f"field {options.text_field!r} is missing or empty",
                               f"fill it, or name the text field with --text-field (fields: {', '.join(record)})")
                        continue
                    if own.get("skip"):  # a reader's reason not to import it
                        reason, detail = own["skip"]
                        sink.reject(str(reason), kind="record", where=where, detail=str(detail), record=raw)
                        continue
                    answer = record.get("answer")
                    if answer is not None and answer != "accept":
                        sink.reject("not_accepted", kind="record", where=where,
                                    detail=f"Prodigy answer {answer!r}: only accepted examples are gold", record=raw)
                        continue
                    id_field = options.id_field or next((f for f in ID_FIELDS if record.get(f) not in (None, "")), "")
                    key = keys.unique(f"{path.name}:{record[id_field]}" if id_field and record.get(id_field)
                                      not in (None, "") else f"{path.name}:{line}")
                    doc_id = make_doc_id(options.source, key)
                    shape, spans = raw_spans(record)
                    shape = str(own.get("shape") or shape)
                    if shape == "none":
                        refuse("no_spans", "the record has no span field this import knows (label, labels, spans, "
                               f"entities); its fields: {', '.join(record)}",
                               "export the spans as doccano, Prodigy or kb-style JSONL; a text without entities "
                               "still needs its empty list (\"label\": [])")
                        continue
                    shapes[shape] += 1
                    entities = []
                    for k, (pieces, label, stated) in enumerate(spans):
                        label = str(label) if label is not None else ""
                        source_labels[label] += 1
                        reason = None
                        if not isinstance(pieces, list) or not pieces or not all(_piece_ok(p, len(text)) for p in pieces):
                            reason, detail = "offset_range", f"offsets {pieces!r} are not inside the text " \
                                f"(length {len(text)}; integers, start < end)"
                        elif stated is not None and [text[a:b] for a, b in pieces] != list(stated):
                            reason, detail = "text_mismatch", f"stated text {stated!r} is not " \
                                f"{[text[a:b] for a, b in pieces]!r} at {pieces}"
                        else:
                            target = entity_target(label, options.label_map, types)
                            if not target:
                                reason = "unmapped_label" if target is None else "dropped_label"
                                detail = f"label {label!r}" + (
                                    f" is not an entity type: map it with --map {label}=TYPE (or {label}= to drop)"
                                    if target is None else " dropped by the label map")
                        if reason:
                            sink.reject(reason, kind="entity", doc_id=doc_id, where=f"{where} span {k}",
                                        detail=detail, record={"offsets": pieces, "label": label})
                            continue
                        entities.append(([[a, b] for a, b in pieces], target))
                    entities = _without_overlaps(entities, schema.allow_nested, sink, doc_id, where)
                    doc_labels = []
                    for name, fld in options.doc_labels.items():
                        value = record.get(fld)
                        if value in (None, ""):
                            continue
                        mapped = options.label_map.get(name, str(value))
                        if mapped == "":
                            continue
                        if mapped not in known_labels[name].values:
                            sink.reject("unknown_doc_label", kind="field", doc_id=doc_id, where=where,
                                        detail=f"{name} = {value!r} is not one of {list(known_labels[name].values)} "
                                        f"(fix: --map {name}:{value}=VALUE)", record=value)
                            continue
                        doc_labels.append({"name": name, "value": mapped, "provenance": f"source:{options.source}:{fld}"})
                    doc = new_document(doc_id=doc_id, source={**source, "key": key, "row": line},
                                       language=options.language, text=text, doc_labels=doc_labels,
                                       meta={"import": {"format": fmt, "shape": shape, "file": path.name,
                                                        "line": line}})
                    doc["passages"], doc["sentences"] = segment_text(
                        text, abbreviations=abbreviations, language=options.language, doc_id=doc_id)
                    doc["entities"] = [
                        {"id": f"{doc_id}-e{k}", "type": t, "offsets": pieces, "text": [text[a:b] for a, b in pieces]}
                        for k, (pieces, t) in enumerate(entities)]
                    split = normalise_split(record.get("split")) or file_split
                    if split:
                        doc["split"] = split
                    for layer, n in (own.get("layers") or {}).items():  # a kb record's other layers
                        sink.reject("layer_not_in_schema", kind=layer, doc_id=doc_id, where=where,
                                    detail=f"{n} {layer} not imported (the label schema has no such layer)")
                    entity_counts.update(t for _, t in entities)
                    writer.write(doc)
                    n_docs += 1
                stats["files"][str(path)] = {"documents": n_docs, "split": file_split}
                stats["documents"] += n_docs
        ok = True
    finally:
        sink.close(ok)
    stats["shapes"] = dict(sorted(shapes.items()))
    stats["source_labels"] = dict(sorted(source_labels.items()))
    stats["entities"] = dict(sorted(entity_counts.items()))
    stats["dropped"] = dict(sorted(sink.counts.items()))
    out.write_stats(stats)
    return stats, problems


def _without_overlaps(entities: list[tuple[list[list[int]], str]], allow_nested: bool, sink: RejectSink,
                      doc_id: str, where: str) -> list[tuple[list[list[int]], str]]:
    """The entities in text order; without nesting, a span overlapping a kept (earlier, then longer) one goes."""
    ordered = sorted(entities, key=lambda e: (e[0][0][0], -(e[0][-1][1] - e[0][0][0]), e[1]))
    if allow_nested:
        return ordered
    kept: list[tuple[list[list[int]], str]] = []
    end = -1
    for pieces, label in ordered:
        if pieces[0][0] < end:
            sink.reject("overlapping_span", kind="entity", doc_id=doc_id, where=where,
                        detail=f"{label} at {pieces} overlaps a span kept before it (the schema allows no nesting)",
                        record={"offsets": pieces, "label": label})
            continue
        kept.append((pieces, label))
        end = max(end, pieces[-1][1])
    return kept
