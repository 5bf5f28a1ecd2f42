"""Reading predictions: the Arrow path for the usual tags file gives what the line-by-line path gives, or steps
aside (never more lenient), on a real release and on mutations of a real predictions file."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import orjson
import pytest

from builder.bench.evaluate import predictions as P
from builder.bench.evaluate.gold import token_gold
from builder.release.layout import ReleaseFolder

RELEASE = Path(__file__).resolve().parents[2] / "releases" / "2.1.5"


@pytest.fixture(scope="module")
def gold():
    return token_gold(ReleaseFolder(RELEASE), "ner", "test", "ner_tags", [], offsets=False)[0]


def line_by_line(path: Path, gold, allow_missing: bool):
    """The other path: what read_ner gives with the Arrow path turned off (None when the file is refused)."""
    original = P.tags_file_in_arrow
    P.tags_file_in_arrow = lambda *a, **k: None
    try:
        return P.read_ner(path, gold, gold.labels, allow_missing=allow_missing)
    except P.PredictionsInvalid:
        return None
    finally:
        P.tags_file_in_arrow = original


def records(gold, rng: random.Random) -> list[dict]:
    tags = sorted(gold.allowed)
    return [{"sentence_id": sid, "tags": [rng.choice(tags) for _ in range(int(n))]}
            for sid, n in zip(gold.ids, gold.lengths)]


def mutate(kind: str, recs: list[dict], rng: random.Random) -> bytes:
    k = rng.randrange(len(recs))
    lines = [orjson.dumps(r) for r in recs]
    if kind == "drop":
        del lines[k]
    elif kind == "repeat_line":
        lines.insert(k, lines[k])
    elif kind == "repeat_key":
        lines[k] = lines[k][:-1] + b',"tags":' + orjson.dumps(recs[k]["tags"]) + b"}"
    elif kind == "spaced_repeat_key":
        lines[k] = lines[k][:-1] + b', "sentence_id" : ' + orjson.dumps(recs[k]["sentence_id"]) + b"}"
    elif kind == "extra_key":
        lines[k] = lines[k][:-1] + b',"score":1}'
    elif kind == "wrong_length":
        lines[k] = orjson.dumps({**recs[k], "tags": recs[k]["tags"] + ["O"]})
    elif kind == "unknown_tag":
        lines[k] = orjson.dumps({**recs[k], "tags": ["B-XYZ", *recs[k]["tags"][1:]]})
    elif kind == "int_tag":
        lines[k] = orjson.dumps({**recs[k], "tags": [1, *recs[k]["tags"][1:]]})
    elif kind == "null_id":
        lines[k] = orjson.dumps({**recs[k], "sentence_id": None})
    elif kind == "unknown_id":
        lines[k] = orjson.dumps({**recs[k], "sentence_id": recs[k]["sentence_id"] + "x"})
    elif kind == "blank_line":
        lines.insert(k, b"")
    elif kind == "two_objects":
        lines[k] = lines[k] + b" " + lines[(k + 1) % len(lines)]
    elif kind == "garbage":
        lines[k] = lines[k][:-3]
    elif kind == "array_line":
        lines[k] = b"[" + lines[k] + b"]"
    elif kind == "crlf":
        return b"\r\n".join(lines) + b"\r\n"
    elif kind == "bad_utf8":
        lines[k] = lines[k].replace(b'"sentence_id":"', b'"sentence_id":"\xff', 1)
    elif kind == "lone_surrogate":
        lines[k] = lines[k].replace(b'"tags":["', b'"tags":["\\ud800', 1)
    elif kind == "escaped_quote_colon":
        lines[k] = orjson.dumps({**recs[k], "sentence_id": recs[k]["sentence_id"] + '":'})
    elif kind in ("spaced", "reordered", "escaped", "none"):
        if kind == "spaced":
            lines = [json.dumps(r).encode() for r in recs]
        elif kind == "reordered":
            lines = [orjson.dumps({"tags": r["tags"], "sentence_id": r["sentence_id"]}) for r in recs]
        elif kind == "escaped":
            lines = [json.dumps(r, ensure_ascii=True).replace("-", "\\u002d").encode() for r in recs]
    else:
        raise AssertionError(kind)
    return b"\n".join(lines) + b"\n"


USUAL = ("none", "spaced", "reordered", "escaped")
BROKEN = ("drop", "repeat_line", "repeat_key", "spaced_repeat_key", "extra_key", "wrong_length", "unknown_tag",
          "int_tag", "null_id", "unknown_id", "blank_line", "two_objects", "garbage", "array_line", "crlf", "bad_utf8",
          "lone_surrogate", "escaped_quote_colon")


@pytest.mark.parametrize("kind", USUAL + BROKEN)
@pytest.mark.parametrize("allow_missing", [False, True])
def test_predictions_arrow_path_agrees_or_steps_aside(gold, tmp_path, kind, allow_missing):
    rng = random.Random(f"{kind}-{allow_missing}")
    path = tmp_path / "predictions.jsonl"
    path.write_bytes(mutate(kind, records(gold, rng), rng))
    fast = P.tags_file_in_arrow(path, gold, allow_missing)
    slow = line_by_line(path, gold, allow_missing)
    if kind in USUAL:
        assert fast is not None and slow is not None  # the usual files take the Arrow path
    if fast is not None:
        assert slow is not None, f"the Arrow path accepted a file the line-by-line path refuses ({kind})"
        assert np.array_equal(fast.codes, slow.codes) and fast.lines == slow.lines and fast.format == "tags"
    if kind in BROKEN and kind not in ("drop", "extra_key", "crlf"):
        assert fast is None  # the line-by-line path decides, and locates what is wrong
