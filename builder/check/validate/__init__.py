"""Validation of annotation exports and records (`newsbench validate`).

- `export_schema`: the JSON Schema of a Label Studio task, generated from the label schema.
- `reader`: streams the records of a JSON array or JSON Lines file.
- `model`: one view of annotations whatever their file (Label Studio task, canonical record, document).
- `checks`: the semantic checks; `quick`: the same rules as a fast yes/no pass for valid tasks;
  `stated_text`: the one rule for a region's stated text; `problems`: located problems and the catalogue.
- `corpus`: the corpus documents are checked against; `records`: schema + semantic + corpus checks of a record.
- `run`: files in, report, quarantine and valid records out (`worker` checks regions, `merge` joins them,
  `report` holds what was found).

Names are imported on first use, so that a module needing one small part (the Label Studio converter needs
`stated_text`) does not load the schema validators.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Imported now, not on first use: the function `export_schema` has its module's name and must be the attribute.
from builder.check.validate.export_schema import EXPORT_SCHEMA_PATH, export_schema, write_export_schema

_EXPORTS = {
    "Corpus": "corpus", "default_corpus": "corpus",
    "AnnotationView": "model", "RecordView": "model", "Views": "model",
    "Problem": "problems",
    "RecordValidator": "records",
    "ValidationReport": "report",
    "annotation_files": "run", "validate_files": "run",
}

__all__ = [
    "EXPORT_SCHEMA_PATH", "AnnotationView", "Corpus", "Problem", "RecordValidator", "RecordView",
    "ValidationReport", "Views", "annotation_files", "default_corpus", "export_schema", "validate_files",
    "write_export_schema",
]

if TYPE_CHECKING:
    from builder.check.validate.corpus import Corpus, default_corpus
    from builder.check.validate.model import AnnotationView, RecordView, Views
    from builder.check.validate.problems import Problem
    from builder.check.validate.records import RecordValidator
    from builder.check.validate.report import ValidationReport
    from builder.check.validate.run import annotation_files, validate_files


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'builder.check.validate' has no attribute {name!r}")
    return getattr(importlib.import_module(f"builder.check.validate.{module}"), name)
