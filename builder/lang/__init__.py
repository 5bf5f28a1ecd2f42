"""Language data as data: one folder per language (`id/`, `en/`, `ms/`), one TOML file per kind of data.

- `abbreviations.toml`: the segmenter's abbreviations (`prefix`, `final`, `letter_names`);
- `calendar.toml`: month names (and variants) with their numbers, weekday names (and variants);
- `affixes.toml`: derivational prefixes and suffixes, longest first (token features);
- `reporting.toml`: titles before names, speech and say verbs, hedges (the rule tagger);
- `gazetteer.toml`: known names by entity type (the rule tagger);
- `claims.toml`: what makes a sentence worth checking: comparisons, superlatives, quantities, statements of fact,
  opinions and intent (the check-worthiness model's cues).

A folder may say `like = "xx"` in `language.toml`: what it lacks is read from that language. A kind of data a
language does not have is empty, so every part works for any language, with less help where data is missing.
Language codes are ISO 639-1; the 639-2/3 codes and region tags map onto them (`key`).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from builder.errors import ConfigError

LANG_DIR = Path(__file__).resolve().parent
ALIASES = {"in": "id", "ind": "id", "msa": "ms", "zsm": "ms", "may": "ms", "eng": "en"}


@dataclass(frozen=True)
class Abbreviations:
    prefix: frozenset[str] = frozenset()
    final: frozenset[str] = frozenset()
    letter_names: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Calendar:
    months: dict[str, int] = field(default_factory=dict)  # full names, in calendar order
    month_variants: dict[str, int] = field(default_factory=dict)
    weekdays: tuple[str, ...] = ()
    weekday_variants: tuple[str, ...] = ()

    @property
    def all_months(self) -> dict[str, int]:
        return {**self.months, **self.month_variants}

    @property
    def all_weekdays(self) -> tuple[str, ...]:
        return (*self.weekdays, *self.weekday_variants)


@dataclass(frozen=True)
class Reporting:
    titles: tuple[str, ...] = ()
    speech_verbs: tuple[str, ...] = ()
    say_verbs: tuple[str, ...] = ()
    hedges: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClaimCues:
    comparatives: tuple[str, ...] = ()
    superlatives: tuple[str, ...] = ()
    superlative_prefixes: tuple[str, ...] = ()  # Indonesian ter- + adjective
    superlative_suffixes: tuple[str, ...] = ()  # English -est
    quantities: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()
    opinions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Language:
    code: str
    abbreviations: Abbreviations
    calendar: Calendar
    prefixes: tuple[str, ...]
    suffixes: tuple[str, ...]
    reporting: Reporting
    gazetteer: dict[str, str]  # name -> entity type
    claims: ClaimCues = ClaimCues()


def key(code: str | None) -> str:
    """'id-ID' -> 'id', 'ind' -> 'id', None -> '': the folder of a document's or project's language."""
    base = (code or "").strip().lower().replace("_", "-").split("-")[0]
    return ALIASES.get(base, base)


def _read(code: str, name: str, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    """One data file of a language, or of the language it is `like`; {} when neither has it."""
    folder = LANG_DIR / code
    path = folder / f"{name}.toml"
    if path.is_file():
        try:
            return tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"language data is not valid TOML: {exc}", where=str(path),
                              fix="correct the file's syntax") from exc
    meta = folder / "language.toml"
    if meta.is_file() and code not in seen:
        like = tomllib.loads(meta.read_text(encoding="utf-8")).get("like")
        if like:
            return _read(str(like), name, (*seen, code))
    return {}


@cache
def language(code: str | None) -> Language:
    """The data of a language (empty data for a language without a folder)."""
    k = key(code)
    abbr = _read(k, "abbreviations")
    cal = _read(k, "calendar")
    aff = _read(k, "affixes")
    rep = _read(k, "reporting")
    gaz = _read(k, "gazetteer")
    cues = _read(k, "claims")
    gazetteer: dict[str, str] = {}
    for entity_type, names in gaz.items():
        gazetteer.update(dict.fromkeys(names, entity_type))
    return Language(
        code=k,
        abbreviations=Abbreviations(*(frozenset(abbr.get(n, [])) for n in ("prefix", "final", "letter_names"))),
        calendar=Calendar({m.casefold(): int(v) for m, v in cal.get("months", {}).items()},
                          {m.casefold(): int(v) for m, v in cal.get("month_variants", {}).items()},
                          tuple(cal.get("weekdays", [])), tuple(cal.get("weekday_variants", []))),
        prefixes=tuple(aff.get("prefixes", [])),
        suffixes=tuple(aff.get("suffixes", [])),
        reporting=Reporting(*(tuple(rep.get(n, [])) for n in ("titles", "speech_verbs", "say_verbs", "hedges"))),
        gazetteer=gazetteer,
        claims=ClaimCues(*(tuple(cues.get(n, [])) for n in ClaimCues.__dataclass_fields__)),
    )


def languages() -> list[str]:
    """The languages that have a data folder."""
    return sorted(p.name for p in LANG_DIR.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))
