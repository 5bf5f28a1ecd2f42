"""MinHash LSH over word n-grams, vectorised with numpy: shingles, signatures, band hashes, candidate pairs.

Used by the dedup stage; kept apart from it so that the hashing can be reused and tested on its own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# ---------------------------------------------------------------------------------------------------------------
# Normalised words and shingles, vectorised over a batch of texts

_WORD = re.compile(r"\w+")
_WORD_CHAR = re.compile(r"\w")
# An ASCII byte is part of a word iff it is ASCII \w; a non-ASCII character is decided once by `_is_word_cp`.
_WORD_BYTE = np.zeros(256, dtype=bool)
_WORD_BYTE[[ord(c) for c in "0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"]] = True
_WORD_BYTE[0x80:] = True
_CP_IS_WORD: dict[int, bool] = {}

_U64 = np.uint64
_P = 0x100000001B3  # odd base of the polynomial byte hash of a word
_P_INV = pow(_P, -1, 1 << 64)
_Q = _U64(0x9E3779B97F4A7C15)  # odd base combining word hashes into an n-gram hash


def normalize_text(text: str) -> str:
    """Lower case, words only, one space between them: what exact duplicates are compared on."""
    return " ".join(_WORD.findall(text.lower()))


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads every input bit over the whole 64-bit word."""
    x = x ^ (x >> _U64(30))
    x = x * _U64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> _U64(27))
    x = x * _U64(0x94D049BB133111EB)
    return x ^ (x >> _U64(31))


def _word_bytes(buf: np.ndarray) -> np.ndarray:
    """Which bytes of UTF-8 text belong to a `\\w` character (decoded in numpy; a regex pass is 3x slower)."""
    is_word = _WORD_BYTE[buf]
    lead = np.flatnonzero(buf >= 0xC0)
    if len(lead) == 0:
        return is_word
    padded = np.concatenate((buf, np.zeros(3, dtype=np.uint8))).astype(np.int64)
    b0, b1, b2, b3 = (padded[lead + k] for k in range(4))
    length = np.where(b0 < 0xE0, 2, np.where(b0 < 0xF0, 3, 4))
    cont = lambda x: x & 0x3F  # noqa: E731
    cp = np.where(
        length == 2,
        ((b0 & 0x1F) << 6) | cont(b1),
        np.where(length == 3, ((b0 & 0x0F) << 12) | (cont(b1) << 6) | cont(b2),
                 ((b0 & 0x07) << 18) | (cont(b1) << 12) | (cont(b2) << 6) | cont(b3)),
    )
    codes, inverse = np.unique(cp, return_inverse=True)
    for c in codes.tolist():
        if c not in _CP_IS_WORD:
            _CP_IS_WORD[c] = _WORD_CHAR.match(chr(c)) is not None
    not_word = ~np.fromiter((_CP_IS_WORD[c] for c in codes.tolist()), dtype=bool, count=len(codes))[inverse]
    for k in range(4):
        sel = not_word & (length > k)
        is_word[lead[sel] + k] = False
    return is_word


class _Powers:
    """P**j and P**-j modulo 2**64 for j < size, grown on demand (one table per process)."""

    def __init__(self) -> None:
        self.up = np.ones(1, dtype=_U64)
        self.down = np.ones(1, dtype=_U64)

    def ensure(self, size: int) -> None:
        if size <= len(self.up):
            return
        size = max(size, 2 * len(self.up))
        for name, base in (("up", _P), ("down", _P_INV)):
            table = np.full(size, base, dtype=_U64)
            table[0] = 1
            setattr(self, name, np.cumprod(table, dtype=_U64))


_POWERS = _Powers()


@dataclass
class Shingled:
    """Shingle hashes of a batch: doc i owns hashes[offsets[i]:offsets[i + 1]] (in text order, repeats kept)."""

    hashes: np.ndarray  # uint64
    offsets: np.ndarray  # int64, len(texts) + 1
    words: np.ndarray  # int64 word count per text
    normalized: list[bytes]  # normalize_text(text) as UTF-8, per text


def shingle_batch(texts: Sequence[str], ngram: int) -> Shingled:
    """Normalised text and word-ngram hashes of every text, with a handful of numpy calls per batch.

    A text with fewer than `ngram` words has one shingle made of all its words; a text without words has none.
    """
    lowered = [text.lower().encode("utf-8", "surrogatepass") for text in texts]
    n = len(lowered)
    # One space between texts keeps every word inside its own text.
    buf = np.frombuffer(b" ".join(lowered), dtype=np.uint8)
    sizes = np.fromiter((len(b) for b in lowered), dtype=np.int64, count=n)
    text_start = np.zeros(n, dtype=np.int64)
    np.cumsum(sizes[:-1] + 1, out=text_start[1:])
    is_word = _word_bytes(buf)
    edges = np.diff(np.concatenate(([False], is_word, [False])).astype(np.int8))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    doc_of_word = np.searchsorted(text_start, starts, side="right") - 1
    words = np.bincount(doc_of_word, minlength=n).astype(np.int64)
    first_word = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(words, out=first_word[1:])

    # Word hash: polynomial over the word's bytes, from prefix sums, so it does not depend on where it sits.
    _POWERS.ensure(len(buf) + 1)
    prefix = np.zeros(len(buf) + 1, dtype=_U64)
    weighted = buf.astype(_U64)
    weighted += _U64(1)
    weighted *= _POWERS.up[: len(buf)]
    np.cumsum(weighted, out=prefix[1:])
    word_hash = _mix((prefix[ends] - prefix[starts]) * _POWERS.down[starts])

    # n-gram hash of words i..i+ngram-1, kept when they all belong to one text.
    n_words = len(word_hash)
    count = max(n_words - ngram + 1, 0)
    acc = np.zeros(count, dtype=_U64)
    for k in range(ngram if count else 0):
        acc = acc * _Q + word_hash[k : k + count]
    keep = doc_of_word[:count] == doc_of_word[ngram - 1 : ngram - 1 + count] if count else np.zeros(0, bool)
    per_doc = np.maximum(words - ngram + 1, 0)
    hashes = acc[keep]
    short = np.flatnonzero((words > 0) & (words < ngram))
    if len(short):  # few texts are shorter than one n-gram; one shingle each, spliced in at its place
        short_hash = np.zeros(len(short), dtype=_U64)
        for j, d in enumerate(short):
            for w in word_hash[first_word[d] : first_word[d + 1]]:
                short_hash[j : j + 1] = short_hash[j : j + 1] * _Q + w  # arrays wrap silently, scalars warn
        per_doc[short] = 1
        offsets_long = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.maximum(words - ngram + 1, 0), out=offsets_long[1:])
        hashes = np.insert(hashes, offsets_long[short], short_hash)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(per_doc, out=offsets[1:])

    # Normalised bytes: word bytes, and one space at the end of every word that is not its text's last.
    last_of_doc = first_word[1:][words > 0] - 1
    gap = np.ones(n_words, dtype=bool)
    gap[last_of_doc] = False
    keep_byte = is_word.copy()
    keep_byte[ends[gap]] = True
    norm = np.where(is_word, buf, np.uint8(32))[keep_byte].tobytes()
    # A text's normalised length: its word bytes plus one space between consecutive words.
    word_len = np.zeros(n_words + 1, dtype=np.int64)
    np.cumsum(ends - starts, out=word_len[1:])
    norm_len = word_len[first_word[1:]] - word_len[first_word[:-1]] + np.maximum(words - 1, 0)
    bounds = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(norm_len, out=bounds[1:])
    normalized = [norm[bounds[i] : bounds[i + 1]] for i in range(n)]
    return Shingled(_mix(hashes), offsets, words, normalized)


def shingle_sets(texts: Sequence[str], ngram: int) -> list[np.ndarray]:
    """The set (sorted unique uint64 hashes) of word n-grams of each text."""
    sh = shingle_batch(texts, ngram)
    return [np.unique(sh.hashes[sh.offsets[i] : sh.offsets[i + 1]]) for i in range(len(texts))]


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Exact Jaccard similarity of two shingle sets (sorted unique arrays); 0 when both are empty."""
    if len(a) == 0 and len(b) == 0:
        return 0.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)


# ---------------------------------------------------------------------------------------------------------------
# MinHash and LSH


def candidate_probability(jaccard_value: float | np.ndarray, bands: int, rows: int) -> Any:
    """Probability that a pair of this Jaccard similarity shares at least one LSH band."""
    return 1.0 - (1.0 - np.asarray(jaccard_value, dtype=float) ** rows) ** bands


@dataclass(frozen=True)
class LshParams:
    bands: int
    rows: int
    threshold: float  # the Jaccard similarity that must not be missed
    recall_at_threshold: float

    @property
    def num_perm(self) -> int:
        return self.bands * self.rows

    @property
    def midpoint(self) -> float:
        """Similarity at which a pair becomes a candidate half of the time (the LSH threshold)."""
        return float((1.0 - 0.5 ** (1.0 / self.bands)) ** (1.0 / self.rows))


def lsh_errors(threshold: float, num_perm: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (bands, rows) with bands * rows <= num_perm, and the weight of false positives plus false negatives:
    the integral of the candidate probability below `threshold` plus that of its complement above it.

    The candidate probability is a polynomial of degree bands * rows, so Gauss-Legendre quadrature with
    num_perm // 2 + 1 nodes integrates it exactly.
    """
    bands, rows = zip(*[(b, r) for b in range(1, num_perm + 1) for r in range(1, num_perm // b + 1)])
    b = np.asarray(bands, dtype=float)[:, None]
    r = np.asarray(rows, dtype=float)[:, None]
    x, w = np.polynomial.legendre.leggauss(num_perm // 2 + 1)
    below = (x + 1) / 2 * threshold
    above = threshold + (x + 1) / 2 * (1 - threshold)
    fp = (candidate_probability(below[None, :], b, r) * w).sum(axis=1) * threshold / 2
    fn = ((1 - candidate_probability(above[None, :], b, r)) * w).sum(axis=1) * (1 - threshold) / 2
    return np.asarray(bands), np.asarray(rows), fp + fn


def choose_lsh(threshold: float, num_perm: int, *, min_recall: float = 0.99, lsh_threshold: float = 0.0) -> LshParams:
    """Bands and rows for at most `num_perm` permutations.

    By default: the most rows per band (fewest false candidates) that still make a pair at exactly `threshold`
    a candidate with probability >= `min_recall`. With `lsh_threshold` > 0: the setting that minimises false
    positives plus false negatives around that threshold, as datasketch's MinHashLSH chooses it.
    """
    if lsh_threshold > 0:
        all_bands, all_rows, error = lsh_errors(lsh_threshold, num_perm)
        best = int(np.argmin(error))  # the first minimum, in datasketch's (bands, rows) order
        bands, rows = int(all_bands[best]), int(all_rows[best])
    else:
        bands, rows = num_perm, 1
        for r in range(num_perm, 0, -1):
            if candidate_probability(threshold, num_perm // r, r) >= min_recall:
                bands, rows = num_perm // r, r
                break
    return LshParams(bands, rows, threshold, float(candidate_probability(threshold, bands, rows)))


class MinHasher:
    """num_perm hash functions h(x) = a*x + b mod 2**32 (a odd, seeded) over the low 32 bits of each shingle hash.

    The shingle hashes are already well mixed, so these affine maps behave as independent random permutations
    (measured: the share of equal minima matches the Jaccard with binomial spread); 32-bit arithmetic is 3x faster
    in numpy than 64-bit. Collisions of 32-bit values only add candidates, which the exact check removes.
    """

    def __init__(self, num_perm: int, seed: int, chunk: int = 4096) -> None:
        rng = np.random.default_rng([seed, 0x5EED])
        self.a = (rng.integers(0, 1 << 31, size=num_perm, dtype=np.uint64) * 2 + 1).astype(np.uint32)[:, None]
        self.b = rng.integers(0, 1 << 32, size=num_perm, dtype=np.uint64).astype(np.uint32)[:, None]
        self.chunk = chunk
        self._buf = np.empty((num_perm, chunk), dtype=np.uint32)

    def signatures(self, hashes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """(docs, num_perm) uint32 minima; rows of documents without shingles stay at the maximum."""
        n = len(offsets) - 1
        sig = np.full((n, len(self.a)), np.iinfo(np.uint32).max, dtype=np.uint32)
        low = hashes.astype(np.uint32)  # the low 32 bits
        nonempty = np.flatnonzero(np.diff(offsets) > 0)
        starts, ends = offsets[nonempty], offsets[nonempty + 1]
        for c0 in range(0, len(low), self.chunk):
            c1 = min(c0 + self.chunk, len(low))
            lo = np.searchsorted(ends, c0, side="right")
            hi = np.searchsorted(starts, c1, side="left")
            buf = self._buf[:, : c1 - c0]
            np.multiply(self.a, low[None, c0:c1], out=buf)
            buf += self.b
            seg = np.maximum(starts[lo:hi], c0) - c0
            rows = nonempty[lo:hi]
            sig[rows] = np.minimum(sig[rows], np.minimum.reduceat(buf, seg, axis=1).T)
        return sig


def band_hashes(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(docs, bands) uint64: one hash per band of `rows` signature values."""
    view = sig[:, : bands * rows].reshape(len(sig), bands, rows).astype(_U64)
    out = np.zeros((len(sig), bands), dtype=_U64)
    for j in range(rows):
        out = _mix(out * _Q + view[:, :, j])
    return out


def lsh_pairs(bands: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Candidate pairs (i, j), i < j, of documents sharing a band hash; (k, 2) int64 of `index` values, unique."""
    codes = []
    for col in bands.T:
        order = np.argsort(col, kind="stable")
        ordered = col[order]
        cut = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1
        run_start = np.concatenate(([0], cut))
        run_end = np.concatenate((cut, [len(col)]))
        for s, e in zip(run_start[run_end - run_start > 1], run_end[run_end - run_start > 1]):
            members = np.sort(index[order[s:e]])
            i, j = np.triu_indices(len(members), k=1)
            codes.append(np.stack((members[i], members[j]), axis=1))
    if not codes:
        return np.zeros((0, 2), dtype=np.int64)
    return np.unique(np.concatenate(codes), axis=0).astype(np.int64)
