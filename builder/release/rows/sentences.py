"""What the sentence configs (`ner`, `claims`) share: a document's tokens, and spans mapped onto them.

Spans that IOB2 cannot hold (discontinuous, not on token boundaries, crossing a sentence, nested or
overlapping) stay in `documents` and are counted per config, label and reason.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Any

from builder.tags import iob2

NOT_ON_TOKENS = "not_on_token_boundary"
DISCONTINUOUS = "discontinuous"


@dataclass
class TokenIndex:
    """A document's tokens as flat start/end lists with the sentence each belongs to."""

    starts: list[int]
    ends: list[int]
    bounds: list[tuple[int, int]]  # per sentence: [first token, last token + 1)
    sentence_of: list[int]

    @classmethod
    def of(cls, sentences: list[dict[str, Any]]) -> TokenIndex:
        starts: list[int] = []
        ends: list[int] = []
        bounds = []
        sentence_of: list[int] = []
        for k, s in enumerate(sentences):
            first = len(starts)
            toks = s["tokens"]
            if toks:
                st, en = zip(*toks)
                starts.extend(st)
                ends.extend(en)
            bounds.append((first, len(starts)))
            sentence_of.extend([k] * len(toks))
        return cls(starts, ends, bounds, sentence_of)


def iob2_tags(
    index: TokenIndex,
    spans: list[tuple[int, int, str]],
    tag_ids: dict[str, int],
    *,
    split_at_sentences: bool = False,
) -> tuple[bytearray, list[tuple[str, str]]]:
    """IOB2 tag ids for one document's tokens from character spans, and the (label, reason) of every span left out.

    `spans` are (start, end, label), one contiguous piece each. A span is kept only if it starts on a token
    start and ends on a token end; the rest is `builder.tags.iob2`'s: nested and overlapping spans, spans
    crossing a sentence (entities), or tagged in each sentence (claims, `split_at_sentences`).
    """
    left_out: list[tuple[str, str]] = []
    on_tokens = []
    n = len(index.starts)
    for start, end, label in spans:
        i = bisect_left(index.starts, start)
        j = bisect_right(index.ends, end) - 1
        if i >= n or index.starts[i] != start or j < i or index.ends[j] != end:
            left_out.append((label, NOT_ON_TOKENS))
        else:
            on_tokens.append((i, j + 1, label))
    tags, rest = iob2(n, on_tokens, codes=tag_ids, sentence_of=index.sentence_of,
                      split_at_sentences=split_at_sentences)
    return tags, left_out + rest  # type: ignore[return-value]


def contiguous(offsets: list[list[int]], label: str, left_out: list[tuple[str, str]]) -> tuple[int, int] | None:
    """The one [start, end] of a span, or None (counted as `discontinuous`) when it has several pieces."""
    if len(offsets) != 1:
        left_out.append((label, DISCONTINUOUS))
        return None
    return offsets[0][0], offsets[0][1]
