"""Cleaning rules on the real seed article and the Pratiwi texts; idempotence as a property."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builder.stage import run_stage
from builder.corpus.clean import Cleaner, find_lead_date, normalise_text, Clean
from builder.config import load_config
from builder.document import document_errors, new_document
from builder.errors import ConfigError
from builder.corpus.ingest import Ingest
from builder.jsonl import dumps, read_jsonl
from builder.corpus.rulesets import load_rule_set
from builder.stage import StageDir
from tests.helpers.projects import SEED, pratiwi_rows, seed_project

GENERIC = load_rule_set("generic-id")
KOMPASTV = load_rule_set("kompastv")


def make_doc(text: str, **fields) -> dict:
    doc = new_document(
        doc_id="test:0000000000000000",
        source={"name": "test", "key": "k", "license": "x", "redistributable": False, "retrieved_at": "2026-11-26"},
        language="id",
        text=text,
    )
    doc.update(fields)
    return doc


def cleaner(**kwargs) -> Cleaner:
    kwargs.setdefault("languages", ("id", "ms"))
    return Cleaner([KOMPASTV, GENERIC], **kwargs)


@pytest.fixture(scope="module")
def seed_clean():
    res = cleaner().clean(make_doc(SEED.read_text(encoding="utf-8")))
    assert res.drop_reason is None
    return res


def test_clean_seed_removes_boilerplate_lines(seed_clean):
    text = seed_clean.doc["text"]
    assert "Baca Juga" not in text
    assert "WhatsApp" not in text
    assert "Sumber" not in text
    assert [rule for rule, _ in seed_clean.removed] == [
        "baca_juga", "source_attribution", "kompastv_whatsapp_promo"
    ]


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("dateline", {"place": "PYONGYANG", "outlet": "KOMPAS.TV", "raw": "PYONGYANG, KOMPAS.TV - "}),
        ("attribution", "Associated Press"),
        ("published", "2024-06-19"),
        ("published_from", "lead"),
    ],
)
def test_clean_seed_metadata(seed_clean, field, expected):
    assert seed_clean.doc[field] == expected


def test_clean_seed_text_starts_after_the_dateline(seed_clean):
    assert seed_clean.doc["text"].startswith("Presiden Rusia Vladimir Putin tiba di Korea Utara")
    assert seed_clean.doc["text"].endswith("di bidang pariwisata, budaya, dan pendidikan.")
    assert document_errors(seed_clean.doc) == []


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("Baca Juga: Putin Kunjungi Korea Utara", "baca_juga"),
        ("BACA JUGA: Harga BBM naik", "baca_juga"),
        ("Baca juga Harga BBM naik lagi", "baca_juga"),
        ("Simak berita selengkapnya di sini", "simak"),
        ("ADVERTISEMENT", "advertisement"),
        ("SCROLL TO CONTINUE WITH CONTENT", "advertisement"),
        ("Editor: Gading Persada", "editor"),
        ("Penulis : Ahmad Reza", "author"),
        ("Gabung ke Channel WhatsApp KompasTV untuk update berita terbaru dan terpercaya.", "kompastv_whatsapp_promo"),
        ("Ikuti saluran WhatsApp Kompas.com untuk berita terkini", "whatsapp_channel"),
        ("Sumber : Associated Press", "source_attribution"),
    ],
)
def test_clean_rule_table(line, rule):
    res = cleaner().clean(make_doc(f"Paragraf pertama yang biasa saja.\n{line}\nParagraf terakhir."))
    assert res.removed == [(rule, line)]


def test_clean_inline_rule_keeps_the_rest_of_the_line():
    text = "Harga naik lagi. (Baca juga: BBM Naik) Pemerintah membantah."
    res = cleaner().clean(make_doc(text))
    assert res.doc["text"] == "Harga naik lagi. Pemerintah membantah."


@pytest.mark.parametrize(
    ("first_line", "place", "outlet", "rest"),
    [
        ("PYONGYANG, KOMPAS.TV - Presiden tiba.", "PYONGYANG", "KOMPAS.TV", "Presiden tiba."),
        ("Jakarta, Di jejaring sosial beredar kabar.", "Jakarta", None, "Di jejaring sosial beredar kabar."),
        ("Jakarta - Polisi menangkap pelaku.", "Jakarta", None, "Polisi menangkap pelaku."),
        ("JAKARTA \u2013 Polisi menangkap pelaku.", "JAKARTA", None, "Polisi menangkap pelaku."),
        ("TEMPO.CO, Jakarta - Polisi menangkap pelaku.", "Jakarta", "TEMPO.CO", "Polisi menangkap pelaku."),
        ("KOMPAS.com - Polisi menangkap pelaku.", None, "KOMPAS.com", "Polisi menangkap pelaku."),
        ("JAKARTA (ANTARA) - Polisi menangkap pelaku.", "JAKARTA", "ANTARA", "Polisi menangkap pelaku."),
        ("Namun, Polisi menangkap pelaku.", None, None, "Namun, Polisi menangkap pelaku."),
        ("Presiden Joko Widodo, Senin, meresmikan jalan.", None, None, "Presiden Joko Widodo, Senin, meresmikan jalan."),
    ],
)
def test_clean_dateline_table(first_line, place, outlet, rest):
    res = cleaner().clean(make_doc(f"{first_line}\nParagraf kedua."))
    if place is None and outlet is None:
        assert res.doc["dateline"] is None
    else:
        assert (res.doc["dateline"]["place"], res.doc["dateline"]["outlet"]) == (place, outlet)
    assert res.doc["text"].split("\n")[0] == rest


@pytest.mark.parametrize(
    ("lead", "date"),
    [
        ("Presiden tiba pada Rabu (19/6/2024) dini hari.", "2024-06-19"),
        ("Dikutip dari Reuters, Rabu (29/9/2010), sebuah studi.", "2010-09-29"),
        ("Acara berlangsung di Jakarta, Kamis, 5 Juli 2012.", "2012-07-05"),
        ("Dilansir dari ZD Net (24/09/2014), harga turun.", "2014-09-24"),
        ("Jum\u2019at (19/9/2014) lalu produk dirilis.", "2014-09-19"),
        ("Menurut Los Angeles Times pada 24 April 2001 lalu.", None),  # a cited date, not the story's
        ("Tanggal (31/2/2024) tidak ada.", None),
    ],
)
def test_clean_lead_date_table(lead, date):
    assert find_lead_date([lead], GENERIC) == date


def test_clean_metadata_date_wins_over_the_lead():
    res = cleaner().clean(make_doc("Presiden tiba pada Rabu (19/6/2024) dini hari.", published="2024-06-20",
                                   published_from="metadata"))
    assert res.doc["published"] == "2024-06-20" and res.doc["published_from"] == "metadata"


def test_clean_unwraps_hard_wrapped_pratiwi_text():
    text = pratiwi_rows()[0][0]
    res = cleaner().clean(make_doc(text))
    paragraphs = res.doc["text"].split("\n")
    assert paragraphs[0] == (
        "Di jejaring sosial, banyak beredar informasi yang menyebut lele sebagai ikan paling jorok. "
        "Dalam sesuap daging ikan lele, terkandung 3000 sel kanker. Benarkah?"
    )
    assert "unwrapped" in res.events


def test_clean_keeps_lines_that_end_sentences():
    text = "Paragraf satu selesai.\nParagraf dua juga selesai.\nParagraf tiga."
    assert cleaner().clean(make_doc(text)).doc["text"] == text


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("a\r\nb\rc", "a\nb\nc"),
        ("kata\u00a0kunci  dan\t\tlain", "kata kunci dan lain"),
        ("zero\u200bwidth\u00adsoft\ufeff", "zerowidthsoft"),
        ("  padded line  \n\n\n next ", "padded line\nnext"),
        ("Cafe\u0301", "Caf\u00e9"),  # NFC
        ("ctrl\x07char\x9b", "ctrlchar"),
    ],
)
def test_clean_normalise_text(raw, clean):
    assert normalise_text(raw) == clean


def test_clean_quality_filters_drop_with_reason():
    short = cleaner(min_words=30).clean(make_doc("Terlalu pendek."))
    assert short.drop_reason == "too_short" and "2 words" in short.drop_detail
    english = (
        "The president arrived in the capital early on Wednesday for talks that officials said would focus on "
        "trade, security and the war, according to a statement released by the foreign ministry late last night. "
    ) * 2
    res = cleaner(min_words=5).clean(make_doc(english))
    assert res.drop_reason == "wrong_language" and "'en'" in res.drop_detail
    empty = cleaner().clean(make_doc("Baca Juga: satu-satunya baris"))
    assert empty.drop_reason == "empty_after_cleaning"


def test_clean_keeps_a_text_whose_language_is_undetermined():
    """No language found is no evidence of a wrong one: the document stays, and the event is counted."""
    figures = " ".join(f"{i * 37 % 1000},{i % 10} %" for i in range(60))  # a table of numbers, 200+ characters
    res = cleaner(min_words=5).clean(make_doc(figures))
    assert res.drop_reason is None and "language_undetermined" in res.events


def test_clean_stage_writes_rejects_and_stats(tmp_path):
    cfg = seed_project(tmp_path, """
        [[sources]]
        name = "short"
        format = "text"
        path = "short"
        license = "x"
        redistributable = false
        """)
    (tmp_path / "short").mkdir()
    (tmp_path / "short/a.txt").write_text("Berita singkat.\nBaca Juga: Lainnya", encoding="utf-8")
    config = load_config(cfg)
    run_stage(Ingest(config), None, StageDir(config.stage_dir("ingest")))
    out = StageDir(config.stage_dir("clean"))
    stats = run_stage(Clean(config), StageDir(config.stage_dir("ingest")).documents, out)
    assert stats["documents_in"] == 2 and stats["documents_out"] == 1
    assert stats["documents_dropped"] == {"too_short": 1}
    assert stats["lines_removed"] == {"baca_juga": 2, "source_attribution": 1, "kompastv_whatsapp_promo": 1}
    rejects = list(read_jsonl(out.rejects))
    assert {(r["kind"], r["reason"]) for r in rejects} == {
        ("line", "baca_juga"), ("line", "source_attribution"), ("line", "kompastv_whatsapp_promo"),
        ("document", "too_short"),
    }
    dropped = next(r for r in rejects if r["kind"] == "document")
    assert dropped["record"]["text"] == "Berita singkat.\nBaca Juga: Lainnya"  # the original is kept
    for doc in read_jsonl(out.documents):
        assert document_errors(doc) == []


def test_clean_unknown_rule_set_is_a_config_error(tmp_path):
    cfg = seed_project(tmp_path)
    config = load_config(cfg, {"clean.rule_sets": ["generic-id", "no-such-outlet"]})
    with pytest.raises(ConfigError, match="unknown rule set 'no-such-outlet'.*use one of generic-id, kompastv"):
        run_stage(Clean(config), tmp_path / "missing.jsonl", StageDir(tmp_path / "out"))


def test_clean_project_rule_file(tmp_path):
    cfg = seed_project(tmp_path)
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules/myoutlet.toml").write_text(
        'name = "myoutlet"\n[[rules]]\nname = "promo"\npattern = \'Presiden Rusia\'\naction = "drop"\n',
        encoding="utf-8",
    )
    config = load_config(cfg, {"clean.rules_dir": "rules", "clean.rule_sets": ["myoutlet", "generic-id"]})
    run_stage(Ingest(config), None, StageDir(config.stage_dir("ingest")))
    stats = run_stage(Clean(config), StageDir(config.stage_dir("ingest")).documents, StageDir(config.stage_dir("clean")))
    assert stats["lines_removed"]["promo"] == 1


# -- idempotence --------------------------------------------------------------------------------------------

SEED_LINES = SEED.read_text(encoding="utf-8").split("\n")
pieces = st.one_of(
    st.sampled_from(SEED_LINES),
    st.sampled_from(["Baca Juga: x", "Sumber : Reuters", "JAKARTA, KOMPAS.TV - Berita", "Editor: A", "", "  ",
                     "ADVERTISEMENT", "(Baca juga: X) lanjut", "kalimat tanpa titik", "lanjutan kecil"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(pieces, max_size=12), st.sampled_from(["\n", "\r\n", "\n\n"]))
def test_clean_is_idempotent(lines, sep):
    c = cleaner(min_words=0, language_check=False)
    once = c.clean(make_doc(sep.join(lines)))
    twice = c.clean(once.doc)
    assert twice.doc == once.doc
    assert twice.removed == []


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=" \t([)]:bacjugBAJUG.x", max_size=40))
def test_clean_rule_probe_answers_as_the_rule(line):
    """A rule's probe (its pattern without a leading `\\s*`) finds a match exactly when the rule does."""
    import re

    from builder.corpus.rulesets import probe_pattern

    for pattern in (r"\s*[\(\[]\s*baca\s+juga\s*:[^\)\]]*[\)\]]", r"\s*?(juga|x)\b", r"\s*a|b"):
        regex = re.compile(pattern, re.IGNORECASE)
        probe = probe_pattern(regex)
        assert probe is not None and (probe.search(line) is None) == (regex.search(line) is None)
    assert probe_pattern(re.compile(r"\s*+\sx")) is None  # possessive: the rest could not match the same
    assert probe_pattern(re.compile(r"^\s*baca")) is None


def test_clean_rule_probes_on_the_shipped_articles():
    lines = [line for text, _ in pratiwi_rows() for line in normalise_text(text).split("\n")]
    for rs in (KOMPASTV, GENERIC):
        for rule in rs.rules:
            if rule.probe is not None:
                assert [rule.matches(x) for x in lines] == [rule.regex.search(x) is not None for x in lines]
    assert any(rule.probe is not None for rule in GENERIC.rules)


SCREENED = [r"^\s*baca\s+(juga|pula)\b.*$", r"^a|b", r"^(?P<value>ab)\s*$", r"^(a)\1", r"^(?i:x)y", r"^\s*sumber\s*:",
            r"(?m)^c", r"^[\(\[]?\s*baca"]


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=" ([:abcxsumerBACJ\n", max_size=30))
def test_clean_line_screen_misses_no_rule(line):
    """The screen of `^`-anchored rules, with the rules it leaves out, finds a match exactly when some rule does."""
    import re

    from builder.corpus.rulesets import LineRule, line_screen

    rules = [LineRule(f"r{i}", re.compile(p, re.IGNORECASE if i % 2 else 0), "drop") for i, p in enumerate(SCREENED)]
    screen, left = line_screen(rules)
    assert {r.regex.pattern for r in left} == {r"^a|b", r"^(a)\1", r"^(?i:x)y", r"(?m)^c"}
    said = (screen is not None and screen.search(line) is not None) or any(r.matches(line) for r in left)
    assert said == any(r.regex.search(line) for r in rules)


def test_clean_line_screen_on_the_shipped_articles():
    from builder.corpus.rulesets import line_screen

    rules = [*KOMPASTV.rules, *GENERIC.rules]
    screen, left = line_screen(rules)
    lines = [line for text, _ in pratiwi_rows() for line in normalise_text(text).split("\n")]
    lines += ["Baca Juga: Putin tiba", "Sumber : Associated Press", "Gabung ke Channel WhatsApp KompasTV"]
    for line in lines:
        said = screen.search(line) is not None or any(r.matches(line) for r in left)
        assert said == any(r.regex.search(line) for r in rules)
    assert len(left) < len(rules) // 2


@pytest.mark.parametrize("workers", [1, 2])
def test_clean_and_segment_name_the_line_that_is_not_json(tmp_path, workers):
    """The workers parse the lines; a line that is not a JSON object still stops the stage at its file and line."""
    import re

    from builder.config import config_from_dict
    from builder.corpus.segment import Segment
    from builder.errors import InputError

    good = make_doc("Presiden tiba di Jakarta pada Rabu pagi untuk bertemu para menteri.", split="train")
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"".join(dumps(dict(good, id=f"test:{i:016d}")) for i in range(5)) + b'{"id": \n')
    for stage in (Clean, Segment):
        config = config_from_dict({stage.name: {"workers": workers, "batch_size": 2}, "clean": {"workers": workers,
                                   "batch_size": 2, "min_words": 1}}, tmp_path)
        with pytest.raises(InputError, match=re.escape(f"{path}:6")):
            run_stage(stage(config), path, StageDir(tmp_path / stage.name))
        assert not StageDir(tmp_path / stage.name).documents.exists()


def test_clean_keeps_the_input_record_of_a_dropped_document_as_it_came():
    from builder.corpus.rulesets import LineRule

    import re

    rule = LineRule("editor", re.compile(r"^Editor: (?P<value>.+)$"), "meta", "editor")
    doc = make_doc("Editor: Ani\nTerlalu pendek.", meta={"desk": "x"})
    c = Cleaner([type(GENERIC)(name="t", language="id", rules=[rule])], min_words=30)
    res = c.clean(doc)
    assert res.drop_reason == "too_short" and res.doc["meta"] == {"desk": "x", "editor": "Ani"}
    assert doc["meta"] == {"desk": "x"}
