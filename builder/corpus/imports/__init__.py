"""Imports of corpora that are already annotated, as canonical documents with gold layers (CoNLL/BIO)."""
