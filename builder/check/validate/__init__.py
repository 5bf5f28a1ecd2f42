"""Validation of annotation records and documents (`newsbench validate`).

- `kinds`: the kinds of record accepted (canonical records, documents; a tool's adapter adds its exports);
- `reader`: streams the records of a JSON array or JSON Lines file;
- `model`: one view of annotations whatever their file;
- `checks`: the semantic checks; `problems`: located problems and the catalogue of checks with their fixes;
- `corpus`: the corpus records are checked against; `records`: schema + semantic + corpus checks of a record;
- `run`: files in, report, quarantine and valid records out (`worker` checks regions, `merge` joins them,
  `report` holds what was found);
- `layers`: valid annotations gathered per document and annotator, for agreement and adjudication.
"""
