"""Score predictions against a release: `evaluate(release, config, predictions, options, schema)`.

Configs: `ner` (builder.bench.evaluate.ner), `claims` (builder.bench.evaluate.claims), `documents`
(builder.bench.evaluate.documents). Prediction formats and the checker: builder.bench.evaluate.predictions. Every score
comes with a bootstrap interval over documents (builder.bench.evaluate.bootstrap); reports and the leaderboard:
builder.bench.evaluate.report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from builder import __version__
from builder.errors import ConfigError
from builder.bench.evaluate.claims import evaluate_claims
from builder.bench.evaluate.common import DECODINGS, EvalOptions
from builder.bench.evaluate.documents import evaluate_documents
from builder.bench.evaluate.gold import CONFIGS
from builder.release.layout import ReleaseFolder, find_release
from builder.bench.evaluate.ner import evaluate_ner
from builder.bench.evaluate.report import now
from builder.jsonl import paused_gc
from builder.labels import LabelSchema, class_label_names, positive_value
from builder.stage import file_digest



def evaluate(release: ReleaseFolder | str | Path, config: str, predictions: str | Path, options: EvalOptions,
             schema: LabelSchema, *, system: str | None = None) -> dict[str, Any]:
    """The full report (JSON-ready dict) of one predictions file on one split of one config."""
    if config not in CONFIGS:
        raise ConfigError(f"unknown config '{config}'", fix=f"use one of {', '.join(CONFIGS)}")
    if options.decoding not in DECODINGS:
        raise ConfigError(f"unknown decoding '{options.decoding}'", fix=f"use one of {', '.join(DECODINGS)}")
    with paused_gc():
        rel = release if isinstance(release, ReleaseFolder) else find_release(release)
        return _evaluate(rel, config, Path(predictions), options, schema, system)


def _evaluate(rel: ReleaseFolder, config: str, predictions: Path, options: EvalOptions, schema: LabelSchema,
              system: str | None) -> dict[str, Any]:
    names = class_label_names(schema)
    if config == "ner":
        body = evaluate_ner(rel, predictions, options, names["ner_tags"])
    elif config == "claims":
        values = schema.checkworthy_values or ("yes", "no")
        body = evaluate_claims(rel, predictions, options, names["claim_tags"], schema.claim.name,
                               positive_value(values), values)
    else:
        body = evaluate_documents(rel, predictions, options, {d.name: d.values for d in schema.doc_labels})
    return {
        "dataset": rel.name,
        "version": rel.version,
        "release": str(rel.path),
        "config": config,
        "split": options.split,
        "system": system or predictions.stem,
        "predictions": {"path": str(predictions), "sha256": file_digest(predictions)},
        "evaluated_at": now(),
        "newsbench": __version__,
        "bootstrap": {"samples": options.samples, "seed": options.seed, "level": options.level, "unit": "document"},
        **body,
    }
