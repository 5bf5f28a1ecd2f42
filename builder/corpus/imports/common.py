"""What every import shares: the terms of the imported corpus (name, licence, language, split, label map), the
provenance of a document, the split of a file, and the check of label-map targets against the label schema."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from builder.errors import ConfigError, InputError
from builder.labels import LabelMap, LabelSchema
from builder.stage import file_digest

SPLITS = ("train", "validation", "test")
_SPLIT_NAMES = {"train": "train", "dev": "validation", "valid": "validation", "validation": "validation",
                "test": "test"}
_SPLIT_IN_NAME = re.compile(r"(?<![a-z])(train|dev|valid|validation|test)(?![a-z])", re.IGNORECASE)


@dataclass
class ImportTerms:
    """Who the imported documents belong to and how they are named; every format's options start with these."""

    source: str  # source name: part of every document id, do not rename once published
    license: str = "unknown"
    redistributable: bool = False
    retrieved_at: str | None = None  # ISO time; default: each file's mtime
    language: str = "id"
    label_map: LabelMap = field(default_factory=LabelMap)  # source label -> schema label, "" drops it
    split: str | None = None  # train/validation/test for every file; None: from the file name (dev -> validation)
    base: str = ""  # the project folder: a file inside it is named relative to it (no local path in a release)

    def check(self) -> None:
        if self.split is not None and self.split not in SPLITS:
            raise ConfigError(f"unknown split {self.split!r}", fix="use train, validation or test")


def split_of_file(path: Path) -> str | None:
    """The split a file's name says (`train.txt`, `id_dev.conll`, `test-2.jsonl`), or None."""
    m = _SPLIT_IN_NAME.search(path.stem)
    return _SPLIT_NAMES[m.group(1).lower()] if m else None


def normalise_split(value: Any) -> str | None:
    """A split named in a record (`dev` is validation), or None when it names none."""
    return _SPLIT_NAMES.get(str(value).strip().lower()) if value not in (None, "") else None


def retrieved_at(path: Path, terms: ImportTerms) -> str:
    if terms.retrieved_at:
        return terms.retrieved_at
    return datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc).isoformat(timespec="seconds")


def provenance(path: Path, terms: ImportTerms) -> dict[str, Any]:
    """The `source` of a document imported from `path` (its key and row are the caller's)."""
    base = Path(terms.base).resolve() if terms.base else None
    where = path.resolve()
    # inside the project: its path there; outside: its name (a release never holds a local path)
    uri = where.relative_to(base).as_posix() if base is not None and where.is_relative_to(base) else path.name
    return {"name": terms.source, "uri": uri, "key_kind": "path", "license": terms.license,
            "redistributable": terms.redistributable, "retrieved_at": retrieved_at(path, terms),
            "raw_sha256": file_digest(path)}


def check_entity_map(label_map: LabelMap, schema: LabelSchema, what: str) -> None:
    """Every target of the map is an entity type of the schema (or "" to drop the label)."""
    types = set(schema.entity_names)
    doc_labels = {d.name: d.values for d in schema.doc_labels}
    for (name, src), dst in label_map.entries.items():
        if name in doc_labels:  # a document label's values: veracity:Valid=valid
            if dst and dst not in doc_labels[name]:
                raise ConfigError(f"label map sends {name} value {src!r} to {dst!r}, which is not one of "
                                  f"{list(doc_labels[name])}", where="--map",
                                  fix=f"map it to one of {', '.join(doc_labels[name])} or to ''")
            continue
        if name not in (None, "entity"):
            raise ConfigError(f"label map entry {name}:{src} names the field '{name}'", where="--map",
                              fix=f"{what} maps entity labels (SRC=DST) and document-label values "
                              f"(LABEL:SRC=DST, labels: {', '.join(doc_labels) or 'none declared'})")
        if dst and dst not in types:
            raise ConfigError(f"label map sends {src!r} to {dst!r}, which is not an entity type of the schema",
                              where=f"--map (label schema {schema.path})",
                              fix=f"map it to one of {', '.join(schema.entity_names)} or to '', or add the type "
                              f"{dst} to {schema.path} (a document-label value is mapped as LABEL:{src}={dst})")


def entity_target(label: str, label_map: LabelMap, types: set[str]) -> str | None:
    """The schema type of a source label: its mapping, else itself when the schema has it; "" = dropped on
    purpose, None = unmapped."""
    target = label_map.lookup("entity", label)
    if target is None:
        target = label if label in types else None
    return target


def read_text(path: Path, encoding: str) -> str:
    """A whole input file as text, without its byte-order mark; a located error when it cannot be read."""
    try:
        return path.read_bytes().decode(encoding).removeprefix("\ufeff")
    except (OSError, UnicodeDecodeError, LookupError) as exc:
        raise InputError(f"cannot read the file: {exc}", where=str(path),
                         fix="pass a UTF-8 file (or name its codec with --encoding)") from None
