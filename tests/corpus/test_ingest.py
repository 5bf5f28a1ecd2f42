"""Ingest on the shipped articles, every reader, and every bad input the issue names."""

from __future__ import annotations

import json

import pytest

from builder.stage import run_stage
from builder.cli import main
from builder.config import load_config
from builder.document import document_errors, make_doc_id
from builder.errors import ConfigError
from builder.corpus.ingest import Ingest
from builder.corpus.ingest.base import repair_text
from builder.jsonl import read_jsonl
from builder.stage import StageDir
from tests.helpers.projects import PRATIWI_250, PRATIWI_600, SEED, one_source_project, seed_project, write_project

PRATIWI_SOURCE = """
[[sources]]
name = "pratiwi"
format = "csv"
path = "p600.csv"
encoding = "cp1252"
delimiter = ";"
license = "CC-BY-4.0"
redistributable = true
retrieved_at = "2026-11-26"
columns = {{ text = "berita" }}
labels = {{ veracity = "tagging" }}
label_values = {{ Valid = "valid", Hoax = "hoax" }}
"""


def ingest(config_path):
    config = load_config(config_path)
    out = StageDir(config.stage_dir("ingest"))
    stats = run_stage(Ingest(config), None, out)
    return stats, list(read_jsonl(out.documents)), list(read_jsonl(out.rejects))


@pytest.fixture
def seed_and_pratiwi(tmp_path):
    cfg = seed_project(tmp_path, PRATIWI_SOURCE.format())
    (tmp_path / "p600.csv").write_bytes(PRATIWI_600.read_bytes())
    return cfg


def test_ingest_reads_seed_and_pratiwi_with_labels(seed_and_pratiwi):
    stats, docs, rejects = ingest(seed_and_pratiwi)
    assert stats["per_source"] == {"seed": 1, "pratiwi": 600}
    assert rejects == [] and stats["input_errors"] == []
    labels = [d["doc_labels"][0]["value"] for d in docs if d["source"]["name"] == "pratiwi"]
    assert labels.count("valid") == 372 and labels.count("hoax") == 228
    for doc in docs:
        assert document_errors(doc) == []
    seed = docs[0]
    assert seed["text"] == SEED.read_text(encoding="utf-8")
    assert seed["source"]["key"] == "000_23d7a92b4fbf0ff3.txt"
    assert seed["id"] == make_doc_id("seed", "000_23d7a92b4fbf0ff3.txt")


def test_ingest_csv_keeps_multiline_fields_and_cp1252_quotes(seed_and_pratiwi):
    _, docs, _ = ingest(seed_and_pratiwi)
    pratiwi = [d for d in docs if d["source"]["name"] == "pratiwi"]
    assert pratiwi[0]["text"].startswith("Jakarta, Di jejaring sosial")
    assert "\n" in pratiwi[0]["text"]  # hard line breaks inside the field survive
    assert any("\u201c" in d["text"] for d in pratiwi)  # 0x93 decoded as a left double quote
    assert not any("\u0093" in d["text"] for d in pratiwi)  # never as a C1 control
    assert len({d["id"] for d in docs}) == len(docs)


def test_ingest_ids_are_stable_and_do_not_depend_on_the_text(seed_and_pratiwi, tmp_path):
    _, first, _ = ingest(seed_and_pratiwi)
    _, again, _ = ingest(seed_and_pratiwi)
    assert [d["id"] for d in first] == [d["id"] for d in again]
    (tmp_path / "seed/000_23d7a92b4fbf0ff3.txt").write_text("Teks yang berubah sama sekali.", encoding="utf-8")
    _, changed, _ = ingest(seed_and_pratiwi)
    assert changed[0]["id"] == first[0]["id"]
    assert changed[0]["text_sha256"] != first[0]["text_sha256"]


def test_ingest_repeated_records_get_distinct_ids(tmp_path):
    rows = "berita;tagging\r\n" + "Artikel yang sama persis.;Valid\r\n" * 3
    cfg = write_project(tmp_path, "[project]\n" + PRATIWI_SOURCE.format(), {"p600.csv": rows.encode("cp1252")})
    _, docs, _ = ingest(cfg)
    assert len(docs) == 3 and len({d["id"] for d in docs}) == 3


def test_ingest_repairs_mojibake():
    broken = "Presiden Korea Utara menyebut \u00e2\u20ac\u0153kekuatan persahabatan\u00e2\u20ac\u009d kedua negara"
    fixed, repairs = repair_text(broken)
    assert fixed == "Presiden Korea Utara menyebut \u201ckekuatan persahabatan\u201d kedua negara"
    assert repairs == ["ftfy"]
    clean = "Teks biasa tanpa masalah, dengan \u201ckutipan\u201d yang benar."
    assert repair_text(clean) == (clean, [])


def test_ingest_repairs_the_mojibake_in_the_pratiwi_file(seed_and_pratiwi):
    stats, docs, _ = ingest(seed_and_pratiwi)
    assert stats["repairs"] == {"ftfy": 2}  # two rows with "\xc2\xa0" read as cp1252
    assert not any("\u00c2\u00a0" in d["text"] or "\u00c2 " in d["text"] for d in docs)


def test_ingest_jsonl_and_html(tmp_path):
    lines = [
        json.dumps({"id": "a1", "text": "Isi artikel pertama.", "title": "Judul", "date": "2024-06-19T10:00:00"}),
        "{not json",
        json.dumps({"id": "a2", "text": "  "}),
        json.dumps({"id": "a3", "text": "Isi artikel ketiga.", "section": "nasional"}),
    ]
    html = """<html><head><title>Putin tiba di Korea Utara</title></head><body><nav>Beranda | Nasional</nav>
    <article><h1>Putin tiba di Korea Utara</h1><p>Presiden Rusia Vladimir Putin tiba di Korea Utara pada Rabu dini
    hari, dalam kunjungan yang bertujuan untuk memperkuat hubungan bilateral kedua negara di tengah sanksi.</p>
    <p>Putin disambut langsung oleh pemimpin tertinggi Korea Utara, Kim Jong Un, di bandara Pyongyang.</p></article>
    <footer>Hak cipta 2024</footer></body></html>"""
    cfg = write_project(
        tmp_path,
        """
        [[sources]]
        name = "feed"
        format = "jsonl"
        path = "feed.jsonl"
        license = "CC-BY-4.0"
        redistributable = true
        columns = { text = "text", key = "id", title = "title", published = "date" }
        [[sources]]
        name = "pages"
        format = "html"
        path = "pages"
        license = "unknown"
        redistributable = false
        """,
        {"feed.jsonl": "\n".join(lines) + "\n", "pages/putin.html": html},
    )
    stats, docs, rejects = ingest(cfg)
    assert [d["source"]["key"] for d in docs[:2]] == ["a1", "a3"]
    assert docs[0]["title"] == "Judul" and docs[0]["published"] == "2024-06-19"
    assert docs[1]["meta"] == {"section": "nasional"}
    assert [r["reason"] for r in rejects] == ["bad_json_line", "empty_text"]
    assert rejects[0]["where"].endswith("feed.jsonl:2") and rejects[1]["where"].endswith("feed.jsonl:3")
    page = docs[2]
    assert "Kim Jong Un" in page["text"] and "Beranda" not in page["text"]
    assert page["title"] == "Putin tiba di Korea Utara"
    for doc in docs:
        assert document_errors(doc) == []


# -- bad input: one located error, exit code 2, the valid records still go through -----------------------------

def run_cli(cfg, *args):
    return main(["ingest", "--config", str(cfg), "--no-progress", *args])


def test_bad_input_empty_article_is_reported_and_others_go_through(tmp_path, capsys):
    cfg = seed_project(tmp_path)
    (tmp_path / "seed/empty.txt").write_text("  \n ", encoding="utf-8")
    assert run_cli(cfg) == 2
    err = capsys.readouterr().err
    assert "empty.txt: the article is empty (fix:" in err
    docs = list(read_jsonl(tmp_path / "work/ingest/documents.jsonl"))
    assert len(docs) == 1
    rejects = list(read_jsonl(tmp_path / "work/ingest/rejects.jsonl"))
    assert rejects[0]["reason"] == "empty_text"


def test_bad_input_wrong_encoding_names_line_and_offset(tmp_path, capsys):
    cfg = seed_project(tmp_path)
    (tmp_path / "seed/cp1252.txt").write_bytes("Dia berkata \u201cya\u201d.".encode("cp1252"))
    assert run_cli(cfg, "--set", 'sources=[{name="seed",format="text",path="seed",license="x",'
                   'redistributable=false,encoding="utf-8"}]') == 2
    err = capsys.readouterr().err
    assert "cp1252.txt: byte 0x93 at offset 12 (line 1) is not valid utf-8" in err
    assert "set encoding" in err
    assert len(list(read_jsonl(tmp_path / "work/ingest/documents.jsonl"))) == 1


def test_bad_input_auto_encoding_detects_cp1252(tmp_path):
    text = "Presiden berkata \u201ckita akan terus menentang ambisi Barat\u201d, kata Putin di Pyongyang."
    cfg = write_project(tmp_path, """
        [[sources]]
        name = "t"
        format = "text"
        path = "t"
        license = "x"
        redistributable = false
        encoding = "auto"
        """, {"t/a.txt": text.encode("cp1252")})
    _, docs, _ = ingest(cfg)
    assert docs[0]["text"] == text and docs[0]["source"]["encoding"] == "cp1252"


def test_bad_input_unknown_encoding_name(tmp_path, capsys):
    cfg = seed_project(tmp_path)
    assert run_cli(cfg, "--set", 'sources=[{name="seed",format="text",path="seed",license="x",'
                   'redistributable=false,encoding="klingon-8"}]') == 2
    assert "unknown encoding 'klingon-8'" in capsys.readouterr().err


def test_bad_input_csv_without_the_mapped_column(tmp_path, capsys):
    cfg = write_project(tmp_path, PRATIWI_SOURCE.format().replace('text = "berita"', 'text = "isi"'),
                        {"p600.csv": PRATIWI_250.read_bytes()})
    assert run_cli(cfg) == 2
    err = capsys.readouterr().err
    assert "p600.csv:1: column(s) 'isi' not in the header ['berita', 'tagging']" in err


def test_bad_input_csv_wrong_delimiter_is_reported(tmp_path, capsys):
    cfg = write_project(tmp_path, PRATIWI_SOURCE.format().replace('delimiter = ";"', 'delimiter = ","'),
                        {"p600.csv": PRATIWI_250.read_bytes()})
    assert run_cli(cfg) == 2
    assert "(delimiter is ','; check it too)" in capsys.readouterr().err


def test_bad_input_config_names_a_missing_path(tmp_path):
    cfg = write_project(tmp_path, """
        [[sources]]
        name = "gone"
        format = "text"
        path = "no/such/folder"
        license = "x"
        redistributable = false
        """)
    with pytest.raises(ConfigError, match="names a missing path: no/such/folder"):
        load_config(cfg)
    assert main(["ingest", "--config", str(cfg)]) == 2


def test_bad_input_unreadable_file(tmp_path, capsys, monkeypatch):
    cfg = seed_project(tmp_path)
    locked = tmp_path / "seed/locked.txt"
    locked.write_text("x", encoding="utf-8")
    real_read = type(locked).read_bytes

    def read_bytes(path):  # root reads any file, so the OS refusal is simulated at the call it would fail
        if path.name == "locked.txt":
            raise PermissionError(13, "Permission denied")
        return real_read(path)

    monkeypatch.setattr(type(locked), "read_bytes", read_bytes)
    assert run_cli(cfg) == 2
    assert "locked.txt: cannot read: Permission denied" in capsys.readouterr().err
    assert len(list(read_jsonl(tmp_path / "work/ingest/documents.jsonl"))) == 1


def test_bad_input_directory_with_no_matching_files(tmp_path, capsys):
    cfg = write_project(tmp_path, """
        [[sources]]
        name = "t"
        format = "text"
        path = "t"
        license = "x"
        redistributable = false
        """, {"t/readme.md": "not an article"})
    assert run_cli(cfg) == 2
    assert "source 't' has no file to read (glob '*.txt')" in capsys.readouterr().err


def _rejects(tmp_path) -> list[dict]:
    return list(read_jsonl(tmp_path / "work/ingest/rejects.jsonl"))


def test_bad_input_a_fifo_is_refused_without_being_opened(tmp_path, capsys):
    import os

    cfg = one_source_project(tmp_path, "text", {"t/a.txt": SEED.read_text(encoding="utf-8")})
    os.mkfifo(tmp_path / "t/pipe.txt")  # opening it for reading would block forever
    assert run_cli(cfg) == 2
    err = capsys.readouterr().err
    assert "pipe.txt: not read: not a regular file (a FIFO)" in err
    assert len(list(read_jsonl(tmp_path / "work/ingest/documents.jsonl"))) == 1
    assert [r["reason"] for r in _rejects(tmp_path)] == ["not_a_regular_file"]


def test_bad_input_hidden_and_temporary_files_are_never_read_but_counted(tmp_path):
    text = SEED.read_text(encoding="utf-8")
    cfg = one_source_project(tmp_path, "text", {"t/a.txt": text, "t/.a.txt": text, "t/.git/b.txt": text, "t/c.txt.part": text,
                                  "t/~$d.txt": text})
    assert run_cli(cfg) == 0
    assert len(list(read_jsonl(tmp_path / "work/ingest/documents.jsonl"))) == 1
    assert sorted(r["where"].rsplit("/t/", 1)[1] for r in _rejects(tmp_path)) == [".a.txt", ".git/b.txt", "~$d.txt"]


def test_bad_input_a_link_loop_is_named_as_such(tmp_path, capsys):
    cfg = one_source_project(tmp_path, "text", {"t/a.txt": SEED.read_text(encoding="utf-8")})
    (tmp_path / "t/loop.txt").symlink_to(tmp_path / "t/loop.txt")
    assert run_cli(cfg) == 2
    assert "loop.txt: not read: unreadable path" in capsys.readouterr().err


def test_bad_input_a_csv_quote_never_closed_is_refused_at_its_line_and_the_rows_after_it_are_kept(tmp_path, capsys):
    body = ('text,label\n"Berita satu tentang banjir di kota,valid\n"Berita dua tentang gempa,hoax\n'
            'Berita tiga tentang pemilu,valid\n')
    cfg = one_source_project(tmp_path, "csv", {"t/a.csv": body}, 'labels = { veracity = "label" }')
    assert run_cli(cfg) == 2
    assert "a.csv:2: cannot parse the record of lines 2-3" in capsys.readouterr().err
    docs = list(read_jsonl(tmp_path / "work/ingest/documents.jsonl"))
    assert [(d["text"], [x["value"] for x in d["doc_labels"]]) for d in docs] == [
        ("Berita tiga tentang pemilu", ["valid"])]
    (bad,) = _rejects(tmp_path)
    assert bad["reason"] == "bad_csv_row" and bad["record"] == body.split("\n", 1)[1].rsplit("Berita tiga", 1)[0]


def test_bad_input_a_header_only_csv_is_said(tmp_path, capsys):
    cfg = one_source_project(tmp_path, "csv", {"t/a.csv": "text,label\nBerita tentang banjir,valid\n", "t/h.csv": "text,label\n"}, 'labels = { veracity = "label" }')
    assert run_cli(cfg) == 2
    assert "h.csv: the CSV file has a header but no rows" in capsys.readouterr().err


# -- ids: a property over arbitrary keys and texts ------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from builder.corpus.clean import Cleaner  # noqa: E402
from builder.document import document_validator  # noqa: E402
from builder.corpus.rulesets import load_rule_set  # noqa: E402

_names = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30)


@settings(max_examples=200, deadline=None)
@given(source=_names, key=_names, text_a=st.text(max_size=200), text_b=st.text(max_size=200))
def test_ingest_ids_are_a_function_of_source_and_key_only(source, key, text_a, text_b):
    doc_id = make_doc_id(source, key)
    assert doc_id == make_doc_id(source, key)  # stable across calls and processes (no salted hash)
    assert document_validator().is_valid({"id": doc_id} | _minimal(doc_id))
    cleaner = Cleaner([load_rule_set("generic-id")], min_words=0, language_check=False)
    from builder.document import new_document

    src = {"name": source, "key": key, "license": "x", "redistributable": False, "retrieved_at": "2026-11-26"}
    a = cleaner.clean(new_document(doc_id=doc_id, source=src, language="id", text=text_a)).doc
    b = cleaner.clean(new_document(doc_id=doc_id, source=src, language="id", text=text_b)).doc
    assert a["id"] == b["id"] == doc_id  # cleaning and the text never change the id
    assert (a["text_sha256"] == b["text_sha256"]) == (a["text"] == b["text"])


def _minimal(doc_id: str) -> dict:
    return {
        "schema_version": "1.0.0", "document_id": doc_id, "language": "id", "text": "", "text_sha256": "0" * 64,
        "source": {"name": "s", "key": "k", "license": "x", "redistributable": False, "retrieved_at": "t"},
    }


def test_ingest_ids_are_pinned():
    """Published ids must not change between versions of newsbench: pin a few."""
    assert make_doc_id("kompastv-seed", "000_23d7a92b4fbf0ff3.txt") == "kompastv-seed:2d0cdc4472fb0437"
    assert make_doc_id("Süd Zeitung/2024", "https://x.test/a?b=1") .startswith("S-d-Zeitung-2024:")


def test_bad_input_a_jsonl_line_that_repeats_a_key_is_refused_not_half_read(tmp_path, capsys):
    cfg = one_source_project(tmp_path, "jsonl", {"t/a.jsonl": '{"text": "Berita satu tentang banjir", "text": "dua"}\n'
                                                   '{"text": "Berita tiga tentang pemilu", "note": "\\"text\\": x"}\n'})
    assert run_cli(cfg) == 2
    assert "a.jsonl:1: the line repeats the key(s) 'text'" in capsys.readouterr().err
    assert [d["text"] for d in read_jsonl(tmp_path / "work/ingest/documents.jsonl")] == ["Berita tiga tentang pemilu"]
    assert [r["reason"] for r in _rejects(tmp_path)] == ["bad_json_line"]


def test_bad_input_an_html_page_of_links_only_has_no_main_text(tmp_path, capsys):
    page = ('<html><head><title>Indeks</title></head><body><nav><a href="/">Home</a> <a href="/b">Berita</a></nav>'
            '<footer>Copyright 2024</footer></body></html>')
    cfg = one_source_project(tmp_path, "html", {"t/index.html": page})
    assert run_cli(cfg) == 2
    assert "index.html: no article text found in the page" in capsys.readouterr().err
    assert [r["reason"] for r in _rejects(tmp_path)] == ["no_main_text"]


# -- metadata is never changed silently ----------------------------------------------------------------------

def test_ingest_metadata_that_cannot_serve_its_role_is_kept_as_it_was(tmp_path):
    body = "Berita tentang banjir di kota"
    lines = [
        {"id": "a", "text": body, "title": 2024, "published": "2023-01-05T23:30:00+07:00"},
        {"id": "b", "text": body, "title": ["x"], "published": "5 Januari 2023"},
        {"id": ["k"], "text": body, "published": "2023-02-30"},
        {"id": "d", "text": body, "published": "05/01/2023"},
    ]
    cfg = one_source_project(tmp_path, "jsonl", {"t/a.jsonl": "".join(json.dumps(x) + "\n" for x in lines)},
                             'columns = { key = "id", title = "title", published = "published" }\n'
                             'date_formats = ["%d/%m/%Y"]')
    assert run_cli(cfg) == 0
    docs = list(read_jsonl(tmp_path / "work/ingest/documents.jsonl"))
    got = [(d["source"]["key"][:8], d["title"], d["published"], d["meta"]) for d in docs]
    assert got[0] == ("a", "2024", "2023-01-05", {"published": "2023-01-05T23:30:00+07:00"})
    assert got[1] == ("b", None, None, {"title": ["x"], "published": "5 Januari 2023"})
    assert got[2][1:] == (None, None, {"id": ["k"], "published": "2023-02-30"})  # no 30 February
    assert got[3] == ("d", None, "2023-01-05", {"published": "05/01/2023"})  # read with date_formats
    reasons = sorted((r["reason"], r["where"].rsplit(":", 1)[1]) for r in _rejects(tmp_path))
    assert reasons == [("unread_date", "2"), ("unread_date", "3"), ("unusable_metadata", "2"),
                       ("unusable_metadata", "3")]
    assert all(document_errors(d) == [] for d in docs)


def test_ingest_a_csv_date_in_another_format_is_kept_and_named(tmp_path, capsys):
    cfg = one_source_project(tmp_path, "csv", {"t/a.csv": "text,tanggal\nBerita tentang banjir,05/01/2023\n"},
                             'columns = { published = "tanggal" }')
    assert run_cli(cfg) == 0
    (doc,) = read_jsonl(tmp_path / "work/ingest/documents.jsonl")
    assert doc["published"] is None and doc["meta"] == {"tanggal": "05/01/2023"}
    (bad,) = _rejects(tmp_path)
    assert "add its format to date_formats of source 't'" in bad["detail"]


def test_ingest_encoding_repair_leaves_controls_to_the_cleaning_stage(tmp_path):
    # ftfy repairs the C1 character (cp1252's ellipsis) but must not delete the vertical tab between two words
    text = "Baris satu\x0bbaris dua \u00e2\u20ac\u201d dan\x85"
    fixed, repairs = repair_text(text)
    assert fixed == "Baris satu\x0bbaris dua \u2014 dan\u2026" and repairs == ["ftfy"]
