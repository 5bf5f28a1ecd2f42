"""CoNLL import on the shipped idner-news-2k files; schemes, label mapping, bad input, a round-trip property."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builder.cli import main
from builder.config import config_from_dict
from builder.corpus.imports.conll import ConllOptions, conll_sentences, import_conll, read_conll
from builder.labels import parse_label_map
from builder.tags import detect_scheme
from builder.document import document_errors
from builder.errors import ConfigError, InputError
from builder.jsonl import read_jsonl
from builder.labels import label_schema_of
from builder.stage import StageDir

REPO = Path(__file__).resolve().parents[2]
IDNER = REPO / "data" / "raw" / "idner-news-2k"
SCHEMA = label_schema_of(config_from_dict({}, REPO))
FAST = settings(max_examples=40, deadline=None, derandomize=True)


def run_import(tmp: Path, files: list[Path], **options):
    out = StageDir(tmp / "out")
    if "label_map" in options:
        options["label_map"] = parse_label_map(options["label_map"])
    stats = import_conll(files, out, ConllOptions(source="test", **options), SCHEMA)
    return stats, list(read_jsonl(out.documents)), list(read_jsonl(out.rejects))


def write(path: Path, sentences: list[list[tuple[str, str]]], *, sep: str = "\t", newline: str = "\n") -> Path:
    lines = []
    for sent in sentences:
        lines += [f"{tok}{sep}{tag}" for tok, tag in sent] + [""]
    path.write_bytes(newline.join(lines).encode())
    return path


def entities(doc: dict) -> list[tuple[str, str]]:
    return [(doc["text"][e["offsets"][0][0]:e["offsets"][0][1]], e["type"]) for e in doc["entities"]]


# ---- the shipped files ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def idner(tmp_path_factory: pytest.TempPathFactory):
    files = [IDNER / f"{name}.txt" for name in ("train", "dev", "test")]
    return run_import(tmp_path_factory.mktemp("idner"), files, license="MIT", redistributable=True,
                      retrieved_at="2026-11-26")


def test_conll_idner_counts_match_the_source_table(idner):
    stats, docs, rejects = idner
    by_split = Counter(d["split"] for d in docs)
    assert by_split == {"train": 1464, "validation": 367, "test": 509}
    assert stats["tokens"] == 30248 + 7863 + 10588
    per_split = {s: Counter(e["type"] for d in docs if d["split"] == s for e in d["entities"]) for s in by_split}
    assert per_split["train"] == {"PER": 896, "ORG": 721, "LOC": 579}
    assert per_split["validation"] == {"PER": 221, "ORG": 189, "LOC": 152}
    assert per_split["test"] == {"PER": 515, "ORG": 401, "LOC": 103}
    assert rejects == [] and stats["dropped"] == {}
    assert {f["scheme"] for f in stats["files"].values()} == {"iob2"}


def test_conll_idner_documents_are_valid_and_offsets_exact(idner):
    _, docs, _ = idner
    assert len({d["id"] for d in docs}) == len(docs)
    for doc in docs:
        assert document_errors(doc) == []
        text = doc["text"]
        for e in doc["entities"]:
            (start, end), = e["offsets"]
            assert text[start:end] == e["text"][0] and text[start:end].strip() == text[start:end]
        tokens = [text[a:b] for s in doc["sentences"] for a, b in s["tokens"]]
        assert " ".join(tokens) == text.replace("\n", " ")
    first = docs[0]
    assert first["source"]["license"] == "MIT" and first["source"]["redistributable"] is True
    assert first["meta"]["conll"] == {"file": "train.txt", "line": 1, "sentences": 1}
    assert first["text"].startswith("Berikut adalah tujuh kota di Indonesia")
    assert ("Indonesia", "LOC") in entities(first)


def test_conll_crlf_and_chosen_tag_column(tmp_path):
    # idner lines are "token POS TAG\r\n": column 2 is the tag, column 1 the part of speech
    tokens, tags = conll_sentences(IDNER / "dev.txt", tag_column=2)
    assert (tokens, tags) == conll_sentences(IDNER / "dev.txt")
    assert not any("\r" in t for sent in tokens for t in sent)
    with pytest.raises(InputError, match=r"dev.txt:1: tag 'SCONJ'"):
        run_import(tmp_path, [IDNER / "dev.txt"], tag_column=1)


# ---- schemes ------------------------------------------------------------------------------------------------

SENT = ["Presiden", "Joko", "Widodo", "tiba", "di", "Jakarta", "Pusat", "dan", "Bandung", "."]
GOLD = [("Joko Widodo", "PER"), ("Jakarta Pusat", "LOC"), ("Bandung", "LOC")]


@pytest.mark.parametrize(
    ("scheme", "tags"),
    [
        ("iob2", ["O", "B-PER", "I-PER", "O", "O", "B-LOC", "I-LOC", "O", "B-LOC", "O"]),
        ("iob1", ["O", "I-PER", "I-PER", "O", "O", "I-LOC", "I-LOC", "O", "I-LOC", "O"]),
        ("bioes", ["O", "B-PER", "E-PER", "O", "O", "B-LOC", "E-LOC", "O", "S-LOC", "O"]),
    ],
)
def test_conll_schemes_are_detected_and_decoded(tmp_path, scheme, tags):
    path = write(tmp_path / "x.txt", [list(zip(SENT, tags))])
    assert detect_scheme(s.tags for s in read_conll(path)).scheme == scheme
    stats, docs, _ = run_import(tmp_path, [path])
    assert stats["files"][str(path)]["scheme"] == scheme
    assert stats["files"][str(path)]["ill_formed_chunks"] == 0
    assert entities(docs[0]) == GOLD


def test_conll_iob1_b_separates_adjacent_chunks(tmp_path):
    path = write(tmp_path / "x.txt", [[("Jakarta", "I-LOC"), ("Bandung", "B-LOC"), ("ya", "O")]])
    _, docs, _ = run_import(tmp_path, [path], scheme="iob1")
    assert entities(docs[0]) == [("Jakarta", "LOC"), ("Bandung", "LOC")]


def test_conll_ill_formed_iob2_is_counted_and_read_like_conlleval(tmp_path):
    path = write(tmp_path / "x.txt", [[("Bapak", "B-PER"), ("Joko", "I-PER"), ("di", "O"), ("Jakarta", "I-LOC")]])
    stats, docs, _ = run_import(tmp_path, [path], scheme="iob2")
    assert stats["files"][str(path)]["ill_formed_chunks"] == 1
    assert entities(docs[0]) == [("Bapak Joko", "PER"), ("Jakarta", "LOC")]


def test_conll_declared_iob2_refuses_bioes_tags(tmp_path):
    path = write(tmp_path / "x.txt", [[("Bandung", "S-LOC")]])
    with pytest.raises(InputError, match="E-/S- tags in a file declared iob2"):
        run_import(tmp_path, [path], scheme="iob2")


# ---- label mapping ---------------------------------------------------------------------------------------------

NERP_LIKE = [
    [("amos", "B-PPL"), ("kenda", "I-PPL"), ("makan", "O"), ("croissant", "B-FNB"), ("di", "O"), ("manado", "B-PLC")],
    [("festival", "B-EVT"), ("film", "I-EVT"), ("oleh", "O"), ("garuda", "B-IND"), ("dan", "O"), ("kopi", "B-FNB")],
]


def test_conll_label_map_maps_and_counts_unmapped(tmp_path):
    path = write(tmp_path / "train_preprocess.txt", NERP_LIKE)
    stats, docs, rejects = run_import(tmp_path, [path],
                                      label_map={"PPL": "PER", "PLC": "LOC", "IND": "ORG", "EVT": "EVENT"})
    assert [entities(d) for d in docs] == [
        [("amos kenda", "PER"), ("manado", "LOC")],
        [("festival film", "EVENT"), ("garuda", "ORG")],
    ]
    assert stats["dropped_by_label"] == {"unmapped_label:FNB": 2}
    assert [(r["reason"], r["detail"], r["record"]["tokens"]) for r in rejects] == [
        ("unmapped_label", "FNB", ["croissant"]), ("unmapped_label", "FNB", ["kopi"])]
    assert rejects[0]["where"].endswith("train_preprocess.txt:4")
    assert {d["split"] for d in docs} == {"train"}


def test_conll_label_mapped_to_empty_is_dropped_on_purpose(tmp_path):
    path = write(tmp_path / "x.txt", NERP_LIKE)
    stats, _, _ = run_import(tmp_path, [path], label_map={"PPL": "PER", "FNB": ""})
    assert stats["dropped_by_label"] == {"dropped_label:FNB": 2, "unmapped_label:EVT": 1,
                                         "unmapped_label:IND": 1, "unmapped_label:PLC": 1}


def test_conll_label_map_to_unknown_type_is_refused(tmp_path):
    path = write(tmp_path / "x.txt", NERP_LIKE)
    with pytest.raises(ConfigError, match="'FNB' to 'FOOD', which is not an entity type"):
        run_import(tmp_path, [path], label_map={"FNB": "FOOD"})


# ---- documents, bad input, CLI -------------------------------------------------------------------------------


def test_conll_docstart_and_sentences_per_doc(tmp_path):
    path = tmp_path / "d.txt"
    path.write_text("-DOCSTART- O\n\nA B-PER\nb O\n\nC B-LOC\n\n-DOCSTART- O\n\nD B-ORG\n")
    _, docs, _ = run_import(tmp_path, [path])
    assert [d["text"] for d in docs] == ["A b\nC", "D"]
    assert [len(d["sentences"]) for d in docs] == [2, 1]
    assert entities(docs[0]) == [("A", "PER"), ("C", "LOC")]
    _, docs, _ = run_import(tmp_path, [write(tmp_path / "e.txt", NERP_LIKE * 3)], sentences_per_doc=2)
    assert [len(d["sentences"]) for d in docs] == [2, 2, 2]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("Jakarta B-LOC\nonly\n", r"x.txt:2: line has 1 column"),
        ("Jakarta X-LOC\n", r"x.txt:1: tag 'X-LOC' is not O"),
        ("Jakarta BLOC\n", r"x.txt:1: tag 'BLOC': the prefix must be followed by '-'"),
    ],
)
def test_conll_bad_lines_are_located(tmp_path, content, message):
    path = tmp_path / "x.txt"
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        run_import(tmp_path, [path])


def test_conll_wrong_encoding_is_located(tmp_path):
    path = tmp_path / "x.txt"
    path.write_bytes("Sukabumi\tB-LOC\ncafé\tO\n".encode("cp1252"))
    with pytest.raises(InputError, match="x.txt: not utf-8"):
        run_import(tmp_path, [path])


def test_conll_bom_and_control_characters_never_reach_the_text_and_are_counted(tmp_path):
    path = tmp_path / "x.txt"
    path.write_bytes(b"\xef\xbb\xbfJoko\tB-PER\nWi\x00dodo\tI-PER\n" + "tiba\u200b\tO\n\n".encode())
    stats, (doc,), _ = run_import(tmp_path, [path])
    assert doc["text"] == "Joko Widodo tiba" and entities(doc) == [("Joko Widodo", "PER")]
    assert stats["files"][str(path)]["tokens_cleaned"] == 2


def test_conll_unknown_encoding_is_one_line_with_the_fix(tmp_path, capsys):
    path = write(tmp_path / "x.txt", [[("Sukabumi", "B-LOC")]])
    assert main(["import", "conll", str(path), "--source", "x", "--encoding", "nosuch",
                 "--output-dir", str(tmp_path / "o")]) == 2
    assert "--encoding: unknown encoding 'nosuch' (fix: use a Python codec name" in capsys.readouterr().err


def test_conll_cli_writes_documents(tmp_path):
    path = write(tmp_path / "test.txt", NERP_LIKE, sep=" ", newline="\r\n")
    code = main(["import", "conll", str(path), "--source", "nerp-like", "--map", "PPL=PER", "--map", "FNB=",
                 "--output-dir", str(tmp_path / "o")])
    assert code == 0
    docs = list(read_jsonl(tmp_path / "o" / "documents.jsonl"))
    assert [d["split"] for d in docs] == ["test", "test"] and entities(docs[0]) == [("amos kenda", "PER")]
    assert main(["import", "conll", str(path), "--source", "x", "--map", "PPL"]) == 2


# ---- property: spans survive every scheme -------------------------------------------------------------------

TYPES = ["PER", "LOC", "ORG"]


def encode(length: int, spans: list[tuple[int, int, str]], scheme: str) -> list[str]:
    tags = ["O"] * length
    ordered = sorted(spans)
    for k, (start, end, label) in enumerate(ordered):
        for i in range(start, end):
            tags[i] = f"I-{label}"
        if scheme == "iob2":
            tags[start] = f"B-{label}"
        elif scheme == "iob1":
            touching = k and ordered[k - 1][1] == start and ordered[k - 1][2] == label
            tags[start] = f"B-{label}" if touching else f"I-{label}"
        else:
            tags[start] = f"B-{label}" if end - start > 1 else f"S-{label}"
            if end - start > 1:
                tags[end - 1] = f"E-{label}"
    return tags


@st.composite
def sentences(draw):
    out = []
    for _ in range(draw(st.integers(1, 4))):
        length = draw(st.integers(1, 12))
        cuts = sorted(draw(st.sets(st.integers(0, length), max_size=8)) | {0, length})
        spans = [(a, b, draw(st.sampled_from(TYPES))) for a, b in pairwise(cuts) if draw(st.booleans())]
        out.append((length, spans))
    return out


@FAST
@given(sentences(), st.sampled_from(["iob1", "iob2", "bioes"]))
def test_conll_spans_round_trip_through_every_scheme(tmp_path_factory, sents, scheme):
    tmp = tmp_path_factory.mktemp("rt")
    rows = [[(f"w{i}", tag) for i, tag in enumerate(encode(n, spans, scheme))] for n, spans in sents]
    path = write(tmp / "x.txt", rows)
    _, docs, _ = run_import(tmp, [path], scheme=scheme, sentences_per_doc=10)
    text = docs[0]["text"]
    got = [(e["offsets"][0][0], e["offsets"][0][1], e["type"]) for e in docs[0]["entities"]]
    want = []
    for sent, (n, spans) in zip(docs[0]["sentences"], sents):
        want += [(sent["tokens"][a][0], sent["tokens"][b - 1][1], label) for a, b, label in sorted(spans)]
    assert got == want and all(text[a:b] for a, b, _ in got)


def test_conll_imported_entities_become_predictions_for_review(idner):
    from builder.annotate.preannotate import ImportedEntities

    _, docs, _ = idner
    (pre,) = ImportedEntities("idner-news-2k-gold").predict(docs[:1])
    assert pre.model_version == "idner-news-2k-gold" and pre.doc_id == docs[0]["id"]
    assert [(docs[0]["text"][r.start:r.end], r.label, r.layer) for r in pre.regions] == \
           [(t, label, "entity") for t, label in entities(docs[0])]


def test_conll_imported_entities_are_a_named_preannotator():
    from builder.annotate.preannotate import ImportedEntities
    from builder.annotate.preannotate import make_preannotator

    assert isinstance(make_preannotator("imported"), ImportedEntities)
