"""The one label schema (`schema/labels.json`) and everything derived from it.

The file declares entity types, the claim span with its per-claim attributes, relations and document labels.
From it come the Label Studio labeling config, the JSON Schema enums, the `ClassLabel` names and the card's
label table, so that no label is ever typed twice. Control names in Label Studio are derived by convention:
`entity` for entity spans, `claim` for claim spans, each claim attribute and document label by its own name.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from builder.config import Config
from builder.errors import ConfigError

ENTITY_CONTROL = "entity"
CLAIM_CONTROL = "claim"
TEXT_NAME = "text"
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class EntityType:
    name: str
    description: str
    color: str
    hotkey: str


@dataclass(frozen=True)
class Choice:
    """A closed set of values: a per-claim attribute or a document label."""

    name: str
    description: str
    values: tuple[str, ...]
    required: bool


@dataclass(frozen=True)
class RelationType:
    name: str
    description: str
    source: str  # "claim" or "entity"
    target: str
    max_per_source: int | None


@dataclass(frozen=True)
class LabelSchema:
    version: str
    entities: tuple[EntityType, ...]
    allow_nested: bool
    claim: EntityType
    claim_attributes: tuple[Choice, ...]
    relations: tuple[RelationType, ...]
    doc_labels: tuple[Choice, ...]
    path: str = "labels.json"

    @property
    def entity_names(self) -> list[str]:
        return [e.name for e in self.entities]

    def attribute(self, name: str) -> Choice | None:
        return next((a for a in self.claim_attributes if a.name == name), None)


def _need(obj: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise ConfigError(f"'{key}' is missing", where=where, fix=f"add '{key}' to the label schema")
    value = obj[key]
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ConfigError(f"'{key}' must be a {names}", where=f"{where}/{key}", fix="correct its type")
    return value


def _span_type(raw: dict[str, Any], where: str) -> EntityType:
    name = _need(raw, "name", str, where)
    if not _NAME.match(name):
        raise ConfigError(f"label name '{name}' is not a plain identifier", where=f"{where}/name",
                          fix="use letters, digits, '_' or '-', starting with a letter")
    color = raw.get("color", "#999999")
    if not isinstance(color, str) or not _COLOR.match(color):
        raise ConfigError(f"colour '{color}' is not #rrggbb", where=f"{where}/color", fix="write e.g. #e6194b")
    hotkey = raw.get("hotkey", "")
    if not isinstance(hotkey, str) or len(hotkey) > 1:
        raise ConfigError(f"hotkey '{hotkey}' is not one character", where=f"{where}/hotkey", fix="use one key")
    return EntityType(name, str(raw.get("description", "")), color, hotkey)


def _choice(raw: dict[str, Any], where: str) -> Choice:
    name = _need(raw, "name", str, where)
    if not _NAME.match(name):
        raise ConfigError(f"name '{name}' is not a plain identifier", where=f"{where}/name",
                          fix="use letters, digits, '_' or '-', starting with a letter")
    values = _need(raw, "values", list, where)
    if not values or not all(isinstance(v, str) and v for v in values) or len(set(values)) != len(values):
        raise ConfigError("'values' must be distinct non-empty strings", where=f"{where}/values",
                          fix="list each allowed value once")
    return Choice(name, str(raw.get("description", "")), tuple(values), bool(raw.get("required", False)))


def parse_label_schema(raw: Any, path: str = "labels.json") -> LabelSchema:
    """Check a label schema (already parsed JSON) and return it typed; errors name the JSON pointer."""
    if not isinstance(raw, dict):
        raise ConfigError("the label schema must be a JSON object", where=path)
    ents = _need(raw, "entities", dict, f"{path}#")
    types = _need(ents, "types", list, f"{path}#/entities")
    if not types:
        raise ConfigError("no entity types", where=f"{path}#/entities/types", fix="declare at least one")
    entities = tuple(_span_type(t, f"{path}#/entities/types/{i}") for i, t in enumerate(types))
    claims = _need(raw, "claims", dict, f"{path}#")
    claim = _span_type(claims, f"{path}#/claims")
    attrs = tuple(
        _choice(a, f"{path}#/claims/attributes/{i}") for i, a in enumerate(claims.get("attributes", []))
    )
    rels = []
    for i, r in enumerate(raw.get("relations", [])):
        where = f"{path}#/relations/{i}"
        name = _need(r, "name", str, where)
        ends = [_need(r, key, str, where) for key in ("from", "to")]
        for key, end in zip(("from", "to"), ends):
            if end not in ("claim", "entity"):
                raise ConfigError(f"'{key}' is '{end}'", where=f"{where}/{key}", fix="use 'claim' or 'entity'")
        limit = r.get("max_per_source")
        rels.append(RelationType(name, str(r.get("description", "")), ends[0], ends[1],
                                 int(limit) if limit is not None else None))
    docs = tuple(_choice(d, f"{path}#/doc_labels/{i}") for i, d in enumerate(raw.get("doc_labels", [])))
    schema = LabelSchema(
        version=str(raw.get("version", "0")),
        entities=entities,
        allow_nested=bool(ents.get("allow_nested", False)),
        claim=claim,
        claim_attributes=attrs,
        relations=tuple(rels),
        doc_labels=docs,
        path=path,
    )
    _check_unique(schema)
    return schema


def _check_unique(schema: LabelSchema) -> None:
    where = schema.path
    span_names = [*schema.entity_names, schema.claim.name]
    if len(set(span_names)) != len(span_names):
        raise ConfigError(f"span label names repeat: {span_names}", where=where, fix="give each label its own name")
    controls = [name for name, _ in control_list(schema)]
    dupes = sorted({c for c in controls if controls.count(c) > 1})
    if dupes:
        raise ConfigError(f"control names collide: {dupes}", where=where,
                          fix="rename the claim attribute or document label that reuses a name")
    keys = [t.hotkey for t in (*schema.entities, schema.claim) if t.hotkey]
    if len(set(keys)) != len(keys):
        raise ConfigError(f"hotkeys repeat: {keys}", where=where, fix="give each label its own hotkey")
    rel_names = [r.name for r in schema.relations]
    if len(set(rel_names)) != len(rel_names):
        raise ConfigError(f"relation names repeat: {rel_names}", where=where, fix="name each relation once")


def load_label_schema(path: str | Path) -> LabelSchema:
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the label schema: {exc.strerror}", where=str(path),
                          fix="set project.label_schema to an existing file") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"label schema is not valid JSON ({exc})", where=str(path), fix="repair the JSON") from exc
    return parse_label_schema(raw, str(path))


def label_schema_of(config: Config) -> LabelSchema:
    """The label schema the project config points at (`project.label_schema`)."""
    return load_label_schema(config.resolve(config.get("project.label_schema", "schema/labels.json")))


# ---- derivations -------------------------------------------------------------------------------------------


def control_list(schema: LabelSchema) -> list[tuple[str, str]]:
    """Every Label Studio control name with its kind (labels, region_choices, choices), in config order."""
    return [
        (ENTITY_CONTROL, "labels"),
        (CLAIM_CONTROL, "labels"),
        *((a.name, "region_choices") for a in schema.claim_attributes),
        *((d.name, "choices") for d in schema.doc_labels),
    ]


def control_names(schema: LabelSchema) -> dict[str, str]:
    return dict(control_list(schema))


def labelstudio_config(schema: LabelSchema) -> str:
    """The Label Studio labeling config XML.

    Entities and claims are two Labels controls on the same Text so that a claim may contain entities.
    Claim attributes are per-region Choices shown when a claim region is selected; relations come from
    the schema; document labels are plain Choices on the whole text.
    """
    view = ET.Element("View")
    ET.SubElement(view, "Header", value="$title")
    for control, types in ((ENTITY_CONTROL, schema.entities), (CLAIM_CONTROL, (schema.claim,))):
        labels = ET.SubElement(view, "Labels", name=control, toName=TEXT_NAME, showInline="true")
        for t in types:
            attrs = {"value": t.name, "background": t.color}
            if t.hotkey:
                attrs["hotkey"] = t.hotkey
            if t.description:
                attrs["hint"] = t.description
            ET.SubElement(labels, "Label", attrs)
    ET.SubElement(view, "Text", name=TEXT_NAME, value=f"${TEXT_NAME}", granularity="symbol")
    if schema.relations:
        rels = ET.SubElement(view, "Relations")
        for r in schema.relations:
            ET.SubElement(rels, "Relation", value=r.name)
    if schema.claim_attributes:
        box = ET.SubElement(view, "View", visibleWhen="region-selected", whenTagName=CLAIM_CONTROL)
        for a in schema.claim_attributes:
            ET.SubElement(box, "Header", value=a.description or a.name)
            ch = ET.SubElement(box, "Choices", name=a.name, toName=TEXT_NAME, perRegion="true",
                               choice="single", showInline="true", required="true" if a.required else "false")
            for v in a.values:
                ET.SubElement(ch, "Choice", value=v)
    for d in schema.doc_labels:
        ET.SubElement(view, "Header", value=d.description or d.name)
        ch = ET.SubElement(view, "Choices", name=d.name, toName=TEXT_NAME, choice="single", showInline="true",
                           required="true" if d.required else "false")
        for v in d.values:
            ET.SubElement(ch, "Choice", value=v)
    ET.indent(view)
    return ET.tostring(view, encoding="unicode")


def config_labels(xml: str) -> dict[str, set[str]]:
    """Control name -> the values it offers, read from any Label Studio config (Labels, Choices, Relations)."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise ConfigError(f"labeling config is not valid XML ({exc})", fix="regenerate it from the label schema")
    out: dict[str, set[str]] = {}
    for el in root.iter():
        if el.tag in ("Labels", "Choices") and el.get("name"):
            out.setdefault(el.get("name"), set()).update(
                c.get("value") for c in el if c.tag in ("Label", "Choice") and c.get("value")
            )
        elif el.tag == "Relations":
            out.setdefault("relation", set()).update(r.get("value") for r in el if r.get("value"))
    return out


def json_schema_enums(schema: LabelSchema) -> dict[str, list[str]]:
    """The enums the JSON Schemas of exports and records use."""
    return {
        "entity_types": schema.entity_names,
        "span_labels": [*schema.entity_names, schema.claim.name],
        "relation_types": [r.name for r in schema.relations],
        "control_names": list(control_names(schema)),
        **{f"claim.{a.name}": list(a.values) for a in schema.claim_attributes},
        **{f"doc.{d.name}": list(d.values) for d in schema.doc_labels},
    }


def class_label_names(schema: LabelSchema) -> dict[str, list[str]]:
    """`datasets.ClassLabel` names: BIO tags for entities and claims, then each closed value set."""
    bio = ["O"] + [f"{p}-{n}" for n in schema.entity_names for p in ("B", "I")]
    return {
        "ner_tags": bio,
        "claim_tags": ["O", f"B-{schema.claim.name}", f"I-{schema.claim.name}"],
        **{a.name: list(a.values) for a in schema.claim_attributes},
        **{d.name: list(d.values) for d in schema.doc_labels},
    }


def label_table(schema: LabelSchema) -> list[dict[str, str]]:
    """Rows for the dataset card: kind, name, values, description."""
    rows = [{"kind": "entity", "name": e.name, "values": "", "description": e.description} for e in schema.entities]
    rows.append({"kind": "claim", "name": schema.claim.name, "values": "", "description": schema.claim.description})
    rows += [{"kind": "claim attribute", "name": a.name, "values": " / ".join(a.values),
              "description": a.description} for a in schema.claim_attributes]
    rows += [{"kind": "relation", "name": r.name, "values": f"{r.source} -> {r.target}",
              "description": r.description} for r in schema.relations]
    rows += [{"kind": "document label", "name": d.name, "values": " / ".join(d.values),
              "description": d.description} for d in schema.doc_labels]
    return rows
