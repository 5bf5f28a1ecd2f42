"""The annotator pseudonym map: stable ids, no emails on disk, refused when damaged."""

from __future__ import annotations

import json

import pytest

from builder.annotate.annotators import AnnotatorMap
from builder.errors import ConfigError, InputError


def test_annotators_ids_are_stable_and_hold_no_email(tmp_path):
    path = tmp_path / "annotators.json"
    people = AnnotatorMap.load(path)
    sari = people.add("Sari@Example.org", "Sari")
    budi = people.add("budi@example.org")
    assert (sari.id, budi.id, sari.label, budi.label) == ("annotator-1", "annotator-2", "annotator-1 (Sari)",
                                                          "annotator-2")
    assert people.add(" sari@example.ORG ") is sari  # one person, however the email is typed
    people.save()
    assert "example.org" not in path.read_text()
    again = AnnotatorMap.load(path)
    assert again.by_email("budi@example.org").id == "annotator-2" and not again.changed
    # removing someone from the map never renumbers the others
    body = json.loads(path.read_text())
    body["annotators"] = body["annotators"][1:]
    path.write_text(json.dumps(body))
    assert AnnotatorMap.load(path).add("new@example.org").id == "annotator-3"


def test_annotators_damaged_map_and_bad_email_are_refused(tmp_path):
    path = tmp_path / "annotators.json"
    path.write_text('{"annotators": [{"id": "annotator-1", "email_sha256": "a"}, {"id": "annotator-1", '
                    '"email_sha256": "b"}]}')
    with pytest.raises(ConfigError) as err:
        AnnotatorMap.load(path)
    assert "repeated" in err.value.message and err.value.where == str(path)
    path.write_text('{"annotators": [{"id": "ls-user:2", "email_sha256": "a"}]}')
    with pytest.raises(ConfigError, match="malformed ids"):
        AnnotatorMap.load(path)
    path.write_text("{")
    with pytest.raises(ConfigError, match="cannot be read"):
        AnnotatorMap.load(path)
    with pytest.raises(InputError, match="not an email"):
        AnnotatorMap(tmp_path / "x.json").add("sari")
