"""Pull every task with its annotations, page by page, into an immutable raw export and canonical records.

A community-edition export runs in one synchronous request that times out on big projects, so the task list
is paged instead. Each pull writes `annotations/raw/<project>-<UTC time>/` holding `tasks.jsonl` (the server's
JSON, one task a line) and `manifest.json` (sha256, counts, server version, time, project). Both are built in a
hidden temporary folder that is renamed into place only when complete, and made read-only: an interrupted
pull leaves no export behind, and an export is never rewritten. The canonical records (one per document,
keyed by document id; see schema/annotation.schema.json) go to `annotations/canonical/<project>.jsonl`, with
a report of every offset repair or mismatch beside them. Records name annotators by pseudonym
(`builder.annotate.annotators`); the manifest keeps which server user each pseudonym stood for in this export.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import time
from collections import Counter
from pathlib import Path
from typing import Any

import orjson

from builder import __version__
from builder.errors import DataInvalidError, InputError
from builder.stage import Progress
from builder.jsonl import AtomicWriter, read_jsonl, write_json
from builder.labels import LabelSchema
from builder.annotate.labelstudio.client import SDK_VERSION, Client
from builder.annotate.labelstudio.convert import canonical_record
from builder.annotate.labelstudio.project import find_project
from builder.annotate.labelstudio.users import pseudonyms
from builder.annotate.annotators import AnnotatorMap

TASK_FIELDS = ("id,data,meta,annotations,predictions,created_at,updated_at,project,inner_id,total_annotations,"
               "cancelled_annotations,total_predictions,is_labeled,overlap")
TMP_PREFIX = ".pull-"


def slug(title: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", title).strip("-") or "project"


def _read_only(path: Path) -> None:
    path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)


def clean_stale(raw_dir: Path) -> int:
    """Remove temporary folders left by pulls that were killed (never a finished export)."""
    removed = 0
    if raw_dir.is_dir():
        for tmp in raw_dir.glob(f"{TMP_PREFIX}*"):
            remove_tree(tmp)
            removed += 1
    return removed


def fetch_raw_export(client: Client, project: dict[str, Any], raw_dir: Path, *, page_size: int = 500,
                     people: AnnotatorMap | None = None,
                     progress: Progress | None = None) -> tuple[Path, dict[str, Any]]:
    """Page through the project's tasks into a new immutable export folder; return it and its manifest.

    With `people`, the manifest maps each annotating server user to its pseudonym (new people are added)."""
    raw_dir.mkdir(parents=True, exist_ok=True)
    stale = clean_stale(raw_dir)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    tmp = raw_dir / f"{TMP_PREFIX}{stamp}-{os.getpid()}"
    tmp.mkdir()
    digest = hashlib.sha256()
    counts: Counter[str] = Counter(dict.fromkeys(
        ("tasks", "tasks_annotated", "annotations", "submitted", "skipped", "ground_truth", "predictions",
         "tasks_without_doc_id"), 0))
    annotators: set[Any] = set()
    seen: set[int] = set()
    size = 0
    try:
        with open(tmp / "tasks.jsonl", "wb") as fh:
            for page in client.iter_task_pages(project["id"], include=TASK_FIELDS, expand="annotations",
                                               page_size=page_size):
                for task in page:
                    if task["id"] in seen:  # a task that moved between pages while paging
                        continue
                    seen.add(task["id"])
                    line = orjson.dumps(task) + b"\n"
                    fh.write(line)
                    digest.update(line)
                    size += len(line)
                    _count(task, counts, annotators)
                if progress:
                    progress("pull", len(page), None)
            fh.flush()
            os.fsync(fh.fileno())
        total = client.request("GET", f"api/projects/{project['id']}").get("task_number")
        if total is not None and int(total) != len(seen):
            raise DataInvalidError(f"paged {len(seen)} tasks but the project holds {total}",
                                   where=f"project {project['id']}",
                                   fix="tasks changed while pulling; pull again when nobody is importing")
        named = pseudonyms(client, people, annotators) if people is not None else {}
        manifest = {
            "file": "tasks.jsonl",
            "sha256": digest.hexdigest(),
            "bytes": size,
            "counts": dict(sorted(counts.items())),
            "annotators": [{"server_user": u, "annotator": named.get(u)} for u in sorted(annotators, key=str)],
            "server_version": client.server_version(),
            "sdk_version": SDK_VERSION,
            "newsbench_version": __version__,
            "pulled_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "project": {"id": project["id"], "title": project["title"]},
            "server": client.url,
            "page_size": page_size,
            "stale_temporaries_removed": stale,
        }
        write_json(tmp / "manifest.json", manifest)
        for f in tmp.iterdir():
            _read_only(f)
        final = raw_dir / f"{slug(project['title'])}-{stamp}"
        n = 1
        while final.exists():  # never overwrite an export
            n += 1
            final = raw_dir / f"{slug(project['title'])}-{stamp}-{n}"
        os.rename(tmp, final)
    except BaseException:
        remove_tree(tmp)
        raise
    return final, manifest


def remove_tree(tmp: Path) -> None:
    """Remove a (possibly read-only) temporary export folder."""
    if tmp.exists():
        for sub in [tmp, *tmp.rglob("*")]:
            sub.chmod(0o700 if sub.is_dir() else 0o600)
        shutil.rmtree(tmp, ignore_errors=True)


def _count(task: dict[str, Any], counts: Counter[str], annotators: set[Any]) -> None:
    counts["tasks"] += 1
    anns = task.get("annotations") or []
    counts["predictions"] += len(task.get("predictions") or [])
    for a in anns:
        user = a.get("completed_by")
        annotators.add(user.get("id") if isinstance(user, dict) else user)
        counts["annotations"] += 1
        counts["skipped" if a.get("was_cancelled") else "submitted"] += 1
        counts["ground_truth"] += bool(a.get("ground_truth"))
    if any(not a.get("was_cancelled") for a in anns):
        counts["tasks_annotated"] += 1
    if not (task.get("data") or {}).get("doc_id"):
        counts["tasks_without_doc_id"] += 1


def export_pseudonyms(tasks_path: Path, people: AnnotatorMap) -> dict[Any, str]:
    """Server user id -> pseudonym for an export pulled before pseudonyms, from the `created_username`
    ("email, id") Label Studio writes into each annotation; new people are added to the map."""
    named: dict[Any, str] = {}
    for task in read_jsonl(tasks_path):
        for ann in task.get("annotations") or []:
            user = ann.get("completed_by")
            user = user.get("id") if isinstance(user, dict) else user
            email = str(ann.get("created_username") or "").rsplit(",", 1)[0].strip()
            if user is not None and user not in named and "@" in email:
                named[user] = people.add(email).id
    return named


def convert_export(export_dir: Path, schema: LabelSchema, canonical_dir: Path,
                   people: AnnotatorMap | None = None) -> dict[str, Any]:
    """Canonical records from one raw export; tasks of the same document (duplicates) are merged. Annotators
    get the pseudonyms the manifest records; an export pulled before them gets them from `people` (or keeps
    `ls-user:<id>` without it)."""
    manifest = orjson.loads((export_dir / "manifest.json").read_bytes())
    named = {a["server_user"]: a["annotator"] for a in manifest.get("annotators") or []
             if isinstance(a, dict) and a.get("annotator")}
    tasks_path = export_dir / "tasks.jsonl"
    if not named and people is not None:
        named = export_pseudonyms(tasks_path, people)
    per_doc = Counter((t.get("data") or {}).get("doc_id") for t in read_jsonl(tasks_path))
    project = manifest["project"]
    export = {"path": f"raw/{export_dir.name}/tasks.jsonl", "sha256": manifest["sha256"]}
    report: list[dict[str, Any]] = []
    pending: dict[str, list[dict[str, Any]]] = {}
    name = slug(project["title"])
    skipped = 0
    with AtomicWriter(canonical_dir / f"{name}.jsonl") as out:
        for task in read_jsonl(tasks_path):
            doc_id = (task.get("data") or {}).get("doc_id")
            if not doc_id:
                skipped += 1
                report.append({"task_id": task.get("id"), "status": "no_doc_id",
                               "reason": "task has no data.doc_id; it was not pushed by newsbench"})
                continue
            group = pending.setdefault(doc_id, [])
            group.append(task)
            if len(group) == per_doc[doc_id]:  # memory holds only documents with tasks still to come
                del pending[doc_id]
                if len(group) > 1:
                    report.append({"document_id": doc_id, "status": "duplicate_tasks",
                                   "task_ids": [t.get("id") for t in group], "reason": "merged into one record"})
                out.write(canonical_record(group, schema, project=project, export=export, report=report,
                                           annotators=named))
    statuses = Counter(r["status"] for r in report)
    summary = {"export": export, "records": out.count, "tasks_without_doc_id": skipped,
               "offsets": {k: v for k, v in statuses.items() if k in ("repaired", "mismatch", "out_of_range")},
               "issues": report}
    write_json(canonical_dir / f"{name}.report.json", summary)
    return summary


def pull(client: Client, schema: LabelSchema, title: str, annotations_dir: Path, *, page_size: int = 500,
         people: AnnotatorMap | None = None, progress: Progress | None = None) -> dict[str, Any]:
    """A raw export and its canonical records; the annotator map gains the people it did not know (saved)."""
    project = find_project(client, title)
    if project is None:
        raise InputError(f"Label Studio has no project titled '{title}'", where=client.url,
                         fix="push first, or pass the title with --project")
    started = time.monotonic()
    known = {p.id for p in people.people} if people is not None else set()
    export_dir, manifest = fetch_raw_export(client, project, annotations_dir / "raw", page_size=page_size,
                                            people=people, progress=progress)
    fetched = time.monotonic() - started
    summary = convert_export(export_dir, schema, annotations_dir / "canonical")
    if people is not None and people.changed:
        people.save()
    new = sorted({a["annotator"] for a in manifest["annotators"] if a["annotator"] and a["annotator"] not in known})
    return {"export_dir": str(export_dir), "manifest": manifest, "canonical": summary, "new_annotators": new,
            "seconds_fetch": round(fetched, 2), "seconds_total": round(time.monotonic() - started, 2)}


def exports_of(raw_dir: Path, title: str) -> list[Path]:
    """The finished raw exports of a project, oldest first (their names end with the UTC time of the pull)."""
    name = slug(title)
    pattern = re.compile(rf"^{re.escape(name)}-\d{{8}}T\d{{6}}Z(-\d+)?$")
    return sorted((p for p in raw_dir.glob(f"{name}-*") if p.is_dir() and pattern.match(p.name)
                   and (p / "manifest.json").is_file()), key=lambda p: p.name)


def _export_state(export: Path) -> dict[str, Any]:
    tasks, anns, complete = set(), {}, set()
    for task in read_jsonl(export / "tasks.jsonl"):
        tasks.add(task.get("id"))
        submitted = 0
        for a in task.get("annotations") or []:
            anns[a.get("id")] = (a.get("updated_at"), bool(a.get("was_cancelled")))
            submitted += not a.get("was_cancelled")
        if submitted and submitted >= int(task.get("overlap") or 1):
            complete.add(task.get("id"))
    return {"tasks": tasks, "annotations": anns, "complete": complete}


def pull_changes(raw_dir: Path, title: str) -> dict[str, Any] | None:
    """What changed between the project's last two pulls (None before the first): tasks, annotations added,
    updated and removed, skips, tasks that reached the overlap."""
    exports = exports_of(raw_dir, title)
    if not exports:
        return None
    now = _export_state(exports[-1])
    before = _export_state(exports[-2]) if len(exports) > 1 else {"tasks": set(), "annotations": {}, "complete": set()}
    a_now, a_before = now["annotations"], before["annotations"]
    return {"previous": exports[-2].name if len(exports) > 1 else None, "current": exports[-1].name, "counts": {
        "tasks": len(now["tasks"]), "tasks_added": len(now["tasks"] - before["tasks"]),
        "annotations_added": sum(1 for i, (_, skip) in a_now.items() if i not in a_before and not skip),
        "skips_added": sum(1 for i, (_, skip) in a_now.items() if i not in a_before and skip),
        "annotations_updated": sum(1 for i, v in a_now.items() if i in a_before and a_before[i][0] != v[0]),
        "annotations_removed": sum(1 for i in a_before if i not in a_now),
        "tasks_complete": len(now["complete"]), "tasks_newly_complete": len(now["complete"] - before["complete"]),
    }}
