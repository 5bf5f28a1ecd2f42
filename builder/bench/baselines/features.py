"""Token features for the NER CRF.

Per token: the word (lower-cased), its shape and casing, prefixes and suffixes, the derivational prefix and
suffix it carries in its language's affix data (`builder.lang`; Indonesian me-/ber-/di-/ter-/ke-/se-/pe- ...,
-kan/-an/-i/-nya/-lah ...), digits and
punctuation, the words around it (three either side; the shape, casing, first and last three letters of the
nearest; the bigrams around it), and whether a gazetteer phrase built from the training split covers it. Casing is a strong cue in edited news but absent
from lower-cased corpora (IndoNLU NERP), where the word, affix, context and gazetteer features carry the load.

The gazetteer maps lower-cased token sequences seen as entities in training to their most frequent type, with
the share of their occurrences that were entities, and does the same for single words inside entities. On the training sentences themselves it is built out of fold
(each fold's gazetteer comes from the other folds), or the CRF would learn that the gazetteer is always right.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from builder.lang import language
from builder.tags import sentence_spans

MAX_PHRASE = 6
_PUNCT = re.compile(r"^[^\w\s]+$")


def shape(word: str) -> str:
    """Xxxx -> Xx, PT. -> X., 2024 -> d, Rp10.000 -> Xxd.d: classes with repeats collapsed."""
    out = []
    for ch in word:
        c = "X" if ch.isupper() else "x" if ch.islower() else "d" if ch.isdigit() else ch
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out)


def affixes(lower: str, lang: str) -> tuple[str, str]:
    """The prefix and suffix (from the language's data, longest first) of a word, when what remains is long enough
    to be a stem; none for a language without affix data."""
    data = language(lang)
    prefix = next((p for p in data.prefixes if lower.startswith(p) and len(lower) - len(p) >= 3), "")
    suffix = next((s for s in data.suffixes if lower.endswith(s) and len(lower) - len(s) >= 3), "")
    return prefix, suffix


@dataclass
class Gazetteer:
    """Lower-cased phrases (token tuples) seen as entities, with their most frequent type and entity share."""

    entries: dict[tuple[str, ...], tuple[str, float]] = field(default_factory=dict)
    words: dict[str, tuple[str, float]] = field(default_factory=dict)  # single words inside entities

    @classmethod
    def build(cls, sentences: Sequence[Sequence[str]], tags: Sequence[Sequence[str]], *,
              min_share: float = 0.0) -> Gazetteer:
        types: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
        word_types: dict[str, Counter[str]] = defaultdict(Counter)
        for words, spans in zip(sentences, sentence_spans(tags)):
            for start, end, label in spans:
                types[tuple(w.lower() for w in words[start:end])][label] += 1
                for w in words[start:end]:
                    word_types[w.lower()][label] += 1
        as_entity = {phrase: sum(c.values()) for phrase, c in types.items()}
        seen: Counter[tuple[str, ...]] = Counter()
        lengths = sorted({len(p) for p in types})
        word_seen: Counter[str] = Counter()
        for words in sentences:
            lower = [w.lower() for w in words]
            word_seen.update(lower)
            for n in lengths:
                for i in range(len(lower) - n + 1):
                    key = tuple(lower[i:i + n])
                    if key in types:
                        seen[key] += 1
        entries = {}
        for phrase, counts in types.items():
            share = as_entity[phrase] / max(seen[phrase], as_entity[phrase])
            if share >= min_share:
                entries[phrase] = (counts.most_common(1)[0][0], share)
        singles = {w: (c.most_common(1)[0][0], sum(c.values()) / max(word_seen[w], 1)) for w, c in word_types.items()}
        return cls(entries, singles)

    def match(self, words: Sequence[str]) -> list[tuple[int, int, str, float]]:
        """Greedy longest matches, left to right: (start, end, type, entity share)."""
        lower = [w.lower() for w in words]
        out = []
        i = 0
        while i < len(lower):
            for n in range(min(MAX_PHRASE, len(lower) - i), 0, -1):
                hit = self.entries.get(tuple(lower[i:i + n]))
                if hit:
                    out.append((i, i + n, hit[0], hit[1]))
                    i += n
                    break
            else:
                i += 1
        return out


def word_marks(gaz: Gazetteer, words: Sequence[str]) -> list[str | None]:
    """Per token: "PER:hi" when the word itself was seen inside entities of that type, else None."""
    out: list[str | None] = []
    for w in words:
        hit = gaz.words.get(w.lower())
        out.append(f"{hit[0]}:{'hi' if hit[1] >= 0.5 else 'lo'}" if hit else None)
    return out


def gazetteer_marks(gaz: Gazetteer, words: Sequence[str]) -> list[str | None]:
    """Per token: "B-PER:hi" / "I-LOC:lo" ... when a gazetteer phrase covers it, else None."""
    marks: list[str | None] = [None] * len(words)
    for start, end, label, share in gaz.match(words):
        level = "hi" if share >= 0.5 else "lo"
        for k in range(start, end):
            marks[k] = f"{'B' if k == start else 'I'}-{label}:{level}"
    return marks


@lru_cache(maxsize=1 << 18)
def word_info(word: str, lang: str) -> tuple[str, str, bool, bool, str, str, bool, bool, bool, bool]:
    """(lower, shape, title, upper, prefix, suffix, has digit, all digits, hyphen, punctuation); cached, since news
    vocabulary repeats."""
    lower = word.lower()
    prefix, suffix = affixes(lower, lang)
    return (lower, shape(word), word[:1].isupper(), word.isupper() and len(word) > 1, prefix, suffix,
            any(ch.isdigit() for ch in word), word.isdigit(), "-" in word, bool(_PUNCT.match(word)))


def sentence_features(words: Sequence[str], marks: Sequence[str | None] | None = None,
                      words_seen: Sequence[str | None] | None = None, *, lang: str = "") -> list[dict[str, object]]:
    """The CRF feature dicts of one sentence; `marks` are its gazetteer phrase marks, `words_seen` its word marks
    (a word seen inside entities, e.g. the surname of a name seen in full: a third of NERP's gain from the
    gazetteer comes from these); `lang` the language whose affixes are features."""
    infos = [word_info(w, lang) for w in words]
    feats = []
    n = len(words)
    for i, word in enumerate(words):
        lower, shp, title, upper, prefix, suffix, digit, alldigit, hyphen, punct = infos[i]
        f: dict[str, object] = {
            "bias": 1.0, "w": lower, "shape": shp, "len": min(len(word), 8), "title": title, "upper": upper,
            "digit": digit, "alldigit": alldigit, "hyphen": hyphen, "punct": punct,
            "p2": lower[:2], "p3": lower[:3], "p4": lower[:4], "s2": lower[-2:], "s3": lower[-3:], "s4": lower[-4:],
            "idprefix": prefix, "idsuffix": suffix, "first": i == 0,
        }
        if marks is not None and marks[i]:
            f["gaz"] = marks[i]
            f["gaztype"] = marks[i].split(":")[0][2:]
        if words_seen is not None:
            for d in (-1, 0, 1):
                if 0 <= i + d < n and words_seen[i + d]:
                    f[f"{d:+d}:wgaz"] = words_seen[i + d]
        for d in (-2, -1, 1, 2):
            j = i + d
            if 0 <= j < n:
                other = infos[j]
                f[f"{d:+d}:w"], f[f"{d:+d}:shape"], f[f"{d:+d}:title"], f[f"{d:+d}:upper"] = other[:4]
                if abs(d) == 1:
                    f[f"{d:+d}:p3"], f[f"{d:+d}:s3"] = other[0][:3], other[0][-3:]
                    if marks is not None and marks[j]:
                        f[f"{d:+d}:gaz"] = marks[j]
            else:
                f[f"{d:+d}:pad"] = True
        for d in (-3, 3):
            if 0 <= i + d < n:
                f[f"{d:+d}:w"] = infos[i + d][0]
        if i > 0:
            f["-1|0"] = f"{infos[i - 1][0]}|{lower}"
            if i > 1:
                f["-2|-1"] = f"{infos[i - 2][0]}|{infos[i - 1][0]}"
            if i + 1 < n:
                f["-1|+1"] = f"{infos[i - 1][0]}|{infos[i + 1][0]}"
        if i + 1 < n:
            f["0|+1"] = f"{lower}|{infos[i + 1][0]}"
            if i + 2 < n:
                f["+1|+2"] = f"{infos[i + 1][0]}|{infos[i + 2][0]}"
        feats.append(f)
    return feats


def marks_of(gaz: Gazetteer, words: Sequence[str]) -> tuple[list[str | None], list[str | None]]:
    """(phrase marks, word marks) of one sentence."""
    return gazetteer_marks(gaz, words), word_marks(gaz, words)


def out_of_fold_marks(sentences: Sequence[Sequence[str]], tags: Sequence[Sequence[str]],
                      folds: int = 5) -> list[tuple[list[str | None], list[str | None]]]:
    """(phrase marks, word marks) for training sentences, each from a gazetteer of the other folds."""
    marks: list[tuple[list[str | None], list[str | None]]] = [([], []) for _ in sentences]
    for k in range(folds):
        held = [i for i in range(len(sentences)) if i % folds == k]
        rest = [i for i in range(len(sentences)) if i % folds != k]
        gaz = Gazetteer.build([sentences[i] for i in rest], [tags[i] for i in rest])
        for i in held:
            marks[i] = marks_of(gaz, sentences[i])
    return marks
