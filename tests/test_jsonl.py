"""The JSONL helpers: repeated keys are found exactly, whatever the strings hold."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from builder.jsonl import parse_object, repeated_keys

KEYS = st.text(alphabet=st.sampled_from('ab":\\ \u00e9'), min_size=1, max_size=4)
VALUES = st.recursive(st.none() | st.booleans() | st.integers(-2**63, 2**63 - 1) | st.text(alphabet=st.sampled_from('ab":,{}\\ '),
                                                                          max_size=6),
                      lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
                      max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(KEYS, VALUES, min_size=1, max_size=4), st.data())
def test_jsonl_repeated_keys_found_exactly(record, data):
    line = json.dumps(record, ensure_ascii=False)
    assert repeated_keys(line, json.loads(line)) == []
    assert parse_object(line, unique_keys=True)[0] == record
    key = data.draw(st.sampled_from(sorted(record)))
    twice = line[:-1] + ", " + json.dumps(key, ensure_ascii=False) + ": 0}"
    assert repeated_keys(twice, json.loads(twice)) == [key]
    record_, why = parse_object(twice, unique_keys=True)
    assert record_ is None and repr(key) in why
