"""The canonical document record: ids, hashes, construction and schema validation."""

from __future__ import annotations

import hashlib
import json
import re
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

SCHEMA_VERSION = "1.0.0"
def _schema_dir() -> Path:
    """schema/ of the clone the code runs from, else the copy an installed package keeps (pyproject data-files)."""
    clone = Path(__file__).resolve().parent.parent / "schema"
    if (clone / "document.schema.json").is_file():
        return clone
    return Path(sys.prefix) / "share" / "newsbench" / "schema"


SCHEMA_DIR = _schema_dir()
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


# Licence ids that say nothing may be published (the licence gate and the imports read this one set).
UNKNOWN_LICENCES = frozenset({"", "unknown", "none", "proprietary", "all rights reserved"})


def licence_known(licence: object) -> bool:
    return str(licence or "").strip().lower() not in UNKNOWN_LICENCES


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_doc_id(source_name: str, key: str) -> str:
    """Stable id from the source name and the record's key in its source, never from the cleaned text.

    The key is hashed so that ids stay short and safe whatever the key holds (paths with spaces, URLs);
    the key itself is kept in `source.key`. A change in cleaning rules therefore keeps the id.
    """
    prefix = _ID_UNSAFE.sub("-", source_name).strip("-._") or "source"
    digest = hashlib.sha256(f"{source_name}\x00{key}".encode()).hexdigest()[:16]
    return f"{prefix}:{digest}"


def new_document(
    *,
    doc_id: str,
    source: dict[str, Any],
    language: str,
    text: str,
    title: str | None = None,
    published: str | None = None,
    doc_labels: list[dict[str, Any]] | None = None,
    meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A document record with the fields every stage relies on, in a stable key order."""
    return {
        "schema_version": SCHEMA_VERSION,
        "id": doc_id,
        "document_id": doc_id,
        "source": source,
        "language": language,
        "title": title,
        "dateline": None,
        "published": published,
        "published_from": "metadata" if published else None,
        "attribution": None,
        "text": text,
        "text_sha256": sha256_text(text),
        "doc_labels": doc_labels or [],
        "meta": meta or {},
    }


def set_text(doc: dict[str, Any], text: str) -> None:
    """Replace a document's text and keep its hash in step."""
    doc["text"] = text
    doc["text_sha256"] = sha256_text(text)


@lru_cache(maxsize=None)
def load_schema(name: str = "document") -> dict[str, Any]:
    with open(SCHEMA_DIR / f"{name}.schema.json", encoding="utf-8") as fh:
        return json.load(fh)


@lru_cache(maxsize=None)
def document_validator() -> Draft202012Validator:
    return Draft202012Validator(load_schema("document"))


def document_errors(doc: dict[str, Any]) -> list[str]:
    """Every schema problem of one record, each with its JSON pointer; empty when valid."""
    out = []
    for err in sorted(document_validator().iter_errors(doc), key=lambda e: list(e.absolute_path)):
        pointer = "/" + "/".join(str(p) for p in err.absolute_path)
        out.append(f"{pointer}: {err.message}")
    return out
