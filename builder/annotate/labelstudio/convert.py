"""Label Studio JSON <-> newsbench: task data, predictions, canonical annotation records, offset checks.

Offsets are Python code-point offsets into the task's `data.text` both ways (checked on Label Studio 1.23.2's
web UI). A region's text is always `text[start:end]`; the stated `value.text` is only a cross-check, because the
1.23.2 frontend writes each line break inside a span as the two characters `\\n` twice. A mismatch that this
does not explain is tried against known upstream shifts (UTF-16 offsets around emoji, offsets counted on
`\\r\\n` -> `\\n` text, trimmed whitespace, a nearby copy of the text); a repair is recorded on the region and
in the report, and an unexplained mismatch keeps the offsets as given and is reported for validation.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from builder.document import sha256_text
from builder.errors import ConfigError
from builder.annotate.labelstudio.config import TEXT_NAME
from builder.labels import LabelSchema
from builder.spans import CLAIM, ENTITY, PreAnnotation, confidence
from builder.annotate.labelstudio.stated_text import FRONTEND_CRLF, stated_text_ok
from builder.annotate.labelstudio.views import annotator_ref

CANONICAL_VERSION = "1.0.0"


def _predictions(task: dict[str, Any]) -> list[dict[str, Any]]:
    """A task's predictions with their results (a project's JSON export names them by id only: nothing to keep)."""
    return [p for p in task.get("predictions") or [] if isinstance(p, dict)]


def task_data(doc: dict[str, Any]) -> dict[str, Any]:
    """What a task holds: the text, the document id every upsert is keyed by, and its hash."""
    text = doc["text"]
    return {
        TEXT_NAME: text,
        "doc_id": doc["id"],
        "text_sha256": sha256_text(text),  # of the text itself: a stale stated hash must not hide a changed text
        # the task header ($title; Label Studio needs every $field): the article's title, else its id, so that
        # an annotator always sees which document this is
        "title": doc.get("title") or doc["id"],
        "split": doc.get("split") or "",
        "source": (doc.get("source") or {}).get("name", ""),
        "language": doc.get("language", ""),
    }


def region_results(regions: Any, relations: Any, text: str) -> list[dict[str, Any]]:
    """Label Studio result items for regions (spans with per-region choices) and relations."""
    out: list[dict[str, Any]] = []
    for r in regions:
        value = {"start": r.start, "end": r.end, "text": text[r.start:r.end]}
        control = ENTITY if r.layer == "entity" else CLAIM
        item = {"id": r.id, "from_name": control, "to_name": TEXT_NAME, "type": "labels",
                "value": {**value, "labels": [r.label]}}
        if getattr(r, "score", None) is not None:
            item["score"] = r.score
        out.append(item)
        for name, choice in r.attributes.items():
            out.append({"id": r.id, "from_name": name, "to_name": TEXT_NAME, "type": "choices",
                        "value": {**value, "choices": [choice]}})
    for rel in relations:
        out.append({"from_id": rel.from_id, "to_id": rel.to_id, "type": "relation", "direction": "right",
                    "labels": [rel.type]})
    return out


def check_preannotation(pre: PreAnnotation, schema: LabelSchema, text: str) -> None:
    """Refuse a pre-annotation that uses labels outside the label schema or offsets outside the text."""
    for r in pre.regions:
        allowed = schema.entity_names if r.layer == "entity" else [schema.claim.name]
        where = f"pre-annotator {pre.model_version}, document {pre.doc_id}, region {r.id}"
        if r.label not in allowed:
            raise ConfigError(f"label '{r.label}' is not in the label schema ({r.layer}: {allowed})", where=where,
                              fix="make the pre-annotator use the labels of schema/labels.json")
        if not 0 <= r.start < r.end <= len(text):
            raise ConfigError(f"offsets [{r.start}, {r.end}) are outside the text (length {len(text)})", where=where,
                              fix="emit code-point offsets into the document's text")
        for name, value in r.attributes.items():
            attr = schema.attribute(name)
            if attr is None or value not in attr.values:
                raise ConfigError(f"attribute {name}={value} is not in the label schema", where=where,
                                  fix="use the claim attributes of schema/labels.json")
    names = {rel.name for rel in schema.relations}
    for rel in pre.relations:
        if rel.type not in names:
            raise ConfigError(f"relation '{rel.type}' is not in the label schema", fix="use " + ", ".join(names),
                              where=f"pre-annotator {pre.model_version}, document {pre.doc_id}")


def prediction(pre: PreAnnotation, text: str, schema: LabelSchema) -> dict[str, Any]:
    """A Label Studio prediction; its score is the document's `confidence`, which uncertainty sampling orders by."""
    check_preannotation(pre, schema, text)
    score = confidence(pre)
    return {"model_version": pre.model_version, "score": pre.score if score is None else round(score, 4),
            "result": region_results(pre.regions, pre.relations, text)}


def annotation_results(ann: dict[str, Any], text: str) -> list[dict[str, Any]]:
    """A canonical annotation (entities, claims with attributes, relations, document labels) as Label Studio
    result items, with its own region ids: what a review task shows as that annotator's version."""
    out: list[dict[str, Any]] = []
    for control, key in ((ENTITY, "entities"), (CLAIM, "claims")):
        for r in ann.get(key) or []:
            value = {"start": r["start"], "end": r["end"], "text": text[r["start"]:r["end"]]}
            out.append({"id": r["id"], "from_name": control, "to_name": TEXT_NAME, "type": "labels",
                        "value": {**value, "labels": [r["label"]]}})
            for name, choice in (r.get("attributes") or {}).items():
                out.append({"id": r["id"], "from_name": name, "to_name": TEXT_NAME, "type": "choices",
                            "value": {**value, "choices": choice if isinstance(choice, list) else [choice]}})
    for rel in ann.get("relations") or []:
        out.append({"from_id": rel["from_id"], "to_id": rel["to_id"], "type": "relation",
                    "direction": rel.get("direction", "right"), "labels": list(rel.get("labels") or [rel["type"]])})
    for name, values in (ann.get("doc_labels") or {}).items():
        out.append({"id": f"doc-{name}", "from_name": name, "to_name": TEXT_NAME, "type": "choices",
                    "value": {"choices": list(values)}})
    return out


# ---- offsets ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OffsetCheck:
    status: str  # ok | linebreak_rewrite | unverified | repaired | mismatch | out_of_range
    start: int
    end: int
    reason: str = ""


def frontend_text(span: str) -> str:
    """What Label Studio 1.23.2's frontend states as `value.text` for a span: each \\r\\n as a literal \\n\\n
    (the one rewriting observed; see `stated_text`)."""
    return span.replace("\r\n", FRONTEND_CRLF)


def _utf16_to_codepoints(text: str, offset: int) -> int | None:
    units = 0
    for i, ch in enumerate(text):
        if units == offset:
            return i
        units += 2 if ord(ch) > 0xFFFF else 1
    return len(text) if units == offset else None


def _lf_to_crlf_offset(text: str, offset: int) -> int | None:
    """An offset counted on the text with \\r\\n folded to \\n, mapped back onto the raw text."""
    folded = 0
    i = 0
    while i < len(text):
        if folded == offset:
            return i
        i += 2 if text.startswith("\r\n", i) else 1
        folded += 1
    return len(text) if folded == offset else None


def check_offsets(text: str, start: Any, end: Any, stated: Any) -> OffsetCheck:
    """Check one region's offsets against the text and its stated text; try the known repairs."""
    if not (isinstance(start, int) and isinstance(end, int) and 0 <= start <= end <= len(text)):
        return OffsetCheck("out_of_range", start if isinstance(start, int) else -1,
                           end if isinstance(end, int) else -1, f"text length {len(text)}")
    span = text[start:end]
    if not isinstance(stated, str):
        return OffsetCheck("unverified", start, end, "no value.text to compare")
    if stated == span:
        return OffsetCheck("ok", start, end)
    if stated_text_ok(stated, span):
        return OffsetCheck("linebreak_rewrite", start, end)
    candidates = []
    s16, e16 = _utf16_to_codepoints(text, start), _utf16_to_codepoints(text, end)
    if s16 is not None and e16 is not None:
        candidates.append((s16, e16, "offsets counted in UTF-16 code units"))
    s_lf, e_lf = _lf_to_crlf_offset(text, start), _lf_to_crlf_offset(text, end)
    if s_lf is not None and e_lf is not None:
        candidates.append((s_lf, e_lf, "offsets counted on the text with \\r\\n as one character"))
    stripped = stated.strip()
    if stripped and stripped in span:
        at = start + span.index(stripped)
        candidates.append((at, at + len(stripped), "span includes whitespace the stated text trims"))
    for s, e, reason in candidates:
        if text[s:e] == stripped or stated_text_ok(stated, text[s:e]):
            return OffsetCheck("repaired", s, e, reason)
    hits = [m.start() for m in re.finditer(re.escape(stated), text)] if stated else []
    if hits:
        best = min(hits, key=lambda h: abs(h - start))
        return OffsetCheck("repaired", best, best + len(stated), f"stated text found {best - start:+d} characters away")
    return OffsetCheck("mismatch", start, end, f"text[{start}:{end}] is {span[:60]!r}, value.text is {stated[:60]!r}")


# ---- Label Studio results -> canonical layers ---------------------------------------------------------------


def convert_results(results: list[dict[str, Any]], text: str, schema: LabelSchema,
                    report: list[dict[str, Any]], where: dict[str, Any]) -> dict[str, Any]:
    """One annotation's (or prediction's) result list as entities, claims, relations, doc labels."""
    regions: dict[str, dict[str, Any]] = {}
    choices: dict[str, dict[str, list[str]]] = defaultdict(dict)
    relations, unmapped = [], []
    doc_labels: dict[str, list[str]] = {}
    doc_controls = {d.name for d in schema.doc_labels}
    for item in results:
        kind, value, rid = item.get("type"), item.get("value") or {}, item.get("id")
        if kind == "relation":
            relations.append({"type": (item.get("labels") or [None])[0], "from_id": item.get("from_id"),
                              "to_id": item.get("to_id"), "direction": item.get("direction", "right"),
                              "labels": list(item.get("labels") or [])})
        elif kind == "labels" and item.get("from_name") in (ENTITY, CLAIM):
            check = check_offsets(text, value.get("start"), value.get("end"), value.get("text"))
            region = {"id": rid, "label": (value.get("labels") or [None])[0], "start": check.start,
                      "end": check.end, "text": text[check.start:check.end] if check.start >= 0 else "",
                      "offset_check": check.status}
            if len(value.get("labels") or []) > 1:
                region["labels"] = list(value["labels"])
            if check.status == "repaired":
                region["repair"] = {"from": [value.get("start"), value.get("end")], "reason": check.reason}
            if "score" in item:
                region["score"] = item["score"]
            if check.status in ("repaired", "mismatch", "out_of_range"):
                report.append({**where, "region_id": rid, "status": check.status, "reason": check.reason,
                               "start": value.get("start"), "end": value.get("end"),
                               "repaired": [check.start, check.end] if check.status == "repaired" else None})
            regions[rid] = {"layer": item["from_name"], **region}
        elif kind == "choices" and item.get("from_name") in doc_controls and "start" not in value:
            doc_labels[item["from_name"]] = list(value.get("choices") or [])
        elif kind == "choices" and rid is not None:
            choices[rid][item.get("from_name")] = list(value.get("choices") or [])
        else:
            unmapped.append(item)
    entities, claims = [], []
    for rid, region in regions.items():
        layer = region.pop("layer")
        attrs = {name: vals[0] if len(vals) == 1 else vals for name, vals in choices.pop(rid, {}).items()}
        if layer == CLAIM:
            claims.append({**region, "attributes": attrs})
        else:
            entities.append({**region, **({"attributes": attrs} if attrs else {})})
    for rid, orphan in choices.items():  # per-region choices whose region is missing: keep them for validation
        for name, vals in orphan.items():
            unmapped.append({"id": rid, "from_name": name, "type": "choices", "value": {"choices": vals}})
    return {"entities": entities, "claims": claims, "relations": relations, "doc_labels": doc_labels,
            "unmapped": unmapped}


def canonical_record(tasks: list[dict[str, Any]], schema: LabelSchema, *, project: dict[str, Any],
                     export: dict[str, Any], report: list[dict[str, Any]],
                     annotators: dict[Any, str] | None = None) -> dict[str, Any]:
    """The canonical record of one document from its task(s) (more than one only if duplicates exist).

    `annotators` maps server user ids to pseudonyms; a user it lacks is named `ls-user:<id>`."""
    named = annotators or {}
    first = tasks[0]
    versions = {p.get("id"): p.get("model_version") for t in tasks for p in _predictions(t)}
    data = first.get("data") or {}
    text = str(data.get(TEXT_NAME, ""))
    doc_id = data.get("doc_id")
    annotations, predictions = [], []
    for task in tasks:
        task_text = str((task.get("data") or {}).get(TEXT_NAME, ""))
        for ann in task.get("annotations") or []:
            completed = ann.get("completed_by")
            user = completed.get("id") if isinstance(completed, dict) else completed
            who = named.get(user) or annotator_ref(user)
            where = {"document_id": doc_id, "task_id": task.get("id"), "annotation_id": ann.get("id"),
                     "annotator": who}
            layers = convert_results(ann.get("result") or [], task_text, schema, report, where)
            annotations.append({
                "id": ann.get("id"), "task_id": task.get("id"), "annotator": who,
                "was_cancelled": bool(ann.get("was_cancelled")), "ground_truth": bool(ann.get("ground_truth")),
                "lead_time": ann.get("lead_time"), "created_at": ann.get("created_at"),
                "updated_at": ann.get("updated_at"), **layers,
                **({"based_on": versions.get(ann["parent_prediction"])} if ann.get("parent_prediction") else {}),
            })
        for pred in _predictions(task):
            where = {"document_id": doc_id, "task_id": task.get("id"), "prediction_id": pred.get("id")}
            layers = convert_results(pred.get("result") or [], task_text, schema, report, where)
            predictions.append({"id": pred.get("id"), "task_id": task.get("id"),
                                "model_version": pred.get("model_version"), "score": pred.get("score"),
                                "created_at": pred.get("created_at"), **layers})
    return {
        "schema_version": CANONICAL_VERSION,
        **({"purpose": "review"} if data.get("review") else {}),
        "document_id": doc_id,
        "text_sha256": sha256_text(text),
        "stated_text_sha256": data.get("text_sha256"),
        "split": data.get("split") or None,
        "task_ids": [t.get("id") for t in tasks],
        "project": project,
        "export": export,
        "annotations": annotations,
        "predictions": predictions,
    }
