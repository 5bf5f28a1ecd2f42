"""CPU baselines trained on a release with fixed seeds: NER (CRF, dictionary), claims (check-worthiness TF-IDF +
logistic regression, rules, majority), document labels (TF-IDF + logistic regression, majority).

`run` trains, scores with `builder.bench.evaluate` and saves everything (`run_baselines`); `rules` is the rule
tagger (a baseline and the default pre-annotator); `preannotator` serves the saved models as a pre-annotator;
`ner`, `claims`, `documents` and `features` are the systems.
"""
