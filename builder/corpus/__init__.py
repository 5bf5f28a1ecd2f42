"""Getting a corpus: ingest, clean, dedup, split and segment (`prepare`), imports of annotated corpora, the Dask engine."""
