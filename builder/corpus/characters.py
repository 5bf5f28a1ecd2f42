"""Which characters a cleaned text never holds, and what each kind becomes.

One place for the character classes that cleaning (`clean`) and importing (`import`) share:

- line breaks of every kind become "\\n" (CR, CR LF, VT, FF, NEL, the file/group/record separators, U+2028/2029);
- spaces of every width become " " (tab, no-break and the typographic spaces, ideographic space, U+001F);
- removed: every other C0/C1 control, and every invisible format or ignorable character (Unicode's
  Default_Ignorable_Code_Point and the format controls, category Cf): zero-width space, word joiner, BOM, soft
  hyphen, the directional marks, embeddings, overrides and isolates (the source of "Trojan Source" text), invisible
  operators, Hangul fillers, interlinear annotation marks, tag characters;
- kept, because text in some script or an emoji means something different without them: the variation selectors,
  the combining grapheme joiner, the Hangul choseong/jungseong fillers inside jamo sequences, the visible Cf
  characters (Arabic number signs, ...), tag characters inside an emoji tag sequence (subdivision flags), and
  ZWNJ/ZWJ between two characters of a script that is not Latin (Persian, Indic scripts, emoji sequences).

A test checks the removed set against Python's Unicode database, so a new format character is never missed.
"""

from __future__ import annotations

import re

LINE_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
SPACES = "\t\x1f\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"

# C0/C1 controls other than "\n" and the line breaks and spaces above.
_CONTROLS = "\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f"
# Default_Ignorable_Code_Point and category Cf, less what is kept (see the module docstring).
_INVISIBLE = (
    "\u00ad\u061c\u17b4\u17b5\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u206f\u3164\ufeff\uffa0\ufff0-\ufffb"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e001f\U000e0080-\U000e00ff\U000e01f0-\U000e0fff"
)
# Kept on purpose although invisible (the test lists them as the only exceptions).
KEPT_FORMAT = (
    "\u0600-\u0605\u06dd\u070f\u0890\u0891\u08e2\U000110bd\U000110cd\U00013430-\U0001343f"
    "\u034f\u115f\u1160\u180b-\u180d\u180f\ufe00-\ufe0f\U000e0100-\U000e01ef\u200c\u200d\U000e0020-\U000e007f"
)
_JOINER = "\u200c\u200d"
_TAGS = "\U000e0020-\U000e007f"
# Latin and ASCII (a joiner there is never meant), spaces and line edges: a joiner next to one of them goes.
_NOT_JOINABLE = "\\s\u0000-\u024f\u1e00-\u1eff"

REMOVED = re.compile(
    f"[{_CONTROLS}{_INVISIBLE}]"
    f"|(?:(?<=[{_NOT_JOINABLE}])|^)[{_JOINER}]+|[{_JOINER}]+(?=[{_NOT_JOINABLE}]|$)",
    re.MULTILINE,
)
_ANY_TAG = re.compile(f"[{_TAGS}]")
# A subdivision flag: black flag, tag letters, cancel tag. Any other tag character is stray.
_TAG_SEQUENCE_OR_TAG = re.compile(f"(\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f)|[{_TAGS}]")
BREAK = re.compile(f"\r\n|[{LINE_BREAKS}]")
SPACE = re.compile(f"[{SPACES}]")
# One character class finds in one fast scan whether a text holds anything the patterns above change (most
# texts hold nothing); only then do the slower patterns run.
_ANY_REMOVED = re.compile(f"[{_CONTROLS}{_INVISIBLE}{_JOINER}{_TAGS}]")
_ANY_BREAK_OR_SPACE = re.compile(f"[{LINE_BREAKS}{SPACES}]")


def remove_invisible(text: str) -> tuple[str, int]:
    """The text without controls and invisible characters, and how many were removed."""
    if not _ANY_REMOVED.search(text):
        return text, 0
    text, removed = REMOVED.subn("", text)
    if _ANY_TAG.search(text):  # rare: only then look for emoji tag sequences
        before = len(text)
        text = _TAG_SEQUENCE_OR_TAG.sub(lambda m: m.group(1) or "", text)
        removed += before - len(text)
    return text, removed


def normalise_breaks_and_spaces(text: str) -> str:
    """Every line break as "\\n", every space as " " (runs are left to the caller)."""
    if not _ANY_BREAK_OR_SPACE.search(text):
        return text
    return SPACE.sub(" ", BREAK.sub("\n", text))


# A line break or separator control inside a token joins nothing: it goes, as the invisible characters do.
_TOKEN_BREAKS = re.compile("[\x0b\x0c\x1c-\x1f\x85\u2028\u2029]")


def clean_token(token: str) -> tuple[str, bool]:
    """A token without invisible characters, controls or line breaks, and whether any were removed."""
    cleaned, removed = remove_invisible(token)
    cleaned, breaks = _TOKEN_BREAKS.subn("", cleaned)
    return cleaned, bool(removed or breaks)
