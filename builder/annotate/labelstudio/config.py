"""The Label Studio labelling config, generated from the label schema, and the labels any config offers.

Label Studio names its controls after the schema's annotation fields (`builder.labels.fields`): a `Labels` control
`entity` for entity spans and `claim` for claim spans, a per-region `Choices` per claim attribute and a `Choices`
on the whole text per document label, all pointing at the one `Text` tag, `text`. So a result's `from_name` is
a field name, and the result type follows the field's kind (`RESULT_TYPE`).

Label Studio 1.23 checks a required per-region `Choices` on every region unless the control itself carries
`visibleWhen="region-selected"` with `whenTagName` and `whenLabelValue` (a visibility condition on an enclosing
View is not enough: an entity-only task could then never be submitted). So each claim attribute carries the
condition itself, and its header sits in a View with the same condition.

The generated config starts with a comment holding the sha256 of its canonical form (`MARKER`). Label Studio
keeps comments, so `config_origin` can tell a config this generator wrote (of any schema version) from one
edited by hand in the project's settings.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from xml.etree import ElementTree as ET

from builder.errors import ConfigError
from builder.labels import ATTRIBUTE, DOC_LABEL, SPAN, LabelSchema
from builder.spans import CLAIM, ENTITY

TEXT_NAME = "text"  # the Text tag every control points at (`to_name`), and the task data field it shows
RESULT_TYPE = {SPAN: "labels", ATTRIBUTE: "choices", DOC_LABEL: "choices"}  # result `type` by field kind
MARKER = "newsbench labelling config"
_MARKER_RE = re.compile(rf"<!--\s*{MARKER}[^>]*?sha256:([0-9a-f]{{64}})\s*-->")

SAME, GENERATED, EDITED = "same", "generated", "edited"  # what `config_origin` says of a project's config


def labelling_config(schema: LabelSchema) -> str:
    """The labelling config XML (see the module docstring), marked with the hash of its canonical form."""
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
    when_claim = {"visibleWhen": "region-selected", "whenTagName": CLAIM, "whenLabelValue": schema.claim.name}
    for a in schema.claim_attributes:
        ET.SubElement(ET.SubElement(view, "View", when_claim), "Header", value=a.description or a.name)
        ch = ET.SubElement(view, "Choices", name=a.name, toName=TEXT_NAME, perRegion="true", **when_claim,
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
    return marked(ET.tostring(view, encoding="unicode"),
                  f"generated from the label schema {schema.version} by `newsbench annotate config`; "
                  "edit the label schema, not this XML")


def marked(xml: str, note: str) -> str:
    """`xml` (without any earlier marker) headed by the marker comment: `note` and the canonical form's hash."""
    body = _MARKER_RE.sub("", xml).strip()
    return f"<!-- {MARKER}, {note.replace('--', '-')}. sha256:{_digest(body)} -->\n{body}\n"


def config_from_file(text: str, schema: LabelSchema, where: str) -> str:
    """A hand-written labelling config named in the project config, marked, once it offers every label that
    pre-annotations and the label schema use."""
    offered = config_labels(text, where=where)
    wanted = {ENTITY: set(schema.entity_names), CLAIM: {schema.claim.name},
              "relation": {r.name for r in schema.relations},
              **{a.name: set(a.values) for a in schema.claim_attributes}}
    missing = [f"{c}:{v}" for c, vals in wanted.items() for v in sorted(vals) if v not in offered.get(c, set())]
    if missing:
        raise ConfigError(f"the labelling config lacks what the label schema uses: {', '.join(missing)}",
                          where=where, fix="add those controls and labels (`newsbench annotate config` prints a "
                                           "complete config to start from), or leave annotate.label_config empty")
    return marked(text, f"from {where}")


def _canonical(xml: str) -> str:
    """The config without comments or insignificant whitespace, so that a server's reformatting is no change."""
    try:
        return ET.canonicalize(xml, strip_text=True)
    except ET.ParseError as exc:
        raise ConfigError(f"labelling config is not valid XML ({exc})",
                          fix="regenerate it with `newsbench annotate config`")


def _digest(xml: str) -> str:
    return hashlib.sha256(_canonical(xml).encode()).hexdigest()


def config_origin(current: str, generated: str) -> str:
    """SAME when `current` is `generated` up to comments and whitespace; GENERATED when it is untouched output of
    this generator for another schema; EDITED when someone changed it (or it never came from newsbench)."""
    if not current.strip():
        return GENERATED  # a project without a config: nothing to keep
    if _canonical(current) == _canonical(generated):
        return SAME
    mark = _MARKER_RE.search(current)
    return GENERATED if mark and mark.group(1) == _digest(current) else EDITED


def config_diff(current: str, generated: str, *, limit: int = 80) -> str:
    """A unified diff from the project's config to the generated one (at most `limit` lines)."""
    def lines(xml: str) -> list[str]:
        try:
            root = ET.fromstring(xml)
        except ET.ParseError:
            return xml.splitlines()
        ET.indent(root)
        return ET.tostring(root, encoding="unicode").splitlines()

    diff = list(difflib.unified_diff(lines(current), lines(generated), "project", "generated", lineterm=""))
    return "\n".join(diff[:limit] + ([f"... {len(diff) - limit} more lines"] if len(diff) > limit else []))


def config_labels(xml: str, where: str | None = None) -> dict[str, set[str]]:
    """Control name -> the values it offers, read from any Label Studio config (Labels, Choices, Relations)."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise ConfigError(f"labelling config is not valid XML ({exc})", where=where,
                          fix="correct the XML, or regenerate it with `newsbench annotate config`")
    out: dict[str, set[str]] = {}
    for el in root.iter():
        if el.tag in ("Labels", "Choices") and el.get("name"):
            out.setdefault(el.get("name"), set()).update(
                c.get("value") for c in el if c.tag in ("Label", "Choice") and c.get("value")
            )
        elif el.tag == "Relations":
            out.setdefault("relation", set()).update(r.get("value") for r in el if r.get("value"))
    return out
