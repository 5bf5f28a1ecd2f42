"""The JSON Schema of what newsbench accepts from Label Studio, generated from the label schema.

`export_schema(labels)` describes ONE task of a Label Studio JSON export (the export is a JSON array of them, or
JSON Lines as `annotate pull` writes). Control names, span labels, choices and relation labels are enums taken
from `schema/labels.json` through `builder.labels`; nothing is typed here. The committed file
`schema/labelstudio-export.schema.json` is this function's output (`write_export_schema`), and a test checks
that the two agree. Fields Label Studio adds that newsbench does not read stay allowed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from builder.document import SCHEMA_DIR, load_schema
from builder.annotate.labelstudio.config import RESULT_TYPE, TEXT_NAME
from builder.annotate.labelstudio.views import DOC_KEY
from builder.labels import ATTRIBUTE, SPAN, Field, LabelSchema, fields

EXPORT_SCHEMA_PATH = SCHEMA_DIR / "labelstudio-export.schema.json"


def _value(required: list[str], extra: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": extra}


def _when(control: str, then: dict[str, Any]) -> dict[str, Any]:
    return {"if": {"required": ["from_name"], "properties": {"from_name": {"const": control}}}, "then": then}


def _choice_rule(control: Field) -> dict[str, Any]:
    """Allowed values of one choice control; a per-region attribute also needs its region's id."""
    then: dict[str, Any] = {"properties": {"value": {"properties": {"choices": {"items": {"enum": list(control.values)}}}}}}
    if control.kind == ATTRIBUTE:
        then["required"] = ["id"]
        then["properties"]["id"] = {"$ref": "#/$defs/region_id"}
    return _when(control.name, then)


def export_schema(labels: LabelSchema) -> dict[str, Any]:
    """The export schema for a label schema (a plain dict, Draft 2020-12)."""
    ctl = fields(labels)
    span_ctl = [c for c in ctl.values() if c.kind == SPAN]
    choice_ctl = [c for c in ctl.values() if RESULT_TYPE[c.kind] == "choices"]
    offsets = {"start": {"type": "integer", "minimum": 0}, "end": {"type": "integer", "minimum": 0},
               "text": {"type": "string"}}
    one_of = {"type": "array", "minItems": 1, "maxItems": 1}
    span = {
        "description": "a span of an entity or claim control",
        "required": ["id", "from_name", "to_name", "value"],
        "properties": {
            "id": {"$ref": "#/$defs/region_id"},
            "from_name": {"enum": [c.name for c in span_ctl]},
            "value": _value(["start", "end", "labels"], {**offsets, "labels": {**one_of, "items": {"type": "string"}}}),
        },
        "allOf": [
            _when(c.name, {"properties": {"value": {"properties": {"labels": {"items": {"enum": list(c.values)}}}}}})
            for c in span_ctl
        ],
    }
    choice = {
        "description": "a per-region attribute (it carries its region's id and offsets) or a document label",
        "required": ["from_name", "to_name", "value"],
        "properties": {
            "from_name": {"enum": [c.name for c in choice_ctl]},
            "value": _value(["choices"], {**offsets, "choices": {**one_of, "items": {"type": "string"}}}),
        },
        "allOf": [_choice_rule(c) for c in choice_ctl],
    }
    relation = {
        "description": "a relation between two regions; labels name its type",
        "required": ["from_id", "to_id", "labels"],
        "properties": {
            "from_id": {"$ref": "#/$defs/region_id"},
            "to_id": {"$ref": "#/$defs/region_id"},
            "direction": {"enum": ["right", "left", "bi"]},
            "labels": {**one_of, "items": {"enum": [r.name for r in labels.relations]}},
        },
    }
    result = {
        "type": "object",
        "required": ["type"],
        "properties": {"type": {"enum": ["labels", "choices", "relation"]},
                       "to_name": {"const": TEXT_NAME}},
        "allOf": [
            {"if": {"properties": {"type": {"const": kind}}}, "then": {"$ref": f"#/$defs/{name}"}}
            for kind, name in (("labels", "span"), ("choices", "choice"), ("relation", "relation"))
        ],
    }
    timestamp = {"type": ["string", "null"], "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}",
                 "description": "an ISO 8601 timestamp, e.g. 2026-11-26T17:55:38.800447Z"}
    annotation = {
        "type": "object",
        # Label Studio writes who annotated on every annotation: without it an annotation has no annotator
        "required": ["id", "result", "completed_by"],
        "properties": {
            "id": {"type": "integer"},
            "completed_by": {"oneOf": [{"type": "integer"},
                                       {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}]},
            "was_cancelled": {"type": "boolean"},
            "ground_truth": {"type": "boolean"},
            "lead_time": {"type": ["number", "null"], "minimum": 0},
            "created_at": timestamp,
            "updated_at": timestamp,
            "result": {"type": "array", "items": {"$ref": "#/$defs/result"}},
        },
    }
    score = {"type": ["number", "null"]}
    prediction = {
        "type": "object",
        "required": ["result"],
        "description": "pre-annotations: their shape is checked, their content is not (they are not annotations)",
        "properties": {"score": score,
                       "result": {"type": "array", "items": {"type": "object", "properties": {"score": score}}}},
    }
    doc_id = load_schema("document")["$defs"]["doc_id"]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://newsbench.invalid/schema/labelstudio-export/{labels.version}",
        "title": "newsbench: one task of a Label Studio export",
        "description": "Generated from schema/labels.json by builder.annotate.labelstudio.export_schema (do not edit; run "
                       "`python -m builder.annotate.labelstudio.export_schema`). A Label Studio JSON export is an array of "
                       "these tasks; `annotate pull` writes them one a line. Offsets are Python code-point offsets "
                       "into data.text, end exclusive. Semantic rules (offsets inside the text, region ids, "
                       "relations, speakers, overlaps, the corpus) are checked by `newsbench validate`.",
        "type": "object",
        "required": ["id", "data", "annotations"],
        "properties": {
            "id": {"type": "integer"},
            "data": {"type": "object", "required": ["text", DOC_KEY],
                     "properties": {"text": {"type": "string"}, DOC_KEY: {"$ref": "#/$defs/doc_id"}}},
            "annotations": {"type": "array", "items": {"$ref": "#/$defs/annotation"}},
            # Label Studio's JSON export of a project lists a task's predictions by id only
            "predictions": {"type": "array", "items": {"anyOf": [{"$ref": "#/$defs/prediction"},
                                                                 {"type": "integer"}]}},
        },
        "$defs": {
            "doc_id": doc_id,
            "region_id": {"type": "string", "minLength": 1},
            "annotation": annotation,
            "prediction": prediction,
            "result": result,
            "span": span,
            "choice": choice,
            "relation": relation,
        },
    }


def render(schema: dict[str, Any]) -> str:
    """The schema as committed: 2-space JSON, key order kept, final newline."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write_export_schema(labels: LabelSchema, path: Path = EXPORT_SCHEMA_PATH) -> Path:
    path.write_text(render(export_schema(labels)), encoding="utf-8")
    return path


if __name__ == "__main__":  # regenerate the committed file after editing schema/labels.json
    from builder.labels import load_label_schema

    print(write_export_schema(load_label_schema(SCHEMA_DIR / "labels.json")))
