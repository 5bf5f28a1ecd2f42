"""Sentence-labelled files (check-worthiness, claim detection): one line per sentence, with a label, an optional
speaker and an optional document key, as TSV, CSV or JSONL. Each document becomes a canonical document whose
sentences are the file's sentences (one a line of the text), each positive sentence a claim covering it.

Columns are found by header name (`text`/`sentence`, `label`, `speaker`, `document`/`debate`/`doc_id`, `split`);
flags override, and `columns` names the columns of a file without a header (`line,speaker,text,label`). Without a
document column, a file is one document. A label is positive when it is one of `positive` (1, yes, true) or, with
`threshold`, a number at or above it (graded labels); the raw label and the speaker of every sentence are kept in
the document's `meta.sentences`. With `target = "checkworthy"` a positive sentence is a claim whose check-worthiness
is the schema's positive value, and a negative one either no claim (`negatives = "none"`, the default: the
sentence holds nothing worth checking) or a claim with the negative value (`negatives = "claim"`); with
`target = "claim"` a positive sentence is a claim and a negative one holds none. Other required claim attributes
must be given (`attributes`), never guessed.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.corpus.characters import remove_invisible
from builder.corpus.imports.common import ImportTerms, normalise_split, provenance, read_text, split_of_file
from builder.corpus.ingest.base import InputProblem
from builder.corpus.segment import segment_text
from builder.document import make_doc_id, new_document
from builder.errors import ConfigError, InputError
from builder.jsonl import AtomicWriter, parse_object
from builder.labels import CHECKWORTHY, LabelSchema
from builder.stage import RejectSink, StageDir

ROLES = ("text", "label", "speaker", "document", "split")
HEADER_NAMES = {
    "text": ("text", "sentence", "sentence_text", "tweet_text", "claim_text", "content"),
    "label": ("label", "labels", "class_label", "check_worthiness", "check_worthy", "checkworthy", "claim", "gold"),
    "speaker": ("speaker", "speaker_name", "author"),
    "document": ("document", "doc", "doc_id", "document_id", "debate", "debate_id", "article", "article_id", "file"),
    "split": ("split", "set", "subset"),
}
TARGETS = ("checkworthy", "claim")
NEGATIVES = ("none", "claim")


@dataclass
class SentencesOptions(ImportTerms):
    columns: list[str] = field(default_factory=list)  # names of a headerless file's columns, in order
    text_column: str = ""
    label_column: str = ""
    speaker_column: str = ""
    document_column: str = ""
    delimiter: str = ""  # "" = by extension (.tsv tab, .csv comma), else sniffed
    positive: list[str] = field(default_factory=lambda: ["1", "yes", "true", "y"])
    negative: list[str] = field(default_factory=lambda: ["0", "no", "false", "n"])
    threshold: float | None = None
    target: str = "checkworthy"
    negatives: str = "none"
    attributes: dict[str, str] = field(default_factory=dict)  # other claim attributes every claim gets
    encoding: str = "utf-8"



def _rows(path: Path, options: SentencesOptions) -> Iterator[tuple[int, dict[str, Any] | None, str]]:
    """(line, the row as {column: value} or None, why not) of a TSV, CSV or JSONL file."""
    data = read_text(path, options.encoding)
    if path.suffix.lower() in (".jsonl", ".ndjson") or data.lstrip().startswith("{"):
        for n, line in enumerate(data.split("\n"), 1):
            if line.strip():
                record, why = parse_object(line, unique_keys=True)
                yield n, record, why or ""
        return
    delimiter = options.delimiter or {".tsv": "\t", ".csv": ","}.get(path.suffix.lower()) or _sniff(data)
    # TSV transcripts quote speech ("... we will," he said): a quote there is text, not CSV quoting
    quoting = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    reader = csv.reader(io.StringIO(data, newline=""), delimiter=delimiter, strict=quoting != csv.QUOTE_NONE,
                        quoting=quoting)
    header: list[str] | None = list(options.columns) or None
    while True:
        line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield line, None, f"cannot parse the row: {exc}"
            continue
        if not values or not any(v.strip() for v in values):
            continue
        if header is None:
            header = [h.strip() for h in values]
            continue
        if len(values) != len(header):
            yield line, None, f"{len(values)} fields, the header has {len(header)} ({header})"
            continue
        yield line, dict(zip(header, values)), ""


def _sniff(data: str) -> str:
    head = data[:4096]
    return "\t" if head.count("\t") >= head.count(",") else ","


def find_columns(names: Sequence[str], options: SentencesOptions, where: str) -> dict[str, str]:
    """Role -> column name, from the flags, else by header name (case-insensitive)."""
    given = {"text": options.text_column, "label": options.label_column, "speaker": options.speaker_column,
             "document": options.document_column}
    lower = {n.lower().strip(): n for n in names}
    out = {}
    for role in ROLES:
        if given.get(role):
            if given[role] not in names:
                raise InputError(f"no column {given[role]!r} (the {role} column) in {list(names)}", where=where,
                                 fix=f"name one of the columns with --{role}-column")
            out[role] = given[role]
            continue
        found = next((lower[h] for h in HEADER_NAMES[role] if h in lower), None)
        if found:
            out[role] = found
    for role in ("text", "label"):
        if role not in out:
            raise InputError(f"no {role} column among {list(names)}", where=where,
                             fix=f"name it with --{role}-column, or give the columns of a file without a header "
                             "with --columns (e.g. line,speaker,text,label)")
    return out


def check_options(options: SentencesOptions, schema: LabelSchema) -> tuple[str | None, str | None]:
    """(claim value of a positive sentence, of a negative one) for the check-worthiness attribute; refuses options
    the label schema cannot hold."""
    options.check()
    if options.label_map.entries:
        raise ConfigError("a sentence import takes no label map", fix="say which label values are positive with "
                          "--positive/--negative (or --threshold N for graded labels)")
    if options.target not in TARGETS:
        raise ConfigError(f"unknown target {options.target!r}", fix=f"use one of {', '.join(TARGETS)}")
    if options.negatives not in NEGATIVES:
        raise ConfigError(f"unknown negatives {options.negatives!r}", fix=f"use one of {', '.join(NEGATIVES)}")
    attrs = {a.name: a for a in schema.claim_attributes}
    for name, value in options.attributes.items():
        if name not in attrs or name == CHECKWORTHY and options.target == "checkworthy":
            raise ConfigError(f"claim attribute {name!r} cannot be given here", where=schema.path,
                              fix=f"give one of {', '.join(a for a in attrs if a != CHECKWORTHY) or '(none)'}")
        if value not in attrs[name].values:
            raise ConfigError(f"{name}={value!r} is not one of {list(attrs[name].values)}", where=schema.path,
                              fix=f"use one of {', '.join(attrs[name].values)}")
    pos = neg = None
    if options.target == "checkworthy":
        values = schema.checkworthy_values
        if not values:
            raise ConfigError("the label schema has no check-worthiness attribute", where=schema.path,
                              fix="add the claim attribute 'checkworthy' (values yes, no), or --target claim")
        pos = schema.positive_checkworthy
        neg = next((v for v in values if v != pos), None)
    given = set(options.attributes) | ({CHECKWORTHY} if options.target == "checkworthy" else set())
    missing = [a.name for a in schema.claim_attributes if a.required and a.name not in given]
    if missing:
        raise ConfigError(f"the label schema requires the claim attribute(s) {', '.join(missing)}, which a "
                          "sentence label does not give", where=schema.path,
                          fix=f"give them for every claim (--attribute {missing[0]}=VALUE), or make them optional "
                          "in the label schema (\"required\": false)")
    return pos, neg


def _positive(raw: str, options: SentencesOptions) -> bool | None:
    """Whether a label is positive; None when it is none of the known values (or not a number, with a
    threshold): such a row is refused, never guessed."""
    value = raw.strip().lower()
    if options.threshold is not None:
        try:
            return float(value) >= options.threshold
        except ValueError:
            return None
    if value in {p.lower() for p in options.positive}:
        return True
    if value in {n.lower() for n in options.negative}:
        return False
    return None


@dataclass
class _Doc:
    key: str
    line: int
    split: str | None
    sentences: list[tuple[int, str, str, str | None]] = field(default_factory=list)  # line, text, label, speaker


def import_sentences(paths: Sequence[str | Path], out: StageDir, options: SentencesOptions, schema: LabelSchema,
                     abbreviations: Sequence[str] = ()) -> tuple[dict[str, Any], list[InputProblem]]:
    """Import sentence-labelled files as documents into `out`; (stats, problems of rows that were not imported)."""
    pos_value, neg_value = check_options(options, schema)
    sink = RejectSink("import", out.rejects)
    problems: list[InputProblem] = []
    stats: dict[str, Any] = {"files": {}, "documents": 0, "sentences": 0}
    labels: Counter[str] = Counter()
    ok = False
    try:
        with AtomicWriter(out.documents) as writer:
            for raw_path in paths:
                path = Path(raw_path)
                docs = _read_file(path, options, sink, problems, labels)
                source = provenance(path, options)
                for d in docs.values():
                    doc = _document(d, path, source, options, pos_value, neg_value, abbreviations, sink)
                    writer.write(doc)
                    stats["sentences"] += len(d.sentences)
                stats["files"][str(path)] = {"documents": len(docs),
                                             "sentences": sum(len(d.sentences) for d in docs.values())}
                stats["documents"] += len(docs)
        ok = True
    finally:
        sink.close(ok)
    stats["labels"] = dict(sorted(labels.items()))
    stats["rejected"] = dict(sorted(sink.counts.items()))
    out.write_stats(stats)
    return stats, problems


def _read_file(path: Path, options: SentencesOptions, sink: RejectSink, problems: list[InputProblem],
               labels: Counter[str]) -> dict[str, _Doc]:
    columns: dict[str, str] | None = None
    docs: dict[str, _Doc] = {}
    file_split = options.split or split_of_file(path)
    for line, row, why in _rows(path, options):
        where = f"{path}:{line}"

        def refuse(reason: str, what: str, fix: str, record: Any = None) -> None:
            problems.append(InputProblem(what, where, fix))
            sink.reject(reason, kind="row", where=where, detail=f"{what} (fix: {fix})", record=record)

        if row is None:
            refuse("bad_row", why, "repair the row (check the delimiter and quoting)")
            continue
        if columns is None:
            columns = find_columns(list(row), options, str(path))
        text = row.get(columns["text"])
        raw_label = row.get(columns["label"])
        if not isinstance(text, str) or not remove_invisible(text)[0].strip():
            refuse("empty_text", "the sentence is empty", "fill or remove the row", row)
            continue
        if isinstance(raw_label, bool):
            raw_label = "1" if raw_label else "0"
        label = "" if raw_label is None else str(raw_label)
        if _positive(label, options) is None:
            refuse("unknown_label", f"label {label!r} is " + (
                f"not a number (threshold {options.threshold:g})" if options.threshold is not None else
                f"neither positive ({', '.join(options.positive)}) nor negative ({', '.join(options.negative)})"),
                "give the values with --positive/--negative, or --threshold N for graded labels", row)
            continue
        labels[label] += 1
        speaker = row.get(columns["speaker"]) if "speaker" in columns else None
        speaker = str(speaker).strip() or None if speaker is not None else None
        doc_key = str(row.get(columns["document"], "")).strip() if "document" in columns else ""
        key = f"{path.name}:{doc_key}" if doc_key else path.name
        split = normalise_split(row.get(columns["split"])) if "split" in columns else None
        if key not in docs:
            docs[key] = _Doc(key, line, split or file_split)
        elif split and docs[key].split != split:  # a document is in one split: the first row's
            sink.reject("split_conflict", kind="row", where=where, record=row,
                        detail=f"split {split!r}, but the document {doc_key or path.name!r} began in "
                        f"{docs[key].split!r}; the row is kept there")
        docs[key].sentences.append((line, " ".join(remove_invisible(text)[0].split()), label, speaker))
    return docs


def _document(d: _Doc, path: Path, source: dict[str, Any], options: SentencesOptions, pos_value: str | None,
              neg_value: str | None, abbreviations: Sequence[str], sink: RejectSink) -> dict[str, Any]:
    doc_id = make_doc_id(options.source, d.key)
    text = "\n".join(s[1] for s in d.sentences)
    doc = new_document(doc_id=doc_id, source={**source, "key": d.key, "row": d.line}, language=options.language,
                       text=text, meta={"import": {"format": "sentences", "file": path.name, "line": d.line},
                                        "sentences": [{"line": ln, "label": lab, "speaker": sp}
                                                      for ln, _, lab, sp in d.sentences]})
    sentences, claims, pos = [], [], 0
    for k, (_, sentence, label, _) in enumerate(d.sentences):
        _, parts = segment_text(sentence, abbreviations=abbreviations, language=options.language)
        tokens = [[pos + a, pos + b] for s in parts for a, b in s["tokens"]]
        sentences.append({"id": f"{doc_id}-s{k}", "start": pos, "end": pos + len(sentence), "passage_id": f"{doc_id}-p0",
                          "tokens": tokens})
        positive = _positive(label, options)
        value = pos_value if positive else neg_value
        if positive or (options.negatives == "claim" and options.target == "checkworthy"):
            claim = {"id": f"{doc_id}-c{len(claims)}", "offsets": [[pos, pos + len(sentence)]], "text": [sentence],
                     **options.attributes, "speaker_id": None}
            if options.target == "checkworthy":
                claim[CHECKWORTHY] = value
            claims.append(claim)
        pos += len(sentence) + 1
    doc["passages"] = [{"id": f"{doc_id}-p0", "type": "paragraph", "offsets": [[0, len(text)]]}]
    doc["sentences"] = sentences
    doc["claims"] = claims
    doc["relations"] = []
    if d.split:
        doc["split"] = d.split
    return doc
