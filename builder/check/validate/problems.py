"""A located problem, the catalogue of checks with their fixes, and JSON Schema errors turned into problems.

Every problem says where (file, record, document, task, annotation, annotator, region, JSON pointer), what was
found, what was expected and how to fix it. The catalogue keeps the wording of each check in one place
(as spaCy's error catalogue does), so a check only states its code and the values involved.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

ERROR = "error"
WARNING = "warning"

# code -> (what is wrong, how to fix it). Templates take the problem's fields and `detail`.
CATALOGUE: dict[str, tuple[str, str]] = {
    "schema": ("{detail}", "{fix}"),
    "offset-range": ("region offsets [{start}, {end}) are not inside the text (length {length})",
                     "re-select the span in Label Studio; offsets are code points into data.text, start < end"),
    "text-mismatch": ("the region's stated text is not text[start:end]",
                      "re-select the span in Label Studio, or re-import the task if its text was edited"),
    "duplicate-region-id": ("region id is used by {detail}",
                            "give each region its own id (delete and redraw the duplicated region)"),
    "unknown-control": ("control '{detail}' is not in the labeling config",
                        "use the controls of the config generated from schema/labels.json, or map the label"),
    "unknown-label": ("label is not allowed for control '{detail}'",
                      "use a label of schema/labels.json, or migrate the annotations with a label mapping"),
    "several-labels": ("a region carries {detail} labels", "keep one label per region"),
    "unknown-region": ("{detail} points at region '{region_id}', which this annotation does not have",
                       "redraw the relation or choice on an existing region, or delete it"),
    "wrong-layer": ("{detail}", "put the choice on a claim region (select the claim, then choose)"),
    "choice-offsets": ("the attribute's offsets differ from those of its region",
                       "re-select the region and choose the attribute again"),
    "duplicate-choice": ("'{detail}' is given more than once", "keep one value per region and control"),
    "missing-attribute": ("claim has no '{detail}'", "select the claim and choose a value for '{detail}'"),
    "relation-label": ("relation has no label", "choose a relation label ({detail}) in the relations panel"),
    "relation-direction": ("{detail}", "draw the relation from the {source} to the {target}"),
    "relation-count": ("a {source} has {count} '{detail}' relations, at most {limit} allowed",
                       "keep one {detail} relation per {source} (one speaker per claim)"),
    "duplicate-relation": ("the same '{detail}' relation is drawn twice", "delete one of them"),
    "overlap": ("entity spans overlap: {detail}",
                "the label schema does not allow nested entities: shorten or delete one span"),
    "speaker-mismatch": ("claim speaker_id {found} has no matching {detail} relation",
                         "make speaker_id and the claim's relation name the same entity"),
    "unknown-document": ("document is not in the corpus ({detail})",
                         "validate against the corpus the tasks were pushed from (--corpus), or re-push"),
    "text-hash": ("the text differs from the corpus text of this document (sha256 found vs expected)",
                  "re-push the current text (annotations on the old text must be redone), or use the old corpus"),
    "duplicate-document": ("document also appears in record {detail} of this file",
                           "remove the duplicate task in Label Studio (`annotate push` reconciles them)"),
    "repaired-offsets": ("offsets were repaired when pulled: {detail}", "check the region in Label Studio"),
    "bad-json": ("the line is not valid JSON ({detail})",
                 "repair the line (a truncated write, NaN or a lone surrogate are common causes) or remove it; the "
                 "other lines are checked as usual"),
    "not-object": ("record is a JSON {detail}, not an object", "each record must be one JSON object"),
    "prediction-range": ("a pre-annotation region [{start}, {end}) is not inside the text (length {length}): "
                         "Label Studio cannot show it", "push the task again with the pre-annotator's output for "
                         "this text (`newsbench annotate push`), or delete the prediction"),
    "skipped-with-results": ("a skipped annotation holds {detail} region(s) or choice(s); a skip is not used, so "
                             "they are not either", "if they are meant, open the task, cancel the skip and submit"),
    "annotated-twice": ("the annotator submitted {detail} annotations of this task; only the newest is used",
                        "delete the extra annotation in Label Studio, or leave it: adjudication takes the newest"),
    "json-min-record": ("record is a row of Label Studio's JSON-MIN export (flat fields, no annotations list, no "
                        "region ids, relations or annotators' choices)",
                        "export the project as JSON (the full format) in Label Studio, or run "
                        "`newsbench annotate pull`"),
    "unknown-record": ("record is neither a Label Studio task, a canonical annotation record nor a document",
                       "validate Label Studio exports, annotations/canonical/*.jsonl or gold documents"),
}


@dataclass
class Problem:
    """One problem, with its place and a fix."""

    check: str
    message: str
    fix: str
    severity: str = ERROR
    file: str | None = None
    record: int | None = None  # 1-based position of the record in its file (the line of a JSONL file)
    document_id: str | None = None
    task_id: Any = None
    annotation_id: Any = None
    annotator: Any = None
    region_id: Any = None
    pointer: str = ""
    found: Any = None
    expected: Any = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def location(self) -> str:
        parts = [self.file or "?"]
        if self.record is not None:
            parts.append(f"record {self.record}")
        for label, value in (("doc", self.document_id), ("task", self.task_id), ("annotation", self.annotation_id),
                             ("by", self.annotator), ("region", self.region_id)):
            if value is not None:
                parts.append(f"{label} {value}")
        return " ".join(parts) + (f" {self.pointer}" if self.pointer else "")

    def line(self) -> str:
        """One readable line: where, what, found/expected, fix."""
        seen = ""
        if self.found is not None or self.expected is not None:
            seen = f"; found {_short(self.found)}, expected {_short(self.expected)}"
        return f"{self.severity}: {self.location()}: [{self.check}] {self.message}{seen} (fix: {self.fix})"


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def make_problem(check: str, *, severity: str = ERROR, detail: Any = "", **fields: Any) -> Problem:
    """A problem from the catalogue; template placeholders come from `fields` and `detail`."""
    what, fix = CATALOGUE[check]
    values = _Fields(detail=detail, **fields)
    known = {k: v for k, v in fields.items() if k in Problem.__dataclass_fields__ and k not in _OWN}
    return Problem(check, what.format_map(values), fix.format_map(values), severity, **known)


_OWN = ("check", "message", "fix", "severity")


class _Fields(dict):
    def __missing__(self, key: str) -> str:
        return "?"


# ---- JSON Schema errors -------------------------------------------------------------------------------------

def _expected(error: Any) -> tuple[Any, str]:
    """(expected value, fix) for one jsonschema error, by the keyword that failed."""
    kw, want = error.validator, error.validator_value
    if kw == "enum":
        return list(want), f"use one of: {', '.join(map(str, want))}"
    if kw == "const":
        return want, f"set it to {want!r}"
    if kw == "required":
        missing = [k for k in want if isinstance(error.instance, dict) and k not in error.instance]
        return missing, f"add {', '.join(repr(m) for m in missing)}"
    if kw == "type":
        return want, f"make it a JSON {want if isinstance(want, str) else ' or '.join(want)}"
    if kw in ("minItems", "maxItems"):
        return f"{kw} {want}", f"give {'at least' if kw == 'minItems' else 'at most'} {want} item(s)"
    if kw in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return f"{kw} {want}", "correct the number"
    if kw == "pattern":
        shape = error.schema.get("description") if isinstance(error.schema, dict) else None
        return f"matching {want}", f"write {shape}" if shape else "use an id of the corpus (source:key)"
    if kw == "minLength":
        return f"at least {want} character(s)", "fill in the value"
    if kw in ("oneOf", "anyOf"):
        types = [alt.get("type") for alt in want if isinstance(alt, dict)]
        if types and all(isinstance(t, str) for t in types):
            return types, f"make it a JSON {' or '.join(types)}"
        return "one of the allowed shapes", "see the schema for the allowed shapes"
    if kw == "additionalProperties":
        return "no other fields", "remove the extra field"
    return f"{kw} {want!r}", "see the schema"


def schema_problems(errors: Any, schema_name: str, base: dict[str, Any],
                    locate: Any = None) -> list[Problem]:
    """Problems from jsonschema errors; `locate(path)` adds the annotation/region of a pointer when it can."""
    out = []
    for err in sorted(map(_most_specific, errors), key=lambda e: [str(p) for p in e.absolute_path]):
        path = list(err.absolute_path)
        expected, fix = _expected(err)
        extra = locate(path) if locate else {}
        if err.validator in ("anyOf", "oneOf"):
            message = f"{_found(err)!r} matches none of the allowed shapes"
        elif isinstance(err.instance, (dict, list)) and err.validator == "type":  # never the whole object
            message = f"{_found(err)} is not of type {err.validator_value!r}"
        else:
            message = err.message
        out.append(make_problem(
            "schema", detail=f"{message} (schema {schema_name})", fix=fix,
            pointer="/" + "/".join(str(p) for p in path), found=_found(err), expected=expected,
            **{**base, **extra},
        ))
    return out


def _most_specific(error: Any) -> Any:
    """For "matches none of the shapes": the failure inside the closest shape, when it lies deeper than the value
    itself (a wrong score inside a prediction object), so the message names the field instead of the object."""
    while error.validator in ("anyOf", "oneOf") and error.context:
        inner = max(error.context, key=lambda e: len(e.absolute_path))
        if len(inner.absolute_path) <= len(error.absolute_path):
            break
        error = inner
    return error


def _found(error: Any) -> Any:
    if error.validator == "required":
        return sorted(error.instance) if isinstance(error.instance, dict) else error.instance
    inst = error.instance
    if isinstance(inst, (dict, list)):
        return f"a JSON {'object' if isinstance(inst, dict) else 'array'} of {len(inst)} item(s)"
    if isinstance(inst, str) and len(inst) > 80:
        return inst[:77] + "..."
    return inst
