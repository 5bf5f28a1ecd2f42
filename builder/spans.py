"""Regions, relations and pre-annotations: what a model or a rule proposes for a document, tool-neutral.

Offsets are Python code-point offsets into the document's `text`, end exclusive, and every span obeys the one
offset rule of `span_ok`. A pre-annotator is anything with a `model_version` and a `predict` that maps
documents to `PreAnnotation`s in order; the annotation tools turn them into their own formats
(`builder.annotate.labelstudio.convert` for Label Studio).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

ENTITY = "entity"  # the two span layers
CLAIM = "claim"


def span_ok(start: Any, end: Any, length: int) -> bool:
    """The one offset rule: integer offsets with 0 <= start < end <= length (no empty spans)."""
    return type(start) is int and type(end) is int and 0 <= start < end <= length


@dataclass(frozen=True)
class Region:
    id: str
    layer: str  # ENTITY or CLAIM
    label: str  # entity type, or the claim label
    start: int
    end: int
    score: float
    attributes: dict[str, str] = field(default_factory=dict)  # per-claim choices


@dataclass(frozen=True)
class Relation:
    type: str
    from_id: str
    to_id: str
    score: float


@dataclass(frozen=True)
class PreAnnotation:
    doc_id: str
    model_version: str
    regions: tuple[Region, ...]
    relations: tuple[Relation, ...]
    score: float  # document-level confidence in [0, 1]


def confidence(pre: PreAnnotation) -> float | None:
    """How sure a pre-annotator is of a document: the mean score of its proposed regions, None when it proposed
    nothing (nothing to be unsure of). `annotate push --order least-confident` serves the lowest first."""
    return sum(r.score for r in pre.regions) / len(pre.regions) if pre.regions else None


class PreAnnotator(Protocol):
    """Anything with a `model_version` and a `predict` that maps documents to pre-annotations, in order.

    `docs` are canonical document records (`id`, `text`, optionally `sentences`); region scores say how sure
    the model is of each proposal (see `confidence`).
    """

    model_version: str

    def predict(self, docs: Iterable[dict[str, Any]]) -> Iterator[PreAnnotation]: ...
