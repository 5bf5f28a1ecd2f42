"""The pre-annotator interface and the rule pre-annotator on the shipped articles."""

from __future__ import annotations

import json

import pytest

from builder.errors import ConfigError
from builder.annotate.preannotate import make_preannotator
from builder.bench.baselines.rules import RulePreAnnotator, load_gazetteer, sentence_spans
from builder.spans import PreAnnotation, PreAnnotator
from tests.helpers.projects import SEED, pratiwi_rows

SEED_TEXT = SEED.read_text(encoding="utf-8")


def _spans(pre: PreAnnotation, text: str, layer: str, label: str | None = None) -> list[str]:
    return [text[r.start:r.end] for r in pre.regions if r.layer == layer and (label is None or r.label == label)]


@pytest.fixture(scope="module")
def seed_pre() -> PreAnnotation:
    return RulePreAnnotator().predict_one({"id": "seed:1", "text": SEED_TEXT})


def test_preannotate_rules_implement_the_interface():
    pre: PreAnnotator = RulePreAnnotator()
    docs = [{"id": f"d:{i}", "text": text} for i, (text, _) in enumerate(pratiwi_rows()[:5])]
    out = list(pre.predict(iter(docs)))
    assert [p.doc_id for p in out] == [d["id"] for d in docs]
    assert all(p.model_version == pre.model_version for p in out)


def test_preannotate_seed_entities(seed_pre):
    assert "Vladimir Putin" in _spans(seed_pre, SEED_TEXT, "entity", "PER")
    assert "Rabu (19/6/2024)" in _spans(seed_pre, SEED_TEXT, "entity", "DATE")
    assert {"Korea Utara", "Pyongyang", "Rusia"} <= set(_spans(seed_pre, SEED_TEXT, "entity", "LOC"))
    assert {"KCNA", "Dewan Keamanan PBB"} <= set(_spans(seed_pre, SEED_TEXT, "entity", "ORG"))
    # the title is not part of the name, and nested acronyms are not marked inside a longer name
    assert "Presiden Rusia Vladimir Putin" not in _spans(seed_pre, SEED_TEXT, "entity")
    assert not any(r.label == "ORG" and SEED_TEXT[r.start:r.end] == "PBB" for r in seed_pre.regions)


def test_preannotate_quote_has_its_speaker(seed_pre):
    regions = {r.id: r for r in seed_pre.regions}
    quote = next(r for r in seed_pre.regions if r.layer == "claim" and r.attributes["kind"] == "quote")
    assert SEED_TEXT[quote.start:quote.end].startswith("Kita akan terus dengan tegas menentang ambisi Barat")
    assert not SEED_TEXT[quote.start:quote.end].startswith('"')
    rel = next(r for r in seed_pre.relations if r.from_id == quote.id)
    speaker = regions[rel.to_id]
    assert rel.type == "said_by" and speaker.label == "PER" and SEED_TEXT[speaker.start:speaker.end] == "Putin"
    assert speaker.start > quote.end  # "... ," kata Putin.


def test_preannotate_menurut_and_hedges():
    text = ("Menurut Kementerian Kesehatan, angka kasus naik 20 persen pada Januari 2024. "
            "Pejabat itu diduga menerima suap. Cuaca cerah.")
    pre = RulePreAnnotator().predict_one({"id": "x:1", "text": text})
    claims = {text[r.start:r.end]: r for r in pre.regions if r.layer == "claim"}
    reported = claims["angka kasus naik 20 persen pada Januari 2024"]
    assert reported.attributes == {"checkworthy": "yes", "kind": "reported"}
    speaker = next(r for r in pre.regions if r.id == pre.relations[0].to_id)
    assert text[speaker.start:speaker.end] == "Kementerian Kesehatan" and speaker.label == "ORG"
    assert "Pejabat itu diduga menerima suap" in claims  # spans end before the full stop
    assert not any("Cuaca" in c for c in claims)


def test_preannotate_regions_are_valid_on_real_articles():
    pre = RulePreAnnotator()
    for i, (text, _) in enumerate(pratiwi_rows()[:80]):
        out = pre.predict_one({"id": f"d:{i}", "text": text})
        ids = [r.id for r in out.regions]
        assert len(ids) == len(set(ids))
        for r in out.regions:
            assert 0 <= r.start < r.end <= len(text)
            assert text[r.start:r.end] == text[r.start:r.end].strip()
            assert 0.0 <= r.score <= 1.0
        entities = sorted((r.start, r.end) for r in out.regions if r.layer == "entity")
        assert all(a[1] <= b[0] for a, b in zip(entities, entities[1:])), "entities overlap"
        assert {rel.from_id for rel in out.relations} <= set(ids) and {rel.to_id for rel in out.relations} <= set(ids)
        assert 0.0 <= out.score <= 1.0


def test_preannotate_empty_and_offsets_with_emoji_and_crlf():
    pre = RulePreAnnotator()
    assert pre.predict_one({"id": "x:0", "text": ""}).score == 0.0
    text = "Warga 🇮🇩 bersorak 😀.\r\nPresiden Joko Widodo tiba di Surabaya pada Senin (1/7/2024)."
    out = pre.predict_one({"id": "x:2", "text": text})
    got = {text[r.start:r.end]: r.label for r in out.regions if r.layer == "entity"}
    assert got["Joko Widodo"] == "PER" and got["Surabaya"] == "LOC" and got["Senin (1/7/2024)"] == "DATE"


def test_preannotate_sentences_from_the_document_win():
    doc = {"id": "x:3", "text": "Satu dua. Tiga empat.", "sentences": [{"id": "s0", "start": 0, "end": 21, "tokens": []}]}
    assert sentence_spans(doc) == [(0, 21)]
    assert sentence_spans({"id": "x:3", "text": doc["text"]}) == [(0, 9), (10, 21)]


def test_preannotate_gazetteer_file(tmp_path):
    path = tmp_path / "gaz.json"
    path.write_text(json.dumps({"Kampung Melayu": "LOC"}))
    pre = make_preannotator("rules", gazetteer=path)
    text = "Banjir melanda Kampung Melayu kemarin."
    out = pre.predict_one({"id": "x:4", "text": text})
    assert any(text[r.start:r.end] == "Kampung Melayu" and r.label == "LOC" for r in out.regions)
    path.write_text("[1, 2]")
    with pytest.raises(ConfigError, match="must map names"):
        load_gazetteer(path)
    assert make_preannotator("none") is None
    with pytest.raises(ConfigError, match="unknown pre-annotator"):
        make_preannotator("magic")


def test_preannotate_rules_propose_only_what_the_project_schema_holds(tmp_path):
    from builder.labels import load_label_schema
    from builder.project.scaffold import ProjectSpec, init_project
    from tests.helpers.projects import SEED

    init_project(tmp_path, ProjectSpec(name="p", entities=("PER", "LOC"), claims=True, speakers=False))
    schema = load_label_schema(tmp_path / "schema/labels.json")
    doc = {"id": "seed:1", "text": SEED.read_text(encoding="utf-8")}
    everything = next(make_preannotator("rules").predict([doc]))
    assert {r.label for r in everything.regions} >= {"PER", "ORG", "LOC", "DATE", "CLAIM"} and everything.relations
    kept = next(make_preannotator("rules", schema=schema).predict([doc]))
    assert {r.label for r in kept.regions} == {"PER", "LOC", "CLAIM"} and kept.relations == ()
    assert all(set(r.attributes) <= {"checkworthy", "kind"} for r in kept.regions)
    assert [r for r in everything.regions if r.label in ("PER", "LOC")] == [r for r in kept.regions if r.label != "CLAIM"]
