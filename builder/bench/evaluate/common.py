"""What every config's scorer shares: the options and turning score arrays into the nested report."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from builder.bench.evaluate.bootstrap import Family, bootstrap

DECODINGS = ("conlleval", "iob2")


@dataclass(frozen=True)
class EvalOptions:
    """How to score. `decoding` reads tags as seqeval's default (conlleval) or strict IOB2 mode."""

    split: str = "test"
    decoding: str = "conlleval"
    samples: int = 1000  # bootstrap samples; 0 = no confidence intervals
    seed: int = 13
    level: float = 0.95
    threshold: float = 0.5  # claims: a sentence is check-worthy when its score >= threshold
    ks: tuple[int, ...] = (1, 3, 5)  # claims: P@k
    label_name: str | None = None  # documents: which document label (default: the first in the release)
    allow_missing: bool = False  # score units without a prediction as predicting nothing


COUNTS = frozenset({"support", "COR", "INC", "PAR", "MIS", "SPU", "POS", "ACT", "documents_ranked"})


def _value(x: np.ndarray | float, metric: str) -> float | int | None:
    v = float(x)
    if not np.isfinite(v):
        return None  # undefined, e.g. MAP of a split without a single check-worthy sentence
    return round(v) if metric in COUNTS else round(v, 12)


def nest(point: dict[str, np.ndarray], ci: dict[str, tuple[np.ndarray, np.ndarray]], labels: tuple[str, ...],
         keep: np.ndarray | None = None) -> dict:
    """{"micro": {"f1": .., "ci95": {"f1": [lo, hi]}}, "per_label": {"PER": {...}}} from dotted score names.

    Per-label arrays become one entry per label; `keep` chooses which labels are listed."""
    out: dict = {}
    for name, value in point.items():
        *groups, metric = name.split(".")
        arr = np.asarray(value)
        low_high = None if metric in COUNTS else ci.get(name)
        if groups and groups[-1] == "per_label":
            node = out
            for g in groups:
                node = node.setdefault(g, {})
            for k, label in enumerate(labels):
                if keep is not None and not keep[k]:
                    continue
                entry = node.setdefault(label, {})
                entry[metric] = _value(arr[k], metric)
                if low_high is not None:
                    entry.setdefault("ci", {})[metric] = [_value(low_high[0][k], metric), _value(low_high[1][k], metric)]
            continue
        node = out
        for g in groups:
            node = node.setdefault(g, {})
        node[metric] = _value(arr, metric)
        if low_high is not None:
            node.setdefault("ci", {})[metric] = [_value(low_high[0], metric), _value(low_high[1], metric)]
    return out


def score_families(families: list[Family], n_docs: int, options: EvalOptions,
                   replicates: dict[str, np.ndarray] | None = None) -> dict[str, tuple[dict, dict]]:
    """family -> (point scores, confidence intervals); `replicates` as `bootstrap`'s `keep`."""
    cis = bootstrap(families, n_docs, samples=options.samples, seed=options.seed, level=options.level, keep=replicates)
    return {f.name: (f.point(), cis.get(f.name, {})) for f in families}


def primary(name: str, value: float | None, replicates: dict[str, np.ndarray]) -> dict:
    """The report's primary score, with its value in every bootstrap sample (null where undefined), for paired
    comparisons on a leaderboard."""
    values = replicates.get(name)
    out: dict = {"name": name, "value": value}
    if values is not None and np.ndim(values) == 1 and len(values):
        out["replicates"] = [None if not np.isfinite(v) else round(float(v), 6) for v in values]
    return out

