"""The label schema: checks with located errors, and the Label Studio config and enums derived from it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from builder.config import config_from_dict
from builder.errors import ConfigError
from builder.annotate.labelstudio.config import config_labels, labelling_config
from builder.labels import (
    ATTRIBUTE,
    DOC_LABEL,
    SPAN,
    class_label_names,
    fields,
    label_schema_of,
    label_table,
    load_label_schema,
    parse_label_map,
    parse_label_schema,
    positive_value,
)
from builder.spans import CLAIM, ENTITY

REPO = Path(__file__).resolve().parent.parent
RAW = json.loads((REPO / "schema/labels.json").read_text(encoding="utf-8"))


@pytest.fixture()
def schema():
    return load_label_schema(REPO / "schema/labels.json")


def test_labels_config_points_at_the_schema(schema):
    assert label_schema_of(config_from_dict({}, REPO)) == schema


def test_labels_xml_has_every_label_control_and_relation(schema):
    root = ET.fromstring(labelling_config(schema))
    by_name = {el.get("name"): el for el in root.iter() if el.get("name")}
    text = by_name["text"]
    assert text.tag == "Text" and text.get("value") == "$text"
    entity = by_name[ENTITY]
    assert entity.tag == "Labels" and entity.get("toName") == "text"
    assert [(lab.get("value"), lab.get("background"), lab.get("hotkey")) for lab in entity] == [
        (t["name"], t["color"], t["hotkey"]) for t in RAW["entities"]["types"]
    ]
    claim = by_name[CLAIM]
    assert [lab.get("value") for lab in claim] == [RAW["claims"]["name"]]
    for attr in RAW["claims"]["attributes"]:
        ch = by_name[attr["name"]]
        assert ch.tag == "Choices" and ch.get("perRegion") == "true" and ch.get("toName") == "text"
        assert [c.get("value") for c in ch] == attr["values"]
        assert ch.get("required") == str(attr["required"]).lower()
    for doc_label in RAW["doc_labels"]:
        ch = by_name[doc_label["name"]]
        assert ch.tag == "Choices" and ch.get("perRegion") is None
        assert [c.get("value") for c in ch] == doc_label["values"]
    assert [r.get("value") for r in root.iter("Relation")] == [r["name"] for r in RAW["relations"]]
    # the claim attributes appear, and are required, only while a claim region is selected: the condition
    # sits on each per-region Choices itself (on an enclosing View, Label Studio requires it of every region)
    for attr in RAW["claims"]["attributes"]:
        ch = by_name[attr["name"]]
        assert (ch.get("visibleWhen"), ch.get("whenTagName"), ch.get("whenLabelValue")) == (
            "region-selected", CLAIM, RAW["claims"]["name"])
    assert not [v for v in root.iter("View") if v.get("visibleWhen") and v.find("Choices") is not None]


def test_labels_config_labels_reads_back_what_was_generated(schema):
    got = config_labels(labelling_config(schema))
    assert got[ENTITY] == set(schema.entity_names)
    assert got["relation"] == {"said_by"}
    assert got["kind"] == {"quote", "reported", "assertion"}


def test_labels_derived_names(schema):
    found = fields(schema)
    assert list(found) == ["entity", "claim", "checkworthy", "kind", "veracity"]
    assert [f.kind for f in found.values()] == [SPAN, SPAN, ATTRIBUTE, ATTRIBUTE, DOC_LABEL]
    assert found["entity"].values == ("PER", "ORG", "LOC", "DATE", "EVENT")
    assert found["checkworthy"].layer == "claim" and found["checkworthy"].required
    assert found["veracity"].values == ("hoax", "valid") and found["veracity"].layer is None
    assert schema.positive_checkworthy == "yes"
    names = class_label_names(schema)
    assert names["ner_tags"][:3] == ["O", "B-PER", "I-PER"] and len(names["ner_tags"]) == 11
    assert names["claim_tags"] == ["O", "B-CLAIM", "I-CLAIM"]
    rows = label_table(schema)
    assert {r["kind"] for r in rows} == {"entity", "claim", "claim attribute", "relation", "document label"}
    assert next(r for r in rows if r["name"] == "said_by")["values"] == "claim -> entity"


def _broken(path: list, value) -> dict:
    raw = copy.deepcopy(RAW)
    node = raw
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return raw


@pytest.mark.parametrize(
    ("path", "value", "message", "where"),
    [
        (["entities", "types", 1, "color"], "blue", "colour 'blue'", "#/entities/types/1/color"),
        (["entities", "types", 0, "name"], "PER X", "not a plain identifier", "#/entities/types/0/name"),
        (["entities", "types", 2, "hotkey"], "p", "hotkeys repeat", "labels.json"),
        (["entities", "types", 1, "name"], "PER", "span label names repeat", "labels.json"),
        (["claims", "attributes", 0, "values"], [], "distinct non-empty", "#/claims/attributes/0/values"),
        (["claims", "attributes", 1, "name"], "veracity", "field names collide", "labels.json"),
        (["relations", 0, "to"], "document", "'to' is 'document'", "#/relations/0/to"),
        (["claims"], KeyError, "'claims' is missing", "labels.json#"),
        (["entities", "types"], [], "no entity types", "#/entities/types"),
    ],
)
def test_labels_bad_schema_is_located(path, value, message, where):
    with pytest.raises(ConfigError) as err:
        parse_label_schema(_broken(path, value), "labels.json")
    assert message in err.value.message
    assert where in err.value.message


def test_labels_unreadable_file(tmp_path):
    bad = tmp_path / "labels.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_label_schema(bad)
    with pytest.raises(ConfigError, match="cannot read"):
        load_label_schema(tmp_path / "missing.json")


@pytest.mark.parametrize(("values", "positive"), [
    (("yes", "no"), "yes"), (("no", "yes"), "yes"), (("False", "True"), "True"),
    (("not-checkworthy", "checkworthy"), "checkworthy"), (("high", "low"), "high"), ((), None),
])
def test_labels_positive_value_is_one_rule(values, positive):
    assert positive_value(values) == positive


def test_labels_label_map_syntax_is_one_for_options_and_tables():
    m = parse_label_map(["PPL=PER", "entity:PERSON=PER", "veracity:Valid=valid", "FNB="])
    assert m.get("entity", "PPL") == "PER" and m.get("claim", "PPL") == "PER"  # no field: any field
    assert m.get("entity", "PERSON") == "PER" and m.get("kind", "PERSON") == "PERSON"
    assert m.lookup("veracity", "Valid") == "valid" and m.lookup("veracity", "Hoax") is None
    assert m.lookup("entity", "FNB") == ""  # dropped on purpose
    assert parse_label_map({"PPL": "PER", "entity:PERSON": "PER"}).entries == {(None, "PPL"): "PER",
                                                                             ("entity", "PERSON"): "PER"}


@pytest.mark.parametrize("bad", [["PPL"], ["=PER"], [":PPL=PER"], [3], {"PPL": 3}, "PPL=PER"])
def test_labels_label_map_errors_name_the_syntax(bad):
    with pytest.raises(ConfigError) as err:
        parse_label_map(bad, where="--map")
    assert "--map" in err.value.message and err.value.fix
