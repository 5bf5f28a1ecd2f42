"""Small releases written from canonical documents by the package's own row builders, for the evaluate and
baseline tests: `data/<config>/<split>-00000-of-00001.parquet` for the configs the documents fill, with the
release features (ClassLabel names from the shipped label schema) in the Parquet metadata, and a
`manifest.json` with the name and version. No licence gate, no gold layer: the documents are the release.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from builder.document import sha256_text
from builder.labels import load_label_schema
from builder.release.features import release_features, release_labels
from builder.release.layout import concat_table, write_split
from builder.release.rows.builder import RowBuilder
from builder.release.rows.documents import SPAN_LAYERS

REPO = Path(__file__).resolve().parents[2]
LABELS = release_labels(load_label_schema(REPO / "schema/labels.json"))
FEATURES = release_features(LABELS)


def write_release(root: Path, docs: list[dict[str, Any]], *, version: str = "0.1.0",
                  name: str = "handmade") -> Path:
    """Write a release of `docs` (each with a `split`) under root/<version>; return its folder.

    A document without an `entities` (or `claims`) key was not annotated for that layer: it gets no ner (or
    claims) rows, as in releases built by `newsbench build`."""
    folder = root / version
    rows = RowBuilder(LABELS, FEATURES)
    for doc in docs:
        doc = {"text_sha256": sha256_text(doc["text"]), **doc}
        rows.add_document(doc, doc["split"], tuple(k for k in SPAN_LAYERS if k in doc))
    for config, splits in rows.tables().items():
        for split, table in splits.items():
            write_split(concat_table([table], FEATURES[config].arrow_schema), folder / "data" / config, split)
    (folder / "manifest.json").write_text(json.dumps({"name": name, "version": version,
                                                      "config": {"project": {"language": "id"}}}))
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
