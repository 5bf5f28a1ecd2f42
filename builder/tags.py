"""Tagging schemes: BIO tag sequences to spans and back, vectorised with numpy.

Two decoders, matching seqeval 1.2.2 exactly (the differential test in tests/test_evaluate.py checks it):

- `conlleval` (seqeval's default mode, the CoNLL `conlleval` script): any tag sequence is read leniently; an
  `I-X` after `O` or after another type starts a chunk, `E-`/`S-` tags are understood, so IOB1, IOB2 and
  BIOES files all decode with the same rules.
- `iob2` (seqeval's `mode="strict", scheme=IOB2`): an entity is a `B-X` followed by the longest run of `I-X`;
  a stray `I-X` is no entity. Only the prefixes B, I and O are allowed.

A tag is `O`, a prefix (B, I, E, S) alone, or a prefix, `-` and a type. Sequences are flattened into one array
with an `O` between sentences (as seqeval does), so a whole corpus is decoded in a few array operations.
"""

from __future__ import annotations

from collections.abc import Sequence
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


def spans_to_iob2(length: int, spans: Sequence[tuple[int, int, str]]) -> list[str]:
    """IOB2 tags of one sentence from (start, end exclusive, type) spans; spans must not overlap."""
    tags = ["O"] * length
    for start, end, label in sorted(spans):
        if not 0 <= start < end <= length:
            raise ValueError(f"span ({start}, {end}) is outside a sentence of {length} tokens")
        if any(tag != "O" for tag in tags[start:end]):
            raise ValueError(f"span ({start}, {end}, {label}) overlaps another span")
        tags[start] = f"B-{label}"
        tags[start + 1:end] = [f"I-{label}"] * (end - start - 1)
    return tags
