"""Prediction files: JSONL, one line per unit, checked against the gold split before anything is scored.

Formats (the README has the reference):
- ner, tags:   {"sentence_id": "<id>", "tags": ["O", "B-PER", "I-PER", ...]}   one tag per gold token, IOB2
- ner, spans:  {"document_id": "<id>", "entities": [{"start": 0, "end": 12, "label": "PER"}, ...]}
               character offsets into the document text, end exclusive
- claims:      {"sentence_id": "<id>", "score": 0.83, "checkworthy": "yes"}
               optional: "has_claim": true, "claims": [{"start": 5, "end": 40, "speaker": "Putin"}]
               (offsets into the sentence text)
- documents:   {"document_id": "<id>", "label": "hoax", "score": 0.91}   (score optional: confidence in label)

The checker reads the whole file and collects every problem with its line (unknown or repeated ids, units
without a prediction, wrong tag counts, unknown labels, offsets out of range, wrong types) before failing.
"""

from __future__ import annotations

from contextvars import ContextVar

import math
from collections.abc import Iterator
import re
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from builder.errors import DataInvalidError, InputError
from builder.bench.evaluate.gold import DocumentGold, TokenGold
from builder.jsonl import key_ends, parse_object, repeated_keys, paused_gc

MAX_SHOWN = 50
_BLANK_LINE = re.compile(rb"\n[ \t\r]*\n")


class PredictionsInvalid(DataInvalidError):
    """The predictions file does not fit the gold split; `problems` holds every located problem."""

    def __init__(self, path: Path, problems: list[str], total: int) -> None:
        self.problems = problems
        self.total = total
        more = f" (and {total - 1} more problem(s))" if total > 1 else ""
        super().__init__(f"{problems[0]}{more}", where=None,
                         fix="correct the predictions; `newsbench evaluate --check` lists every problem")


MAX_PROBLEMS: ContextVar[int] = ContextVar("max_problems", default=1000)  # `evaluate --max-problems`
FAST_BYTES = 64 << 20  # files up to this size are parsed in one call; larger ones line by line, memory bounded
MAX_LINE = 16 << 20  # a longer line is a problem, never read into memory whole


class Problems:
    """Problems found in one file, each located as `file:line: what`; reading stops at MAX_PROBLEMS."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: list[str] = []
        self.total = 0
        self.limit = MAX_PROBLEMS.get()
        self.stopped = False

    def add(self, line: int | None, what: str) -> None:
        self.total += 1
        if len(self.items) < MAX_SHOWN:
            self.items.append(f"{self.path}:{line}: {what}" if line else f"{self.path}: {what}")
        if self.limit and self.total >= self.limit and not self.stopped:
            self.stopped = True
            self.items.append(f"{self.path}: stopped after {self.total} problems (--max-problems {self.limit})")
            raise PredictionsInvalid(self.path, self.items, self.total)  # a garbage file is never read to its end

    def raise_if_any(self) -> None:
        if self.total:
            raise PredictionsInvalid(self.path, self.items, self.total)


def _bounded_lines(path: Path) -> Iterator[tuple[int, bytes | None]]:
    """(line number, line) of the file, read in pieces; None for a line longer than MAX_LINE (skipped)."""
    with open(path, "rb") as fh:
        n = 0
        while True:
            line = fh.readline(MAX_LINE)
            if not line:
                return
            n += 1
            if len(line) >= MAX_LINE and not line.endswith(b"\n"):
                while line and not line.endswith(b"\n"):
                    line = fh.readline(MAX_LINE)
                yield n, None
                continue
            yield n, line


def _streamed(path: Path, problems: Problems) -> list[tuple[int, dict[str, Any]]]:
    out = []
    for n, line in _bounded_lines(path):
        if line is None:
            problems.add(n, f"the line is longer than {MAX_LINE:,} bytes")
        elif line.strip():
            record, why = parse_object(line, unique_keys=True)
            if record is None:
                problems.add(n, str(why))
            else:
                out.append((n, record))
    return out


def read_lines(path: Path, problems: Problems) -> list[tuple[int, dict[str, Any]]]:
    """(line number, record) of every non-blank line that holds a JSON object; the others are problems.

    A file up to FAST_BYTES is parsed as one JSON array when it can be (one call instead of one per line); a
    larger file, or one with a bad line, is read line by line, and reading stops at MAX_PROBLEMS problems."""
    try:
        if path.stat().st_size > FAST_BYTES:
            return _streamed(path, problems)
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot open the predictions: {exc.strerror}", where=str(path), fix="check the path") from exc
    body = data.strip()
    if not _BLANK_LINE.search(body):  # the usual file: line k is record k, joined in one copy
        numbered = range(1, body.count(b"\n") + 2) if body else range(0)
        joined = b"[" + body.replace(b"\n", b",") + b"]"
    else:
        pairs = [(n, line) for n, line in enumerate(data.splitlines(), 1) if line.strip()]
        numbered = [n for n, _ in pairs]
        joined = b"[" + b",".join(line for _, line in pairs) + b"]"
    try:
        records = orjson.loads(joined)
        if len(records) != len(numbered):  # a line holding "1, 2" parses as two values
            raise orjson.JSONDecodeError("", "", 0)
        if repeated_keys(joined, records):  # some line repeats a key: find which, line by line
            raise orjson.JSONDecodeError("", "", 0)
    except orjson.JSONDecodeError:
        lines = data.splitlines()
        out = []
        for n in numbered:
            record, why = parse_object(lines[n - 1], unique_keys=True)
            if record is None:
                problems.add(n, str(why))
            else:
                out.append((n, record))
        return out
    out = []
    for n, record in zip(numbered, records):
        if type(record) is dict:
            out.append((n, record))
        else:
            problems.add(n, f"line holds a JSON {type(record).__name__}, not an object")
    return out


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return (isinstance(v, (int, float)) and not isinstance(v, bool)) and math.isfinite(v)


def _unit(record: dict[str, Any], key: str, index: dict[str, int], seen: dict[int, int], lineno: int,
          problems: Problems, what: str) -> int | None:
    uid = record.get(key)
    if not isinstance(uid, str):
        problems.add(lineno, f"'{key}' is missing or not a string")
        return None
    i = index.get(uid)
    if i is None:
        problems.add(lineno, f"unknown {what} id '{uid}' (not in this split of the release)")
        return None
    if i in seen:
        problems.add(lineno, f"{what} id '{uid}' repeated (first on line {seen[i]})")
        return None
    seen[i] = lineno
    return i


def _missing(problems: Problems, ids: list[str], seen: dict[int, int], what: str, allow: bool) -> np.ndarray:
    """Mask of units with a prediction; units without one are a problem unless `allow`."""
    have = np.zeros(len(ids), dtype=bool)
    have[list(seen)] = True
    if not allow and not have.all():
        absent = [ids[i] for i in np.flatnonzero(~have)[:5]]
        problems.add(None, f"{int((~have).sum())} {what}(s) of the split have no prediction, e.g. "
                           f"{', '.join(absent)} (write a line for every {what}, or pass --allow-missing)")
    return have


# ---- ner ---------------------------------------------------------------------------------------------------


@dataclass
class NerPredictions:
    format: str  # "tags" | "spans"
    codes: np.ndarray | None = None  # tags: flat codes aligned with the gold tokens (O where missing)
    doc: np.ndarray | None = None  # spans: document index, start, end, label name per span
    start: np.ndarray | None = None
    end: np.ndarray | None = None
    label: list[str] = field(default_factory=list)
    lines: int = 0


def read_ner(path: Path, gold: TokenGold, entity_types: tuple[str, ...], doc_lengths: np.ndarray | None = None,
             *, allow_missing: bool = False) -> NerPredictions:
    """Parse and check NER predictions in either format; raises PredictionsInvalid with every problem."""
    with paused_gc():
        return _read_ner(path, gold, entity_types, doc_lengths, allow_missing)


def _read_ner(path: Path, gold: TokenGold, entity_types: tuple[str, ...], doc_lengths: np.ndarray | None,
              allow_missing: bool) -> NerPredictions:
    fast = tags_file_in_arrow(path, gold, allow_missing)
    if fast is not None:
        return fast
    problems = Problems(path)
    rows = read_lines(path, problems)
    fmt = next(("tags" if "sentence_id" in r else "spans" for _, r in rows if "sentence_id" in r or "document_id" in r),
               None)
    key = "sentence_id" if fmt == "tags" else "document_id"
    other = "document_id" if fmt == "tags" else "sentence_id"
    mine = [(lineno, record) for lineno, record in rows if key in record]
    for lineno, record in rows if len(mine) < len(rows) else ():
        if key in record:
            continue
        if other in record:
            problems.add(lineno, f"{'spans' if fmt == 'tags' else 'tags'} format, but earlier lines use the {fmt} "
                                 "format (use one per file)")
        else:
            problems.add(lineno, "neither 'sentence_id' (tags format) nor 'document_id' (spans format)")
    seen: dict[int, int] = {}
    if fmt == "spans":
        spans = _read_spans(mine, gold, entity_types, doc_lengths, problems, seen)
        _missing(problems, gold.doc_ids, seen, "document", allow_missing)
        problems.raise_if_any()
        arr = np.array([x[:3] for x in spans], dtype=np.int64).reshape(-1, 3)
        return NerPredictions("spans", doc=arr[:, 0], start=arr[:, 1], end=arr[:, 2], label=[x[3] for x in spans],
                              lines=len(rows))
    codes = _read_tags(mine, gold, problems, seen)
    if fmt is None and not problems.total:
        problems.add(None, "no predictions in the file")
    _missing(problems, gold.ids, seen, "sentence", allow_missing)
    problems.raise_if_any()
    return NerPredictions("tags", codes=codes, lines=len(rows))


def tags_file_in_arrow(path: Path, gold: TokenGold, allow_missing: bool = False) -> NerPredictions | None:
    """The usual tags file read and checked in C++ by Arrow's JSON reader, or None for any other file.

    The usual file: no blank line, every line one object with exactly a string `sentence_id` and a list of string
    `tags`, each id of the split once (all of them unless `allow_missing`), as many tags as the sentence has tokens,
    every tag allowed. Then the result is the one the line-by-line path gives. Anything else, or anything Arrow
    reads differently (a repeated key, an escaped quote before a colon, a line Arrow cannot parse, a type it
    infers otherwise), returns None, and that path reads, checks and locates every problem. So this path may be
    stricter than the other, never more lenient; a test compares the two on mutations of a real file."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.json as pj

    try:
        if not 0 < path.stat().st_size <= FAST_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    body = data.strip()
    if not body or _BLANK_LINE.search(body) or b"\r" in body:
        return None
    n_lines = body.count(b"\n") + 1
    # Two keys per line, as the schema below makes sure each line has: a line with a repeated key would show more.
    if key_ends(body) != 2 * n_lines:
        return None
    try:
        table = pj.read_json(pa.BufferReader(body))
    except (pa.ArrowException, ValueError):
        return None
    if (table.num_rows != n_lines or sorted(table.schema.names) != ["sentence_id", "tags"]
            or table.schema.field("sentence_id").type != pa.string()
            or table.schema.field("tags").type != pa.list_(pa.string())):
        return None
    sid, tags = table.column("sentence_id").combine_chunks(), table.column("tags").combine_chunks()
    flat = pc.list_flatten(tags)
    if sid.null_count or tags.null_count or flat.null_count:
        return None
    sent_arrow = pc.index_in(sid, value_set=pa.array(gold.ids, pa.string()))
    if sent_arrow.null_count:
        return None
    sent = sent_arrow.to_numpy().astype(np.int64)
    if np.unique(sent).size != sent.size or (not allow_missing and sent.size != len(gold.ids)):
        return None
    n_tags = pc.list_value_length(tags).to_numpy().astype(np.int64)
    if (n_tags != gold.lengths[sent]).any():
        return None
    allowed = _allowed_codes(gold)
    found = pc.index_in(flat, value_set=pa.array(list(allowed), pa.string()))
    if found.null_count:
        return None
    mapped = np.fromiter(allowed.values(), dtype=np.int64, count=len(allowed))[found.to_numpy()]
    return NerPredictions("tags", codes=_aligned(gold, sent, n_tags, mapped), lines=n_lines)


def _allowed_codes(gold: TokenGold) -> dict[str, int]:
    """Each tag a prediction may use, with its code."""
    return {t: c for t, c in gold.vocab.index.items() if t in gold.allowed}


def _aligned(gold: TokenGold, sent: np.ndarray, n_tags: np.ndarray, mapped: np.ndarray) -> np.ndarray:
    """Tag codes aligned with the gold tokens: `mapped` holds the codes of sentences `sent` (`n_tags` each) one
    after another; a sentence without a prediction stays O (code 0)."""
    line_first = np.cumsum(n_tags) - n_tags
    codes = np.zeros(gold.codes.size, dtype=np.int64)
    codes[np.repeat(gold.first[sent] - line_first, n_tags) + np.arange(mapped.size)] = mapped
    return codes


def _read_tags(rows: list[tuple[int, dict[str, Any]]], gold: TokenGold, problems: Problems,
               seen: dict[int, int]) -> np.ndarray:
    """Tag codes aligned with the gold tokens (O where a sentence has no prediction).

    The hot path of evaluation: ids, lengths and tags are checked for all lines at once and every tag is
    mapped in one call; only a file with a problem is walked line by line to say where it is."""
    found = _tag_lines_at_once(rows, gold, seen)
    sents, lines, flat = found if found is not None else _tag_lines_one_by_one(rows, gold, problems, seen)
    get = _allowed_codes(gold).get
    sent = np.array(sents, dtype=np.int64)
    n_tags = gold.lengths[sent]
    line_first = np.cumsum(n_tags) - n_tags
    try:
        mapped = np.fromiter(map(get, flat), dtype=np.int64, count=len(flat))
    except TypeError:  # an unknown tag (None), or a tag that is a list or an object
        found = [get(t) if isinstance(t, str) else None for t in flat]
        bad = np.flatnonzero(np.array([c is None for c in found], dtype=bool))
        for k in np.unique(np.searchsorted(line_first, bad, side="right") - 1):
            pos = int(bad[np.searchsorted(bad, line_first[k])] - line_first[k])
            problems.add(lines[k], f"unknown tag {flat[line_first[k] + pos]!r} at position {pos} "
                                   f"(allowed: {', '.join(sorted(gold.allowed))})")
        return np.zeros(0, dtype=np.int64)
    return _aligned(gold, sent, n_tags, mapped)


def _tag_lines_at_once(rows: list[tuple[int, dict[str, Any]]], gold: TokenGold,
                       seen: dict[int, int]) -> tuple[list[int], list[int], list[Any]] | None:
    """(sentence indices, line numbers, all tags) when every line is right as far as ids and lengths go."""
    try:
        idx = list(map(gold.index.get, [r.get("sentence_id") for _, r in rows]))
    except TypeError:  # an id that is a list or an object
        return None
    tags = [r.get("tags") for _, r in rows]
    if None in idx or any(type(t) is not list for t in tags):
        return None
    sents = np.array(idx, dtype=np.int64)
    if np.unique(sents).size != sents.size:
        return None
    if (np.fromiter(map(len, tags), dtype=np.int64, count=len(tags)) != gold.lengths[sents]).any():
        return None
    lines = [n for n, _ in rows]
    seen.update(zip(idx, lines))
    return idx, lines, list(chain.from_iterable(tags))


def _tag_lines_one_by_one(rows: list[tuple[int, dict[str, Any]]], gold: TokenGold, problems: Problems,
                          seen: dict[int, int]) -> tuple[list[int], list[int], list[Any]]:
    """The same as `_tag_lines_at_once`, keeping the good lines and locating every problem."""
    index, lengths = gold.index, gold.lengths.tolist()
    sents: list[int] = []
    lines: list[int] = []
    flat: list[Any] = []
    for lineno, record in rows:
        sid, tags = record.get("sentence_id"), record.get("tags")
        i = index.get(sid) if type(sid) is str else None
        if i is None:
            problems.add(lineno, f"unknown sentence id {sid!r} (not in this split of the release)"
                         if type(sid) is str else "'sentence_id' is not a string")
        elif i in seen:
            problems.add(lineno, f"sentence id '{sid}' repeated (first on line {seen[i]})")
        elif type(tags) is not list:
            seen[i] = lineno
            problems.add(lineno, "'tags' is missing or not a list")
        elif len(tags) != lengths[i]:
            seen[i] = lineno
            problems.add(lineno, f"{len(tags)} tags for {lengths[i]} tokens of sentence '{sid}'")
        else:
            seen[i] = lineno
            sents.append(i)
            lines.append(lineno)
            flat.extend(tags)
    return sents, lines, flat


def _read_spans(rows: list[tuple[int, dict[str, Any]]], gold: TokenGold, entity_types: tuple[str, ...],
                doc_lengths: np.ndarray | None, problems: Problems, seen: dict[int, int]) -> list[tuple]:
    doc_index = {d: i for i, d in enumerate(gold.doc_ids)}
    types = set(entity_types)
    spans: list[tuple[int, int, int, str]] = []
    for lineno, record in rows:
        d = _unit(record, "document_id", doc_index, seen, lineno, problems, "document")
        ents = record.get("entities")
        if d is None:
            continue
        if not isinstance(ents, list):
            problems.add(lineno, "'entities' is missing or not a list")
            continue
        limit = int(doc_lengths[d]) if doc_lengths is not None else None
        for k, e in enumerate(ents):
            if not isinstance(e, dict):
                problems.add(lineno, f"entities[{k}] is not an object with start, end, label")
                continue
            start, end, label = e.get("start"), e.get("end"), e.get("label")
            if not (_is_int(start) and _is_int(end)):
                problems.add(lineno, f"entities[{k}]: start and end must be integers")
            elif not 0 <= start < end or (limit is not None and end > limit):
                problems.add(lineno, f"entities[{k}]: offsets [{start}, {end}) out of range for a text of "
                                     f"{limit} characters (need 0 <= start < end <= length)")
            elif label not in types:
                problems.add(lineno, f"entities[{k}]: unknown label {label!r} (allowed: {', '.join(entity_types)})")
            else:
                spans.append((d, start, end, label))
    return spans


# ---- claims ------------------------------------------------------------------------------------------------


@dataclass
class ClaimsPredictions:
    score: np.ndarray  # per gold sentence (0 where missing)
    checkworthy: np.ndarray  # bool per gold sentence
    has_claim: np.ndarray | None  # bool per gold sentence, when every line gives it
    spans: list[tuple[int, int, int]] | None  # (sentence, start, end) in sentence offsets, when given
    speakers: list[set[str]] | None
    have: np.ndarray  # bool: the sentence has a prediction


def _yes_no(value: Any, positive: str, values: tuple[str, ...]) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in values:
        return value == positive
    return None


def read_claims(path: Path, ids: list[str], index: dict[str, int], text_lengths: np.ndarray, *,
                positive: str, values: tuple[str, ...], allow_missing: bool = False) -> ClaimsPredictions:
    problems = Problems(path)
    n = len(ids)
    score = np.zeros(n)
    worthy = np.zeros(n, dtype=bool)
    has = np.zeros(n, dtype=bool)
    has_given = span_given = 0
    spans: list[tuple[int, int, int]] = []
    speakers: list[set[str]] = [set() for _ in range(n)]
    seen: dict[int, int] = {}
    allowed = f"{', '.join(values)} or true/false"
    for lineno, record in read_lines(path, problems):
        i = _unit(record, "sentence_id", index, seen, lineno, problems, "sentence")
        if i is None:
            continue
        s, cw = record.get("score"), _yes_no(record.get("checkworthy"), positive, values)
        if not _is_number(s):
            problems.add(lineno, "'score' is missing or not a finite number")
        if cw is None:
            problems.add(lineno, f"'checkworthy' is {record.get('checkworthy')!r}; use {allowed}")
        if _is_number(s) and cw is not None:
            score[i], worthy[i] = s, cw
        if "has_claim" in record:
            value = _yes_no(record["has_claim"], "yes", ("yes", "no"))
            if value is None:
                problems.add(lineno, f"'has_claim' is {record['has_claim']!r}; use true/false or yes/no")
            else:
                has[i] = value
                has_given += 1
        if "claims" in record:
            span_given += 1
            claims = record["claims"]
            if not isinstance(claims, list):
                problems.add(lineno, "'claims' is not a list")
                continue
            for k, c in enumerate(claims):
                start, end = (c.get("start"), c.get("end")) if isinstance(c, dict) else (None, None)
                if not (_is_int(start) and _is_int(end)):
                    problems.add(lineno, f"claims[{k}]: start and end must be integers")
                elif not 0 <= start < end <= text_lengths[i]:
                    problems.add(lineno, f"claims[{k}]: offsets [{start}, {end}) out of range for a sentence of "
                                         f"{text_lengths[i]} characters")
                else:
                    spans.append((i, start, end))
                    if isinstance(c.get("speaker"), str) and c["speaker"].strip():
                        speakers[i].add(c["speaker"])
    have = _missing(problems, ids, seen, "sentence", allow_missing)
    problems.raise_if_any()
    lines = len(seen)
    return ClaimsPredictions(
        score, worthy, has if has_given == lines and lines else None,
        spans if span_given == lines and lines else None, speakers if span_given == lines and lines else None, have)


# ---- documents ---------------------------------------------------------------------------------------------


@dataclass
class DocumentPredictions:
    label: np.ndarray  # value index per gold document (-1 where missing or not scored)
    score: np.ndarray | None  # confidence in the predicted label, when every line gives one
    have: np.ndarray


def read_documents(path: Path, gold: DocumentGold, *, allow_missing: bool = False) -> DocumentPredictions:
    problems = Problems(path)
    n = len(gold.ids)
    label = np.full(n, -1, dtype=np.int64)
    score = np.full(n, np.nan)
    seen: dict[int, int] = {}
    value_index = {v: k for k, v in enumerate(gold.values)}
    for lineno, record in read_lines(path, problems):
        i = _unit(record, "document_id", gold.index, seen, lineno, problems, "document")
        if i is None:
            continue
        value = record.get("label")
        if value not in value_index:
            problems.add(lineno, f"unknown label {value!r} for '{gold.label_name}' (allowed: {', '.join(gold.values)})")
            continue
        label[i] = value_index[value]
        if "score" in record:
            s = record["score"]
            if not _is_number(s) or not 0 <= s <= 1:
                problems.add(lineno, f"'score' is {s!r}; use a number in [0, 1] (the confidence in 'label')")
            else:
                score[i] = s
    scored = gold.gold >= 0
    ids = [d for d, keep in zip(gold.ids, scored) if keep]
    seen_scored = {j: seen[i] for j, i in enumerate(np.flatnonzero(scored)) if i in seen}
    _missing(problems, ids, seen_scored, "document", allow_missing)
    problems.raise_if_any()
    given = ~np.isnan(score)
    return DocumentPredictions(label, score if given[label >= 0].all() and given.any() else None, label >= 0)
