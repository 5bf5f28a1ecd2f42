"""What a release needs from the label schema: tag names, positive check-worthiness, document-label names.

Everything comes from `builder.labels` (`class_label_names`, `label_table`), so a label is never typed twice;
this module only adds the derivations that the release configs and the card use.
"""

from __future__ import annotations

from dataclasses import dataclass

from builder.labels import LabelSchema, class_label_names

CHECKWORTHY = "checkworthy"
# The value of the check-worthiness attribute that means "a fact-checker would verify it". When the schema's
# values do not include "yes", the first declared value is the positive one.
POSITIVE_VALUES = ("yes", "true", "checkworthy")


@dataclass(frozen=True)
class ReleaseLabels:
    """Label names the release features are declared with, in ClassLabel order."""

    ner_tags: tuple[str, ...]
    claim_tags: tuple[str, ...]
    entity_types: tuple[str, ...]
    claim_label: str
    checkworthy_values: tuple[str, ...]
    positive_checkworthy: str | None
    doc_labels: dict[str, tuple[str, ...]]
    relation_types: tuple[str, ...]


def release_labels(schema: LabelSchema) -> ReleaseLabels:
    names = class_label_names(schema)
    attr = schema.attribute(CHECKWORTHY)
    values = tuple(attr.values) if attr else ()
    positive = next((v for v in values if v.lower() in POSITIVE_VALUES), values[0] if values else None)
    return ReleaseLabels(
        ner_tags=tuple(names["ner_tags"]),
        claim_tags=tuple(names["claim_tags"]),
        entity_types=tuple(schema.entity_names),
        claim_label=schema.claim.name,
        checkworthy_values=values,
        positive_checkworthy=positive,
        doc_labels={d.name: tuple(d.values) for d in schema.doc_labels},
        relation_types=tuple(r.name for r in schema.relations),
    )


def tag_index(tags: tuple[str, ...]) -> dict[str, int]:
    """Tag name -> ClassLabel id."""
    return {t: i for i, t in enumerate(tags)}
