"""The rows of the release configs, built per document on worker processes.

`builder`: the rows of a batch, one accumulator per split, as flat columns that become Arrow tables in one step;
one module per config builds its part (`documents`, `ner`, `claims`, `raw_annotations`), `sentences` the columns
the two sentence configs share; `run`: the pass over the corpus, with the gold layer laid over it, and over the
raw annotation records.
"""
