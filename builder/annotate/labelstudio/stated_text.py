"""The one rule for a region's stated text (`value.text`) against its slice `text[start:end]`.

Label Studio 1.23.2's frontend writes each "\\r\\n" inside a span as the four characters `\\n\\n` (a backslash
and an n, twice; checked in a browser, see the Label Studio notes). Nothing else is known to be rewritten, so
nothing else is accepted: a lone "\\n" written as `\\n`, trimmed whitespace or any other difference is a
mismatch. The validator and the Label Studio converter both ask this function.
"""

from __future__ import annotations

FRONTEND_CRLF = "\\n\\n"


def stated_text_ok(stated: str, span: str) -> bool:
    """Whether a region's stated text agrees with its slice, allowing only the frontend's \\r\\n rewriting."""
    return stated == span or ("\r\n" in span and stated == span.replace("\r\n", FRONTEND_CRLF))
