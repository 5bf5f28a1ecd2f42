"""Push documents into a Label Studio project as tasks with pre-annotations: an idempotent upsert by document id.

Label Studio's import has no upsert (importing twice duplicates tasks, task ids can be reused), so the key is
`data.doc_id`. Each push first reads the project's task list into an index (document id -> task), then:
new documents are imported in batches with their predictions; unchanged ones get a prediction only when this
pre-annotator's `model_version` is missing; a changed text replaces the task's data only while the task has no
annotation (else it is refused and reported, since its offsets would break). A push that dies part way
(even while an import request is in flight, which may still land) is made whole by running it again: the
index shows what landed, and duplicates of a document are removed when they carry no annotation.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.errors import InputError
from builder.stage import Progress
from builder.jsonl import batched, read_jsonl
from builder.labels import LabelSchema
from builder.annotate.labelstudio.client import Client, ServerUnavailable
from builder.annotate.labelstudio.convert import prediction, task_data
from builder.spans import PreAnnotator, confidence

ORDERS = ("input", "random", "least-confident")
INDEX_FIELDS = "id,data,total_annotations,cancelled_annotations,predictions_model_versions"


@dataclass
class Selection:
    """Which documents to push. `order` (a key of ORDERS) also says which N a `sample` keeps; the project's
    sampling, which orders the label stream, is set from it by `ensure_project`."""

    splits: tuple[str, ...] = ()
    sample: int | None = None
    order: str = "input"
    seed: int = 13
    sources: tuple[str, ...] = ()  # only these sources; () = every one
    skip_annotated: bool = False  # leave out documents imported with gold layers (pushing the project's corpus)


def came_annotated(doc: dict[str, Any]) -> bool:
    """A document imported with its annotation (gold entities or claims of its own): not pushed unless its source
    is named, since its labels exist (push it with `--source NAME --preannotator imported` to review them)."""
    return any(k in doc for k in ("entities", "claims"))


@dataclass
class TaskRef:
    id: int
    sha: str | None
    annotations: int
    model_versions: set[str]


@dataclass
class PushReport:
    project_id: int
    project_changes: list[str]
    counts: dict[str, int] = field(default_factory=dict)
    refused: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, key: str, n: int = 1) -> None:
        with self._lock:  # the import thread counts too
            self.counts[key] = self.counts.get(key, 0) + n

    def as_dict(self) -> dict[str, Any]:
        return {"project_id": self.project_id, "project_changes": self.project_changes, "counts": self.counts,
                "refused": self.refused, "duplicate_conflicts": self.conflicts, "seconds": round(self.seconds, 2)}


def _in_splits(doc: dict[str, Any], sel: Selection) -> bool:
    """In the selected splits and sources; with `skip_annotated` and no source named, not imported with gold."""
    if sel.splits and doc.get("split") not in sel.splits:
        return False
    if sel.sources:
        return (doc.get("source") or {}).get("name") in sel.sources
    return not (sel.skip_annotated and came_annotated(doc))


def _sample_key(seed: int, doc_id: str) -> bytes:
    return hashlib.sha256(f"{seed}\x00{doc_id}".encode()).digest()


def select_ids(docs: Iterable[dict[str, Any]], sel: Selection, pre: PreAnnotator | None) -> set[str] | None:
    """The ids to push, or None for every document of the chosen splits.

    `sample` keeps N documents: N in a seeded hash order, or with `order="least-confident"` the N whose
    proposals the pre-annotator is least sure of (`builder.spans.confidence`, ties in the seeded order), and
    only when fewer than N documents have proposals, seeded ones without. Memory holds ids only.
    """
    if sel.order not in ORDERS:
        raise InputError(f"unknown order '{sel.order}'", fix=f"use one of {', '.join(ORDERS)}")
    if sel.order == "least-confident" and pre is None:
        raise InputError("--order least-confident needs a pre-annotator", fix="drop --preannotator none")
    if sel.sample is None:
        return None
    chosen = (d for d in docs if _in_splits(d, sel))
    if sel.order == "least-confident":
        ranked = ((math.inf if c is None else c, _sample_key(sel.seed, p.doc_id), p.doc_id)
                  for p in pre.predict(chosen) for c in (confidence(p),))
        return {doc_id for _, _, doc_id in heapq.nsmallest(sel.sample, ranked)}
    keyed = ((_sample_key(sel.seed, d["id"]), d["id"]) for d in chosen)
    return {doc_id for _, doc_id in heapq.nsmallest(sel.sample, keyed)}


def task_index(client: Client, project_id: int, page_size: int = 1000) -> tuple[dict[str, list[TaskRef]], int]:
    """Document id -> its tasks (normally one), and the number of tasks without a document id."""
    index: dict[str, list[TaskRef]] = {}
    foreign = 0
    for page in client.iter_task_pages(project_id, include=INDEX_FIELDS, page_size=page_size):
        for t in page:
            data = t.get("data") or {}
            doc_id = data.get("doc_id")
            if not doc_id:
                foreign += 1
                continue
            versions = {v.strip() for v in str(t.get("predictions_model_versions") or "").split(",") if v.strip()}
            n = int(t.get("total_annotations") or 0) + int(t.get("cancelled_annotations") or 0)
            index.setdefault(doc_id, []).append(TaskRef(int(t["id"]), data.get("text_sha256"), n, versions))
    return index, foreign


def remove_duplicates(client: Client, index: dict[str, list[TaskRef]], report: PushReport) -> None:
    """Keep one task per document: the annotated one (else the oldest); delete unannotated extras."""
    for doc_id, refs in index.items():
        if len(refs) < 2:
            continue
        refs.sort(key=lambda r: (r.annotations == 0, r.id))
        keep, extras = refs[0], refs[1:]
        for ref in extras:
            if ref.annotations:
                report.conflicts.append({"document_id": doc_id, "task_ids": [r.id for r in refs],
                                         "reason": "several tasks of this document carry annotations"})
                continue
            client.request("DELETE", f"api/tasks/{ref.id}")
            report.add("duplicates_removed")
        index[doc_id] = [keep] + [r for r in extras if r.annotations]


def _replace_task(client: Client, ref: TaskRef, data: dict[str, Any]) -> None:
    """New text for a task nobody annotated: its old predictions go (their offsets broke), then the new data.

    In this order a push killed in between leaves either the old text (replaced again by the rerun) or the new
    text without predictions (given one by the rerun), never old predictions on a new text.
    """
    preds = client.get("api/predictions/", task=ref.id)
    for p in preds.get("results", preds) if isinstance(preds, dict) else preds:
        client.request("DELETE", f"api/predictions/{p['id']}")
    ref.model_versions.clear()
    client.request("PATCH", f"api/tasks/{ref.id}", json_body={"data": data})


def _import(client: Client, project_id: int, tasks: list[dict[str, Any]], attempts: int = 3) -> list[int] | None:
    """POST one import batch. After an ambiguous failure return None: the caller re-reads what landed."""
    try:
        body = client.request("POST", f"api/projects/{project_id}/import", params={"return_task_ids": "true"},
                              json_body=tasks, timeout=max(client.timeout, 120.0))
    except ServerUnavailable:
        if attempts <= 1:
            raise
        return None
    return list(body.get("task_ids") or [])


def push(
    client: Client,
    schema: LabelSchema,
    documents: Path,
    *,
    project: tuple[int, list[str]],
    selection: Selection,
    preannotator: PreAnnotator | None,
    batch_size: int = 1000,
    page_size: int = 1000,
    progress: Progress | None = None,
) -> PushReport:
    """Upsert the selected documents of `documents` (JSONL) into the project; see the module docstring."""
    started = time.monotonic()
    project_id, changes = project
    report = PushReport(project_id, changes)
    chosen = select_ids(read_jsonl(documents), selection, preannotator)
    index, foreign = task_index(client, project_id, page_size)
    report.add("tasks_before", sum(len(v) for v in index.values()) + foreign)
    if foreign:
        report.add("tasks_without_doc_id", foreign)
    remove_duplicates(client, index, report)
    imported_any = False
    seen: set[str] = set()
    # one import request in flight while the next batch is pre-annotated: client and server work overlap
    with ThreadPoolExecutor(max_workers=1) as sender:
        inflight: Future | None = None
        for batch in batched(_selected(read_jsonl(documents), selection, chosen, report), batch_size):
            new, new_preds = _plan_batch(client, schema, batch, index, seen, preannotator, report)
            if new:
                imported_any = True
                if inflight is not None:
                    inflight.result()
                inflight = sender.submit(_import_batch, client, project_id, new, index, report, page_size)
            if new_preds:
                client.request("POST", f"api/projects/{project_id}/import/predictions", json_body=new_preds,
                               idempotent=False)
                report.add("predictions_added", len(new_preds))
            if progress:
                progress("push", len(batch), None)
        if inflight is not None:
            inflight.result()
    expected = report.counts["tasks_before"] - report.counts.get("duplicates_removed", 0) + report.counts.get(
        "imported", 0)
    if imported_any and client.get(f"api/projects/{project_id}").get("task_number") != expected:
        # an import of an earlier, killed push landed while this one ran: reconcile by document id once more
        index, foreign = task_index(client, project_id, page_size)
        remove_duplicates(client, index, report)
    report.add("tasks_after", sum(len(v) for v in index.values()) + foreign)
    report.seconds = time.monotonic() - started
    return report


def _plan_batch(client: Client, schema: LabelSchema, batch: list[dict[str, Any]], index: dict[str, list[TaskRef]],
                seen: set[str], pre: PreAnnotator | None, report: PushReport) -> tuple[list, list]:
    """New tasks to import and predictions to add for one batch; texts of unannotated tasks are replaced here.

    Documents are pre-annotated only when they need a prediction (new, new text, or no prediction of this
    model version yet), so that pushing an unchanged corpus again costs one read of the task list.
    """
    new_docs, pred_docs = [], []
    for doc in batch:
        if doc["id"] in seen:
            report.add("duplicate_in_input")
            continue
        seen.add(doc["id"])
        report.add("selected")
        data = task_data(doc)
        refs = index.get(doc["id"])
        if not refs:
            new_docs.append((doc, data))
            continue
        ref = refs[0]
        if ref.sha != data["text_sha256"]:
            if ref.annotations:
                report.refused.append({"document_id": doc["id"], "task_id": ref.id, "annotations": ref.annotations,
                                       "task_text_sha256": ref.sha, "new_text_sha256": data["text_sha256"],
                                       "reason": "text changed but the task has annotations whose offsets would break"})
                report.add("refused_changed_text")
                continue
            _replace_task(client, ref, data)
            ref.sha = data["text_sha256"]
            report.add("updated_text")
        else:
            report.add("unchanged")
        if pre is not None and pre.model_version not in ref.model_versions:
            pred_docs.append((doc, data, ref))
    todo = [d for d, _ in new_docs] + [d for d, _, _ in pred_docs]
    preds = {p.doc_id: p for p in pre.predict(todo)} if pre is not None and todo else {}
    # a document without proposals gets no prediction: uncertainty sampling would serve its score first
    empty = {doc_id for doc_id, p in preds.items() if not p.regions}
    if empty:
        report.add("without_proposals", sum(1 for d, *_ in new_docs + pred_docs if d["id"] in empty))
    new = []
    for doc, data in new_docs:
        task: dict[str, Any] = {"data": data}
        if doc["id"] in preds and doc["id"] not in empty:
            task["predictions"] = [prediction(preds[doc["id"]], data["text"], schema)]
        new.append(task)
    new_preds = []
    for doc, data, ref in pred_docs:
        if doc["id"] not in empty:
            new_preds.append({"task": ref.id, **prediction(preds[doc["id"]], data["text"], schema)})
            ref.model_versions.add(pre.model_version)
    return new, new_preds


def _import_batch(client: Client, project_id: int, tasks: list[dict[str, Any]], index: dict[str, list[TaskRef]],
                  report: PushReport, page_size: int) -> None:
    attempts = 3
    while tasks:
        ids = _import(client, project_id, tasks, attempts)
        if ids is not None and len(ids) == len(tasks):
            for task, task_id in zip(tasks, ids):
                versions = {p["model_version"] for p in task.get("predictions", [])}
                index[task["data"]["doc_id"]] = [TaskRef(task_id, task["data"]["text_sha256"], 0, versions)]
            report.add("imported", len(tasks))
            return
        # unknown outcome: see what landed and send the rest again
        attempts -= 1
        fresh, _ = task_index(client, project_id, page_size)
        landed = [t for t in tasks if t["data"]["doc_id"] in fresh]
        for t in landed:
            index[t["data"]["doc_id"]] = fresh[t["data"]["doc_id"]]
        report.add("imported", len(landed))
        tasks = [t for t in tasks if t["data"]["doc_id"] not in fresh]


def _selected(docs: Iterable[dict[str, Any]], sel: Selection, chosen: set[str] | None,
              report: PushReport | None = None) -> Iterator[dict[str, Any]]:
    for doc in docs:
        if "id" not in doc or "text" not in doc:
            raise InputError("a document has no 'id' or 'text'", where=str(doc.get("id", "?")),
                             fix="push the segment stage's documents.jsonl")
        if _in_splits(doc, sel) and (chosen is None or doc["id"] in chosen):
            yield doc
        elif (report is not None and sel.skip_annotated and not sel.sources and came_annotated(doc)
              and (not sel.splits or doc.get("split") in sel.splits)):
            report.add("skipped_imported_with_gold")
