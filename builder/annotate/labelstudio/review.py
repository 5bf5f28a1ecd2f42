"""Review in Label Studio: the documents adjudication left open, in a review project, one task each.

A review task holds the document and, as predictions named by annotator pseudonym (`model_version`), every
annotator's version of it; `data.review` (and the task's header) says what is disputed. The reviewer opens the
task from the project's task list (Label Studio's label stream shows no other versions), opens a version's tab,
chooses
"Duplicate Annotation" from its menu (one action takes that version over), corrects what is wrong and submits.
Label Studio pre-fills the reviewer's annotation with a task's last prediction, so the last one is `agreed`:
only what every annotator gave alike. Starting from it, the reviewer settles what is disputed. Pulling the
review project gives canonical records marked `purpose: review`, which `adjudicate` takes as the documents'
gold (recording reviewer and time), and which agreement never counts as an annotator's work.

Tasks are upserted by document id like `push`: a document already in review keeps its task; when its
annotators' versions changed and nobody reviewed it yet, the task's versions are replaced; a reviewed task is
never touched (reported instead).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from builder.annotate.annotators import AnnotatorMap, email_key
from builder.annotate.labelstudio.client import Client
from builder.annotate.labelstudio.convert import annotation_results, task_data
from builder.annotate.labelstudio.push import task_index
from builder.check.adjudicate import OPEN_KINDS
from builder.check.validate.layers import DocAnnotations
from builder.errors import InputError
from builder.jsonl import read_jsonl

AGREED = "agreed"  # the version holding what every annotator gave alike; the one Label Studio pre-fills
REVIEW_GUIDE = """# Review

Each task is a document the annotators disagreed on; its title says what is disputed.

1. Open the tasks from the project's task list (click a row): the label stream ("Label All Tasks") does not
   show the versions. The tabs at the top named **annotator-1**, **annotator-2**, ... are the annotators'
   versions; **agreed** holds what they all gave alike, and your annotation starts from it.
2. Complete it with what is disputed, or take a whole version over: open its tab, open its menu (the three
   dots) and choose **Duplicate Annotation**.
3. Correct what is wrong: spans, labels, the claims' check-worthiness and kind, the speakers (`said_by`), the
   document label.
4. **Submit**. Your annotation becomes the gold of the document.
"""


@dataclass
class ReviewReport:
    project_id: int
    counts: Counter = field(default_factory=Counter)
    refused: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"project_id": self.project_id, "counts": dict(self.counts), "refused": self.refused}


def open_documents(items_path: Path) -> dict[str, list[dict[str, Any]]]:
    """Document id -> its open review items, from adjudication's `review/items.jsonl`."""
    out: dict[str, list[dict[str, Any]]] = {}
    for item in read_jsonl(items_path):
        if item.get("kind") in OPEN_KINDS:
            out.setdefault(item["document_id"], []).append(item)
    return out


def summary(items: list[dict[str, Any]]) -> str:
    """What a document's review is about, e.g. "2 x tie (entity); 1 x tie (attribute/checkworthy)"."""
    kinds = Counter(f"{i['kind']} ({i['layer']}{'/' + i['name'] if i.get('name') else ''})" for i in items)
    return "; ".join(f"{n} x {k}" for k, n in sorted(kinds.items()))


def agreed(annotations: DocAnnotations) -> dict[str, Any]:
    """What every annotator gave alike, as a canonical annotation: spans, the claims' attribute values,
    relations and document labels."""
    layers = annotations.layers
    spans = set.intersection(*(x.entities | x.claims for x in layers)) if layers else set()
    ids = {key: f"agreed-{i}" for i, key in enumerate(sorted(spans, key=lambda k: (k[1], k[2], k[0], k[3])))}

    def region(key: Any) -> dict[str, Any]:
        out = {"id": ids[key], "label": key[3], "start": key[1], "end": key[2]}
        if key[0] == "claim":
            values = [x.attributes.get(key, {}) for x in layers]
            out["attributes"] = {k: v for k, v in values[0].items() if all(o.get(k) == v for o in values)}
        return out

    relations = set.intersection(*(x.relations for x in layers)) if layers else set()
    labels = {k: v for k, v in (layers[0].doc_labels.items() if layers else ())
              if all(x.doc_labels.get(k) == v for x in layers)}
    return {"entities": [region(k) for k in ids if k[0] == "entity"],
            "claims": [region(k) for k in ids if k[0] == "claim"],
            "relations": [{"type": t, "from_id": ids[a], "to_id": ids[b]} for t, a, b in sorted(relations, key=repr)
                          if a in ids and b in ids],
            "doc_labels": {k: [v] for k, v in labels.items()}}


def review_task(doc: dict[str, Any], items: list[dict[str, Any]], annotations: DocAnnotations) -> dict[str, Any]:
    """The import task of one document: its data, what is disputed, every annotator's version and, last (the one
    Label Studio pre-fills), what they agreed on."""
    versions = [{"model_version": raw.get("annotator"), "result": annotation_results(raw, doc["text"])}
                for raw in annotations.raw]
    versions.append({"model_version": AGREED, "result": annotation_results(agreed(annotations), doc["text"])})
    digest = hashlib.sha256(orjson.dumps(versions, option=orjson.OPT_SORT_KEYS)).hexdigest()
    data = {**task_data(doc), "review": summary(items), "versions_sha256": digest,
            "title": f"{doc.get('title') or doc['id']} (review: {summary(items)})"}
    return {"data": data, "predictions": versions}


def push_review(client: Client, project_id: int, tasks: list[dict[str, Any]], *, page_size: int = 1000) -> ReviewReport:
    """Upsert the review tasks by document id (see the module docstring)."""
    report = ReviewReport(project_id)
    index, _ = task_index(client, project_id, page_size)
    current = {t["id"]: t for page in client.iter_task_pages(project_id, include="id,data", page_size=page_size)
               for t in page}
    new = []
    for task in tasks:
        doc_id = task["data"]["doc_id"]
        refs = index.get(doc_id)
        if not refs:
            new.append(task)
            continue
        ref = refs[0]
        if (current.get(ref.id, {}).get("data") or {}).get("versions_sha256") == task["data"]["versions_sha256"]:
            report.counts["unchanged"] += 1
            continue
        if ref.annotations:
            report.refused.append({"document_id": doc_id, "task_id": ref.id,
                                   "reason": "reviewed already, but the annotators' versions changed since: "
                                             "see the task, and review again in a new round if needed"})
            report.counts["refused"] += 1
            continue
        preds = client.get("api/predictions/", task=ref.id)
        for p in preds.get("results", preds) if isinstance(preds, dict) else preds:
            client.request("DELETE", f"api/predictions/{p['id']}")
        client.request("PATCH", f"api/tasks/{ref.id}", json_body={"data": task["data"]})
        client.request("POST", f"api/projects/{project_id}/import/predictions",
                       json_body=[{"task": ref.id, **p} for p in task["predictions"]], idempotent=False)
        report.counts["versions_replaced"] += 1
    if new:
        body = client.request("POST", f"api/projects/{project_id}/import", params={"return_task_ids": "true"},
                              json_body=new, timeout=max(client.timeout, 120.0))
        report.counts["imported"] += len(body.get("task_ids") or [])
    report.counts["tasks"] = sum(1 for _ in index) + report.counts["imported"]
    return report


def set_ground_truth(client: Client, project_id: int, doc_id: str, pseudonym: str,
                     people: AnnotatorMap) -> dict[str, Any]:
    """Mark the named annotator's (latest submitted) annotation of a document as ground truth, and unmark the
    document's others: what Label Studio's API offers where its community UI has no action."""
    person = people.by_id(pseudonym)
    if person is None:
        raise InputError(f"no annotator {pseudonym} in the annotator map", where=str(people.path),
                         fix="use a pseudonym `newsbench annotate annotators list` shows")
    users = {uid for uid, email in client.users().items() if email_key(email) == person.email_sha256}
    refs = task_index(client, project_id)[0].get(doc_id)
    if not refs:
        raise InputError(f"no task of document {doc_id}", where=f"project {project_id}",
                         fix="check the document id, or pass the project with --project")
    task = client.get(f"api/tasks/{refs[0].id}")
    anns = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]
    mine = [a for a in anns if (a["completed_by"]["id"] if isinstance(a["completed_by"], dict)
                                else a["completed_by"]) in users]
    if not mine:
        raise InputError(f"{pseudonym} has no submitted annotation of {doc_id}", where=f"task {task['id']}",
                         fix="choose an annotator who annotated the document")
    chosen = max(mine, key=lambda a: (str(a.get("updated_at") or ""), a["id"]))
    unmarked = []
    for a in anns:
        if a["id"] != chosen["id"] and a.get("ground_truth"):
            client.request("PATCH", f"api/annotations/{a['id']}", json_body={"ground_truth": False})
            unmarked.append(a["id"])
    client.request("PATCH", f"api/annotations/{chosen['id']}", json_body={"ground_truth": True})
    return {"task_id": task["id"], "annotation_id": chosen["id"], "unmarked": unmarked}
