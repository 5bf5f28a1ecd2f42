"""Annotation sheets: annotations written outside the Label Studio UI, anchored by their text, not by offsets.

An annotator who works from a text file (or a script that carries annotations over from another tool) writes
what to mark by quoting it; `resolve_sheet` turns the quotes into exact code-point regions of the document's
text and refuses anything ambiguous, so that `newsbench annotate submit` can send them to Label Studio as that
annotator's annotations:

    {"document_id": "...", "text_sha256": "...",
     "entities": [{"label": "PER", "text": "Vladimir Putin"},          # every whole-word occurrence
                  {"label": "LOC", "text": "AS", "occurrences": [2]}],   # only the 2nd one (1-based)
     "claims": [{"text": "Korea Utara diduga akan ...", "kind": "reported", "checkworthy": "yes",
                 "speaker": "KCNA"}],                                    # or {"text": ..., "occurrence": N}
     "doc_labels": {"veracity": "hoax"}}                                 # optional

Rules, so that a sheet means one thing only:
- An entity quote matches whole words only ("AS" never matches inside "ASEAN") and is case-sensitive.
  Without `occurrences` it marks every occurrence that is not inside a longer entity of the sheet: with
  `allow_nested = false` "PBB" inside "Dewan Keamanan PBB" is left to the longer name. An occurrence asked for
  by number that overlaps another entity is an error.
- A claim quote must occur once, or name its `occurrence`. Its other keys are the claim attributes of the
  label schema (all required ones present, values from the schema).
- `speaker` names an entity of the sheet by its text: the occurrence nearest to the claim (the earlier one on
  a tie), or the numbered whole-word occurrence. It becomes the schema's claim -> entity relation.
Every problem of a sheet is collected, each naming the sheet, the item and how to fix it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from builder.errors import DataInvalidError
from builder.labels import LabelSchema
from builder.spans import PreAnnotation

SHEET_KEYS = {"document_id", "text_sha256", "entities", "claims", "doc_labels", "notes"}


@dataclass(frozen=True)
class SheetRegion:
    """A resolved span, shaped like a pre-annotation region without a score."""

    id: str
    layer: str  # "entity" or "claim"
    label: str
    start: int
    end: int
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SheetRelation:
    type: str
    from_id: str
    to_id: str


@dataclass
class ResolvedSheet:
    document_id: str
    regions: list[SheetRegion]
    relations: list[SheetRelation]
    doc_labels: dict[str, str]
    nested_skipped: int = 0  # occurrences left to a longer entity that contains them


def word_matches(text: str, quote: str) -> list[int]:
    """Start offsets of `quote` in `text` as whole words (no letter or digit right before or after)."""
    out = []
    for m in re.finditer(re.escape(quote), text):
        s, e = m.start(), m.end()
        if (s == 0 or not text[s - 1].isalnum()) and (e == len(text) or not text[e].isalnum()):
            out.append(s)
    return out


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


class _Problems:
    def __init__(self, where: str) -> None:
        self.where = where
        self.items: list[str] = []

    def add(self, item: str, what: str, fix: str) -> None:
        self.items.append(f"{item}: {what} (fix: {fix})")

    def raise_any(self) -> None:
        if self.items:
            shown = "; ".join(self.items[:8]) + (f"; ... {len(self.items) - 8} more" if len(self.items) > 8 else "")
            raise DataInvalidError(f"{len(self.items)} problem(s) in the annotation sheet: {shown}", where=self.where,
                                   fix="correct the sheet; quotes must be copied exactly from the document text")


def _entities(text: str, sheet: dict[str, Any], schema: LabelSchema, bad: _Problems) -> tuple[list, int]:
    """(label, start, end) of every entity, longest first resolution; and how many nested ones were skipped."""
    wanted: list[tuple[int, int, str, bool, str]] = []  # start, end, label, explicit, item
    for i, ent in enumerate(sheet.get("entities") or []):
        item = f"entities[{i}]"
        label, quote = ent.get("label"), ent.get("text")
        if label not in schema.entity_names:
            bad.add(item, f"label {label!r} is not an entity type", f"use one of {', '.join(schema.entity_names)}")
            continue
        if not isinstance(quote, str) or not quote.strip() or quote != quote.strip():
            bad.add(item, f"text {quote!r} is empty or has spaces at its ends", "quote the entity without spaces")
            continue
        starts = word_matches(text, quote)
        if not starts:
            bad.add(item, f"{quote!r} does not occur in the text as whole words", "copy the name exactly")
            continue
        numbers = ent.get("occurrences")
        if numbers is None:
            wanted += [(s, s + len(quote), label, False, item) for s in starts]
            continue
        for n in numbers:
            if not isinstance(n, int) or not 1 <= n <= len(starts):
                bad.add(item, f"occurrence {n!r} of {quote!r} does not exist (it occurs {len(starts)} times)",
                        f"use numbers from 1 to {len(starts)}")
            else:
                wanted.append((starts[n - 1], starts[n - 1] + len(quote), label, True, item))
    kept: list[tuple[int, int, str]] = []
    skipped = 0
    # longest first, then explicit before implicit, then position: a longer name owns the words inside it
    for s, e, label, explicit, item in sorted(wanted, key=lambda w: (w[0] - w[1], not w[3], w[0])):
        clash = next((k for k in kept if _overlaps((s, e), (k[0], k[1]))), None)
        if clash is None or schema.allow_nested:
            if (s, e, label) not in kept:
                kept.append((s, e, label))
            continue
        if clash[:2] == (s, e) and clash[2] != label:
            bad.add(item, f"{text[s:e]!r} at {s} has two labels ({clash[2]} and {label})", "keep one label")
        elif explicit:
            bad.add(item, f"{text[s:e]!r} at {s} overlaps the entity {text[clash[0]:clash[1]]!r}",
                    "entities may not overlap: mark one of them")
        else:
            skipped += 1
    return sorted(kept), skipped


def _claim_span(text: str, claim: dict[str, Any], item: str, bad: _Problems) -> tuple[int, int] | None:
    quote = claim.get("text")
    if not isinstance(quote, str) or not quote.strip() or quote != quote.strip():
        bad.add(item, f"text {quote!r} is empty or has spaces at its ends", "quote the claim without spaces")
        return None
    starts = [m.start() for m in re.finditer(re.escape(quote), text)]
    n = claim.get("occurrence")
    if not starts:
        bad.add(item, f"{quote[:60]!r} does not occur in the text", "copy the claim exactly, one paragraph at most")
        return None
    if n is None and len(starts) > 1:
        bad.add(item, f"{quote[:60]!r} occurs {len(starts)} times", "add \"occurrence\": N (1-based)")
        return None
    n = 1 if n is None else n
    if not isinstance(n, int) or not 1 <= n <= len(starts):
        bad.add(item, f"occurrence {n!r} does not exist ({len(starts)} found)", f"use 1 to {len(starts)}")
        return None
    return starts[n - 1], starts[n - 1] + len(quote)


def _speaker(text: str, spec: Any, claim: tuple[int, int], entities: list[tuple[int, int, str]], item: str,
             bad: _Problems) -> int | None:
    """Index into `entities` of the claim's speaker."""
    quote, number = (spec, None) if isinstance(spec, str) else (spec.get("text"), spec.get("occurrence"))
    found = [i for i, (s, e, _) in enumerate(entities) if text[s:e] == quote]
    if not found:
        bad.add(item, f"speaker {quote!r} is not an entity of the sheet", "mark the speaker as an entity first")
        return None
    if number is not None:
        starts = word_matches(text, quote) if isinstance(quote, str) else []
        at = starts[number - 1] if isinstance(number, int) and 1 <= number <= len(starts) else None
        pick = [i for i in found if entities[i][0] == at]
        if not pick:
            bad.add(item, f"occurrence {number!r} of speaker {quote!r} is not a marked entity",
                    "name an occurrence that is marked, or leave the number out")
            return None
        return pick[0]

    def distance(i: int) -> tuple[int, int]:
        s, e, _ = entities[i]
        gap = max(claim[0] - e, s - claim[1], 0)
        return gap, 0 if s < claim[0] else 1  # the earlier mention wins a tie

    return min(found, key=distance)


def resolve_sheet(text: str, sheet: dict[str, Any], schema: LabelSchema, *, where: str = "sheet") -> ResolvedSheet:
    """Regions with exact offsets into `text` for everything the sheet quotes; DataInvalidError listing every
    problem otherwise."""
    bad = _Problems(where)
    unknown = set(sheet) - SHEET_KEYS
    if unknown:
        bad.add("sheet", f"unknown keys {sorted(unknown)}", f"use only {sorted(SHEET_KEYS)}")
    entities, skipped = _entities(text, sheet, schema, bad)
    regions = [SheetRegion(f"e{i + 1}", "entity", label, s, e) for i, (s, e, label) in enumerate(entities)]
    relations: list[SheetRelation] = []
    speaker_rel = next((r for r in schema.relations if r.source == "claim" and r.target == "entity"), None)
    attrs = {a.name: a for a in schema.claim_attributes}
    seen: set[tuple[int, int]] = set()
    for i, claim in enumerate(sheet.get("claims") or []):
        item = f"claims[{i}]"
        span = _claim_span(text, claim, item, bad)
        values = {k: v for k, v in claim.items() if k not in ("text", "occurrence", "speaker")}
        for name, value in values.items():
            if name not in attrs or value not in attrs[name].values:
                allowed = attrs[name].values if name in attrs else sorted(attrs)
                bad.add(item, f"{name}={value!r} is not a claim attribute of the label schema", f"use {allowed}")
        for a in attrs.values():
            if a.required and a.name not in values:
                bad.add(item, f"the required attribute {a.name!r} is missing", f"add one of {list(a.values)}")
        if span is None:
            continue
        if span in seen:
            bad.add(item, f"the claim {text[span[0]:span[1]][:60]!r} is listed twice", "keep one")
            continue
        seen.add(span)
        region = SheetRegion(f"c{len(seen)}", "claim", schema.claim.name, span[0], span[1],
                             {k: str(v) for k, v in values.items()})
        regions.append(region)
        if claim.get("speaker") is not None:
            if speaker_rel is None:
                bad.add(item, "the label schema has no claim -> entity relation", "remove the speaker")
                continue
            who = _speaker(text, claim["speaker"], span, entities, item, bad)
            if who is not None:
                relations.append(SheetRelation(speaker_rel.name, region.id, regions[who].id))
    doc_labels = dict(sheet.get("doc_labels") or {})
    choices = {c.name: c for c in schema.doc_labels}
    for name, value in doc_labels.items():
        if name not in choices or value not in choices[name].values:
            bad.add(f"doc_labels.{name}", f"{value!r} is not a document label of the schema",
                    f"use {sorted(choices)} with their values")
    bad.raise_any()
    return ResolvedSheet(str(sheet.get("document_id")), regions, relations, doc_labels, skipped)


def sheet_from_preannotation(text: str, pre: PreAnnotation, schema: LabelSchema) -> dict[str, Any]:
    """The sheet that `resolve_sheet` turns back into the same regions: an annotator starts from it and edits.

    Pre-annotated spans that no sheet can express (an entity that is not whole words) are left out and listed
    under `notes`."""
    notes: list[str] = []
    by_quote: dict[tuple[str, str], list[int]] = {}
    ents = sorted((r for r in pre.regions if r.layer == "entity"), key=lambda r: r.start)
    for r in ents:
        by_quote.setdefault((r.label, text[r.start:r.end]), []).append(r.start)
    marked = [(r.start, r.end) for r in ents]
    entities = []
    for (label, quote), starts in sorted(by_quote.items(), key=lambda kv: kv[1][0]):
        all_starts = word_matches(text, quote)
        if not set(starts) <= set(all_starts):
            notes.append(f"pre-annotated {label} {quote!r} is not whole words: left out")
            continue
        # occurrences inside a longer marked entity resolve away by themselves; the rest must all be marked
        free = [s for s in all_starts
                if not any(o != (s, s + len(quote)) and o[0] <= s and s + len(quote) <= o[1] for o in marked)]
        item: dict[str, Any] = {"label": label, "text": quote}
        if sorted(starts) != free:
            item["occurrences"] = [all_starts.index(s) + 1 for s in sorted(starts)]
        entities.append(item)
    ids = {r.id: r for r in pre.regions}
    speakers = {rel.from_id: ids[rel.to_id] for rel in pre.relations if rel.to_id in ids}
    claims = []
    for r in sorted((r for r in pre.regions if r.layer == "claim"), key=lambda r: r.start):
        quote = text[r.start:r.end].strip()
        start = r.start + text[r.start:r.end].find(quote)
        starts = [m.start() for m in re.finditer(re.escape(quote), text)]
        item = {"text": quote, **({"occurrence": starts.index(start) + 1} if len(starts) > 1 else {}),
                **dict(r.attributes)}
        who = speakers.get(r.id)
        if who is not None:
            item["speaker"] = text[who.start:who.end]
            nearest = min(
                (e for e in ents if text[e.start:e.end] == item["speaker"]),
                key=lambda e: (max(r.start - e.end, e.start - r.end, 0), 0 if e.start < r.start else 1))
            if nearest.start != who.start:
                item["speaker"] = {"text": item["speaker"],
                                   "occurrence": word_matches(text, item["speaker"]).index(who.start) + 1}
        claims.append(item)
    sheet: dict[str, Any] = {"document_id": pre.doc_id, "entities": entities, "claims": claims}
    if notes:
        sheet["notes"] = notes
    return sheet

