"""Rows of the `ner` config: one per sentence of a document whose entities were annotated, tags in IOB2."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from builder.release.rows.sentences import TokenIndex, contiguous, iob2_tags


def entity_tags(index: TokenIndex, entities: list[dict[str, Any]],
                tag_ids: dict[str, int]) -> tuple[bytearray, list[tuple[str, str]]]:
    """NER tag ids of a document's tokens, and the (label, reason) of every entity left out of them."""
    left: list[tuple[str, str]] = []
    spans = [(*se, e["type"]) for e in entities if (se := contiguous(e["offsets"], e["type"], left))]
    tags, out = iob2_tags(index, spans, tag_ids)
    return tags, left + out


def columns(tags: pa.Array) -> dict[str, pa.Array]:
    """The columns `ner` adds to the shared sentence columns."""
    return {"ner_tags": tags}
