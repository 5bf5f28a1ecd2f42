"""Annotation sheets: quotes resolve to exact regions, ambiguity is refused, pre-annotations round-trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.annotate.sheets import resolve_sheet, sheet_from_preannotation, word_matches
from builder.errors import DataInvalidError
from builder.labels import load_label_schema
from builder.bench.baselines.rules import RulePreAnnotator
from tests.helpers.projects import SEED, pratiwi_rows

REPO = Path(__file__).resolve().parents[2]
SCHEMA = load_label_schema(REPO / "schema/labels.json")
TEXT = ("Presiden Rusia Vladimir Putin tiba di Korea Utara. Dewan Keamanan PBB bersidang; PBB dan ASEAN diam. "
        '"Kami siap," kata Putin. AS menolak. Putin pulang.')


def spans(resolved) -> list[tuple[str, str]]:
    return [(r.label, TEXT[r.start:r.end]) for r in resolved.regions]


def test_whole_words_every_occurrence_and_longer_names_win() -> None:
    sheet = {"entities": [{"label": "ORG", "text": "PBB"}, {"label": "ORG", "text": "Dewan Keamanan PBB"},
                          {"label": "LOC", "text": "AS"}, {"label": "PER", "text": "Putin"},
                          {"label": "PER", "text": "Vladimir Putin"}]}
    r = resolve_sheet(TEXT, sheet, SCHEMA)
    assert spans(r) == [("PER", "Vladimir Putin"), ("ORG", "Dewan Keamanan PBB"), ("ORG", "PBB"),
                        ("PER", "Putin"), ("LOC", "AS"), ("PER", "Putin")]
    assert r.nested_skipped == 2  # PBB inside the council, Putin inside Vladimir Putin
    assert word_matches(TEXT, "AS") == [TEXT.index("AS menolak")]  # never inside ASEAN


def test_numbered_occurrences_and_speaker_nearest_the_claim() -> None:
    sheet = {"entities": [{"label": "PER", "text": "Putin", "occurrences": [2, 3]}],
             "claims": [{"text": "Kami siap", "kind": "quote", "checkworthy": "no", "speaker": "Putin"}]}
    r = resolve_sheet(TEXT, sheet, SCHEMA)
    claim = next(x for x in r.regions if x.layer == "claim")
    [rel] = r.relations
    speaker = next(x for x in r.regions if x.id == rel.to_id)
    assert rel.from_id == claim.id and rel.type == "said_by"
    assert speaker.start == TEXT.index("Putin.", TEXT.index("kata"))  # the "kata Putin" one, not the last
    assert claim.attributes == {"kind": "quote", "checkworthy": "no"}


@pytest.mark.parametrize("sheet, message", [
    ({"entities": [{"label": "PERSON", "text": "Putin"}]}, "not an entity type"),
    ({"entities": [{"label": "PER", "text": "Putn"}]}, "does not occur"),
    ({"entities": [{"label": "PER", "text": "Putin", "occurrences": [9]}]}, "does not exist"),
    ({"entities": [{"label": "PER", "text": "Vladimir Putin"}, {"label": "LOC", "text": "Putin",
                                                                  "occurrences": [1]}]}, "overlaps"),
    ({"entities": [{"label": "PER", "text": "Putin"}, {"label": "LOC", "text": "Putin"}]}, "two labels"),
    ({"claims": [{"text": "Putin", "kind": "assertion", "checkworthy": "no"}]}, "occurs 3 times"),
    ({"claims": [{"text": "AS menolak", "kind": "assertion"}]}, "'checkworthy' is missing"),
    ({"claims": [{"text": "AS menolak", "kind": "rumour", "checkworthy": "no"}]}, "kind='rumour'"),
    ({"claims": [{"text": "AS menolak", "kind": "assertion", "checkworthy": "no", "speaker": "AS"}]},
     "not an entity of the sheet"),
    ({"claims": [{"text": " AS menolak", "kind": "assertion", "checkworthy": "no"}]}, "spaces at its ends"),
    ({"doc_labels": {"veracity": "maybe"}}, "not a document label"),
    ({"entity": []}, "unknown keys"),
])
def test_every_problem_is_refused_with_its_item_and_fix(sheet: dict, message: str) -> None:
    with pytest.raises(DataInvalidError) as err:
        resolve_sheet(TEXT, sheet, SCHEMA, where="x.json")
    assert message in str(err.value) and "fix:" in str(err.value) and err.value.where == "x.json"


def test_all_problems_are_collected() -> None:
    sheet = {"entities": [{"label": "X", "text": "Putin"}, {"label": "PER", "text": "Nobody"}]}
    with pytest.raises(DataInvalidError, match="2 problem"):
        resolve_sheet(TEXT, sheet, SCHEMA)


def test_rule_preannotations_round_trip_through_sheets_on_real_articles() -> None:
    """The sheet written from a pre-annotation resolves back to the very same regions and speakers."""
    pre = RulePreAnnotator()
    texts = [SEED.read_text(encoding="utf-8")] + [t for t, _ in pratiwi_rows()[:80]]
    for i, text in enumerate(texts):
        p = pre.predict_one({"id": f"d{i}", "text": text})
        sheet = sheet_from_preannotation(text, p, SCHEMA)
        r = resolve_sheet(text, sheet, SCHEMA, where=f"d{i}")
        key = lambda x: (x.layer, x.label, x.start, x.end, tuple(sorted(x.attributes.items())))
        assert sorted(map(key, r.regions)) == sorted(map(key, p.regions)), i
        got = {r_.id: r_ for r_ in r.regions}
        want = {r_.id: r_ for r_ in p.regions}
        assert sorted((got[x.from_id].start, got[x.to_id].start) for x in r.relations) == sorted(
            (want[x.from_id].start, want[x.to_id].start) for x in p.relations), i
