"""Small releases written by hand in the shape `builder.release.dataset` documents, for the evaluate and baseline tests.

`data/<config>/<split>-00000-of-00001.parquet` for `ner`, `claims` and `documents`, with the Hugging Face
features (ClassLabel names) in the Parquet metadata, and a `manifest.json` with the name and version.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from datasets import ClassLabel, Features, List, Value

from builder.tags import spans_to_iob2

ENTITY_TYPES = ("PER", "ORG", "LOC", "DATE", "EVENT")
NER_TAGS = ["O"] + [f"{p}-{t}" for t in ENTITY_TYPES for p in ("B", "I")]
CLAIM_TAGS = ["O", "B-CLAIM", "I-CLAIM"]
VERACITY = ["hoax", "valid"]

_S, _I = Value("string"), Value("int32")
_SENTENCE = {"id": _S, "document_id": _S, "sentence_index": _I, "start": _I, "end": _I, "tokens": List(_S),
             "token_offsets": List(List(_I, length=2))}
_CLAIM = {"id": _S, "offsets": List(List(_I)), "text": List(_S), "checkworthy": _S, "kind": _S, "speaker_id": _S}
FEATURES = {
    "ner": Features({**_SENTENCE, "ner_tags": List(ClassLabel(names=NER_TAGS))}),
    "claims": Features({**_SENTENCE, "text": _S, "has_claim": Value("bool"), "checkworthy": Value("bool"),
                        "speakers": List(_S), "claims": List({**_CLAIM, "speaker": _S}),
                        "claim_tags": List(ClassLabel(names=CLAIM_TAGS))}),
    "documents": Features({"id": _S, "document_id": _S, "text": _S,
                           "entities": List({"id": _S, "type": _S, "text": List(_S), "offsets": List(List(_I))}),
                           "claims": List(_CLAIM),
                           "doc_labels": List({"name": _S, "value": _S, "provenance": _S, "annotator": _S}),
                           "labels": {"veracity": ClassLabel(names=VERACITY)}}),
}


def _tags(sentence: dict[str, Any], spans: list[tuple[int, int, str]]) -> list[str]:
    starts = [a for a, _ in sentence["tokens"]]
    ends = [b for _, b in sentence["tokens"]]
    token_spans = []
    for a, b, label in spans:
        i, j = bisect_left(starts, a), bisect_right(ends, b)
        if i < j and starts[i] == a and ends[j - 1] == b:
            token_spans.append((i, j, label))
    return spans_to_iob2(len(starts), token_spans)


def rows(doc: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The ner, claims and documents rows of one canonical document (with sentences, entities, claims).

    A document without an `entities` (or `claims`) key was not annotated for that layer: it gets no ner (or
    claims) rows, as in releases built by `newsbench build`."""
    text = doc["text"]
    entities = [(e["offsets"][0][0], e["offsets"][0][1], e["type"]) for e in doc.get("entities", [])]
    names = {e["id"]: text[e["offsets"][0][0]:e["offsets"][0][1]] for e in doc.get("entities", [])}
    claims = doc.get("claims", [])
    out: dict[str, list[dict[str, Any]]] = {"ner": [], "claims": []}
    for k, s in enumerate(doc["sentences"]):  # like `newsbench build`: only the layers that were annotated

        base = {"id": s["id"], "document_id": doc["id"], "sentence_index": k, "start": s["start"], "end": s["end"],
                "tokens": [text[a:b] for a, b in s["tokens"]], "token_offsets": s["tokens"]}
        inside = [(a, b, t) for a, b, t in entities if s["start"] <= a and b <= s["end"]]
        if "entities" in doc:
            out["ner"].append({**base, "ner_tags": [NER_TAGS.index(t) for t in _tags(s, inside)]})
        if "claims" not in doc:
            continue
        found = [c for c in claims if any(a < s["end"] and s["start"] < b for a, b in c["offsets"])]
        pieces = [(max(a, s["start"]), min(b, s["end"]), "CLAIM") for c in found for a, b in c["offsets"]]
        out["claims"].append({
            **base, "text": text[s["start"]:s["end"]], "has_claim": bool(found),
            "checkworthy": any(c.get("checkworthy") == "yes" for c in found),
            "speakers": [names[c["speaker_id"]] for c in found if c.get("speaker_id")],
            "claims": [{"id": c["id"], "offsets": c["offsets"], "text": [text[a:b] for a, b in c["offsets"]],
                        "checkworthy": c.get("checkworthy"), "kind": c.get("kind"),
                        "speaker_id": c.get("speaker_id"), "speaker": names.get(c.get("speaker_id"))}
                       for c in found],
            "claim_tags": [CLAIM_TAGS.index(t) for t in _tags(s, pieces)],
        })
    labels = {d["name"]: d["value"] for d in doc.get("doc_labels", [])}
    out["documents"] = [{
        "id": doc["id"], "document_id": doc["id"], "text": text,
        "entities": [{"id": e["id"], "type": e["type"], "text": e["text"], "offsets": e["offsets"]}
                     for e in doc.get("entities", [])],
        "claims": [{k: c.get(k) for k in ("id", "offsets", "text", "checkworthy", "kind", "speaker_id")}
                   for c in claims],
        "doc_labels": [{"name": d["name"], "value": d["value"], "provenance": d.get("provenance"), "annotator": None}
                       for d in doc.get("doc_labels", [])],
        "labels": {"veracity": VERACITY.index(labels["veracity"]) if labels.get("veracity") in VERACITY else -1},
    }]
    return out


def write_release(root: Path, docs: list[dict[str, Any]], *, version: str = "0.1.0",
                  name: str = "handmade") -> Path:
    """Write a release of `docs` (each with a `split`) under root/<version>; return its folder."""
    folder = root / version
    tables: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for doc in docs:
        for config, config_rows in rows(doc).items():
            tables.setdefault(config, {}).setdefault(doc["split"], []).extend(config_rows)
    for config, splits in tables.items():
        splits = {split: r for split, r in splits.items() if r}
        schema = FEATURES[config].arrow_schema
        for split, split_rows in splits.items():
            path = folder / "data" / config / f"{split}-00000-of-00001.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(pa.Table.from_pylist(split_rows, schema=schema), path)
    (folder / "manifest.json").write_text(json.dumps({"name": name, "version": version}))
    return folder


def sentence_doc(doc_id: str, split: str, words: list[str], entities: list[tuple[int, int, str]] = (),
                 **extra: Any) -> dict[str, Any]:
    """A one-sentence document from words; entities as (first word, last word + 1, type)."""
    offsets, pos = [], 0
    for w in words:
        offsets.append([pos, pos + len(w)])
        pos += len(w) + 1
    text = " ".join(words)
    ents = [{"id": f"{doc_id}-e{k}", "type": t, "offsets": [[offsets[a][0], offsets[b - 1][1]]],
             "text": [text[offsets[a][0]:offsets[b - 1][1]]]} for k, (a, b, t) in enumerate(entities)]
    return {"id": doc_id, "split": split, "text": text, "entities": ents,
            "sentences": [{"id": f"{doc_id}-s0", "start": 0, "end": len(text), "tokens": offsets}], **extra}
