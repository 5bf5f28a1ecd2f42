"""Tag sequences and spans: IOB2 tags from spans, spans from tags in any BIO scheme, scheme detection.

- `iob2`: the one spans-to-IOB2 function (the release configs, imports, baselines and test helpers use it).
- `decode` / `sentence_spans`: tags to spans with seqeval 1.2.2's two decoders, vectorised with numpy (the
  differential test in the evaluate tests checks them against seqeval):
  `conlleval` (seqeval's default mode, the CoNLL `conlleval` script): any tag sequence is read leniently; an
  `I-X` after `O` or after another type starts a chunk, `E-`/`S-` tags are understood, so IOB1, IOB2 and
  BIOES files all decode with the same rules; `iob2` (seqeval's `mode="strict", scheme=IOB2`): an entity is a
  `B-X` followed by the longest run of `I-X`; a stray `I-X` is no entity. Only the prefixes B, I and O are allowed.
- `detect_scheme` / `ill_formed`: which scheme a file uses, and the chunks it opens in a way that scheme forbids.

A tag is `O`, a prefix (B, I, E, S) alone, or a prefix, `-` and a type. Sequences are flattened into one array
with an `O` between sentences (as seqeval does), so a whole corpus is decoded in a few array operations.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

MODES = ("conlleval", "iob2")
PREFIXES = "OBIES"
_O, _B, _I, _E, _S = range(5)
NO_TYPE = "_"  # the type seqeval gives to `O` and to a bare prefix ("B")


class TagError(ValueError):
    """A tag that is not O, a prefix or prefix-TYPE, or a prefix the mode does not allow."""


@dataclass(frozen=True)
class Spans:
    """Spans of a corpus as parallel arrays: unit (sentence) index, start, end (exclusive), type index."""

    unit: np.ndarray
    start: np.ndarray
    end: np.ndarray
    type: np.ndarray
    types: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.unit.size)

    def tuples(self) -> list[tuple[int, int, int, str]]:
        """(unit, start, end, type name) per span; for tests and small outputs."""
        return [
            (int(u), int(s), int(e), self.types[t])
            for u, s, e, t in zip(self.unit, self.start, self.end, self.type)
        ]


@dataclass
class TagVocab:
    """Tag strings to integer codes, with each code's prefix and type under both decoders."""

    tags: list[str]
    index: dict[str, int]

    @classmethod
    def of(cls, tags: Sequence[str] = ()) -> TagVocab:
        vocab = cls(["O"], {"O": 0})
        for tag in tags:
            vocab.add(tag)
        return vocab

    def add(self, tag: str) -> int:
        code = self.index.get(tag)
        if code is None:
            split_tag(tag)  # refuse what no decoder can read
            code = self.index[tag] = len(self.tags)
            self.tags.append(tag)
        return code

    def encode(self, sequences: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
        """(codes of all tags in order, sentence lengths)."""
        index, add = self.index, self.add
        codes = [index[t] if t in index else add(t) for seq in sequences for t in seq]
        lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))
        return np.asarray(codes, dtype=np.int64), lengths

    def tables(self, mode: str) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
        """(prefix per code, type index per code, type names) under a decoder's parsing of the type."""
        prefixes = np.empty(len(self.tags), dtype=np.int8)
        type_ids: dict[str, int] = {NO_TYPE: 0}
        types = np.empty(len(self.tags), dtype=np.int64)
        for code, tag in enumerate(self.tags):
            prefix, name = split_tag(tag, mode)
            prefixes[code] = PREFIXES.index(prefix)
            types[code] = type_ids.setdefault(name, len(type_ids))
        return prefixes, types, tuple(type_ids)


def split_tag(tag: str, mode: str = "conlleval") -> tuple[str, str]:
    """(prefix, type) of one tag as the decoder reads it; raises TagError for anything else.

    seqeval reads the type of `B-X` as `X` in both modes, but differs on odd tags: the default mode keeps
    everything after the first `-` ("B--X" -> "-X"), the strict mode strips dashes at both ends ("X").
    """
    if not isinstance(tag, str) or not tag or tag[0] not in PREFIXES:
        raise TagError(f"tag {tag!r} is not O, B-TYPE, I-TYPE, E-TYPE or S-TYPE")
    prefix = tag[0]
    if prefix == "O":
        if tag != "O":
            raise TagError(f"tag {tag!r}: O takes no type")
        return "O", NO_TYPE
    rest = tag[1:]
    if rest and rest[0] != "-":
        raise TagError(f"tag {tag!r}: the prefix must be followed by '-' and the type")
    if mode == "iob2":
        return prefix, rest.strip("-") or NO_TYPE
    return prefix, rest[1:] or NO_TYPE


def _flatten(codes: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes with an O (code 0) after each sentence; and each sentence's first position in that array."""
    n = lengths.size
    starts = np.zeros(n, dtype=np.int64)
    if n:
        np.cumsum(lengths[:-1] + 1, out=starts[1:])
    flat = np.zeros(int(lengths.sum()) + n, dtype=np.int64)
    flat[np.arange(codes.size) + np.repeat(np.arange(n), lengths)] = codes
    return flat, starts


def _conlleval(p: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Chunk starts and ends (exclusive) by conlleval's start_of_chunk / end_of_chunk rules."""
    pp = np.concatenate(([_O], p[:-1]))
    pt = np.concatenate(([0], t[:-1]))
    closes = (p == _B) | (p == _S) | (p == _O)
    type_change = pt != t
    end = (pp == _E) | (pp == _S) | (((pp == _B) | (pp == _I)) & closes) | ((pp != _O) & type_change)
    inner = (p == _E) | (p == _I)
    start = (p == _B) | (p == _S) | (((pp == _E) | (pp == _S) | (pp == _O)) & inner) | ((p != _O) & type_change)
    starts, ends = np.flatnonzero(start), np.flatnonzero(end)
    # with prefixes O/B/I/E/S every start pairs with the next end (an O closes each sentence)
    assert starts.size == ends.size, "conlleval chunk starts and ends do not pair"
    return starts, ends


def _iob2(p: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """B-X plus the longest run of I-X after it."""
    bad = (p == _E) | (p == _S)
    if bad.any():
        raise TagError("E- and S- tags are not IOB2; use the conlleval decoder or convert the tags")
    pp = np.concatenate(([_O], p[:-1]))
    pt = np.concatenate(([0], t[:-1]))
    inside = (p == _I) & ((pp == _B) | (pp == _I)) & (pt == t)
    starts = np.flatnonzero(p == _B)
    stops = np.flatnonzero(~inside)
    ends = stops[np.searchsorted(stops, starts, side="right")]
    return starts, ends


def decode_codes(codes: np.ndarray, lengths: np.ndarray, vocab: TagVocab, mode: str = "conlleval") -> Spans:
    """Spans of encoded sentences (see `TagVocab.encode`), start/end as token indices within the sentence."""
    if mode not in MODES:
        raise ValueError(f"unknown decoding mode {mode!r}; use one of {', '.join(MODES)}")
    prefixes, type_of, types = vocab.tables(mode)
    flat, sent_starts = _flatten(codes, lengths)
    p, t = prefixes[flat], type_of[flat]
    starts, ends = (_conlleval if mode == "conlleval" else _iob2)(p, t)
    unit = np.searchsorted(sent_starts, starts, side="right") - 1
    base = sent_starts[unit]
    return Spans(unit, starts - base, ends - base, t[starts], types)


def decode(sequences: Sequence[Sequence[str]], mode: str = "conlleval") -> Spans:
    """Spans of tag sequences (one per sentence)."""
    vocab = TagVocab.of()
    codes, lengths = vocab.encode(sequences)
    return decode_codes(codes, lengths, vocab, mode)


def sentence_spans(sequences: Sequence[Sequence[str]], mode: str = "conlleval") -> list[list[tuple[int, int, str]]]:
    """(start, end exclusive, type) of each sequence's spans, decoded in one batch."""
    spans = decode(sequences, mode)
    out: list[list[tuple[int, int, str]]] = [[] for _ in sequences]
    for unit, start, end, label in spans.tuples():
        out[unit].append((start, end, label))
    return out


# ---- spans to IOB2 ----------------------------------------------------------------------------------------

NESTED = "nested_or_overlapping"
CROSSES = "crosses_sentence"


def iob2(length: int, spans: Iterable[tuple[int, int, str]], *, codes: Mapping[str, int] | None = None,
         sentence_of: Sequence[int] | None = None,
         split_at_sentences: bool = False) -> tuple[list[str] | bytearray, list[tuple[str, str]]]:
    """IOB2 tags of `length` tokens from token spans (start, end exclusive, label), and the (label, reason) of
    every span left out.

    Outer spans are placed before the spans nested in them (longest first at the same start); a span touching a
    token already tagged is left out as `nested_or_overlapping`. With `sentence_of` (the sentence of each token),
    a span may not cross a sentence (`crosses_sentence`); with `split_at_sentences` it is tagged in each
    sentence instead, starting with B- in each. Tags are strings, or with `codes` (tag -> id, "O" being 0) a
    bytearray of ids.
    """
    if codes is not None and codes.get("O", 0) != 0:
        raise ValueError("the code of O must be 0")
    tags: list[str] | bytearray = bytearray(length) if codes is not None else ["O"] * length
    taken = bytearray(length)
    left_out: list[tuple[str, str]] = []
    for start, end, label in sorted(spans, key=lambda s: (s[0], -s[1], s[2])):
        if not 0 <= start < end <= length:
            raise ValueError(f"span ({start}, {end}, {label}) is outside a sequence of {length} tokens")
        if sentence_of is not None and not split_at_sentences and sentence_of[start] != sentence_of[end - 1]:
            left_out.append((label, CROSSES))
            continue
        if any(taken[start:end]):
            left_out.append((label, NESTED))
            continue
        b, inside = (codes[f"B-{label}"], codes[f"I-{label}"]) if codes is not None else (f"B-{label}", f"I-{label}")
        taken[start:end] = b"\x01" * (end - start)
        tags[start] = b
        for k in range(start + 1, end):
            tags[k] = b if sentence_of is not None and sentence_of[k] != sentence_of[k - 1] else inside
    return tags, left_out


# ---- schemes ----------------------------------------------------------------------------------------------

SCHEMES = ("iob1", "iob2", "bioes")


@dataclass
class SchemeReport:
    """Which tag scheme a file uses and the counts that decided it."""

    scheme: str
    prefixes: Counter[str]
    b_after_outside: int  # B-X after O or another type: IOB2 (IOB1 uses B only between two X chunks)
    i_after_outside: int  # I-X after O or another type: IOB1, or ill-formed IOB2


class SequenceTagError(TagError):
    """A bad tag, with where it is: the index of its sequence and its position in it."""

    def __init__(self, message: str, sequence: int, position: int) -> None:
        super().__init__(message)
        self.sequence = sequence
        self.position = position


def detect_scheme(sequences: Iterable[Sequence[str]]) -> SchemeReport:
    """Count prefixes and chunk openings; BIOES when E-/S- occur, IOB1 when I- opens chunks and B- never does.

    A tag that is not O, a prefix or prefix-TYPE raises `SequenceTagError` with its place."""
    prefixes: Counter[str] = Counter()
    b_open = i_open = 0
    for n, tags in enumerate(sequences):
        prev_prefix, prev_type = "O", ""
        for k, tag in enumerate(tags):
            try:
                prefix, kind = split_tag(tag)
            except TagError as exc:
                raise SequenceTagError(str(exc), n, k) from None
            prefixes[prefix] += 1
            opens = prev_prefix == "O" or prev_type != kind
            b_open += prefix == "B" and opens
            i_open += prefix == "I" and opens
            prev_prefix, prev_type = prefix, kind
    if prefixes["E"] or prefixes["S"]:
        scheme = "bioes"
    elif i_open and not b_open:
        scheme = "iob1"
    else:
        scheme = "iob2"
    return SchemeReport(scheme, prefixes, b_open, i_open)


# How a chunk may not open, per scheme: (prefix, does it open a chunk, previous prefix) -> ill-formed.
ILL_FORMED: dict[str, Callable[[str, bool, str], bool]] = {
    "iob2": lambda prefix, opens, prev: prefix == "I" and opens,  # I- must follow B-/I- of its type
    "iob1": lambda prefix, opens, prev: prefix == "B" and opens,  # B- only splits two chunks of one type
    "bioes": lambda prefix, opens, prev: prefix in "IE" and (opens or prev in "ES"),
}


def ill_formed(tags: Sequence[str], scheme: str) -> int:
    """How many chunks open in a way the scheme does not allow (IOB2: an I- that opens; IOB1: a B- that does)."""
    rule = ILL_FORMED[scheme]
    bad = 0
    prev_prefix, prev_type = "O", ""
    for tag in tags:
        prefix, kind = split_tag(tag)
        bad += rule(prefix, prev_prefix == "O" or prev_type != kind, prev_prefix)
        prev_prefix, prev_type = prefix, kind
    return bad
