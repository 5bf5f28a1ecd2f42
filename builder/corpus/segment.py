"""Segment: paragraphs, sentences and tokens as character offsets into each document's text.

Rule based and model free (nothing is downloaded). Regular expressions over Unicode classes find paragraphs,
tokens and sentence-end candidates; a short decision per candidate (abbreviation, initial, enumerator, what
the next word looks like) keeps or drops it. Only the abbreviation lists are language specific: they are data
in `builder/lang/<language>/abbreviations.toml`, extended by `segment.abbreviations` in the config.

Offsets are Python code-point offsets into `text`, end exclusive. Every span starts and ends on a non-space
character; paragraphs are lines, sentences lie inside one paragraph, tokens inside one sentence, all in order
and without overlap, and every non-space character is in exactly one token.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from typing import Any

from builder.config import Config
from builder.errors import ConfigError
from builder.lang import language as language_data
from builder.jsonl import AtomicWriter, dumps
from builder.stage import BatchStage, RejectSink


@dataclass(frozen=True)
class LanguageRules:
    """The language-specific data of the segmenter. Keys are lower case, without the final period."""

    # Stand before a name, place or number: no sentence ends after them ("Jl.", "Prof.").
    prefix: frozenset[str]
    # Can end a sentence, and do when the next word is capitalised ("dll.", "S.H.").
    final: frozenset[str]
    # "vitamin D. Daging": a capital letter after these words names something; it is no initial.
    letter_names: frozenset[str] = frozenset()

    @classmethod
    def of(cls, code: str | None) -> LanguageRules:
        """The rules of a language, from its abbreviation data (`builder/lang/<code>/abbreviations.toml`)."""
        data = language_data(code).abbreviations
        return cls(data.prefix, data.final, data.letter_names)


# Line breaks as str.splitlines() knows them: a paragraph never crosses one.
_LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
_PARAGRAPH = re.compile(f"\\S(?:[^{_LINE_BREAKS}]*\\S)?")

_TERMINALS = ".!?\u2026\u203c\u2047\u2048\u2049\u061f\u0964\u0965"  # . ! ? … ‼ ⁇ ⁈ ⁉ ؟ । ॥
_CJK_TERMINALS = "\u3002\uff61\uff01\uff1f"  # 。｡！？ end a sentence with or without a space after them
_CLOSERS = "\"'\u201d\u2019\u00bb\u203a)\\]}\u300d\u300f\uff09\u3011\u3015"  # " ' ” ’ » › ) ] } 」』）】〕
# A run of terminal marks, the closing quotes/brackets that stay in the sentence (group 1) and the space after
# (group 2). The leading class lets re skip ahead fast; the lookbehind makes a search starting inside a run
# fail at once (else a long run of dots costs quadratic time) and the lookaheads stop backtracking from
# splitting a run.
_ALL_TERMINALS = _TERMINALS + _CJK_TERMINALS
_T = f"[{_ALL_TERMINALS}]"
_BOUNDARY = re.compile(f"{_T}(?<!{_T}{_T}){_T}*(?!{_T})([{_CLOSERS}]*)(?![{_CLOSERS}])(\\s*)(?=\\S)")
# A next word starting with one of these continues the sentence.
_CONTINUATION = frozenset(",;:%)]}\u201d\u2019\u00bb\u203a" + _TERMINALS)
_LETTER = r"[^\W\d_]"
_MULTIDOT = re.compile(
    f"{_LETTER}{{1,4}}(?:\\.{_LETTER}{{1,4}}){{1,5}}"
)  # S.H, M.Si, a.n (final period excluded)
_ENUMERATOR = re.compile(r"\d{1,3}|[^\W\d_]|[ivxlcdmIVXLCDM]{1,6}")  # "1. Buka ..." at a sentence start
_CHUNK_WINDOW = 24  # longer words are not abbreviations
_OPENERS = "\"'([{\u201c\u2018\u00ab\u2039\u300c\u300e\uff08-\u2013\u2014"  # stripped off a word before "."

_URL = (
    r"(?:https?://|ftp://|www\d{0,3}\.)[^\s<>\"\u201c\u201d\u2018\u2019\u00ab\u00bb]*"
    r"[^\s<>\"\u201c\u201d\u2018\u2019\u00ab\u00bb.,;:!?\u2026)\]}'\u2019]"
)
_EMAIL = r"[\w.+-]{1,64}@\w[\w-]*(?:\.\w[\w-]*)+"  # bounded local part: no quadratic rescans
_TLDS = "com|net|org|id|co|go|ac|or|sch|tv|io|info|biz|my|sg|edu|gov|news"
_EMOJI_MOD = "\ufe0e\ufe0f\u20e3\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f"
_EMOJI_BASE = (
    "\u00a9\u00ae\u203c\u2049\u2122\u2139\u2194-\u21aa\u231a-\u23ff\u24c2\u25aa-\u27bf\u2934\u2935"
    "\u2b05-\u2b55\u3030\u303d\u3297\u3299\U0001f000-\U0001faff"
)
# A flag (two regional indicators), or an emoji with its skin tone / variation selector and ZWJ sequence.
_EMOJI = (
    f"[\U0001f1e6-\U0001f1ff]{{2}}|[{_EMOJI_BASE}][{_EMOJI_MOD}]*(?:\u200d[{_EMOJI_BASE}][{_EMOJI_MOD}]*)*"
)
# Han ideographs are single-character tokens (no spaces to find words by), so they stay out of the word class.
_HAN = [(0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF)]
# Outside the BMP the word class takes whole blocks (historic scripts, mathematical letters, Adlam...) and the
# variation selectors: the regex engine tests BMP classes with a bitmap but walks non-BMP ranges one by one
# for every character, so a handful of wide ranges keeps it fast.
_WORD_SMP = "\\U00010000-\\U0001cfff\\U0001d400-\\U0001d7ff\\U0001e000-\\U0001efff\\U000e0100-\\U000e01ef"


def _class_ranges(codepoints: Iterable[int]) -> str:
    """A regex character-class body for sorted code points, as ranges."""
    out: list[str] = []
    start = prev = -2
    for cp in codepoints:
        if cp != prev + 1:
            if start >= 0:
                out.append(f"\\U{start:08x}-\\U{prev:08x}" if prev > start else f"\\U{start:08x}")
            start = cp
        prev = cp
    if start >= 0:
        out.append(f"\\U{start:08x}-\\U{prev:08x}" if prev > start else f"\\U{start:08x}")
    return "".join(out)


@lru_cache(maxsize=1)
def _unicode_classes() -> tuple[str, str]:
    """(word, upper) class bodies. Word: letters, digits, "_" and combining marks (re's \\w lacks the marks
    that Thai, Devanagari or Arabic words carry inside them), minus Han. Upper: upper-case BMP letters."""
    word: list[int] = []
    upper: list[int] = []
    bounds = [0] + [x for a, b in _HAN for x in (a, b + 1)] + [0x10000]
    for cp in chain.from_iterable(range(a, b) for a, b in zip(bounds[::2], bounds[1::2], strict=True)):
        ch = chr(cp)
        if ch.isalnum() or ch == "_" or unicodedata.category(ch)[0] == "M":
            word.append(cp)
            if ch.isupper():
                upper.append(cp)
    return _class_ranges(word) + _WORD_SMP, _class_ranges(upper)


def _trie(words: Iterable[str]) -> str:
    """A regex matching exactly `words`, factored by prefix so the engine does not try them one by one."""
    root: dict[str, Any] = {}
    for w in words:
        node = root
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        alts = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if "" in node:
            alts.append("")
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return emit(root) if root else ""


def _token_pattern(abbreviations: frozenset[str], *, emails: bool) -> re.Pattern[str]:
    word, upper = _unicode_classes()
    w = f"[{word}]"
    longest = max((len(a.split(".")[0]) for a in abbreviations), default=1)
    # Bounded repeats keep every attempt short: a long "a.b.c.d..." chain must not cost quadratic time.
    dotted = [f"{_LETTER}{{1,4}}(?:\\.{_LETTER}{{1,4}}){{1,5}}\\.", f"[{upper}]\\.(?=\\s*[{upper}])"]
    if abbreviations:
        dotted.insert(0, f"(?i:{_trie(sorted(abbreviations))})\\.")
    branches = [
        # Most tokens are plain words followed by a space: matched first, unless a joiner, a period or "@"
        # follows, in which case the branches below decide (URL, email, abbreviation, hyphenated word...).
        f"{w}+(?![{word}.,/:@+'\u2019-])",
        _URL,
        *([_EMAIL] if emails else []),
        f"[#@]{w}+",
        # Abbreviations and initials keep their period; the lookahead lets plain words skip these branches.
        f"(?={w}{{1,{max(longest, 4)}}}\\.)(?:{'|'.join(dotted)})",
        # Words with inner hyphens and apostrophes, numbers with separators, domain names.
        # One class test ends a plain word; the lookbehinds then check which joiner it was.
        f"{w}+(?:[-'\u2019.,/:](?:(?<=[-'\u2019])|(?<=\\d[.,/:])(?=\\d)|(?<=\\.)(?=(?i:{_TLDS})\\b)){w}+)*",
        r"\.{2,}",
        _EMOJI,
        r"\S",
    ]
    return re.compile("|".join(branches))


class Segmenter:
    """Paragraphs, sentences and tokens of a text, for one set of abbreviations."""

    def __init__(self, rules: LanguageRules | None = None, extra: Iterable[str] = ()) -> None:
        rules = rules or LanguageRules(frozenset(), frozenset())
        self.prefix = rules.prefix | frozenset(extra)
        self.final = rules.final - self.prefix
        self.letter_names = rules.letter_names
        abbreviations = self.prefix | self.final
        self._tokens = _token_pattern(abbreviations, emails=False)
        self._tokens_email = _token_pattern(abbreviations, emails=True)  # slower: only for texts with "@"

    def segment(
        self, text: str, doc_id: str | None = None
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(passages, sentences) of `text`, with ids `<doc_id>-p<n>` / `<doc_id>-s<n>` (or `p<n>`/`s<n>`)."""
        tokens = self._tokens_email if "@" in text else self._tokens
        prefix = f"{doc_id}-" if doc_id else ""
        passages: list[dict[str, Any]] = []
        sentences: list[dict[str, Any]] = []
        for para in _PARAGRAPH.finditer(text):
            p_start, p_end = para.span()
            pid = f"{prefix}p{len(passages)}"
            passages.append({"id": pid, "type": "paragraph", "offsets": [[p_start, p_end]]})
            for start, end in self.sentence_spans(text, p_start, p_end):
                sentences.append(
                    {
                        "id": f"{prefix}s{len(sentences)}",
                        "start": start,
                        "end": end,
                        "passage_id": pid,
                        "tokens": [[*m.span()] for m in tokens.finditer(text, start, end)],
                    }
                )
        return passages, sentences

    def sentence_spans(self, text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
        """Sentence spans of the paragraph text[start:end] (starting and ending on a non-space character)."""
        for m in _BOUNDARY.finditer(text, start, end):
            if m.start() > start and self._ends_sentence(text, m, start, end):
                yield start, m.end(1)
                start = m.end()
        yield start, end

    def _ends_sentence(self, text: str, m: re.Match[str], start: int, end: int) -> bool:
        """Whether the terminal run `m` ends the sentence that began at `start`."""
        run_end = m.start(1)
        if text[run_end - 1] in _CJK_TERMINALS:  # 。: no space needed after it, no letter case to look at
            return True
        nxt = m.end()
        if m.start(2) == nxt or not _plausible_start(text, nxt, end):  # "10.30", "S.H." or "... lalu"
            return False
        dot = m.start()
        if run_end - dot > 1 or text[dot] != "." or m.end(1) > run_end:  # ! ? … ... or a closing quote
            return True
        if text[dot - 1].isspace():  # "penyakit . Beberapa"
            return True
        chunk = text[max(start, dot - _CHUNK_WINDOW) : dot].rsplit(None, 1)[-1].lstrip(_OPENERS)
        if not chunk or len(chunk) >= _CHUNK_WINDOW:  # longer words are not abbreviations
            return True
        key = chunk.lower()
        following = text[nxt]
        if key in self.prefix:
            return False
        if len(chunk) == 1 and chunk.isupper() and following.isupper():  # "A. Rahman"; not "vitamin D. Ia"
            before = text[max(start, dot - _CHUNK_WINDOW) : dot - 1].rsplit(None, 1)
            return bool(before) and before[-1].lower() in self.letter_names
        if key in self.final or _MULTIDOT.fullmatch(chunk):  # "dll. Kemudian", but "S.H. M.H." stays
            return following.isupper() and not self._is_abbreviation_at(text, nxt, end)
        if dot - len(chunk) == start and _ENUMERATOR.fullmatch(chunk):  # "1. Buka aplikasi."
            return False
        return True

    def _is_abbreviation_at(self, text: str, pos: int, end: int) -> bool:
        token = self._tokens.match(text, pos, end)
        return token is not None and len(token.group()) > 1 and token.group().endswith(".")


def _plausible_start(text: str, i: int, end: int) -> bool:
    """Whether text[i] can start a sentence: not lower case, a comma, a closing mark or a detached quote."""
    c = text[i]
    if c.islower() or c in _CONTINUATION:
        return False
    if c in "\"'" and (i + 1 == end or text[i + 1].isspace()):  # `kata dia . " Lalu`: a closing quote
        return False
    return True


def normalise_abbreviation(value: Any, *, where: str = "segment.abbreviations") -> str:
    """'Jend.' -> 'jend': the key form of a configured abbreviation; ConfigError for anything else."""
    if not isinstance(value, str) or not value.strip(". ") or any(ch.isspace() for ch in value.strip()):
        raise ConfigError(
            f"{value!r} is not an abbreviation",
            where=where,
            fix='list abbreviations as strings without spaces, e.g. abbreviations = ["Jend.", "Kol."]',
        )
    return value.strip().rstrip(".").lower()


@lru_cache(maxsize=64)
def segmenter_for(code: str | None, extra: frozenset[str] = frozenset()) -> Segmenter:
    """The segmenter of a language's rules plus `extra` abbreviations (which no sentence ends after).

    A language without abbreviation data gets the generic mechanism alone."""
    return Segmenter(LanguageRules.of(code), extra)


def _extra_key(abbreviations: Iterable[str]) -> frozenset[str]:
    return frozenset(normalise_abbreviation(a) for a in abbreviations)


def segment_text(
    text: str,
    *,
    abbreviations: Iterable[str] = (),
    language: str = "id",
    doc_id: str | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(passages, sentences) of `text` in the document schema's shape.

    Passages are kb passages `{id, type: "paragraph", offsets: [[start, end]]}`; sentences are
    `{id, start, end, passage_id, tokens: [[start, end], ...]}`. `abbreviations` ("Jend.", "Kol.") add to the
    language's built-in list; no sentence ends after them.
    """
    return segmenter_for(language, _extra_key(abbreviations)).segment(text, doc_id)


def segment_document(doc: dict[str, Any], *, abbreviations: Iterable[str] = ()) -> dict[str, Any]:
    """Set `passages` and `sentences` on a document record (in place) and return it; ids start with its id."""
    segmenter = segmenter_for(doc.get("language"), _extra_key(abbreviations))
    doc["passages"], doc["sentences"] = segmenter.segment(doc["text"], doc["id"])
    return doc


# --- the stage ----------------------------------------------------------------------------------------------

_WORKER_EXTRA: frozenset[str] = frozenset()


def _init_worker(extra: frozenset[str]) -> None:
    global _WORKER_EXTRA
    _WORKER_EXTRA = extra


def _record_problem(doc: dict[str, Any]) -> tuple[str, str] | None:
    if not isinstance(doc.get("id"), str) or not doc["id"]:
        return "id_missing", "the record has no string 'id'; run the earlier stages on it"
    if not isinstance(doc.get("text"), str):
        return "text_missing", "the record has no string 'text'; run the earlier stages on it"
    if not doc["text"].strip():
        return "empty_text", "the text is empty after cleaning"
    return None


def _segment_batch(docs: list[dict[str, Any]]) -> list[tuple[dict[str, Any] | bytes, str | None, str, tuple]]:
    """Per document: (JSONL line or rejected record, reason, detail, (paragraphs, sentences, tokens))."""
    out: list[tuple[dict[str, Any] | bytes, str | None, str, tuple]] = []
    for doc in docs:
        problem = _record_problem(doc)
        if problem:
            out.append((doc, problem[0], problem[1], (0, 0, 0)))
            continue
        segmenter = segmenter_for(doc.get("language"), _WORKER_EXTRA)
        passages, sentences = doc["passages"], doc["sentences"] = segmenter.segment(doc["text"], doc["id"])
        counts = (len(passages), len(sentences), sum(len(s["tokens"]) for s in sentences))
        # Serialised here so that the workers, not the parent, pay for it.
        out.append((dumps(doc), None, "", counts))
        # Millions of small token lists alive for the whole batch would make every GC pass slower (2.5x here).
        del doc["passages"], doc["sentences"]
    return out


@dataclass
class SegmentTally:
    """What the segment stage counts while it writes; partitions of one run each keep one and add them up."""

    n_in: int = 0
    n_out: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    totals: Counter[str] = field(default_factory=Counter)

    def add(self, results: list[tuple[dict[str, Any] | bytes, str | None, str, tuple]], writer: AtomicWriter,
            rejects: RejectSink) -> None:
        """Write the segmented documents of a batch and reject the rest."""
        for payload, reason, detail, (n_par, n_sent, n_tok) in results:
            self.n_in += 1
            if reason is not None:
                assert isinstance(payload, dict)
                self.dropped[reason] += 1
                doc_id = payload.get("id") if isinstance(payload.get("id"), str) else None
                source = payload.get("source")
                where = source.get("uri") if isinstance(source, dict) else None
                rejects.reject(reason, doc_id=doc_id, where=where, detail=detail, record=payload)
                continue
            assert isinstance(payload, bytes)
            writer.write_bytes(payload)
            self.n_out += 1
            self.totals.update(paragraphs=n_par, sentences=n_sent, tokens=n_tok)

    def merge(self, other: SegmentTally) -> None:
        self.n_in += other.n_in
        self.n_out += other.n_out
        self.dropped.update(other.dropped)
        self.totals.update(other.totals)

    def stats(self) -> dict[str, Any]:
        totals, per_doc = self.totals, max(self.n_out, 1)
        return {
            "stage": "segment",
            "documents_in": self.n_in,
            "documents_out": self.n_out,
            "documents_dropped": dict(self.dropped),
            "paragraphs": totals["paragraphs"],
            "sentences": totals["sentences"],
            "tokens": totals["tokens"],
            "paragraphs_per_document": round(totals["paragraphs"] / per_doc, 2),
            "sentences_per_document": round(totals["sentences"] / per_doc, 2),
            "tokens_per_document": round(totals["tokens"] / per_doc, 2),
            "tokens_per_sentence": round(totals["tokens"] / max(totals["sentences"], 1), 2),
        }


def configured_abbreviations(config: Config) -> frozenset[str]:
    """The normalised `segment.abbreviations` of the config; ConfigError when it is not a list of strings."""
    return frozenset(normalise_abbreviation(a, where=f"{config.path or 'config'} [segment] abbreviations")
                     for a in config.segment.abbreviations)


class Segment(BatchStage):
    """The segment stage: paragraphs, sentences and tokens of every document, on worker processes."""

    name = "segment"
    previous = "split"
    sections = ("segment",)
    work = _segment_batch

    def check(self) -> None:
        configured_abbreviations(self.config)

    def initializer(self) -> tuple[Any, tuple[Any, ...]]:
        return _init_worker, (configured_abbreviations(self.config),)

    def tally(self) -> SegmentTally:
        return SegmentTally()
