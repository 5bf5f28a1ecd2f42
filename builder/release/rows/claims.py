"""Rows of the `claims` config: one per sentence of a document whose claims were annotated.

Each row says whether the sentence holds a claim, whether one of its claims is check-worthy (the label
schema's positive value), who the speakers are, and carries the claims and `claim_tags` in IOB2; a claim
across sentences is tagged in each, starting with B- in each.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

import pyarrow as pa

from builder.release.rows.sentences import TokenIndex, iob2_tags

_EMPTY: list[Any] = []  # shared by rows without claims or speakers; never mutated


def claim_tags(index: TokenIndex, claims: list[dict[str, Any]], claim_label: str,
               tag_ids: dict[str, int]) -> tuple[bytearray, list[tuple[str, str]]]:
    """Claim tag ids of a document's tokens (every piece of every claim), and the claims left out of them."""
    pieces = [(a, b, claim_label) for c in claims for a, b in c["offsets"]]
    return iob2_tags(index, pieces, tag_ids, split_at_sentences=True)


def claims_by_sentence(sentences: list[dict[str, Any]], claims: list[dict[str, Any]],
                       entities: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """Sentence index -> the claims overlapping it, each with its speaker's text."""
    names = {e["id"]: " ".join(e["text"]) for e in entities}
    starts = [s["start"] for s in sentences]
    out: dict[int, list[dict[str, Any]]] = {}
    for c in claims:
        item = {**c, "speaker": names.get(c["speaker_id"]) if c["speaker_id"] else None}
        hit: set[int] = set()
        for a, b in c["offsets"]:
            k = max(bisect_right(starts, a) - 1, 0)
            while k < len(sentences) and sentences[k]["start"] < b:
                if sentences[k]["end"] > a:
                    hit.add(k)
                k += 1
        for k in sorted(hit):
            out.setdefault(k, []).append(item)
    return out


def sentence_values(per_sentence: dict[int, list[dict[str, Any]]], n: int,
                    positive: str | None) -> tuple[list[bool], list[bool], list[list[str]], list[list[dict]]]:
    """Per sentence: has a claim, has a check-worthy claim, the speakers, the claims."""
    has_claim, worthy, speakers, found = [False] * n, [False] * n, [_EMPTY] * n, [_EMPTY] * n
    for k, items in per_sentence.items():
        has_claim[k] = True
        worthy[k] = any(c["checkworthy"] == positive for c in items)
        speakers[k] = [c["speaker"] for c in items if c["speaker"]]
        found[k] = items
    return has_claim, worthy, speakers, found


def columns(sent: dict[str, list[Any]], tags: pa.Array, claims_type: pa.DataType) -> dict[str, pa.Array]:
    """The columns `claims` adds to the shared sentence columns."""
    return {
        "text": pa.array(sent["text"], pa.string()),
        "has_claim": pa.array(sent["has_claim"], pa.bool_()),
        "checkworthy": pa.array(sent["checkworthy"], pa.bool_()),
        "speakers": pa.array(sent["speakers"], pa.list_(pa.string())),
        "claims": pa.array(sent["claims"], claims_type),
        "claim_tags": tags,
    }
