"""Language data: every folder loads, aliases and `like` fall back, a language without data is empty."""

from __future__ import annotations

import pytest

from builder.lang import key, language, languages


@pytest.mark.parametrize("code", languages())
def test_lang_every_folder_loads(code):
    data = language(code)
    assert data.code == code
    assert all(isinstance(v, int) and 1 <= v <= 12 for v in data.calendar.all_months.values())


@pytest.mark.parametrize(("code", "expected"), [("id-ID", "id"), ("ind", "id"), ("in", "id"), ("zsm", "ms"),
                                                ("EN_gb", "en"), (None, ""), ("xx", "xx")])
def test_lang_key(code, expected):
    assert key(code) == expected


def test_lang_malay_reads_what_it_lacks_from_indonesian():
    assert language("ms").abbreviations == language("id").abbreviations
    assert language("ms").gazetteer == language("id").gazetteer


def test_lang_indonesian_data():
    data = language("id")
    assert data.calendar.months["agustus"] == 8 and data.calendar.all_months["agt"] == 8
    assert "jum'at" in data.calendar.weekdays and "ahad" in data.calendar.all_weekdays
    assert data.gazetteer["Jakarta"] == "LOC" and data.gazetteer["KPK"] == "ORG"
    assert data.prefixes[0] == "memper" and "mengatakan" in data.reporting.say_verbs
    assert {"jl", "prof"} <= data.abbreviations.prefix and "dll" in data.abbreviations.final


def test_lang_unknown_language_has_no_data():
    data = language("zz")
    assert not (data.gazetteer or data.prefixes or data.calendar.months or data.abbreviations.prefix)
