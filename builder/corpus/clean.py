"""Clean: normalise Unicode and whitespace, strip boilerplate by rule, read dateline, attribution and a lead date,
and drop documents that fail the quality filters.

Every removed line and every dropped document is counted by reason and written to the rejects file.
Cleaning is idempotent at the document level: a cleaned document cleans to itself (the dateline, attribution
and date it already carries are not searched for again).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from builder.config import Config
from builder.document import set_text
from builder.corpus.characters import normalise_breaks_and_spaces, remove_invisible
from builder.corpus.rulesets import RuleSet, line_screen, load_rule_set
from builder.jsonl import AtomicWriter, dumps
from builder.lang.identify import UNDETERMINED, identify
from builder.stage import BatchStage, RejectSink, file_digest

_MULTISPACE = re.compile(" {2,}")  # runs of two or more only: matching every single space is slow
_SENTENCE_ENDS = tuple(".!?\u2026:;\"\u201d\u2019')]")  # a line that ends with one of these ends a sentence


def normalise_text(text: str) -> str:
    """NFC, one kind of line break and space, no invisible or control characters, no blank or padded lines."""
    return normalise_counted(text)[0]


def normalise_counted(text: str) -> tuple[str, int]:
    """`normalise_text` and how many invisible or control characters it removed (see builder/corpus/characters.py)."""
    text, removed = remove_invisible(normalise_breaks_and_spaces(text))
    text = unicodedata.normalize("NFC", text)
    if "  " in text:
        text = _MULTISPACE.sub(" ", text)
    return "\n".join(line.strip() for line in text.split("\n") if line.strip()), removed


def is_hard_wrapped(lines: list[str]) -> bool:
    """A text wrapped at a fixed width: most lines stop without ending a sentence."""
    if len(lines) < 3:
        return False
    open_ends = sum(1 for line in lines[:-1] if not line.endswith(_SENTENCE_ENDS))
    return open_ends >= 0.5 * (len(lines) - 1)


def unwrap_lines(lines: list[str], *, wrapped: bool) -> list[str]:
    """Join a line that does not end a sentence with the next one when the next one starts in lower case
    (a broken line in any text), or always when the whole text is hard-wrapped."""
    out: list[str] = []
    for line in lines:
        if out and not out[-1].endswith(_SENTENCE_ENDS) and (wrapped or line[:1].islower()):
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
    return out


@dataclass
class CleanResult:
    doc: dict[str, Any] | None
    removed: list[tuple[str, str]] = field(default_factory=list)  # (rule, line)
    drop_reason: str | None = None
    drop_detail: str | None = None
    events: list[str] = field(default_factory=list)  # what was found: dateline, attribution, lead_date, unwrapped


class Cleaner:
    """Cleans one document with an ordered list of rule sets (most specific first) and the quality filters."""

    def __init__(
        self,
        rule_sets: list[RuleSet],
        *,
        unwrap: bool = True,
        min_words: int = 30,
        languages: Iterable[str] = ("id",),
        language_check: bool = True,
        min_language_chars: int = 200,
        language_sample_chars: int = 600,
    ) -> None:
        self.rule_sets = rule_sets
        self.unwrap = unwrap
        self.min_words = min_words
        self.languages = set(languages)
        self.language_check = language_check
        self.min_language_chars = min_language_chars
        self.language_sample_chars = language_sample_chars
        self._lead_patterns = {rs.name: lead_date_patterns(rs) for rs in rule_sets}
        self._screen, self._unscreened = line_screen([rule for rs in rule_sets for rule in rs.rules])

    # -- language -------------------------------------------------------------------------------------------
    def detect_language(self, text: str) -> str:
        # A few hundred characters of news prose decide as well as the whole article, at a fraction of the cost.
        return identify(text[: self.language_sample_chars])

    # -- steps ----------------------------------------------------------------------------------------------
    def _apply_rules(self, lines: list[str], doc: dict[str, Any], res: CleanResult) -> list[str]:
        kept: list[str] = []
        for i, line in enumerate(lines):
            rule = self._match(line)
            if rule is None:
                kept.append(line)
                continue
            if rule.action == "strip":
                new = rule.regex.sub("", line).strip()
                res.removed.append((rule.name, line))
                if new:
                    kept.append(new)
                continue
            res.removed.append((rule.name, line))
            if rule.action == "attribution":
                value = rule.regex.search(line).group("value").strip()
                doc["attribution"] = value if not doc.get("attribution") else doc["attribution"]
                res.events.append("attribution")
            elif rule.action == "meta":
                # a new dict: the input record stays as it came (it is what a rejected document keeps)
                doc["meta"] = {**(doc.get("meta") or {}), rule.field: rule.regex.search(line).group("value").strip()}
            elif rule.action == "drop_rest":
                res.removed.extend((rule.name, rest) for rest in lines[i + 1 :])
                break
        return kept

    def _match(self, line: str):
        # Most lines match no rule: the screen and the few rules outside it say so at once.
        if (self._screen is None or self._screen.search(line) is None) and not any(
                rule.matches(line) for rule in self._unscreened):
            return None
        for rs in self.rule_sets:
            for rule in rs.rules:
                if rule.matches(line):
                    return rule
        return None

    def _dateline(self, lines: list[str], doc: dict[str, Any], res: CleanResult) -> list[str]:
        if not lines or doc.get("dateline"):
            return lines
        first = lines[0]
        for rs in self.rule_sets:
            for pat in rs.datelines:
                m = pat.regex.match(first)
                if not m:
                    continue
                groups = m.groupdict()
                place = (groups.get("place") or "").strip(" ,-") or None
                if pat.known_places_only and (place or "").casefold() not in rs.places:
                    continue
                outlet = groups.get("outlet")
                doc["dateline"] = {"place": place, "outlet": outlet.strip() if outlet else None, "raw": m.group(0)}
                res.events.append("dateline")
                rest = first[m.end() :].strip()
                return ([rest] if rest else []) + lines[1:]
        return lines

    def _lead_date(self, lines: list[str], doc: dict[str, Any], res: CleanResult) -> None:
        if doc.get("published"):
            return
        for rs in self.rule_sets:
            if not rs.months and not rs.weekdays:
                continue
            found = find_lead_date(lines[: rs.lead_paragraphs], rs, self._lead_patterns[rs.name])
            if found:
                doc["published"] = found
                doc["published_from"] = "lead"
                res.events.append("lead_date")
                return

    # -- whole document -------------------------------------------------------------------------------------
    def clean(self, doc: dict[str, Any]) -> CleanResult:
        doc = dict(doc)
        res = CleanResult(doc=doc)
        if doc.get("title"):
            doc["title"] = normalise_text(doc["title"]).replace("\n", " ")
        outlet = (doc.get("source") or {}).get("outlet")
        if outlet:
            doc["source"] = {**doc["source"], "outlet": normalise_text(outlet).replace("\n", " ") or None}
        text, removed = normalise_counted(doc["text"]) if doc["text"] else ("", 0)
        if removed:
            res.events.append("invisible_characters")
        lines = text.split("\n") if text else []
        lines = [line for line in lines if line]
        lines = self._apply_rules(lines, doc, res)
        if self.unwrap:
            joined = unwrap_lines(lines, wrapped=is_hard_wrapped(lines))
            if len(joined) != len(lines):
                res.events.append("unwrapped")
            lines = joined
        lines = self._dateline(lines, doc, res)
        self._lead_date(lines, doc, res)
        set_text(doc, "\n".join(lines))
        text = doc["text"]
        words = len(text.split())
        if not text:
            return self._drop(res, "empty_after_cleaning", "no text left after removing boilerplate")
        if words < self.min_words:
            return self._drop(res, "too_short", f"{words} words < clean.min_words={self.min_words}")
        if self.language_check and len(text) >= self.min_language_chars:
            lang = self.detect_language(text)
            if lang == UNDETERMINED:  # no evidence of another language: kept, and counted
                res.events.append("language_undetermined")
            elif lang not in self.languages:
                return self._drop(res, "wrong_language", f"identified as '{lang}', accepted: {sorted(self.languages)}")
        return res

    @staticmethod
    def _drop(res: CleanResult, reason: str, detail: str) -> CleanResult:
        res.drop_reason, res.drop_detail = reason, detail
        return res


_DMY = r"\(\s*(?P<d>\d{1,2})\s*/\s*(?P<m>\d{1,2})\s*/\s*(?P<y>\d{4}|\d{2})\s*\)"


def _valid_date(year: int, month: int, day: int) -> str | None:
    if year < 100:
        year += 2000
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def lead_date_patterns(rs: RuleSet) -> list[re.Pattern[str]]:
    """News style dates: "Rabu (19/6/2024)", "(19/6/2024)", "Kamis, 5 Juli 2012". A bare "24 April 2001" is
    left alone: in a lead it is as often a date the story cites as the date of the story."""
    patterns = [re.compile(_DMY)]
    if rs.weekdays and rs.months:
        days = "|".join(sorted(map(re.escape, rs.weekdays), key=len, reverse=True))
        months = "|".join(sorted(map(re.escape, rs.months), key=len, reverse=True))
        patterns.append(re.compile(
            rf"\b(?:{days})\s*,?\s*\(?\s*(?P<d>\d{{1,2}})\s+(?P<mname>{months})\.?\s+(?P<y>\d{{4}})\b",
            re.IGNORECASE))
    return patterns


def find_lead_date(lines: list[str], rs: RuleSet, patterns: list[re.Pattern[str]] | None = None) -> str | None:
    """The first full date in the lead paragraphs, as an ISO date."""
    lead = " ".join(lines).replace("\u2019", "'")
    best: tuple[int, str] | None = None
    for pattern in patterns if patterns is not None else lead_date_patterns(rs):
        for m in pattern.finditer(lead):
            month = rs.months[m.group("mname").casefold()] if "mname" in m.groupdict() else int(m.group("m"))
            d = _valid_date(int(m.group("y")), month, int(m.group("d")))
            if d:
                if best is None or m.start() < best[0]:
                    best = (m.start(), d)
                break
    return best[1] if best else None


# -- the stage ----------------------------------------------------------------------------------------------

def build_cleaners(config: Config) -> dict[str, Cleaner]:
    """One Cleaner per source: the source's own rule sets first (more specific), then the generic ones."""
    cfg = config.clean
    extra = config.resolve(cfg.rules_dir) if cfg.rules_dir else None
    cache: dict[str, RuleSet] = {}

    def get(name: str) -> RuleSet:
        if name not in cache:
            cache[name] = load_rule_set(name, extra)
        return cache[name]

    generic = [get(n) for n in cfg.rule_sets]

    def cleaner(rule_sets: list[RuleSet]) -> Cleaner:
        return Cleaner(
            rule_sets,
            unwrap=cfg.unwrap_lines,
            min_words=cfg.min_words,
            languages=cfg.languages,
            language_check=cfg.language_check,
            min_language_chars=cfg.min_language_chars,
            language_sample_chars=cfg.language_sample_chars,
        )

    cleaners = {}
    for src in config.sources:
        own = [get(n) for n in src.rule_sets]
        cleaners[src.name] = cleaner(own + [g for g in generic if g not in own])
    cleaners[""] = cleaner(generic)
    return cleaners


_WORKER_CLEANERS: dict[str, Cleaner] = {}


def _init_worker(config: Config) -> None:
    global _WORKER_CLEANERS
    _WORKER_CLEANERS = build_cleaners(config)


# What a worker sends back per document: id, where it came from, the lines removed by rule, what was found, and
# either its cleaned JSONL line or, when dropped, the reason, its detail and the original record. Serialised in the
# worker, so that the parent only writes.
Cleaned = tuple[str, "str | None", list[tuple[str, str]], list[str], "bytes | None", "str | None", "str | None",
                "dict[str, Any] | None"]


def _clean_batch(docs: list[dict[str, Any]]) -> list[Cleaned]:
    out: list[Cleaned] = []
    for doc in docs:
        cleaner = _WORKER_CLEANERS.get(doc["source"]["name"]) or _WORKER_CLEANERS[""]
        res = cleaner.clean(doc)
        where = doc["source"].get("uri")
        if res.drop_reason:
            out.append((doc["id"], where, res.removed, res.events, None, res.drop_reason, res.drop_detail, doc))
        else:
            out.append((doc["id"], where, res.removed, res.events, dumps(res.doc), None, None, None))
    return out


@dataclass
class CleanTally:
    """What the clean stage counts while it writes; partitions of one run each keep one and add them up."""

    n_in: int = 0
    n_out: int = 0
    removed: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)
    events: Counter[str] = field(default_factory=Counter)

    def add(self, results: list[Cleaned], writer: AtomicWriter, rejects: RejectSink) -> None:
        """Write the kept documents of a cleaned batch and reject the rest, with every removed line."""
        for doc_id, where, removed, events, line, reason, detail, original in results:
            self.n_in += 1
            for rule, text in removed:
                self.removed[rule] += 1
                rejects.reject(rule, kind="line", doc_id=doc_id, where=where, detail=text)
            self.events.update(events)
            if reason:
                self.dropped[reason] += 1
                rejects.reject(reason, kind="document", doc_id=doc_id, where=where, detail=detail, record=original)
                continue
            assert line is not None
            writer.write_bytes(line)
            self.n_out += 1

    def merge(self, other: CleanTally) -> None:
        self.n_in += other.n_in
        self.n_out += other.n_out
        self.removed.update(other.removed)
        self.dropped.update(other.dropped)
        self.events.update(other.events)

    def stats(self) -> dict[str, Any]:
        return {
            "stage": "clean",
            "documents_in": self.n_in,
            "documents_out": self.n_out,
            "documents_dropped": dict(self.dropped),
            "lines_removed": dict(self.removed),
            "found": dict(self.events),
        }


class Clean(BatchStage):
    """The clean stage: every document through its source's `Cleaner`, on worker processes."""

    name = "clean"
    previous = "ingest"
    sections = ("clean", "sources")
    work = _clean_batch

    def check(self) -> None:
        build_cleaners(self.config)  # fail on a bad rule set before any worker starts

    def initializer(self) -> tuple[Any, tuple[Any, ...]]:
        return _init_worker, (self.config,)

    def tally(self) -> CleanTally:
        return CleanTally()

    def side_state(self) -> Any:
        rules_dir = self.config.clean.rules_dir
        if not rules_dir:
            return None
        return [(p.name, file_digest(p)) for p in sorted(self.config.resolve(rules_dir).glob("*.toml"))]
