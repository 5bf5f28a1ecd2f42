"""What the check-worthiness model reads beside a sentence's words: its cues, its neighbours and its place.

A sentence's cues are counts that hold in any language (numbers, quotes, capitalised words inside the sentence and the rule tagger's entities
as a stand-in for names, question and exclamation marks, length) and counts of the words its language's data lists
(`builder/lang/<code>/claims.toml`: comparisons, superlatives, quantities, statements of fact, opinion and intent;
`reporting.toml`: speech verbs and hedges), with whether the claim rules (`rules.RulePreAnnotator`) find a claim
and a speaker in it. A language without data keeps the language-free cues. Context: the sentence's relative position
in its document, whether it is first or last, the document's length, and the cues of the sentences before and after.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from builder.bench.baselines.rules import RulePreAnnotator
from builder.lang import language

_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*|%|\$", re.UNICODE)
_NUMBER = re.compile(r"\d")
_QUOTES = "\"“”«»„"

OWN = ("length", "number", "numbers", "quantity", "comparative", "superlative", "superlative_affix", "fact",
       "opinion", "quote", "speech_verb", "hedge", "names", "question", "exclamation", "rule_claim", "rule_speaker")
PLACE = ("position", "first", "last", "doc_length")
NAMES = (*OWN, *PLACE, *(f"before:{n}" for n in OWN), *(f"after:{n}" for n in OWN))


@dataclass(frozen=True)
class Sentence:
    """A sentence to score, with where it stands: `document` None when it stands alone (no neighbours)."""

    text: str
    document: str | None = None
    index: int = 0


def _phrases(words: Sequence[str]) -> frozenset[str]:
    """Every word and two- and three-word phrase of a lower-cased sentence (for multi-word list entries)."""
    out = set(words)
    for n in (2, 3):
        out.update(" ".join(words[i:i + n]) for i in range(len(words) - n + 1))
    return frozenset(out)


def _hits(found: frozenset[str], listed: Sequence[str]) -> int:
    return sum(1 for entry in listed if entry.lower() in found)


@lru_cache(maxsize=1 << 16)
def sentence_cues(text: str, lang: str) -> tuple[float, ...]:
    """The OWN cues of one sentence (cached: a sentence is read as itself and as two neighbours)."""
    data = language(lang)
    cues, rep = data.claims, data.reporting
    words = _WORD.findall(text)
    lower = [w.lower() for w in words]
    found = _phrases(lower)
    affix = sum(1 for w in lower if len(w) >= 7 and (any(w.startswith(p) for p in cues.superlative_prefixes)
                                                     or any(w.endswith(s) for s in cues.superlative_suffixes)))
    names = sum(1 for w in words[1:] if w[:1].isupper())
    numbers = sum(1 for w in words if _NUMBER.search(w))
    rules = _rules(lang).predict_one({"id": "x:s", "text": text, "sentences": [{"start": 0, "end": len(text)}]})
    claim = any(r.layer == "claim" for r in rules.regions)
    names += sum(1 for r in rules.regions if r.layer == "entity")
    return (math.log1p(len(words)), float(numbers > 0), math.log1p(numbers), math.log1p(_hits(found, cues.quantities)),
            math.log1p(_hits(found, cues.comparatives)), math.log1p(_hits(found, cues.superlatives)),
            math.log1p(affix), math.log1p(_hits(found, cues.facts)), math.log1p(_hits(found, cues.opinions)),
            float(any(q in text for q in _QUOTES)), float(_hits(found, (*rep.speech_verbs, *rep.say_verbs)) > 0),
            float(_hits(found, rep.hedges) > 0), math.log1p(names), float("?" in text), float("!" in text),
            float(claim), float(bool(rules.relations)))


@lru_cache(maxsize=8)
def _rules(lang: str) -> RulePreAnnotator:
    return RulePreAnnotator(lang=lang)


def neighbours(sentences: Sequence[Sentence]) -> list[tuple[str, str, float, bool, bool, int]]:
    """Per sentence: (text before, text after, relative position, first, last, sentences in its document), from
    the other sentences of its document in the given list, ordered by `index`."""
    by_doc: dict[str, list[int]] = {}
    for k, s in enumerate(sentences):
        if s.document is not None:
            by_doc.setdefault(s.document, []).append(k)
    out: list[tuple[str, str, float, bool, bool, int]] = [("", "", 0.0, True, True, 1)] * len(sentences)
    for members in by_doc.values():
        members.sort(key=lambda k: sentences[k].index)
        n = len(members)
        for rank, k in enumerate(members):
            out[k] = (sentences[members[rank - 1]].text if rank else "",
                      sentences[members[rank + 1]].text if rank + 1 < n else "",
                      rank / (n - 1) if n > 1 else 0.0, rank == 0, rank == n - 1, n)
    return out


def cue_matrix(sentences: Sequence[Sentence], lang: str) -> np.ndarray:
    """The NAMES cues of every sentence: (sentences, len(NAMES))."""
    rows = []
    blank = (0.0,) * len(OWN)
    for s, (before, after, position, first, last, n) in zip(sentences, neighbours(sentences)):
        rows.append((*sentence_cues(s.text, lang), position, float(first), float(last), math.log1p(n),
                     *(sentence_cues(before, lang) if before else blank),
                     *(sentence_cues(after, lang) if after else blank)))
    return np.asarray(rows, dtype=np.float64).reshape(len(sentences), len(NAMES))
