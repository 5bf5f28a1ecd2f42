import re
import sys
import unicodedata

import pytest

from builder.corpus.characters import KEPT_FORMAT, clean_token, remove_invisible
from builder.corpus.clean import normalise_text

_KEPT = re.compile(f"[{KEPT_FORMAT}]")


def test_characters_every_format_and_control_character_is_removed_or_kept_on_purpose():
    # Python's Unicode database decides what a format or control character is: a new one is never missed.
    missed = [
        f"U+{cp:04X}" for cp in range(sys.maxunicode + 1)
        if unicodedata.category(chr(cp)) in ("Cf", "Cc") and chr(cp) not in "\n\t\r\x0b\x0c\x1c\x1d\x1e\x1f\x85"
        and not _KEPT.match(chr(cp)) and remove_invisible(f"a{chr(cp)}a")[0] != "aa"
    ]
    assert missed == []


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Menteri\u200e Keuangan", "Menteri Keuangan"),  # a directional mark
        ("anggaran \u202enaik\u202c", "anggaran naik"),  # an override (Trojan Source)
        ("\u2066lahan\u2069", "lahan"),  # an isolate
        ("kata\u2061tersembunyi\u180e", "katatersembunyi"),  # invisible operator, Mongolian vowel separator
        ("x\u3164y\uffa0z", "xyz"),  # Hangul fillers standing alone
        ("stray\U000e0041tag", "straytag"),  # a tag character outside an emoji tag sequence
        ("kata\u200ckata \u200dawal", "katakata awal"),  # joiners in Latin text or at a word's edge
        ("satu\x0cdua\x0btiga\x85empat\x1efive", "satu\ndua\ntiga\nempat\nfive"),  # breaks stay breaks
        ("unit\x1fsep", "unit sep"),
    ],
)
def test_characters_invisible_removed_and_breaks_kept_apart(raw, clean):
    assert normalise_text(raw) == clean


@pytest.mark.parametrize(
    "text",
    [
        "\U0001f469\u200d\U0001f4bb kerja",  # an emoji ZWJ sequence
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian: ZWNJ between letters
        "\u0915\u094d\u200d\u0937",  # Devanagari: ZWJ inside a conjunct
        "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f bendera",  # a subdivision flag
        "\u0600\u0661\u0662 angka",  # a visible Arabic number sign
        "\u845b\U000e0100 varian",  # an ideographic variation sequence
    ],
)
def test_characters_meaningful_invisible_characters_are_kept(text):
    assert normalise_text(text) == text


def test_characters_counts_what_it_removes():
    assert remove_invisible("a\u200bb\u200ec\U000e0041") == ("abc", 3)
    assert clean_token("\ufeffab\x0ccd\x00") == ("abcd", True)
    assert clean_token("biasa") == ("biasa", False)
