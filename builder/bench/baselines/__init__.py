"""CPU baselines trained on a release with fixed seeds: NER (CRF, dictionary), claims (check-worthiness TF-IDF +
logistic regression, rules, majority), document labels (TF-IDF + logistic regression, majority).

`run_baselines` (builder.bench.baselines.run) trains, scores with `builder.bench.evaluate` and saves everything;
`BaselinePreAnnotator` (builder.bench.baselines.preannotator) serves the saved models to Label Studio.
"""

from builder.bench.baselines.preannotator import BaselinePreAnnotator
from builder.bench.baselines.run import BaselineOptions, run_baselines

__all__ = ["BaselineOptions", "BaselinePreAnnotator", "run_baselines"]
