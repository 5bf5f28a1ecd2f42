"""Rows of the `documents` config: one per article, with its gold layers when it was annotated."""

from __future__ import annotations

from collections import Counter
from typing import Any

from builder.release.features import GOLD, SILVER, UNADJUDICATED, UNANNOTATED, ReleaseLabels

ENTITY_LAYER = "entities"  # the document keys of the span layers; a layer annotated is a key present
CLAIM_LAYER = "claims"
SPAN_LAYERS = (ENTITY_LAYER, CLAIM_LAYER)


def _spans_kb(text: str, offsets: list[list[int]]) -> tuple[list[list[int]], list[str]]:
    offs = [[int(a), int(b)] for a, b in offsets]
    return offs, [text[a:b] for a, b in offs]


def _normalized(value: Any) -> list[dict[str, str]]:
    out = []
    for n in value or []:
        if isinstance(n, dict):
            out.append({"db_name": str(n.get("db_name", "")), "db_id": str(n.get("db_id", ""))})
    return out


def _entity(text: str, e: dict[str, Any]) -> dict[str, Any]:
    offsets, pieces = _spans_kb(text, e["offsets"])
    return {"id": str(e["id"]), "type": e["type"], "text": pieces, "offsets": offsets,
            "normalized": _normalized(e.get("normalized"))}


def _claim(text: str, c: dict[str, Any]) -> dict[str, Any]:
    offsets, pieces = _spans_kb(text, c["offsets"])
    return {"id": str(c["id"]), "offsets": offsets, "text": pieces, "checkworthy": c.get("checkworthy"),
            "kind": c.get("kind"), "speaker_id": c.get("speaker_id")}


def annotation_status(doc: dict[str, Any], layers: tuple[str, ...], span_status: str, awaiting: bool) -> str:
    """gold or silver from how the gold was decided (silver when only accounts of programs decided it); a gold
    record that does not say so (made before adjudication recorded it, or by hand) gets `release.span_status`;
    `unadjudicated` for a document annotated but left open; `unannotated` otherwise."""
    if not layers:
        return UNADJUDICATED if awaiting else UNANNOTATED
    decided = doc.get("adjudication")
    if not isinstance(decided, dict):
        return span_status
    return SILVER if decided.get("machine") else GOLD


def document_row(doc: dict[str, Any], layers: tuple[str, ...], span_status: str,
                 labels: ReleaseLabels, awaiting: bool = False) -> dict[str, Any]:
    """A corpus document (with its gold layers laid over it) as a row; `layers` are the span layers annotated,
    `awaiting` says it was annotated but adjudication left it open."""
    text = doc["text"]
    status = annotation_status(doc, layers, span_status, awaiting)
    entities = [_entity(text, e) for e in doc.get("entities") or []] if ENTITY_LAYER in layers else []
    claims = [_claim(text, c) for c in doc.get("claims") or []] if CLAIM_LAYER in layers else []
    relations = [
        {"id": str(r["id"]), "type": r["type"], "arg1_id": r["arg1_id"], "arg2_id": r["arg2_id"],
         "normalized": _normalized(r.get("normalized"))}
        for r in (doc.get("relations") or [] if layers else [])
    ]
    doc_labels = [
        {"name": d["name"], "value": d["value"], "provenance": d.get("provenance"), "annotator": d.get("annotator")}
        for d in doc.get("doc_labels") or []
    ]
    decided = doc.get("adjudication") if layers else None
    row = {
        "id": doc["id"],
        "document_id": doc["id"],
        "annotation_status": status,
        "annotated_layers": list(layers),
        "language": doc.get("language"),
        "title": doc.get("title"),
        "published": doc.get("published"),
        "dateline_place": (doc.get("dateline") or {}).get("place"),
        "attribution": doc.get("attribution"),
        "source": {k: (doc.get("source") or {}).get(k) for k in ("name", "outlet", "license", "uri", "key",
                                                                   "raw_sha256")},
        "duplicate_cluster": (doc.get("duplicates") or {}).get("cluster_id"),
        "text": text,
        "text_sha256": doc["text_sha256"],
        "passages": [
            {"id": p["id"], "type": p.get("type", "paragraph"), **dict(zip(("offsets", "text"),
                                                                        _spans_kb(text, p["offsets"])))}
            for p in doc.get("passages") or []
        ],
        "entities": entities,
        "claims": claims,
        "relations": relations,
        "doc_labels": doc_labels,
        "adjudication": None if not isinstance(decided, dict) else {
            "method": decided.get("method"), "annotators": decided.get("annotators"),
            "reviewed": decided.get("method") == "review", "machine": bool(decided.get("machine"))},
    }
    if labels.doc_labels:
        given = {d["name"]: d["value"] for d in doc_labels}
        row["labels"] = {
            name: (values.index(given[name]) if given.get(name) in values else -1)
            for name, values in labels.doc_labels.items()
        }
    return row


def count_document(counts: Counter, row: dict[str, Any], split: str, claim_label: str) -> None:
    """What a document row adds to the card's counts: (kind, split, name, value) -> n."""
    counts[("documents", split, row["annotation_status"], "")] += 1
    decided = row.get("adjudication")
    if decided:  # who decided the spans: the card's "Who annotated" table
        by = "imported" if decided["method"] == "imported" else "machine" if decided["machine"] else "people"
        counts[("decided", split, decided["method"] or "", by)] += 1
        if by != "imported":  # an imported corpus does not say who annotated each document
            counts[("annotators_per_document", split, str(decided["annotators"]), "")] += 1
    counts[("source", split, row["source"]["name"] or "", row["source"]["license"] or "")] += 1
    for e in row["entities"]:
        counts[("entity", split, e["type"], "")] += 1
    for cl in row["claims"]:
        counts[("claim", split, claim_label, "")] += 1
        counts[("claim_attribute", split, "checkworthy", cl["checkworthy"] or "")] += 1
        counts[("claim_attribute", split, "kind", cl["kind"] or "")] += 1
        counts[("claim_attribute", split, "speaker", "given" if cl["speaker_id"] else "none")] += 1
    for r in row["relations"]:
        counts[("relation", split, r["type"], "")] += 1
    for d in row["doc_labels"]:
        counts[("doc_label", split, d["name"], d["value"])] += 1
        origin = "source" if str(d.get("provenance") or "").startswith("source:") else "annotation"
        counts[("doc_label_origin", split, origin, "")] += 1
