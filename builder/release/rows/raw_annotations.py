"""Rows of the `raw_annotations` config: every annotation and pre-annotation of a canonical annotation record."""

from __future__ import annotations

import json
from typing import Any



def _region(r: dict[str, Any]) -> dict[str, Any]:
    start, end = r.get("start"), r.get("end")
    return {"id": r.get("id"), "type": r.get("label"), "offsets": [[start, end]], "text": [r.get("text")],
            "offset_check": r.get("offset_check")}


def _choice(value: Any) -> str | None:
    """A per-region choice as one string; several chosen values are joined with '|'."""
    if isinstance(value, list):
        return "|".join(str(v) for v in value)
    return value


def raw_rows(record: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per annotation and per pre-annotation of a record, annotations first. A review project's record
    gives `review` rows (the reviewers' decisions); its predictions are copies of the annotators' annotations,
    which are rows already, so they are left out."""
    doc_id = record["document_id"]
    base = {"document_id": doc_id, "project": (record.get("project") or {}).get("title"),
            "export_sha256": (record.get("export") or {}).get("sha256")}
    rows = []
    review = record.get("purpose") == "review"
    for kind, items in (("review" if review else "annotation", record.get("annotations") or []),
                        ("prediction", [] if review else record.get("predictions") or [])):
        for a in items:
            rows.append({
                **base,
                "id": f"{doc_id}/{kind}/{a.get('id')}",
                "kind": kind,
                "annotation_id": a.get("id"),
                "task_id": a.get("task_id"),
                "annotator": a.get("annotator") if kind != "prediction" else None,
                "model_version": a.get("model_version") if kind == "prediction" else None,
                "was_cancelled": bool(a.get("was_cancelled", False)),
                "ground_truth": bool(a.get("ground_truth", False)),
                "lead_time": a.get("lead_time"),
                "created_at": a.get("created_at"),
                "updated_at": a.get("updated_at"),
                "entities": [_region(r) for r in a.get("entities") or []],
                "claims": [{**_region(r), **{k: _choice((r.get("attributes") or {}).get(k))
                                             for k in ("checkworthy", "kind")}}
                           for r in a.get("claims") or []],
                "relations": [{"type": r.get("type"), "arg1_id": r.get("from_id"), "arg2_id": r.get("to_id")}
                              for r in a.get("relations") or []],
                "doc_labels": [{"name": name, "value": v}
                               for name, values in sorted((a.get("doc_labels") or {}).items()) for v in values],
                "unmapped": [json.dumps(u, sort_keys=True, ensure_ascii=False) for u in a.get("unmapped") or []],
            })
    return rows
