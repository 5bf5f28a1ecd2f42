"""Confidence intervals by bootstrap over documents.

Every score is a function of counts summed over documents (span counts, confusion matrices, per-document
average precision ...). A bootstrap sample draws as many documents as there are, with replacement; its sums
are a weight vector (how often each document was drawn) times the per-document counts, so thousands of
samples cost a few matrix products. All families share the same draws, and the draws depend only on the
seed and the number of documents.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Scorer = Callable[[np.ndarray], dict[str, np.ndarray]]


@dataclass
class Family:
    """Per-document counts of shape (docs, ...) and the scores computed from their sum over documents."""

    name: str
    counts: np.ndarray
    scores: Scorer

    def point(self) -> dict[str, np.ndarray]:
        return self.scores(self.counts.sum(axis=0))


def draws(n_docs: int, samples: int, seed: int, chunk: int = 64):
    """Yield weight matrices (chunk x docs): how often each document is drawn in each sample."""
    rng = np.random.default_rng(seed)
    done = 0
    while done < samples:
        size = min(chunk, samples - done)
        idx = rng.integers(0, n_docs, size=(size, n_docs))
        offsets = (np.arange(size) * n_docs)[:, None]
        weights = np.bincount((idx + offsets).ravel(), minlength=size * n_docs).reshape(size, n_docs)
        yield weights.astype(np.float64)
        done += size


def bootstrap(families: list[Family], n_docs: int, *, samples: int = 1000, seed: int = 0,
              level: float = 0.95, keep: dict[str, np.ndarray] | None = None
              ) -> dict[str, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """family -> score name -> (low, high) percentile interval at `level` (arrays for per-label scores).

    `keep` ({"family.score": ...}, filled in) receives every sample's value of the scores it names: two systems
    scored on the same documents with the same seed see the same draws, so their values pair up (a paired test)."""
    if n_docs == 0 or samples <= 0:
        return {}
    collected: dict[str, dict[str, list[np.ndarray]]] = {f.name: {} for f in families}
    for weights in draws(n_docs, samples, seed):
        for f in families:
            flat = f.counts.reshape(n_docs, -1)
            sums = (weights @ flat).reshape(weights.shape[0], *f.counts.shape[1:])
            for name, values in f.scores(sums).items():
                collected[f.name].setdefault(name, []).append(np.asarray(values))
    if keep is not None:
        for dotted in list(keep):
            fam, _, name = dotted.partition(".")
            if name in collected.get(fam, {}):
                keep[dotted] = np.concatenate(collected[fam][name], axis=0)
    tail = (1 - level) / 2 * 100
    out: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
    for fam, scores in collected.items():
        out[fam] = {}
        for name, parts in scores.items():
            values = np.concatenate(parts, axis=0)
            with warnings.catch_warnings():  # samples where a score is undefined (NaN) are left out
                warnings.simplefilter("ignore", RuntimeWarning)
                low, high = np.nanpercentile(values, [tail, 100 - tail], axis=0)
            out[fam][name] = (low, high)
    return out
