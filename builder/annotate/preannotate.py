"""The pre-annotators `annotate push` can offer, by name: documents in, proposed regions with scores out.

- `rules`: the rule tagger (`builder.bench.baselines.rules`), extended by `annotate.gazetteer`;
- `imported`: the gold entities a document already carries (an imported corpus), offered for review;
- `model:DIR`: the baselines `newsbench baseline` trained and saved in DIR (`models/<version>/`);
- `none`: no pre-annotations.

Every pre-annotator implements `builder.spans.PreAnnotator`; labels must come from the label schema, which
`annotate push` checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from builder.errors import ConfigError
from builder.labels import LabelSchema
from builder.spans import CLAIM, ENTITY, PreAnnotation, PreAnnotator, Region

PREANNOTATORS = ("rules", "none", "imported", "model:<models/VERSION folder>")


class ImportedEntities:
    """Proposes the entities a document already carries (e.g. from `newsbench import conll`), so that imported gold
    can be pushed to an annotation tool as predictions for review. Scores are 1.0: they are not guesses."""

    def __init__(self, model_version: str = "imported") -> None:
        self.model_version = model_version

    def predict(self, docs: Iterable[dict[str, Any]]) -> Iterator[PreAnnotation]:
        for doc in docs:
            regions = tuple(
                Region(f"e{k}", ENTITY, e["type"], a, b, 1.0)
                for k, e in enumerate(doc.get("entities") or []) for a, b in e["offsets"][:1]
            )
            yield PreAnnotation(doc["id"], self.model_version, regions, (), 1.0 if regions else 0.0)


class WithinSchema:
    """A pre-annotator's proposals kept to what the project's label schema holds: the rule tagger knows the
    shipped types (PER, ORG, LOC, DATE, EVENT, claims with check-worthiness and kind), a project may declare others
    or fewer. A region of another label goes (with the relations on it), an attribute the schema lacks or whose
    value it does not allow goes, a relation the schema lacks goes."""

    def __init__(self, inner: PreAnnotator, schema: LabelSchema) -> None:
        self.inner = inner
        self.model_version = inner.model_version
        self.labels = {ENTITY: set(schema.entity_names), CLAIM: {schema.claim.name}}
        self.attributes = {a.name: set(a.values) for a in schema.claim_attributes}
        self.relations = {r.name for r in schema.relations}

    def predict(self, docs: Iterable[dict[str, Any]]) -> Iterator[PreAnnotation]:
        for pre in self.inner.predict(docs):
            regions = tuple(
                replace(r, attributes={k: v for k, v in r.attributes.items() if v in self.attributes.get(k, ())})
                for r in pre.regions if r.label in self.labels.get(r.layer, ()))
            kept = {r.id for r in regions}
            relations = tuple(rel for rel in pre.relations
                              if rel.type in self.relations and rel.from_id in kept and rel.to_id in kept)
            yield replace(pre, regions=regions, relations=relations)


def make_preannotator(name: str, *, gazetteer: str | Path | None = None, claim_label: str = "CLAIM",
                      schema: LabelSchema | None = None) -> PreAnnotator | None:
    """The pre-annotator a config or option names (see the module docstring); None for "none". With the
    project's `schema`, the rule tagger proposes only what it holds."""
    if name == "none":
        return None
    if name == "rules":
        from builder.bench.baselines.rules import RulePreAnnotator, load_gazetteer

        rules = RulePreAnnotator(load_gazetteer(gazetteer), claim_label=claim_label)
        return WithinSchema(rules, schema) if schema is not None else rules
    if name == "imported":
        return ImportedEntities()
    if name.startswith("model:"):
        from builder.bench.baselines.preannotator import BaselinePreAnnotator  # scikit-learn only when asked for

        return BaselinePreAnnotator.load(name.split(":", 1)[1])
    raise ConfigError(f"unknown pre-annotator '{name}'", fix=f"use one of {', '.join(PREANNOTATORS)}")
