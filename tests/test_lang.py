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


# ---- language identification (builder/lang/identify.py) -------------------------------------------------------

MALAY = ("Polis Diraja Malaysia menahan tiga lelaki yang dipercayai terlibat dalam sindiket penipuan dalam talian "
         "dalam serbuan di sebuah kondominium di Petaling Jaya, semalam. Ketua Polis Daerah berkata suspek berusia "
         "antara 25 hingga 34 tahun itu ditahan kira-kira jam 10 malam dan polis turut merampas telefon bimbit.")
ENGLISH = ("The president arrived in the capital early on Wednesday for talks that officials said would focus on "
           "trade, security and the war, according to a statement released by the foreign ministry last night.")


def test_lang_identify_the_shipped_indonesian_articles():
    from builder.corpus.clean import normalise_text
    from builder.lang.identify import identify
    from tests.helpers.projects import pratiwi_rows

    texts = [normalise_text(text)[:600] for text, _ in pratiwi_rows() if len(text) >= 200]
    found = [identify(t) for t in texts]
    assert len(texts) > 500
    assert sum(f == "id" for f in found) >= 0.99 * len(texts)  # as Indonesian, not only as "id or ms"
    assert set(found) <= {"id", "ms"}


def test_lang_identify_malay_english_and_nothing():
    from builder.lang.identify import UNDETERMINED, identify

    assert identify(MALAY) == "ms" and identify(ENGLISH) == "en"
    assert identify("12 345 678 / 90 -- 11.2 % (3,4)") == UNDETERMINED and identify("") == UNDETERMINED


def test_lang_identify_text_the_identifier_refuses():
    """C1 controls and lone surrogates make CLD2 refuse its input; the text around them still decides."""
    from builder.lang.identify import identify

    assert identify("\x9d" + ENGLISH + "\ud800") == "en"


def test_lang_identifiable_languages_in_project_codes():
    from builder.lang.identify import identifiable

    langs = identifiable()
    assert {"id", "ms", "en", "jv", "he", "zh"} <= langs  # CLD2's iw and jw arrive as he and jv
    assert not {"iw", "jw", "un", "und", "ban"} & langs
