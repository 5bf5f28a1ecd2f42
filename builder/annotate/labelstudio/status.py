"""`annotate status`: how far annotation got, from the project's task list (paged, nothing written)."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from builder.errors import InputError
from builder.annotate.labelstudio.client import Client
from builder.annotate.labelstudio.project import find_project


def project_status(client: Client, title: str, *, page_size: int = 500) -> dict[str, Any]:
    """Tasks, annotated, skipped, per annotator and per split."""
    project = find_project(client, title)
    if project is None:
        raise InputError(f"Label Studio has no project titled '{title}'", where=client.url,
                         fix="push first, or pass the title with --project")
    totals: Counter[str] = Counter()
    per_split: dict[str, Counter[str]] = defaultdict(Counter)
    per_user: dict[Any, Counter[str]] = defaultdict(Counter)
    for page in client.iter_task_pages(project["id"], include="id,data,annotations", expand="annotations",
                                       page_size=page_size):
        for task in page:
            split = (task.get("data") or {}).get("split") or "(none)"
            anns = task.get("annotations") or []
            submitted = [a for a in anns if not a.get("was_cancelled")]
            state = "annotated" if submitted else "skipped" if anns else "open"
            for counter in (totals, per_split[split]):
                counter["tasks"] += 1
                counter[state] += 1
            for a in anns:
                user = a.get("completed_by")
                user = user.get("id") if isinstance(user, dict) else user
                per_user[user]["skipped" if a.get("was_cancelled") else "submitted"] += 1
                per_user[user]["ground_truth"] += bool(a.get("ground_truth"))
    names = client.users()
    return {
        "project": {"id": project["id"], "title": project["title"],
                    "overlap": project.get("maximum_annotations")},
        "tasks": totals["tasks"], "annotated": totals["annotated"], "skipped": totals["skipped"],
        "open": totals["open"],
        "per_split": {k: dict(v) for k, v in sorted(per_split.items())},
        "per_annotator": {names.get(u, f"user {u}"): dict(c) for u, c in sorted(per_user.items(), key=str)},
    }
