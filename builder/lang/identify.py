"""Which language a text is written in: an ISO 639-1 code (as `builder.lang.key` gives it), or "und".

The identifier is CLD2 (pycld2): compiled, its model inside the wheel, nothing to download. It replaced py3langid
in the clean stage because it decides Indonesian, Malay and English at least as well on the project's texts and is
about ten times faster (README, "Language identification"). When CLD2 cannot decide (too little text, no
language it knows) the answer is "und", which the clean stage never treats as a wrong language.
"""

from __future__ import annotations

import re
from functools import cache

from builder.lang import key

UNDETERMINED = "und"
# CLD2 speaks a few older or script-qualified codes; the project speaks ISO 639-1.
_CODES = {"iw": "he", "jw": "jv", "zh-Hant": "zh", "sr-ME": "sr"}
# What CLD2 refuses as "invalid UTF-8": controls, surrogates and noncharacters. Retried without them.
_REFUSED = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")


def identify(text: str) -> str:
    """The language of `text`, or UNDETERMINED."""
    import pycld2  # the model ships inside the wheel

    try:
        details = pycld2.detect(text)[2]
    except (pycld2.error, UnicodeError):
        try:
            details = pycld2.detect(_REFUSED.sub(" ", text))[2]
        except (pycld2.error, UnicodeError):
            return UNDETERMINED
    return _project_code(details[0][1])


def _project_code(code: str) -> str:
    if code == "un" or code.startswith(("xx-", "zz")):
        return UNDETERMINED
    return key(_CODES.get(code, code))


@cache
def identifiable() -> frozenset[str]:
    """Every language the identifier can answer."""
    import pycld2

    names = set(pycld2.DETECTED_LANGUAGES)
    return frozenset(c for n, c in ((n, _project_code(c)) for n, c in pycld2.LANGUAGES)
                     if n in names and c != UNDETERMINED)
