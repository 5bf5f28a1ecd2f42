"""The Label Studio labelling config, generated from the label schema, and the labels any config offers.

Label Studio names its controls after the schema's annotation fields (`builder.labels.fields`): a `Labels` control
`entity` for entity spans and `claim` for claim spans, a per-region `Choices` per claim attribute and a `Choices`
on the whole text per document label, all pointing at the one `Text` tag, `text`. So a result's `from_name` is
a field name, and the result type follows the field's kind (`RESULT_TYPE`).
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from builder.errors import ConfigError
from builder.labels import ATTRIBUTE, DOC_LABEL, SPAN, LabelSchema
from builder.spans import CLAIM, ENTITY

TEXT_NAME = "text"  # the Text tag every control points at (`to_name`), and the task data field it shows
RESULT_TYPE = {SPAN: "labels", ATTRIBUTE: "choices", DOC_LABEL: "choices"}  # result `type` by field kind


def labelling_config(schema: LabelSchema) -> str:
    """The labelling config XML.

    Entities and claims are two Labels controls on the same Text so that a claim may contain entities.
    Claim attributes are per-region Choices shown when a claim region is selected; relations come from
    the schema; document labels are plain Choices on the whole text.
    """
    view = ET.Element("View")
    ET.SubElement(view, "Header", value="$title")
    for control, types in ((ENTITY, schema.entities), (CLAIM, (schema.claim,))):
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
        box = ET.SubElement(view, "View", visibleWhen="region-selected", whenTagName=CLAIM)
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

