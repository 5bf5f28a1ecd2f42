"""Features from the label schema, IOB2 conversion with counted left-outs, rows per config and split."""

from __future__ import annotations

import json

import pytest

from builder.release.features import release_features, release_labels, tag_index
from builder.release.rows.builder import RowBuilder
from builder.release.rows.sentences import TokenIndex, contiguous, iob2_tags
from builder.labels import load_label_schema, parse_label_schema
from builder.corpus.segment import segment_text
from tests.helpers.projects import REPO
from tests.helpers.release_fixture import corpus_documents, gold_records

SCHEMA = load_label_schema(REPO / "schema" / "labels.json")
LABELS = release_labels(SCHEMA)
TAGS = tag_index(LABELS.ner_tags)
TEXT = "Presiden Rusia Vladimir Putin tiba di Pyongyang.\nKim Jong Un menyambutnya di bandara."


def index_of(text: str) -> TokenIndex:
    _, sentences = segment_text(text, doc_id="t:1")
    return TokenIndex.of(sentences)


def span(surface: str, label: str, text: str = TEXT) -> tuple[int, int, str]:
    i = text.index(surface)
    return i, i + len(surface), label


def tag_names(tags: bytearray) -> list[str]:
    return [LABELS.ner_tags[t] for t in tags]


def test_dataset_features_take_class_label_names_from_the_label_schema():
    raw = json.loads((REPO / "schema" / "labels.json").read_text())
    raw["entities"]["types"].append({"name": "PRODUCT", "color": "#000000", "hotkey": "x"})
    features = release_features(release_labels(parse_label_schema(raw)))
    names = features["ner"]["ner_tags"].feature.names
    assert names[0] == "O" and names[-2:] == ["B-PRODUCT", "I-PRODUCT"]
    assert features["documents"]["labels"]["veracity"].names == ["hoax", "valid"]
    assert features["claims"]["claim_tags"].feature.names == ["O", "B-CLAIM", "I-CLAIM"]


@pytest.mark.parametrize(
    ("spans", "expected_tagged", "left_out"),
    [
        ([span("Vladimir Putin", "PER")], {"Vladimir": "B-PER", "Putin": "I-PER"}, []),
        # nested: the outer span is placed, the inner one is counted
        ([span("Presiden Rusia Vladimir Putin", "PER"), span("Rusia", "LOC")],
         {"Presiden": "B-PER", "Rusia": "I-PER", "Vladimir": "I-PER", "Putin": "I-PER"},
         [("LOC", "nested_or_overlapping")]),
        # overlapping, neither inside the other
        ([span("Rusia Vladimir", "LOC"), span("Vladimir Putin", "PER")], {"Rusia": "B-LOC", "Vladimir": "I-LOC"},
         [("PER", "nested_or_overlapping")]),
        ([span("ladimir Putin", "PER")], {}, [("PER", "not_on_token_boundary")]),
        ([span("Vladimir Puti", "PER")], {}, [("PER", "not_on_token_boundary")]),
        ([span("Pyongyang.\nKim", "LOC")], {}, [("LOC", "crosses_sentence")]),
    ],
)
def test_dataset_iob2_tags_and_left_out_reasons(spans, expected_tagged, left_out):
    index = index_of(TEXT)
    tags, out = iob2_tags(index, spans, TAGS)
    tokens = [TEXT[a:b] for a, b in zip(index.starts, index.ends)]
    tagged = {tok: tag for tok, tag in zip(tokens, tag_names(tags)) if tag != "O"}
    assert tagged == expected_tagged
    assert out == left_out


def test_dataset_claim_tags_restart_in_each_sentence_a_claim_spans():
    index = index_of(TEXT)
    ids = tag_index(LABELS.claim_tags)
    tags, out = iob2_tags(index, [(0, len(TEXT), "CLAIM")], ids, split_at_sentences=True)
    names = [LABELS.claim_tags[t] for t in tags]
    starts = [index.bounds[k][0] for k in range(len(index.bounds))]
    assert out == [] and [names[i] for i in starts] == ["B-CLAIM", "B-CLAIM"]
    assert names.count("B-CLAIM") == 2 and names.count("O") == 0


def test_dataset_discontinuous_spans_are_counted():
    left: list[tuple[str, str]] = []
    assert contiguous([[0, 3], [5, 8]], "ORG", left) is None
    assert left == [("ORG", "discontinuous")]


def test_dataset_unannotated_documents_stay_out_of_ner_and_claims():
    docs = corpus_documents()[:3]  # documents 0 and 1 have gold, 2 has none
    gold = {g["id"]: g for g in gold_records(corpus_documents())}
    rows = RowBuilder(LABELS, release_features(LABELS))
    for doc in docs:
        g = gold.get(doc["id"])
        layers = ("entities", "claims") if g else ()
        rows.add_document({**doc, **({"entities": g["entities"], "claims": g["claims"]} if g else {})},
                          doc["split"], layers)
    tables = rows.tables()
    ner_docs = {d for t in tables["ner"].values() for d in t.column("document_id").to_pylist()}
    assert ner_docs == {docs[0]["id"], docs[1]["id"]}
    status = {r["id"]: r["annotation_status"] for t in tables["documents"].values() for r in t.to_pylist()}
    assert status == {docs[0]["id"]: "gold", docs[1]["id"]: "gold", docs[2]["id"]: "unannotated"}
    # every sentence of an annotated document is a row, with one tag per token
    train = tables["ner"]["train"]
    assert train.num_rows == len(docs[0]["sentences"]) + len(docs[1]["sentences"])
    for r in train.to_pylist():
        assert len(r["tokens"]) == len(r["ner_tags"]) == len(r["token_offsets"])
    assert rows.stats.left_out == {("ner", "LOC", "not_on_token_boundary"): 1}


def test_dataset_span_status_says_how_the_spans_were_made():
    """Spans a model made are published as silver, never as gold (release.span_status)."""
    docs = corpus_documents()[:2]
    rows = RowBuilder(LABELS, release_features(LABELS), "silver")
    rows.add_document(docs[0], docs[0]["split"], ("entities",))
    rows.add_document(docs[1], docs[1]["split"], ())
    status = {r["id"]: r["annotation_status"] for t in rows.tables()["documents"].values() for r in t.to_pylist()}
    assert status == {docs[0]["id"]: "silver", docs[1]["id"]: "unannotated"}


def test_dataset_claim_rows_carry_checkworthiness_and_speaker():
    doc = corpus_documents()[0]
    text = doc["text"]
    claim_text = "Dalam sesuap daging ikan lele, terkandung 3000 sel kanker."
    a = text.index(claim_text)
    j = text.index("Jakarta")
    doc["entities"] = [{"id": "e1", "type": "LOC", "offsets": [[j, j + 7]], "text": ["Jakarta"]}]
    doc["claims"] = [{"id": "c1", "offsets": [[a, a + len(claim_text)]], "text": [claim_text], "checkworthy": "yes",
                      "kind": "reported", "speaker_id": "e1"}]
    rows = RowBuilder(LABELS, release_features(LABELS))
    rows.add_document(doc, "train", ("entities", "claims"))
    claims = rows.tables()["claims"]["train"].to_pylist()
    hits = [r for r in claims if r["has_claim"]]
    assert [r["text"] for r in hits] == [claim_text]
    assert hits[0]["checkworthy"] is True and hits[0]["speakers"] == ["Jakarta"]
    assert hits[0]["claims"][0]["kind"] == "reported"
    assert not any(r["checkworthy"] for r in claims if not r["has_claim"])
