"""Cleaning rule sets kept as data: TOML files, one generic set per language and one per outlet.

A rule set names line rules (regex + action), dateline patterns with a list of known places, and whether it reads
a date in the lead (`[dates]`; the weekday and month names come from the rule set's language, `builder.lang`,
unless the file lists its own). Built-in sets live in `builder/rules/`; a project adds its own in the
folder named by `clean.rules_dir`, which is searched first.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

try:  # the parser of CPython's `re`: which rules can share one pattern (`line_screen`)
    from re import _parser as _sre_parser  # type: ignore[attr-defined]  # Python >= 3.11
except ImportError:  # pragma: no cover - Python 3.10
    import sre_parse as _sre_parser  # type: ignore[no-redef]

from builder.errors import ConfigError
from builder.lang import language

BUILTIN_DIR = Path(__file__).resolve().parent / "rules"
ACTIONS = ("drop", "drop_rest", "attribution", "meta", "strip")


@dataclass(frozen=True)
class LineRule:
    name: str
    regex: re.Pattern[str]
    action: str
    field: str | None = None
    probe: re.Pattern[str] | None = None  # finds a match exactly when `regex` does, faster (see `probe_pattern`)

    def matches(self, line: str) -> bool:
        return (self.probe or self.regex).search(line) is not None


# An unanchored pattern that starts with `\s*` matches somewhere exactly when the rest of it does (the run may be
# empty); without it, the regex engine can skip ahead to the rest's first character instead of trying every
# position. A possessive `\s*+` is left alone: it changes what the rest can match.
_LEADING_SPACES = re.compile(r"\\s\*\??(?!\+)")


_NAMED_GROUP = re.compile(r"\(\?P<\w+>")
_BACKREFERENCE = re.compile(r"\\[1-9]|\(\?P=|\\g<|\(\?\(")  # \1, (?P=name), \g<name>, (?(1)yes|no)
_INLINE_FLAGS = re.compile(r"\(\?[aiLmsux-]+[:)]")


def line_screen(rules: list[LineRule]) -> tuple[re.Pattern[str] | None, list[LineRule]]:
    """One pattern that matches a line exactly when one of the `^`-anchored rules does, and the rules it leaves
    out; a line neither the screen nor any rule left out matches is matched by no rule.

    Most boilerplate rules are anchored at the line's start, where a single alternation of all of them is tried
    once instead of once per rule. A rule goes into the screen only when joining cannot change what it matches:
    no back-references (group numbers change), no inline flags, a pattern that compiles on its own."""
    branches, left = [], []
    for rule in rules:
        pattern = rule.regex.pattern
        if (not _anchored(rule.regex) or rule.regex.flags & re.MULTILINE or _BACKREFERENCE.search(pattern)
                or _INLINE_FLAGS.search(pattern)):
            left.append(rule)
            continue
        body = _NAMED_GROUP.sub("(?:", pattern[1:])
        branch = f"(?i:{body})" if rule.regex.flags & re.IGNORECASE else f"(?:{body})"
        try:
            re.compile(branch)
        except re.error:
            left.append(rule)
            continue
        branches.append(branch)
    return (re.compile("^(?:" + "|".join(branches) + ")") if branches else None), left


def _anchored(regex: re.Pattern[str]) -> bool:
    """Whether every match of the pattern starts at `^`: it begins with `^` and has no `|` at the top level
    (`^a|b` matches a "b" anywhere)."""
    if not regex.pattern.startswith("^"):
        return False
    try:
        parsed = list(_sre_parser.parse(regex.pattern, regex.flags))
    except Exception:  # noqa: BLE001 - the parser is CPython's own; anything odd keeps the rule out of the screen
        return False
    return bool(parsed) and parsed[0] == (_sre_parser.AT, _sre_parser.AT_BEGINNING) and all(
        op is not _sre_parser.BRANCH for op, _ in parsed)


def probe_pattern(regex: re.Pattern[str]) -> re.Pattern[str] | None:
    """A faster pattern with the same yes/no answer to `search` as `regex`, or None when there is none."""
    m = _LEADING_SPACES.match(regex.pattern)
    if m is None:
        return None
    try:
        return re.compile(regex.pattern[m.end():], regex.flags)
    except re.error:
        return None


@dataclass(frozen=True)
class DatelinePattern:
    regex: re.Pattern[str]
    known_places_only: bool


@dataclass
class RuleSet:
    name: str
    language: str | None
    rules: list[LineRule] = field(default_factory=list)
    datelines: list[DatelinePattern] = field(default_factory=list)
    places: set[str] = field(default_factory=set)
    weekdays: list[str] = field(default_factory=list)
    months: dict[str, int] = field(default_factory=dict)
    lead_paragraphs: int = 2
    path: Path | None = None


def available_rule_sets(extra_dir: Path | None = None) -> list[str]:
    names = {p.stem for p in BUILTIN_DIR.glob("*.toml")}
    if extra_dir and extra_dir.is_dir():
        names |= {p.stem for p in extra_dir.glob("*.toml")}
    return sorted(names)


def load_rule_set(name: str, extra_dir: Path | None = None) -> RuleSet:
    """Load one rule set by name, from `extra_dir` first, then the built-in folder."""
    candidates = ([extra_dir / f"{name}.toml"] if extra_dir else []) + [BUILTIN_DIR / f"{name}.toml"]
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        raise ConfigError(
            f"unknown rule set '{name}'",
            where="newsbench.toml",
            fix=f"use one of {', '.join(available_rule_sets(extra_dir))} or add {name}.toml to clean.rules_dir",
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"rule file is not valid TOML: {exc}", where=str(path), fix="correct its syntax") from exc
    return _parse(name, data, path)


def _compile(pattern: str, where: str, flags: int) -> re.Pattern[str]:
    try:
        return re.compile(pattern, flags)
    except re.error as exc:
        raise ConfigError(f"bad regular expression: {exc}", where=where, fix="correct the pattern") from exc


def _parse(name: str, data: dict[str, Any], path: Path) -> RuleSet:
    rs = RuleSet(name=name, language=data.get("language"), path=path)
    for i, rule in enumerate(data.get("rules", [])):
        where = f"{path} rules[{i}] ({rule.get('name', '?')})"
        action = rule.get("action", "drop")
        if action not in ACTIONS:
            raise ConfigError(f"unknown action '{action}'", where=where, fix=f"use one of {', '.join(ACTIONS)}")
        if "name" not in rule or "pattern" not in rule:
            raise ConfigError("a rule needs a name and a pattern", where=where, fix="add both")
        flags = 0 if rule.get("case_sensitive") else re.IGNORECASE
        regex = _compile(rule["pattern"], where, flags)
        if action in ("attribution", "meta") and "value" not in regex.groupindex:
            raise ConfigError("this action needs a (?P<value>...) group", where=where, fix="add the group")
        if action == "meta" and not rule.get("field"):
            raise ConfigError("a meta rule needs `field`", where=where, fix="add field = \"...\"")
        rs.rules.append(LineRule(rule["name"], regex, action, rule.get("field"), probe_pattern(regex)))
    dl = data.get("dateline", {})
    patterns = dl.get("patterns", [])
    known = dl.get("known_places_only", [False] * len(patterns))
    if len(known) != len(patterns):
        raise ConfigError("dateline.known_places_only must have one flag per pattern", where=str(path))
    for i, (pattern, only_known) in enumerate(zip(patterns, known)):
        regex = _compile(pattern, f"{path} dateline.patterns[{i}]", 0)
        if not {"place", "outlet"} & set(regex.groupindex):
            raise ConfigError("a dateline pattern needs a (?P<place>...) or (?P<outlet>...) group",
                              where=f"{path} dateline.patterns[{i}]", fix="add one")
        rs.datelines.append(DatelinePattern(regex, bool(only_known)))
    rs.places = {p.casefold() for p in dl.get("places", [])}
    dates = data.get("dates")
    if dates is not None:  # this rule set reads a date in the lead: names from the file, else from its language
        calendar = language(rs.language).calendar
        rs.weekdays = [w.casefold() for w in dates.get("weekdays", calendar.all_weekdays)]
        rs.months = {k.casefold(): int(v) for k, v in dates.get("months", calendar.all_months).items()}
        rs.lead_paragraphs = int(dates.get("lead_paragraphs", 2))
    return rs
