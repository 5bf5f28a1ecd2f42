"""The rule tagger: entities from a gazetteer and patterns, claims from quotes and reported statements.

A baseline that needs no training (`claims-rules` in the results) and the default pre-annotator of
`annotate push` (`builder.annotate.preannotate`). For Indonesian news it proposes entities from a gazetteer and
patterns (titles before names, dates, named events), quotes and reported statements with their speakers
("kata Putin", "menurut ..."), and hedged statements. Its scores are fixed per rule (how often that rule tends to
be right), not calibrated probabilities. Labels come from the label schema's defaults (`claim_label`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from builder.errors import ConfigError
from builder.lang import language
from builder.spans import PreAnnotation, Region, Relation


NOTHING = "(?!)"  # an alternation of no words: matches nowhere


def _words(words: tuple[str, ...]) -> str:
    """A regex alternation of literal words, in the data's order (earlier alternatives are tried first)."""
    return "|".join(map(re.escape, words)) or NOTHING


_CAP = r"[A-Z][\w'-]*"
_NAME = rf"{_CAP}(?:[ \t]+(?:bin[ \t]+|binti[ \t]+|van[ \t]+|de[ \t]+)?{_CAP}){{0,3}}"  # never across a line
_EVENT_RE = re.compile(
    r"\b(?:Perang Dunia (?:I{1,2}|Pertama|Kedua)|Perang Dingin|Pemilu \d{4}|Pilpres \d{4}|Pilkada \d{4}|"
    r"KTT [A-Z0-9][\w-]*|Piala Dunia \d{4}|Olimpiade \d{4}|Asian Games \d{4}|SEA Games \d{4}|"
    r"Hari Kemerdekaan|Idul Fitri|Idul Adha|Natal|Tahun Baru)\b"
)
_WORD_START = re.compile(r"(?<![\w-])\w")
_QUOTE_RE = re.compile(r"[\"“]([^\"“”\n]{12,}?)[\"”]")
_SENT_END = re.compile(r"[.!?](?=[\"”]?\s+[\"“A-Z]|[\"”]?\s*$)")


def _date_patterns(days: str, months: str) -> list[re.Pattern[str]]:
    return [
        re.compile(rf"\b(?:{days})\s*\(\d{{1,2}}/\d{{1,2}}/\d{{2,4}}\)"),
        re.compile(rf"\b(?:(?:{days}),?\s+)?\d{{1,2}}\s+(?:{months})(?:\s+\d{{4}})?\b"),
        re.compile(rf"\b(?:{months})\s+\d{{4}}\b"),
        re.compile(r"\b(?:pada|tahun|sejak|hingga|sampai) (?P<v>\d{4})\b"),
        re.compile(rf"\b(?:{days})\b(?=\s+(?:pagi|siang|sore|malam|dini hari|lalu|kemarin))"),
        re.compile(r"\b\d+ (?:tahun|bulan|pekan|minggu|hari) (?:terakhir|lalu|silam)\b"),
    ]


def load_gazetteer(path: str | Path | None, lang: str = "id") -> dict[str, str]:
    """The language's gazetteer (`builder/lang/<lang>/gazetteer.toml`), extended by a JSON file
    {"name": "TYPE", ...} when given."""
    gaz = dict(language(lang).gazetteer)
    if path:
        try:
            extra = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"cannot read the gazetteer: {exc}", where=str(path),
                              fix='write a JSON object {"Name": "TYPE", ...}') from exc
        if not isinstance(extra, dict) or not all(isinstance(v, str) for v in extra.values()):
            raise ConfigError("the gazetteer must map names to entity types", where=str(path),
                              fix='write a JSON object {"Name": "TYPE", ...}')
        gaz.update(extra)
    return gaz


def sentence_spans(doc: dict[str, Any]) -> list[tuple[int, int]]:
    """Sentence offsets from the document's segmentation, else from a simple rule (per line, then . ! ?)."""
    if doc.get("sentences"):
        return [(s["start"], s["end"]) for s in doc["sentences"]]
    text = doc["text"]
    spans = []
    for line in re.finditer(r"[^\r\n]+", text):
        start = line.start()
        for m in _SENT_END.finditer(line.group()):
            end = line.start() + m.end()
            spans.append((start, end))
            start = end
            while start < line.end() and text[start] in " \t":
                start += 1
        if start < line.end():
            spans.append((start, line.end()))
    return spans


class _Doc:
    """The regions proposed for one document so far, with overlap checks per layer."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.regions: list[Region] = []
        self.relations: list[Relation] = []

    def free(self, start: int, end: int, layer: str = "entity") -> bool:
        return not any(r.layer == layer and r.start < end and start < r.end for r in self.regions)

    def add(self, layer: str, label: str, start: int, end: int, score: float, **attrs: str) -> Region | None:
        while start < end and self.text[start].isspace():
            start += 1
        while end > start and self.text[end - 1] in " \t\r\n,.;:":
            end -= 1
        if start >= end or not self.free(start, end, layer):
            return None
        region = Region(f"{layer[0]}{len(self.regions)}", layer, label, start, end, score, dict(attrs))
        self.regions.append(region)
        return region

    def entity_in(self, start: int, end: int) -> Region | None:
        return next((r for r in self.regions if r.layer == "entity" and start <= r.start and r.end <= end), None)


class RulePreAnnotator:
    """Gazetteer and pattern rules for news (see the module docstring); the words come from `builder.lang`."""

    def __init__(self, gazetteer: dict[str, str] | None = None, *, claim_label: str = "CLAIM",
                 model_version: str = "rules-id-1", lang: str = "id") -> None:
        data = language(lang)
        self.gazetteer = dict(data.gazetteer if gazetteer is None else gazetteer)
        self.claim_label = claim_label
        self.model_version = model_version
        # names by their first two characters, longest first ("Dewan Keamanan PBB" before "Dewan"): one dict
        # look-up per word instead of a regex alternation that tries every name at every position
        self._gaz: dict[str, list[str]] = {}
        for name in sorted(self.gazetteer, key=len, reverse=True):
            if name.strip():
                self._gaz.setdefault(name[:2], []).append(name)
        rep = data.reporting
        titles, speech, say = _words(rep.titles), _words(rep.speech_verbs), _words(rep.say_verbs)
        self._title_re = re.compile(rf"\b(?:{titles})[ \t]+((?:{_CAP}[ \t]+)*?)({_NAME})")
        self._after_verb = re.compile(rf"[\"”],?\s+(?:{speech})\s+({_NAME})")
        self._before_quote = re.compile(rf"({_NAME})\s+(?:{say})\s*[,:]?\s*[\"“]")
        self._menurut = re.compile(rf"\b[Mm]enurut\s+({_NAME})\s*,\s*")
        self._bahwa = re.compile(rf"({_NAME})\s+(?:{say})(?:\s+bahwa)?\s*,?\s+(?=[a-z])")
        self._hedges = re.compile(rf"\b({_words(rep.hedges)})\b", re.I)
        cal = data.calendar
        self._dates = _date_patterns(_words(tuple(d.capitalize() for d in cal.weekdays)),
                                     _words(tuple(m.capitalize() for m in cal.months)))

    def predict(self, docs: Iterable[dict[str, Any]]) -> Iterator[PreAnnotation]:
        for doc in docs:
            yield self.predict_one(doc)

    def predict_one(self, doc: dict[str, Any]) -> PreAnnotation:
        text = doc["text"]
        d = _Doc(text)
        self._entities(d)
        self._claims(d, sentence_spans(doc))
        score = sum(r.score for r in d.regions) / len(d.regions) if d.regions else 0.0
        return PreAnnotation(doc["id"], self.model_version, tuple(d.regions), tuple(d.relations), round(score, 4))

    def _entities(self, d: _Doc) -> None:
        text = d.text
        for rx in self._dates:
            for m in rx.finditer(text):
                start, end = m.span("v") if "v" in rx.groupindex else m.span()
                d.add("entity", "DATE", start, end, 0.8)
        for m in _EVENT_RE.finditer(text):
            d.add("entity", "EVENT", m.start(), m.end(), 0.7)
        for name, start in self._gazetteer_hits(text):
            d.add("entity", self.gazetteer[name], start, start + len(name), 0.9)
        for m in self._title_re.finditer(text):
            start, end = m.start(2), m.end(2)
            # "Presiden Rusia Vladimir Putin": the gazetteer took "Rusia"; the name is what follows it
            for r in sorted((r for r in d.regions if r.layer == "entity"), key=lambda r: r.start):
                if r.start <= start < r.end:
                    start = r.end
            self._add_name(d, start, end, 0.7)
        for rx in (self._after_verb, self._before_quote, self._menurut):
            for m in rx.finditer(text):
                self._add_name(d, m.start(1), m.end(1), 0.6)
        self._propagate_names(d)

    def _gazetteer_hits(self, text: str) -> Iterator[tuple[str, int]]:
        for m in _WORD_START.finditer(text):
            start = m.start()
            for name in self._gaz.get(text[start:start + 2], ()):
                end = start + len(name)
                if text.startswith(name, start) and (end == len(text) or not (text[end].isalnum() or text[end] in "_-")):
                    yield name, start
                    break

    def _add_name(self, d: _Doc, start: int, end: int, score: float) -> None:
        words = list(re.finditer(_CAP, d.text[start:end]))
        if not words:
            return
        kind = self.gazetteer.get(d.text[start:end].strip(), "PER")
        d.add("entity", kind, start + words[0].start(), start + words[-1].end(), score)

    def _propagate_names(self, d: _Doc) -> None:
        """A person found with first and last name is also found by the last name alone ("Putin")."""
        lasts = {d.text[r.start:r.end].split()[-1] for r in d.regions if r.label == "PER" and " " in d.text[r.start:r.end]}
        lasts |= {d.text[r.start:r.end] for r in d.regions if r.label == "PER"}
        if not lasts:
            return
        rx = re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, sorted(lasts, key=len, reverse=True))) + r")(?![\w-])")
        for m in rx.finditer(d.text):
            d.add("entity", "PER", m.start(), m.end(), 0.6)

    def _speaker(self, d: _Doc, start: int, end: int) -> Region | None:
        return d.entity_in(start, end)

    def _claim(self, d: _Doc, start: int, end: int, kind: str, score: float, speaker: Region | None) -> None:
        span = d.text[start:end]
        worthy = bool(re.search(r"\d|persen|juta|miliar|triliun|pertama|terbesar|tertinggi", span)) or bool(
            d.entity_in(start, end)
        )
        claim = d.add("claim", self.claim_label, start, end, score, checkworthy="yes" if worthy else "no", kind=kind)
        if claim and speaker:
            d.relations.append(Relation("said_by", claim.id, speaker.id, round(score * speaker.score, 4)))

    def _claims(self, d: _Doc, sentences: list[tuple[int, int]]) -> None:
        text = d.text
        for m in _QUOTE_RE.finditer(text):
            after = self._after_verb.match(text, m.end() - 1)
            before = None
            for b in self._before_quote.finditer(text, max(0, m.start() - 120), m.start() + 1):
                if b.end() == m.start() + 1:
                    before = b
            who = after or before
            if who is None:
                continue  # a quoted phrase without a speaker is a name or a scare quote, not a quote
            speaker = self._speaker(d, who.start(1), who.end(1))
            self._claim(d, m.start(1), m.end(1), "quote", 0.6, speaker)
        for s_start, s_end in sentences:
            sentence = text[s_start:s_end]
            m = self._menurut.search(sentence) or self._bahwa.search(sentence)
            if m:
                speaker = self._speaker(d, s_start + m.start(1), s_start + m.end(1))
                self._claim(d, s_start + m.end(), s_end, "reported", 0.5, speaker)
            elif self._hedges.search(sentence):
                self._claim(d, s_start, s_end, "reported", 0.4, None)
