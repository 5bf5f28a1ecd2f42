"""Annotation sheets to and from a Label Studio project (see builder/anchored.py for the sheet format).

`write_sheets` gives an annotator who works outside the web UI what the UI would show: one sheet per task,
filled from the task's newest prediction (the pre-annotation, to be corrected), and the text beside it.
`submit_sheets` sends the corrected sheets back as the signed-in user's annotations, keyed by document id:
a task the user already annotated is updated in place (never a second annotation by the same person), an
unchanged one is left alone, and a sheet whose text hash differs from the task's is refused, since its quotes
were read on another text.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.annotate.sheets import ResolvedSheet, resolve_sheet, sheet_from_preannotation
from builder.document import sha256_text
from builder.errors import DataInvalidError, InputError
from builder.jsonl import write_json
from builder.annotate.labelstudio.config import TEXT_NAME
from builder.labels import LabelSchema
from builder.annotate.labelstudio.client import Client
from builder.annotate.labelstudio.convert import convert_results, region_results
from builder.spans import PreAnnotation, Region, Relation

TASK_FIELDS = "id,data,annotations,predictions"


def sheet_name(doc_id: str) -> str:
    """A file name for a document id (`source:hash` -> `source_hash`)."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in doc_id)


def _tasks(client: Client, project_id: int) -> dict[str, dict[str, Any]]:
    """Document id -> its task (with data, annotations and predictions)."""
    out: dict[str, dict[str, Any]] = {}
    for page in client.iter_task_pages(project_id, include=TASK_FIELDS, page_size=200):
        for task in page:
            doc_id = (task.get("data") or {}).get("doc_id")
            if doc_id:
                out.setdefault(str(doc_id), task)
    return out


def _prediction(task: dict[str, Any], schema: LabelSchema) -> PreAnnotation | None:
    """The task's newest prediction as regions (what the annotator starts from)."""
    preds = sorted(task.get("predictions") or [], key=lambda p: (str(p.get("created_at") or ""), p.get("id") or 0))
    if not preds:
        return None
    pred = preds[-1]
    text = str(task["data"][TEXT_NAME])
    layers = convert_results(pred.get("result") or [], text, schema, [], {})
    regions = [Region(str(e["id"]), "entity", e["label"], e["start"], e["end"], float(e.get("score") or 0))
               for e in layers["entities"]]
    regions += [Region(str(c["id"]), "claim", c["label"], c["start"], c["end"], float(c.get("score") or 0),
                       {k: v for k, v in c["attributes"].items() if isinstance(v, str)}) for c in layers["claims"]]
    relations = [Relation(str(r["type"]), str(r["from_id"]), str(r["to_id"]), 0.0) for r in layers["relations"]]
    return PreAnnotation(str(task["data"]["doc_id"]), str(pred.get("model_version") or ""), tuple(regions),
                         tuple(relations), float(pred.get("score") or 0))


def write_sheets(client: Client, schema: LabelSchema, project_id: int, out_dir: Path,
                 doc_ids: set[str] | None = None) -> dict[str, int]:
    """One `<doc>.json` sheet (from the newest prediction, or empty) and `<doc>.txt` text per task."""
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: Counter[str] = Counter()
    for doc_id, task in sorted(_tasks(client, project_id).items()):
        if doc_ids is not None and doc_id not in doc_ids:
            continue
        text = str(task["data"][TEXT_NAME])
        pre = _prediction(task, schema)
        sheet = (sheet_from_preannotation(text, pre, schema) if pre is not None
                 else {"document_id": doc_id, "entities": [], "claims": []})
        sheet = {"document_id": doc_id, "text_sha256": sha256_text(text), **sheet}
        name = sheet_name(doc_id)
        write_json(out_dir / f"{name}.json", sheet)
        (out_dir / f"{name}.txt").write_text(text, encoding="utf-8")
        counts["sheets"] += 1
        counts["from_prediction" if pre is not None else "empty"] += 1
    return dict(counts)


@dataclass
class SubmitReport:
    counts: Counter = field(default_factory=Counter)
    refused: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"counts": dict(self.counts), "refused": self.refused}


def annotation_result(resolved: ResolvedSheet, text: str) -> list[dict[str, Any]]:
    """Label Studio result items of a resolved sheet: spans, per-region choices, relations, document labels."""
    out = region_results(resolved.regions, resolved.relations, text)
    out += [{"id": f"doc-{name}", "from_name": name, "to_name": TEXT_NAME, "type": "choices",
             "value": {"choices": [value]}} for name, value in sorted(resolved.doc_labels.items())]
    return out


def _comparable(result: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps({k: v for k, v in item.items() if k not in ("origin", "score")}, sort_keys=True)
                  for item in result)


def read_sheet(path: Path) -> dict[str, Any]:
    try:
        sheet = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the annotation sheet: {exc}", where=str(path),
                         fix="write the sheet as one JSON object (see builder/anchored.py)") from exc
    if not isinstance(sheet, dict) or not sheet.get("document_id"):
        raise InputError("the sheet has no document_id", where=str(path), fix="add the task's document id")
    return sheet


def _own_annotations(client: Client, task: dict[str, Any], user_id: int) -> list[dict[str, Any]]:
    """The user's submitted annotations of a task (the task list leaves `completed_by` empty: ask the task)."""
    if not task.get("annotations"):
        return []
    out = []
    for a in client.get(f"api/tasks/{task['id']}/annotations"):
        who = a.get("completed_by")
        if (who.get("id") if isinstance(who, dict) else who) == user_id and not a.get("was_cancelled"):
            out.append(a)
    return sorted(out, key=lambda a: a["id"])


def submit_sheets(client: Client, schema: LabelSchema, project_id: int, paths: list[Path], *,
                  lead_time: float | None = None) -> SubmitReport:
    """Create or update the signed-in user's annotation of each sheet's task; refuse what does not fit."""
    me = int(client.whoami()["id"])
    tasks = _tasks(client, project_id)
    report = SubmitReport()
    for path in paths:
        sheet = read_sheet(path)
        doc_id = str(sheet["document_id"])
        task = tasks.get(doc_id)
        if task is None:
            report.refused.append({"sheet": str(path), "document_id": doc_id, "reason": "no task has this document"})
            continue
        text = str(task["data"][TEXT_NAME])
        if sheet.get("text_sha256") not in (None, sha256_text(text)):
            report.refused.append({"sheet": str(path), "document_id": doc_id,
                                   "reason": "the task's text changed since the sheet was written; write it anew"})
            continue
        try:
            resolved = resolve_sheet(text, sheet, schema, where=str(path))
        except DataInvalidError as exc:
            report.refused.append({"sheet": str(path), "document_id": doc_id, "reason": str(exc)})
            continue
        result = annotation_result(resolved, text)
        mine = _own_annotations(client, task, me)
        body: dict[str, Any] = {"result": result, "was_cancelled": False}
        if lead_time is not None:
            body["lead_time"] = lead_time
        if mine:
            if _comparable(mine[0].get("result") or []) == _comparable(result):
                report.counts["unchanged"] += 1
                continue
            client.request("PATCH", f"api/annotations/{mine[0]['id']}", json_body=body)
            report.counts["updated"] += 1
        else:
            client.request("POST", f"api/tasks/{task['id']}/annotations", json_body=body)
            report.counts["created"] += 1
        report.counts["regions"] += len(resolved.regions)
        report.counts["relations"] += len(resolved.relations)
        report.counts["nested_left_to_longer"] += resolved.nested_skipped
    report.counts["refused"] = len(report.refused)
    return report

