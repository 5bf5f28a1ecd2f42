"""Validation of annotation exports and records (`newsbench validate`).

- `export_schema`: the JSON Schema of a Label Studio task, generated from the label schema.
- `reader`: streams the records of a JSON array or JSON Lines file.
- `model`: one view of annotations whatever their file (Label Studio task, canonical record, document).
- `checks`: the semantic checks; `problems`: located problems and the catalogue of checks and fixes.
- `corpus`: the corpus documents are checked against; `records`: schema + semantic + corpus checks of a record.
- `run`: files in, report, quarantine and valid records out.
"""

from builder.validate.corpus import Corpus, default_corpus
from builder.validate.export_schema import EXPORT_SCHEMA_PATH, export_schema, write_export_schema
from builder.validate.model import AnnotationView, RecordView, Views
from builder.validate.problems import Problem
from builder.validate.records import RecordValidator
from builder.validate.run import ValidationReport, annotation_files, validate_files

__all__ = [
    "EXPORT_SCHEMA_PATH", "AnnotationView", "Corpus", "Problem", "RecordValidator", "RecordView",
    "ValidationReport", "Views", "annotation_files", "default_corpus", "export_schema", "validate_files",
    "write_export_schema",
]
