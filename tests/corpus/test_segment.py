"""Segment rules on the real seed article and Pratiwi texts; offset invariants as Hypothesis properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builder.stage import run_stage
from builder.cli import main
from builder.config import config_from_dict
from builder.document import document_errors, new_document
from builder.errors import ConfigError
from builder.jsonl import read_jsonl, write_jsonl
from builder.corpus.segment import Segment, segment_document, segment_text
from builder.stage import StageDir
from tests.helpers.projects import SEED, pratiwi_rows, write_project


def sentences_of(text: str, **kwargs) -> list[str]:
    return [text[s["start"] : s["end"]] for s in segment_text(text, **kwargs)[1]]


def tokens_of(text: str, **kwargs) -> list[str]:
    return [text[a:b] for s in segment_text(text, **kwargs)[1] for a, b in s["tokens"]]


def make_doc(text: str, doc_id: str = "test:0000000000000000", language: str = "id") -> dict:
    return new_document(
        doc_id=doc_id,
        source={
            "name": "test",
            "key": doc_id,
            "license": "x",
            "redistributable": False,
            "retrieved_at": "2026-11-26",
        },
        language=language,
        text=text,
    )


def check_invariants(text: str, passages: list[dict], sentences: list[dict]) -> None:
    """Everything the schema cannot say: spans slice the text, nest, keep order, and tokens cover it."""
    owner = [0] * len(text)
    para_by_id = {}
    last_end = 0
    for p in passages:
        assert p["type"] == "paragraph" and len(p["offsets"]) == 1
        s, e = p["offsets"][0]
        assert last_end <= s < e <= len(text)
        assert not text[s].isspace() and not text[e - 1].isspace()
        assert not any(ch in text[s:e] for ch in "\n\r\u2028\u2029\x0b\x0c\x85\x1c\x1d\x1e")
        para_by_id[p["id"]] = (s, e)
        last_end = e
    last_end = 0
    for sent in sentences:
        s, e = sent["start"], sent["end"]
        ps, pe = para_by_id[sent["passage_id"]]
        assert last_end <= s < e and ps <= s and e <= pe
        assert not text[s].isspace() and not text[e - 1].isspace()
        assert sent["tokens"][0][0] == s and sent["tokens"][-1][1] == e
        last = s
        for a, b in sent["tokens"]:
            assert last <= a < b <= e
            assert not any(ch.isspace() for ch in text[a:b]), text[a:b]
            for i in range(a, b):
                owner[i] += 1
            last = b
        last_end = e
    for i, ch in enumerate(text):
        assert owner[i] == (0 if ch.isspace() else 1), (i, ch, text)
    ids = [p["id"] for p in passages] + [s["id"] for s in sentences]
    assert len(set(ids)) == len(ids)


# --- sentences on real text -------------------------------------------------------------------------------

SEED_TEXT = SEED.read_text(encoding="utf-8")
SEED_LINES = SEED_TEXT.splitlines()
PRATIWI = pratiwi_rows()


def test_segment_seed_has_one_passage_per_line_and_quotes_stay_in_their_sentence():
    passages, sentences = segment_text(SEED_TEXT, doc_id="seed:1")
    check_invariants(SEED_TEXT, passages, sentences)
    assert [SEED_TEXT[p["offsets"][0][0] : p["offsets"][0][1]] for p in passages] == SEED_LINES
    texts = [SEED_TEXT[s["start"] : s["end"]] for s in sentences]
    assert texts[0].startswith("PYONGYANG, KOMPAS.TV - Presiden Rusia") and texts[0].endswith("Serikat (AS).")
    assert texts[7].startswith('"Kita akan terus') and texts[7].endswith('masing-masing," kata Putin.')
    assert "Di ibu kota Pyongyang, jalan-jalan dihiasi dengan potret Putin dan bendera Rusia." in texts
    assert (
        'Sebuah spanduk di salah satu gedung bertuliskan, "Kami menyambut hangat Presiden Federasi Rusia."'
        in texts
    )
    assert len(texts) == len(SEED_LINES) + 2  # two lines hold two sentences each
    assert sentences[0]["id"] == "seed:1-s0" and passages[-1]["id"] == f"seed:1-p{len(SEED_LINES) - 1}"


@pytest.mark.parametrize(
    "text, expected",
    [
        # the seed's quote closing a sentence, followed by more text in the same paragraph
        (
            'bertuliskan, "Kami menyambut hangat Presiden Federasi Rusia." Putin juga menekankan hal itu.',
            [
                'bertuliskan, "Kami menyambut hangat Presiden Federasi Rusia."',
                "Putin juga menekankan hal itu.",
            ],
        ),
        (
            '"Kita akan menentang ambisi Barat yang adil," kata Putin. Ia tiba di Pyongyang.',
            ['"Kita akan menentang ambisi Barat yang adil," kata Putin.', "Ia tiba di Pyongyang."],
        ),
        ('"Merdeka!" teriak mereka. Lalu bubar.', ['"Merdeka!" teriak mereka.', "Lalu bubar."]),
        ("Ia berkata (dengan pelan.) Kami diam.", ["Ia berkata (dengan pelan.)", "Kami diam."]),
        ("Benarkah? Ya! Tentu…  Baiklah?! Oke.", ["Benarkah?", "Ya!", "Tentu…", "Baiklah?!", "Oke."]),
        # Pratiwi texts put a space before the period
        (
            "menjadi sumber penyakit . Beberapa informasi kami peroleh .",
            ["menjadi sumber penyakit .", "Beberapa informasi kami peroleh ."],
        ),
        # "final" abbreviations end a sentence before a capital only (Pratiwi rows 19 and 527)
        (
            "termasuk bangkai ayam dll. Menurut seorang peternak lele.",
            ["termasuk bangkai ayam dll.", "Menurut seorang peternak lele."],
        ),
        (
            "Telegram, Tumblr, Vimeo, dsb. Kendati berani memblokir.",
            ["Telegram, Tumblr, Vimeo, dsb.", "Kendati berani memblokir."],
        ),
        ("Ikan kaya vitamin D. Daging ikan lele juga.", ["Ikan kaya vitamin D.", "Daging ikan lele juga."]),
        (
            "Berikut caranya: 1. Buka aplikasi. 2. Klik tombol.",
            ["Berikut caranya: 1.", "Buka aplikasi.", "2. Klik tombol."],
        ),
        ("中文句子。第二句！最后", ["中文句子。", "第二句！", "最后"]),
        ("नमस्ते दुनिया। ठीक है।", ["नमस्ते दुनिया।", "ठीक है।"]),
    ],
)
def test_segment_sentence_ends(text, expected):
    assert sentences_of(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Kantor itu di Jl. Sudirman No. 5 Jakarta.",
        "Penelitian Rahman dkk. menunjukkan hasil serupa.",
        "Ia diwawancarai oleh Prof. Dr. Ahmad di kampus.",
        "Rombongan dipimpin H. Ahmad dan Hj. Aminah dari Bogor.",
        "Rumah Tn. Budi dan Ny. Siti di St. Carolus sudah siap.",
        "Warga Kec. Menteng dan Kab. Bogor hadir.",
        "Surat untuk Sdr. Andi dikirim a.n. Kepala Desa.",
        "Sayur, buah, dll. tersedia di pasar.",
        "Barang seperti meja, kursi, dsb. dijual murah.",
        "Kepada yth. Bapak Gubernur di tempat.",
        "Pengacara Budi Santoso, S.H. mengatakan hal itu.",
        "Dosen Ani, M.Si. menjelaskan hasilnya.",
        "Harga lele juga masih stabil Rp. 18000 perkilonya.",
        "Hal itu dikatakan A. Rahman kepada wartawan.",
        "Rektor dijabat oleh Prof. Dr. H. A. Rahman, S.H., M.Si. Kemarin.",
        "Putin tiba pada Rabu (19/6/2024) pukul 10.30 waktu setempat.",
        "Inflasi naik 1,5 persen atau 2.5 poin menjadi 1.000.000 unit.",
        "Lihat https://www.amazon.com/dp/B0152BO0F2?psc=1 dan kirim ke infomed@kemlu.go.id segera.",
        "Untuk menanggapi postingan seorang teman... tolong tabayyun dulu ya.",
        "Penduduknya... eh, maksud saya warganya, ramah.",
        "Menurut Peraturan Pemerintah No. 75 Tahun 2000, gaji naik.",
    ],
)
def test_segment_no_split_after_abbreviations_numbers_urls_and_mid_sentence_ellipses(text):
    result = sentences_of(text)
    if text.endswith("Kemarin."):  # a degree ends a sentence before a capital: the one split allowed here
        assert result == ["Rektor dijabat oleh Prof. Dr. H. A. Rahman, S.H., M.Si.", "Kemarin."]
    else:
        assert result == [text]


def test_segment_configured_abbreviations_and_languages_are_data():
    text = "Ia dilantik Gub. Anies di balai kota."
    assert len(sentences_of(text)) == 2
    assert sentences_of(text, abbreviations=["Gub."]) == [text]
    assert sentences_of(text, abbreviations=["gub"]) == [text]
    # a language without a list gets only the generic rules; English has its own list
    assert sentences_of("Kantor di Jl. Sudirman.", language="xx") == ["Kantor di Jl.", "Sudirman."]
    assert sentences_of("Kantor di Jl. Sudirman.", language="id-ID") == ["Kantor di Jl. Sudirman."]
    assert sentences_of("We met Mr. Smith, etc. Then we left.", language="en") == [
        "We met Mr. Smith, etc.",
        "Then we left.",
    ]


@pytest.mark.parametrize("bad", ["", "Jl Sudirman", 5, None])
def test_segment_rejects_malformed_configured_abbreviations(bad):
    with pytest.raises(ConfigError, match="segment.abbreviations"):
        segment_text("Teks.", abbreviations=[bad])


# --- tokens -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("jalan-jalan ke-2 Jum'at Jum’at", ["jalan-jalan", "ke-2", "Jum'at", "Jum’at"]),
        ("Rabu (19/6/2024) pukul 10.30", ["Rabu", "(", "19/6/2024", ")", "pukul", "10.30"]),
        (
            "naik 1,5 dan 2.5 jadi 1.000.000 atau Rp10.000,-",
            ["naik", "1,5", "dan", "2.5", "jadi", "1.000.000", "atau", "Rp10.000", ",", "-"],
        ),
        (
            "Prof. Dr. H. A. Rahman, S.H., M.Si.",
            ["Prof.", "Dr.", "H.", "A.", "Rahman", ",", "S.H.", ",", "M.Si."],
        ),
        ("Jl. Sudirman No. 5 a.n. Budi, dll.", ["Jl.", "Sudirman", "No.", "5", "a.n.", "Budi", ",", "dll."]),
        ("stabil Rp. 18000 perkilonya,", ["stabil", "Rp.", "18000", "perkilonya", ","]),
        (
            "lihat http://www.amazon.com/dp/B0152BO0F2?psc=1.",
            ["lihat", "http://www.amazon.com/dp/B0152BO0F2?psc=1", "."],
        ),
        (
            "ke infomed@kemlu.go.id atau (www.kompas.tv).",
            ["ke", "infomed@kemlu.go.id", "atau", "(", "www.kompas.tv", ")", "."],
        ),
        ("PYONGYANG, KOMPAS.TV - Presiden", ["PYONGYANG", ",", "KOMPAS.TV", "-", "Presiden"]),
        (
            "akun ringan@KitKat. #Pemilu2024 @jokowi",
            ["akun", "ringan", "@KitKat", ".", "#Pemilu2024", "@jokowi"],
        ),
        ("Wah 😀👍🏽🇮🇩!", ["Wah", "😀", "👍🏽", "🇮🇩", "!"]),
        (
            "keluarga \U0001f468\u200d\U0001f469\u200d\U0001f467 ok",
            ["keluarga", "\U0001f468\u200d\U0001f469\u200d\U0001f467", "ok"],
        ),
        ("cafe\u0301 ki\u0300", ["cafe\u0301", "ki\u0300"]),  # combining marks stay in their word
        ('"Ya... (tidak)?!"', ['"', "Ya", "...", "(", "tidak", ")", "?", "!", '"']),
        ("vitamin D.", ["vitamin", "D", "."]),  # not an initial: the period ends the sentence
        ("中文句子。ภาษาไทย नमस्ते", ["中", "文", "句", "子", "。", "ภาษาไทย", "नमस्ते"]),
    ],
)
def test_segment_tokens(text, expected):
    assert tokens_of(text) == expected


@pytest.mark.parametrize(
    "text, n_tokens",
    [
        # long runs that a backtracking pattern would rescan from every position (quadratic time)
        ("Kata " + "." * 20000, 2),
        ("http://" + "." * 20000, 5),
        ("x@y " + "a." * 10000 + "a", 2 + 10000 // 6 + 2),  # dotted abbreviations hold at most 6 letters
        ("Ya." + '"' * 20000, 20002),
    ],
)
def test_segment_long_runs_stay_linear_and_covered(text, n_tokens):
    passages, sentences = segment_text(text)
    check_invariants(text, passages, sentences)
    assert sum(len(s["tokens"]) for s in sentences) == n_tokens


def test_segment_paragraphs_follow_line_breaks_of_any_kind():
    text = "  Satu dua.\r\nTiga.\n\n\u2028 Empat lima. \rEnam  "
    passages, sentences = segment_text(text)
    check_invariants(text, passages, sentences)
    assert [text[a:b] for p in passages for a, b in p["offsets"]] == [
        "Satu dua.",
        "Tiga.",
        "Empat lima.",
        "Enam",
    ]
    assert [s["passage_id"] for s in sentences] == ["p0", "p1", "p2", "p3"]
    assert segment_text("") == ([], []) and segment_text(" \n\t ") == ([], [])


@pytest.mark.parametrize("row", range(0, 600, 7))
def test_segment_pratiwi_articles_keep_invariants_and_validate(row):
    text, _label = PRATIWI[row]
    doc = segment_document(make_doc(text, doc_id=f"pratiwi2017-600:{row:016d}"))
    check_invariants(text, doc["passages"], doc["sentences"])
    assert document_errors(doc) == []
    assert all(s["id"].startswith(f"pratiwi2017-600:{row:016d}-s") for s in doc["sentences"])


def test_segment_pratiwi_real_cases():
    rows = PRATIWI
    one = rows[1][0]
    assert "Rp." in tokens_of(one) and "18000" in tokens_of(one)
    assert any(s.endswith("di Medan dan masih stabil dan tidak berpengaruh.") for s in sentences_of(one))
    assert "543,461" in tokens_of(rows[0][0]) and "29,98" in tokens_of(rows[0][0])
    sents = sentences_of(rows[73][0])
    assert any("kata Prof. Dr. Dr. Mohammad Hasan Machfoed" in s for s in sents)


# --- properties -------------------------------------------------------------------------------------------

PIECES = [
    "Jl.",
    "dkk.",
    "No.",
    "Prof.",
    "Dr.",
    "H.",
    "A.",
    "S.H.",
    "M.Si.",
    "a.n.",
    "dll.",
    "Rp.",
    "Rp10.000",
    "19/6/2024",
    "10.30",
    "1,5",
    "2.5",
    "1.000.000",
    "jalan-jalan",
    "Jum'at",
    "https://x.co/a?b=1",
    "a@b.id",
    "#tag",
    "@user",
    "...",
    "…",
    ".",
    "?",
    "!",
    ",",
    '"',
    "“",
    "”",
    "(",
    ")",
    "'",
    "Kemudian",
    "kata",
    "Putin",
    "1.",
    "😀",
    "👍🏽",
    "🇮🇩",
    "中文",
    "。",
    "ภาษา",
    "नमस्ते",
    "।",
    "\u0301",
    "\u200d",
    "\ufe0f",
]
SPACES = [" ", " ", " ", "", "\n", "\r\n", "\t", "\u00a0", "\u2028", "  "]
realistic = st.lists(st.tuples(st.sampled_from(PIECES), st.sampled_from(SPACES)), max_size=40).map(
    lambda parts: "".join(p + s for p, s in parts)
)
any_text = st.text(st.characters(codec="utf-8"), max_size=200)


@settings(max_examples=300, deadline=None)
@given(st.one_of(realistic, any_text, st.text(alphabet=" \n\r\t.!?\"'()…。a Z1", max_size=60)))
def test_segment_property_offsets_slice_cover_nest_and_are_deterministic(text):
    passages, sentences = segment_text(text, doc_id="t:1")
    check_invariants(text, passages, sentences)
    assert segment_text(text, doc_id="t:1") == (passages, sentences)
    doc = make_doc(text)
    segment_document(doc)
    assert document_errors(doc) == []


# --- the stage --------------------------------------------------------------------------------------------


def _write_input(path, texts):
    docs = [make_doc(t, doc_id=f"test:{i:016x}") for i, t in enumerate(texts)]
    write_jsonl(path, docs)
    return docs


@pytest.mark.parametrize("workers", [1, 2])
def test_run_segment_writes_documents_stats_and_rejects(tmp_path, workers):
    texts = [SEED_TEXT, *(t for t, _ in PRATIWI[:5]), "", "  \n "]
    _write_input(tmp_path / "in.jsonl", texts)
    config = config_from_dict({"segment": {"workers": workers, "batch_size": 2}}, tmp_path)
    out = StageDir(tmp_path / "segment")
    stats = run_stage(Segment(config), tmp_path / "in.jsonl", out)
    docs = list(read_jsonl(out.documents))
    assert [d["id"] for d in docs] == [f"test:{i:016x}" for i in range(6)]
    for doc in docs:
        assert document_errors(doc) == []
        check_invariants(doc["text"], doc["passages"], doc["sentences"])
    sentence_ids = [s["id"] for d in docs for s in d["sentences"]]
    assert len(sentence_ids) == len(set(sentence_ids))
    rejects = list(read_jsonl(out.rejects))
    assert [(r["reason"], r["id"]) for r in rejects] == [
        ("empty_text", "test:0000000000000006"),
        ("empty_text", "test:0000000000000007"),
    ]
    assert rejects[1]["record"]["text"] == "  \n "
    assert stats["documents_in"] == 8 and stats["documents_out"] == 6
    assert stats["documents_dropped"] == {"empty_text": 2}
    assert stats["sentences"] == len(sentence_ids)
    assert stats["paragraphs"] == sum(len(d["passages"]) for d in docs)
    assert stats["tokens"] == sum(len(s["tokens"]) for d in docs for s in d["sentences"])
    assert stats["sentences_per_document"] == round(len(sentence_ids) / 6, 2)
    assert out.stats.is_file()


def test_run_segment_is_deterministic_across_worker_counts(tmp_path):
    _write_input(tmp_path / "in.jsonl", [t for t, _ in PRATIWI[:40]])
    outputs = []
    for workers in (1, 2):
        out = StageDir(tmp_path / f"w{workers}")
        run_stage(Segment(config_from_dict({"segment": {"workers": workers, "batch_size": 3}}, tmp_path)),
            tmp_path / "in.jsonl",
            out,
        )
        outputs.append(out.documents.read_bytes())
    assert outputs[0] == outputs[1]


def test_run_segment_rejects_records_without_text_and_uses_configured_abbreviations(tmp_path):
    doc = make_doc("Ia dilantik Gub. Anies kemarin. Lalu pulang.")
    broken = make_doc("x", doc_id="test:0000000000000001")
    del broken["text"]
    write_jsonl(tmp_path / "in.jsonl", [doc, broken])
    config = config_from_dict({"segment": {"abbreviations": ["Gub."], "workers": 1}}, tmp_path)
    out = StageDir(tmp_path / "out")
    stats = run_stage(Segment(config), tmp_path / "in.jsonl", out)
    (written,) = read_jsonl(out.documents)
    assert [written["text"][s["start"] : s["end"]] for s in written["sentences"]] == [
        "Ia dilantik Gub. Anies kemarin.",
        "Lalu pulang.",
    ]
    assert stats["documents_dropped"] == {"text_missing": 1}


@pytest.mark.parametrize(
    "section, match",
    [
        ({"abbreviations": "Gub."}, r"\[segment\] abbreviations is the string 'Gub.', not a list of strings"),
        ({"abbreviations": ["Gub. Anies"]}, "not an abbreviation"),
        ({"batch_size": 0}, r"\[segment\] batch_size is 0"),
        ({"workers": -1}, r"\[segment\] workers is -1"),
    ],
)
def test_run_segment_bad_config(tmp_path, section, match):
    write_jsonl(tmp_path / "in.jsonl", [make_doc("Teks.")])
    with pytest.raises(ConfigError, match=match):
        run_stage(Segment(config_from_dict({"segment": section}, tmp_path)), tmp_path / "in.jsonl",
                  StageDir(tmp_path / "o"))


def test_segment_command_runs_and_reports_bad_input(tmp_path, capsys):
    config = write_project(tmp_path, '[project]\nwork_dir = "work"\n')
    _write_input(tmp_path / "in.jsonl", [SEED_TEXT])
    argv = ["segment", "--config", str(config), "--input", str(tmp_path / "in.jsonl"), "--no-progress"]
    assert main(argv) == 0
    (doc,) = read_jsonl(tmp_path / "work/segment/documents.jsonl")
    assert len(doc["sentences"]) == len(SEED_LINES) + 2
    assert main(["segment", "--config", str(config), "--input", str(tmp_path / "missing.jsonl")]) == 2
    assert "missing.jsonl" in capsys.readouterr().err
    (tmp_path / "bad.jsonl").write_text('{"id": "a:b", "text": "x"}\n[1, 2]\n', encoding="utf-8")
    assert (
        main(
            [
                "segment",
                "--config",
                str(config),
                "--input",
                str(tmp_path / "bad.jsonl"),
                "--no-progress",
                "--segment.workers",
                "1",
            ]
        )
        == 2
    )
    assert "bad.jsonl:2" in capsys.readouterr().err
