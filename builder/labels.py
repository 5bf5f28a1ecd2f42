"""The one label schema (`schema/labels.json`) and everything derived from it, tool-neutral.

The file declares entity types, the claim span with its per-claim attributes, relations and document labels.
From it come the annotation fields (`fields`: what an annotation may hold, with the values each allows), the
`ClassLabel` names, the card's label table and the positive check-worthiness value, so that no label is ever
typed twice. An annotation tool's configuration is derived from the fields by the tool's adapter
(`builder.annotate.labelstudio.config` for Label Studio); validation and the release read them here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.config import Config
from builder.errors import ConfigError
from builder.spans import CLAIM, ENTITY

CHECKWORTHY = "checkworthy"  # the claim attribute that says whether a fact-checker would verify the claim
# Its value that means "check it", when the schema declares one of these; else the first declared value.
POSITIVE_VALUES = ("yes", "true", "checkworthy")
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

    @property
    def checkworthy_values(self) -> tuple[str, ...]:
        attr = self.attribute(CHECKWORTHY)
        return attr.values if attr else ()

    @property
    def positive_checkworthy(self) -> str | None:
        """The check-worthiness value that means "check it" (None when the schema has no such attribute)."""
        return positive_value(self.checkworthy_values)


def positive_value(values: tuple[str, ...]) -> str | None:
    """The positive value of a yes/no-like value set: one of POSITIVE_VALUES, else the first declared."""
    return next((v for v in values if v.lower() in POSITIVE_VALUES), values[0] if values else None)


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
    names = field_names(schema)
    dupes = sorted({c for c in names if names.count(c) > 1})
    if dupes:
        raise ConfigError(f"field names collide: {dupes}", where=where,
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
    return load_label_schema(config.resolve(config.project.label_schema))


# ---- derivations -------------------------------------------------------------------------------------------

SPAN = "span"  # the kinds of annotation field
ATTRIBUTE = "attribute"
DOC_LABEL = "doc_label"


@dataclass(frozen=True)
class Field:
    """One field an annotation may hold, and what it allows.

    Span fields are named by their layer (`entity`, `claim`); a claim attribute or a document label by its
    own name. Annotation tools name their controls after the fields.
    """

    name: str
    kind: str  # SPAN | ATTRIBUTE | DOC_LABEL
    values: tuple[str, ...]
    layer: str | None  # spans: the layer they mark; attributes: the layer of their regions
    required: bool = False


def field_names(schema: LabelSchema) -> list[str]:
    """Field names in schema order, repeats kept (the schema check refuses repeats)."""
    return [ENTITY, CLAIM, *(a.name for a in schema.claim_attributes), *(d.name for d in schema.doc_labels)]


def fields(schema: LabelSchema) -> dict[str, Field]:
    """Every annotation field of the schema with its kind and allowed values: spans, attributes, doc labels."""
    items = [
        Field(ENTITY, SPAN, tuple(schema.entity_names), ENTITY),
        Field(CLAIM, SPAN, (schema.claim.name,), CLAIM),
        *(Field(a.name, ATTRIBUTE, a.values, CLAIM, a.required) for a in schema.claim_attributes),
        *(Field(d.name, DOC_LABEL, d.values, None, d.required) for d in schema.doc_labels),
    ]
    return {f.name: f for f in items}


def speaker_relation(schema: LabelSchema) -> RelationType | None:
    """The relation that names a claim's speaker: claim -> entity, at most one per claim (`said_by`)."""
    return next(
        (r for r in schema.relations if r.source == CLAIM and r.target == ENTITY and r.max_per_source == 1),
        None,
    )


# ---- label maps ------------------------------------------------------------------------------------------------

LABEL_MAP_SYNTAX = "[FIELD:]OLD=NEW"  # FIELD: entity, claim, relation, a claim attribute or a document label


@dataclass(frozen=True)
class LabelMap:
    """Old label -> new label, for one field or for any: how a source's labels, or an old schema's, become this
    schema's. Written `[FIELD:]OLD=NEW` (`PPL=PER`, `entity:PERSON=PER`, `veracity:Valid=valid`); NEW empty drops
    the label on purpose. Imports, sources and annotation-tool migrations all read maps with `parse_label_map`."""

    entries: dict[tuple[str | None, str], str] = field(default_factory=dict)  # (field or None, old) -> new

    def __bool__(self) -> bool:
        return bool(self.entries)

    def lookup(self, name: str | None, old: str) -> str | None:
        """The new label of `old` in field `name` (a mapping for that field wins over one for any field);
        None when the map does not mention it."""
        if (name, old) in self.entries:
            return self.entries[(name, old)]
        return self.entries.get((None, old))

    def get(self, name: str | None, old: str) -> str:
        """The new label, or `old` itself when the map does not mention it."""
        new = self.lookup(name, old)
        return old if new is None else new


def _label_map_item(key: str, value: str | None, where: str) -> tuple[tuple[str | None, str], str]:
    """One entry from `FIELD:OLD` (or `OLD`) and NEW."""
    name, sep, old = key.partition(":") if ":" in key else (None, "", key)
    name = name.strip() if name is not None else None
    old = old.strip()
    if not old or (sep and not name) or value is None:
        raise ConfigError(f"label mapping {key if value is None else f'{key}={value}'!r} is not {LABEL_MAP_SYNTAX}",
                          where=where, fix="write e.g. PPL=PER, entity:PERSON=PER, or PPL= to drop the label")
    return (name, old), value.strip()


def parse_label_map(items: Any, *, where: str = "label map") -> LabelMap:
    """A label map from `[FIELD:]OLD=NEW` strings (options) or a table {"[FIELD:]OLD": "NEW"} (config, JSON)."""
    entries: dict[tuple[str | None, str], str] = {}
    if isinstance(items, dict):
        for key, value in items.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise ConfigError(f"label mapping {key!r} = {value!r} does not map a label to a label", where=where,
                                  fix='write {"OLD": "NEW", ...} with strings on both sides')
            k, v = _label_map_item(key, value, where)
            entries[k] = v
    elif isinstance(items, (list, tuple)):
        for item in items:
            if not isinstance(item, str):
                raise ConfigError(f"label mapping {item!r} is not a string", where=where,
                                  fix=f"write {LABEL_MAP_SYNTAX}")
            key, sep, value = item.partition("=")
            k, v = _label_map_item(key, value if sep else None, where)
            entries[k] = v
    elif items is not None:
        raise ConfigError("a label map must be a table or a list", where=where,
                          fix=f'write {{"OLD": "NEW"}} or a list of "{LABEL_MAP_SYNTAX}"')
    return LabelMap(entries)


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
