"""A small hand-made release project: six real Pratiwi articles and the seed article, segmented, with gold
entities and claims on four of them (and on the seed), canonical annotation records of two annotators plus a
pre-annotation, and hand-written card sections. Offsets are found in the real texts, never typed.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import orjson

from builder.document import make_doc_id, new_document, sha256_text
from builder.corpus.segment import segment_document
from tests.helpers.projects import REPO, SEED, pratiwi_rows, write_project

PRATIWI = "pratiwi2017-600"
SEED_SOURCE = "kompastv-seed"
SPLITS = ["train", "train", "validation", "validation", "test", "test"]
# (document number, surface text, label); the nested "Jawa Timur" and the mid-token "ejaring sosial" are left
# out of ner (the fixture's label schema allows nested entities, as a project's may).
ENTITIES = {
    0: [("Jakarta", "LOC"), ("ejaring sosial", "LOC")],
    1: [("Waspada Online", "ORG")],
    3: [("Indonesia", "LOC")],
    5: [("Dinas Perikanan dan Kelautan Jawa Timur", "ORG"), ("Jawa Timur", "LOC")],
}
# (document number, claim text, checkworthy, kind, speaker surface or None)
CLAIMS = {
    0: [("Dalam sesuap daging ikan lele, terkandung 3000 sel kanker.", "yes", "reported", None)],
    3: [("Ikan lele merupakan salah satu makanan favorit di Indonesia.", "no", "assertion", None)],
    5: [("Judul artikel tersebut beberapa hari terakhir menjadi pembicaraan hangat di media sosial.", "no",
         "assertion", None)],
}
TOML = """
[project]
name = "newsbench-test"
language = "id"
[[sources]]
name = "pratiwi2017-600"
format = "csv"
path = "raw/pratiwi.csv"
license = "CC-BY-4.0"
redistributable = true
retrieved_at = "2026-11-26"
[[sources]]
name = "kompastv-seed"
format = "text"
path = "raw/seed"
license = "unknown"
redistributable = false
retrieved_at = "2026-11-26"
[release]
documents = "corpus/documents.jsonl"
annotations_creators = ["expert-generated"]
repo_id = "newsbench/newsbench-id-test"
workers = 1
"""


def corpus_documents() -> list[dict[str, Any]]:
    docs = []
    for k, (text, label) in enumerate(pratiwi_rows()[:6]):
        text = " ".join(text.split())
        source = {"name": PRATIWI, "license": "CC-BY-4.0", "redistributable": True, "retrieved_at": "2026-11-26",
                  "key": f"row-{k + 2}"}
        doc = new_document(doc_id=make_doc_id(PRATIWI, f"row-{k + 2}"), source=source, language="id", text=text,
                           doc_labels=[{"name": "veracity", "value": label.lower(),
                                        "provenance": f"source:{PRATIWI}:tagging"}])
        doc["split"] = SPLITS[k]
        docs.append(segment_document(doc))
    seed_text = " ".join(SEED.read_text(encoding="utf-8").split())
    source = {"name": SEED_SOURCE, "license": "unknown", "redistributable": False, "retrieved_at": "2026-11-26",
              "key": SEED.name}
    seed = new_document(doc_id=make_doc_id(SEED_SOURCE, SEED.name), source=source, language="id", text=seed_text)
    seed["split"] = "train"
    docs.append(segment_document(seed))
    return docs


def _span(text: str, surface: str, start_at: int = 0) -> tuple[int, int]:
    i = text.find(surface, start_at)
    assert i >= 0, f"{surface!r} is not in the text"
    return i, i + len(surface)


def gold_records(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Canonical gold documents (text, hash, entities, claims, relations) for the annotated documents."""
    out = []
    for k in sorted(ENTITIES.keys() | CLAIMS.keys()):
        doc = docs[k]
        text = doc["text"]
        rec = {key: copy.deepcopy(doc[key]) for key in ("schema_version", "id", "document_id", "source", "language",
                                                        "text", "text_sha256")}
        rec["entities"] = []
        for n, (surface, label) in enumerate(ENTITIES.get(k, [])):
            a, b = _span(text, surface)
            rec["entities"].append({"id": f"e{n}", "type": label, "offsets": [[a, b]], "text": [text[a:b]]})
        rec["claims"] = []
        for n, (surface, worthy, kind, _) in enumerate(CLAIMS.get(k, [])):
            a, b = _span(text, surface)
            rec["claims"].append({"id": f"c{n}", "offsets": [[a, b]], "text": [text[a:b]], "checkworthy": worthy,
                                  "kind": kind, "speaker_id": None})
        rec["relations"] = []
        out.append(rec)
    # The seed carries gold too: the licence gate must keep it out of public releases all the same.
    seed = docs[-1]
    a, b = _span(seed["text"], "Vladimir Putin")
    out.append({**{key: seed[key] for key in ("schema_version", "id", "document_id", "source", "language", "text",
                                               "text_sha256")},
                "entities": [{"id": "e0", "type": "PER", "offsets": [[a, b]], "text": ["Vladimir Putin"]}],
                "claims": [], "relations": []})
    return out


def raw_records(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Canonical annotation records (schema/annotation.schema.json) of two annotators and one pre-annotation."""
    doc = docs[1]
    text = doc["text"]
    a, b = _span(text, "Waspada Online")

    def layer(label: str) -> dict[str, Any]:
        return {"entities": [{"id": "r1", "label": label, "start": a, "end": b, "text": text[a:b],
                              "offset_check": "ok"}],
                "claims": [], "relations": [], "doc_labels": {"veracity": ["valid"]}, "unmapped": []}

    meta = {"task_id": 7, "ground_truth": False, "was_cancelled": False, "lead_time": 12.5,
            "created_at": "2026-11-26T10:00:00Z", "updated_at": "2026-11-26T10:00:00Z"}
    return [{
        "schema_version": "1.0.0", "document_id": doc["id"], "text_sha256": sha256_text(text),
        "stated_text_sha256": sha256_text(text), "split": doc["split"], "task_ids": [7],
        "project": {"id": 1, "title": "newsbench-test"},
        "export": {"path": "raw/newsbench-test-20261126T100000Z/tasks.jsonl", "sha256": "0" * 64},
        "annotations": [{**layer("ORG"), **meta, "id": 11, "annotator": "ls-user:1"},
                        {**layer("LOC"), **meta, "id": 12, "annotator": "ls-user:2"}],
        "predictions": [{**layer("ORG"), "id": 5, "task_id": 7, "model_version": "rules-1", "score": None}],
    }, {
        "schema_version": "1.0.0", "document_id": docs[-1]["id"], "text_sha256": docs[-1]["text_sha256"],
        "split": "train", "task_ids": [8], "project": {"id": 1, "title": "newsbench-test"},
        "export": {"path": "raw/x/tasks.jsonl", "sha256": "0" * 64},
        "annotations": [{"entities": [], "claims": [], "relations": [], "doc_labels": {}, "unmapped": [], **meta,
                         "id": 13, "annotator": "ls-user:1"}],
        "predictions": [],
    }]


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))


def release_project(root: Path, *, gold: bool = True, raw: bool = True, extra_toml: str = "") -> Path:
    """Write the project under `root`; returns its newsbench.toml."""
    config = write_project(root, TOML + extra_toml, {
        "raw/pratiwi.csv": "berita;tagging\n",
        "raw/seed/000.txt": "x",
        "card/summary.md": "A hand-written summary that must survive every rebuild.",
        "card/citation.md": "```bibtex\n@misc{newsbench-test}\n```",
    })
    (root / "schema").mkdir(exist_ok=True)
    schema = json.loads((REPO / "schema" / "labels.json").read_text(encoding="utf-8"))
    schema["entities"]["allow_nested"] = True
    (root / "schema" / "labels.json").write_text(json.dumps(schema, indent=2), encoding="utf-8")
    docs = corpus_documents()
    write_jsonl(root / "corpus" / "documents.jsonl", docs)
    if gold:
        write_jsonl(root / "annotations" / "gold" / "gold.jsonl", gold_records(docs))
    if raw:
        write_jsonl(root / "annotations" / "canonical" / "newsbench-test.jsonl", raw_records(docs))
    return config


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
