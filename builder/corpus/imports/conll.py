"""CoNLL/BIO files: read sentences, and import them as canonical documents with gold entities.

A CoNLL file holds one token per line with columns (token first, the tag in a chosen column), a blank line
between sentences and optional `-DOCSTART-` lines between documents. Columns are split on tabs when a line has
one, else on runs of spaces (`delimiter="tab"` / `"space"` forces one); CRLF line endings are fine. Tags may be
IOB1, IOB2 or BIOES: spans are decoded with conlleval's rules, which read all three (`builder.tags`), and the
declared or detected scheme only decides which transitions count as ill-formed.

On import, each source label is mapped onto the label schema by a label map (`builder.labels.parse_label_map`:
`PPL=PER`); a label that is already a schema type maps to itself, a label mapped to "" is dropped on purpose, and
any other label is dropped as unmapped. Every
dropped entity is counted by reason and label and written to the rejects file. The document text is rebuilt
from the tokens (one space between tokens, one line per sentence), so every offset slices the text exactly.
"""

from __future__ import annotations

import codecs
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.corpus.characters import clean_token
from builder.corpus.imports.common import (ImportTerms, check_entity_map, entity_target, provenance,
                                           split_of_file)
from builder.document import make_doc_id, new_document
from builder.errors import ConfigError, InputError
from builder.jsonl import AtomicWriter, batched
from builder.labels import LabelMap, LabelSchema
from builder.tags import SCHEMES as TAG_SCHEMES
from builder.tags import SchemeReport, SequenceTagError, detect_scheme, ill_formed, iob2, sentence_spans
from builder.stage import RejectSink, StageDir

DOCSTART = "-DOCSTART-"
DELIMITERS = ("auto", "tab", "space")
SCHEMES = ("auto", *TAG_SCHEMES)


@dataclass
class Sentence:
    tokens: list[str]
    tags: list[str]
    line: int  # 1-based line of the first token
    doc: int  # index of the -DOCSTART- block it belongs to
    cleaned: int = 0  # tokens whose invisible or control characters were removed (a BOM, NUL bytes, ...)
    dropped: int = 0  # tokens of invisible characters only, left out


@dataclass
class ConllOptions(ImportTerms):
    """How to read the files (the terms of the imported documents come first, from ImportTerms)."""

    token_column: int = 0
    tag_column: int = -1  # the last column
    delimiter: str = "auto"  # auto | tab | space
    scheme: str = "auto"  # auto | iob1 | iob2 | bioes
    encoding: str = "utf-8"
    sentences_per_doc: int = 0  # 0: a document per -DOCSTART- block, or per sentence when there is none


def _columns(line: str, delimiter: str) -> list[str]:
    if delimiter == "tab" or (delimiter == "auto" and "\t" in line):
        return line.split("\t")
    return line.split()


def read_conll(
    path: str | Path,
    *,
    token_column: int = 0,
    tag_column: int = -1,
    delimiter: str = "auto",
    encoding: str = "utf-8",
) -> Iterator[Sentence]:
    """Yield the sentences of a CoNLL file; a line without the tag column raises a located InputError."""
    if delimiter not in DELIMITERS:
        raise ConfigError(f"unknown delimiter {delimiter!r}", fix=f"use one of {', '.join(DELIMITERS)}")
    path = Path(path)
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise ConfigError(f"unknown encoding {encoding!r}", where="--encoding",
                          fix="use a Python codec name such as utf-8, cp1252 or latin-1") from None
    try:  # utf-8-sig: a byte-order mark is not part of the first token
        fh = open(path, encoding="utf-8-sig" if codec == "utf-8" else encoding, newline=None)  # LF, CRLF and CR
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror}", where=str(path), fix="check the path") from exc
    tokens: list[str] = []
    tags: list[str] = []
    first = doc = cleaned = dropped = 0
    with fh:
        try:
            for lineno, raw in enumerate(fh, 1):
                line = raw.rstrip("\n")
                if not line.strip():
                    if tokens:
                        yield Sentence(tokens, tags, first, doc, cleaned, dropped)
                        tokens, tags, cleaned, dropped = [], [], 0, 0
                    continue
                cols = _columns(line, delimiter)
                if cols[0] == DOCSTART:
                    if tokens:
                        yield Sentence(tokens, tags, first, doc, cleaned, dropped)
                        tokens, tags, cleaned, dropped = [], [], 0, 0
                    doc += 1
                    continue
                try:
                    if len(cols) < 2:  # the token would be its own tag
                        raise IndexError
                    token, tag = cols[token_column].strip(), cols[tag_column].strip()
                    token, changed = clean_token(token)
                    cleaned += changed
                except IndexError:
                    raise InputError(
                        f"line has {len(cols)} column(s), no token column {token_column} or tag column {tag_column}",
                        where=f"{path}:{lineno}",
                        fix="choose the columns with --token-column/--tag-column or repair the line",
                    ) from None
                if not token and tag and cols[token_column].strip():
                    dropped += 1  # a token of invisible characters only (a lone U+200B): it holds no text
                    continue
                if not token or not tag:
                    raise InputError("empty token or tag" + (" (once its invisible or control characters are "
                                                             "removed)" if cols[token_column].strip() else ""),
                                     where=f"{path}:{lineno}", fix="repair the line (a sentence ends at a blank line)")
                if not tokens:
                    first = lineno
                tokens.append(token)
                tags.append(tag)
        except UnicodeError as exc:  # a decode error, or a codec's own refusal (UTF-16 without its BOM)
            why = f"{exc.reason} at byte {exc.start}" if isinstance(exc, UnicodeDecodeError) else str(exc)
            raise InputError(f"not {encoding} ({why})", where=str(path), fix="pass --encoding") from None
    if tokens:
        yield Sentence(tokens, tags, first, doc, cleaned, dropped)


def detect_file_scheme(sentences: Iterable[Sentence], *, where: str = "") -> tuple[SchemeReport, bool]:
    """The file's tag scheme (`builder.tags.detect_scheme`), and whether it has -DOCSTART- blocks."""
    docs = 0
    lines: list[int] = []

    def sequences() -> Iterator[list[str]]:
        nonlocal docs
        for s in sentences:
            docs = max(docs, s.doc)
            lines.append(s.line)
            yield s.tags

    try:
        report = detect_scheme(sequences())
    except SequenceTagError as exc:
        raise InputError(str(exc), where=f"{where}:{lines[exc.sequence] + exc.position}",
                         fix="tags must be O, B-TYPE, I-TYPE, E-TYPE or S-TYPE") from None
    return report, docs > 0


def _group(sentences: Iterable[Sentence], per_doc: int, by_docstart: bool) -> Iterator[list[Sentence]]:
    """Sentences grouped into documents: by -DOCSTART- block, then at most `per_doc` per document."""
    group: list[Sentence] = []
    for s in sentences:
        if group and ((by_docstart and s.doc != group[0].doc) or (per_doc and len(group) >= per_doc)):
            yield group
            group = []
        group.append(s)
    if group:
        yield group


def build_document(
    group: Sequence[Sentence],
    entities: Sequence[Sequence[tuple[int, int, str]]],
    *,
    path: Path,
    options: ConllOptions,
    source: dict[str, Any],
    label_map: LabelMap,
    types: set[str],
    sink: RejectSink,
    dropped: Counter[str],
) -> dict[str, Any]:
    """One canonical document from consecutive sentences and their decoded (token) spans."""
    key = f"{path.name}:{group[0].line}"
    doc_id = make_doc_id(options.source, key)
    parts: list[str] = []
    sentences: list[dict[str, Any]] = []
    ents: list[dict[str, Any]] = []
    pos = 0
    for n, (s, spans) in enumerate(zip(group, entities)):
        if n:
            parts.append("\n")
            pos += 1
        offsets = []
        for k, token in enumerate(s.tokens):
            if k:
                parts.append(" ")
                pos += 1
            offsets.append([pos, pos + len(token)])
            parts.append(token)
            pos += len(token)
        sentences.append({"id": f"{doc_id}-s{n}", "start": offsets[0][0], "end": pos, "passage_id": f"{doc_id}-p0",
                          "tokens": offsets})
        for start, end, label in spans:
            target = entity_target(label, label_map, types)
            if not target:
                reason = "unmapped_label" if target is None else "dropped_label"
                dropped[f"{reason}:{label}"] += 1
                sink.reject(reason, kind="entity", doc_id=doc_id, where=f"{path}:{s.line + start}",
                            detail=label, record={"tokens": s.tokens[start:end], "label": label})
                continue
            ents.append((offsets[start][0], offsets[end - 1][1], target))
    text = "".join(parts)
    doc = new_document(
        doc_id=doc_id,
        source={**source, "key": key, "row": group[0].line},
        language=options.language,
        text=text,
        meta={"conll": {"file": path.name, "line": group[0].line, "sentences": len(group)}},
    )
    doc["passages"] = [{"id": f"{doc_id}-p0", "type": "paragraph", "offsets": [[0, len(text)]]}]
    doc["sentences"] = sentences
    doc["entities"] = [
        {"id": f"{doc_id}-e{k}", "type": t, "offsets": [[a, b]], "text": [text[a:b]]} for k, (a, b, t) in enumerate(ents)
    ]
    split = options.split or split_of_file(path)
    if split:
        doc["split"] = split
    return doc


def import_conll(
    paths: Sequence[str | Path], out: StageDir, options: ConllOptions, schema: LabelSchema, *, batch_size: int = 2000
) -> dict[str, Any]:
    """Import CoNLL files as documents into `out` (documents, rejects, stats); return the stats.

    Each file is read twice, streaming: once to detect its tag scheme and -DOCSTART- blocks, once to build.
    """
    if options.scheme not in SCHEMES:
        raise ConfigError(f"unknown tag scheme {options.scheme!r}", fix=f"use one of {', '.join(SCHEMES)}")
    options.check()
    check_entity_map(options.label_map, schema, "a CoNLL import")
    label_map = options.label_map
    types = set(schema.entity_names)
    read = {"token_column": options.token_column, "tag_column": options.tag_column,
            "delimiter": options.delimiter, "encoding": options.encoding}
    sink = RejectSink("import", out.rejects)
    stats: dict[str, Any] = {"files": {}, "documents": 0, "sentences": 0, "tokens": 0}
    entity_counts: Counter[str] = Counter()
    source_labels: Counter[str] = Counter()
    dropped: Counter[str] = Counter()
    ok = False
    try:
        with AtomicWriter(out.documents) as writer:
            for raw_path in paths:
                path = Path(raw_path)
                report, has_docstart = detect_file_scheme(read_conll(path, **read), where=str(path))
                scheme = report.scheme if options.scheme == "auto" else options.scheme
                if scheme in ("iob1", "iob2") and (report.prefixes["E"] or report.prefixes["S"]):
                    raise InputError(f"E-/S- tags in a file declared {scheme}", where=str(path),
                                     fix="pass --scheme bioes or --scheme auto")
                source = provenance(path, options)
                file_stats = {"scheme": scheme, "documents": 0, "sentences": 0, "ill_formed_chunks": 0, "tokens_cleaned": 0,
                              "tokens_dropped": 0,
                              "split": options.split or split_of_file(path)}
                groups = _group(read_conll(path, **read), options.sentences_per_doc or (0 if has_docstart else 1),
                                has_docstart)
                for batch in batched(groups, max(1, batch_size // max(1, options.sentences_per_doc or 1))):
                    flat = [s for g in batch for s in g]
                    spans = sentence_spans([s.tags for s in flat])
                    k = 0
                    for group in batch:
                        ents = spans[k:k + len(group)]
                        k += len(group)
                        for s, es in zip(group, ents):
                            file_stats["ill_formed_chunks"] += ill_formed(s.tags, scheme)
                            source_labels.update(label for _, _, label in es)
                        doc = build_document(group, ents, path=path, options=options, source=source,
                                             label_map=label_map, types=types, sink=sink, dropped=dropped)
                        entity_counts.update(e["type"] for e in doc["entities"])
                        writer.write(doc)
                        file_stats["documents"] += 1
                        file_stats["sentences"] += len(group)
                        file_stats["tokens_cleaned"] += sum(x.cleaned for x in group)
                        file_stats["tokens_dropped"] += sum(x.dropped for x in group)
                        stats["tokens"] += sum(len(s.tokens) for s in group)
                stats["files"][str(path)] = file_stats
                stats["documents"] += file_stats["documents"]
                stats["sentences"] += file_stats["sentences"]
        ok = True
    finally:
        sink.close(ok)
    stats["source_labels"] = dict(sorted(source_labels.items()))
    stats["entities"] = dict(sorted(entity_counts.items()))
    stats["dropped"] = dict(sorted(sink.counts.items()))
    stats["dropped_by_label"] = dict(sorted(dropped.items()))
    out.write_stats(stats)
    return stats


def conll_sentences(path: str | Path, **read: Any) -> tuple[list[list[str]], list[list[str]]]:
    """(tokens, IOB2 tags) of every sentence of a file, for training and scoring outside a release.

    Tags are re-encoded as IOB2 from the decoded spans, so IOB1 and BIOES files come out as IOB2."""
    sentences = list(read_conll(path, **read))
    spans = sentence_spans([s.tags for s in sentences])
    return [s.tokens for s in sentences], [list(iob2(len(s.tokens), sp)[0]) for s, sp in zip(sentences, spans)]
