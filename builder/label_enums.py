"""Derivations of the label schema that validation, agreement and adjudication need.

Everything here comes from `builder.labels` (the one label schema and its Label Studio control names), so a
label, control name, choice or relation is never typed twice. A control is one Label Studio tag of the
generated config: a span control (entities, claims), a per-region choice (a claim attribute) or a choice on
the whole text (a document label).
"""

from __future__ import annotations

from dataclasses import dataclass

from builder.labels import CLAIM_CONTROL, ENTITY_CONTROL, TEXT_NAME, LabelSchema, RelationType, control_list

ENTITY_LAYER = "entity"
CLAIM_LAYER = "claim"
# Label Studio result types by control kind (see `builder.labels.control_list`).
RESULT_TYPE = {"labels": "labels", "region_choices": "choices", "choices": "choices"}


@dataclass(frozen=True)
class Control:
    """One control of the generated labeling config and what it may hold."""

    name: str
    kind: str  # "labels" | "region_choices" | "choices"
    values: tuple[str, ...]
    layer: str | None  # span controls: the layer they mark; region choices: the layer of their regions
    required: bool = False

    @property
    def result_type(self) -> str:
        return RESULT_TYPE[self.kind]


def controls(schema: LabelSchema) -> dict[str, Control]:
    """Every control name of the labeling config with its kind and allowed values, in config order."""
    spans = {
        ENTITY_CONTROL: (tuple(schema.entity_names), ENTITY_LAYER),
        CLAIM_CONTROL: ((schema.claim.name,), CLAIM_LAYER),
    }
    attributes = {a.name: a for a in schema.claim_attributes}
    doc_labels = {d.name: d for d in schema.doc_labels}
    out: dict[str, Control] = {}
    for name, kind in control_list(schema):
        if kind == "labels":
            values, layer = spans[name]
            out[name] = Control(name, kind, values, layer)
        elif kind == "region_choices":
            a = attributes[name]
            out[name] = Control(name, kind, a.values, CLAIM_LAYER, a.required)
        else:
            d = doc_labels[name]
            out[name] = Control(name, kind, d.values, None, d.required)
    return out


def span_controls(schema: LabelSchema) -> dict[str, Control]:
    return {n: c for n, c in controls(schema).items() if c.kind == "labels"}


def layer_of_label(schema: LabelSchema) -> dict[str, str]:
    """Span label -> layer ("entity" or "claim")."""
    return {**{n: ENTITY_LAYER for n in schema.entity_names}, schema.claim.name: CLAIM_LAYER}


def speaker_relation(schema: LabelSchema) -> RelationType | None:
    """The relation that names a claim's speaker: claim -> entity, at most one per claim (`said_by`)."""
    return next(
        (r for r in schema.relations if r.source == CLAIM_LAYER and r.target == ENTITY_LAYER
         and r.max_per_source == 1),
        None,
    )


def text_control() -> str:
    """The name of the Text tag every control points at (`to_name`)."""
    return TEXT_NAME
