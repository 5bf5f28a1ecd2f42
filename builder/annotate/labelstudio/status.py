"""`annotate status`: how far annotation got, from the project's task list (paged, nothing written).

A task is *complete* when it holds as many submitted annotations as the project's overlap asks for; until then
it is *in progress* (some) or *open* (none submitted). Annotators are named by pseudonym; an account the
annotator map does not know yet is shown by its email (it gets a pseudonym at the next pull).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from builder.annotate.annotators import AnnotatorMap
from builder.annotate.labelstudio.client import Client
from builder.annotate.labelstudio.project import find_project
from builder.errors import InputError


def project_status(client: Client, title: str, *, people: AnnotatorMap | None = None,
                   page_size: int = 500) -> dict[str, Any]:
    """Tasks complete, in progress, open and skipped, per annotator and per split; the complete ones listed."""
    project = find_project(client, title)
    if project is None:
        raise InputError(f"Label Studio has no project titled '{title}'", where=client.url,
                         fix="push first, or pass the title with --project")
    overlap = int(project.get("maximum_annotations") or 1)
    totals: Counter[str] = Counter()
    per_split: dict[str, Counter[str]] = defaultdict(Counter)
    per_user: dict[Any, Counter[str]] = defaultdict(Counter)
    complete: list[dict[str, Any]] = []
    for page in client.iter_task_pages(project["id"], include="id,data,annotations", expand="annotations",
                                       page_size=page_size):
        for task in page:
            split = (task.get("data") or {}).get("split") or "(none)"
            anns = task.get("annotations") or []
            submitted = sum(1 for a in anns if not a.get("was_cancelled"))
            state = "complete" if submitted >= overlap else "in_progress" if submitted else "open"
            for counter in (totals, per_split[split]):
                counter["tasks"] += 1
                counter[state] += 1
                counter["skipped"] += len(anns) - submitted
            if state == "complete":
                complete.append({"task_id": task["id"], "document_id": (task.get("data") or {}).get("doc_id"),
                                 "submitted": submitted})
            for a in anns:
                user = a.get("completed_by")
                user = user.get("id") if isinstance(user, dict) else user
                per_user[user]["skipped" if a.get("was_cancelled") else "submitted"] += 1
                per_user[user]["ground_truth"] += bool(a.get("ground_truth"))
    emails = client.users()

    def name(uid: Any) -> str:
        email = emails.get(uid, f"user {uid}")
        person = people.by_email(email) if people is not None and "@" in email else None
        return person.label if person else f"{email} (no pseudonym yet)"

    return {
        "project": {"id": project["id"], "title": project["title"], "overlap": overlap},
        **{k: totals[k] for k in ("tasks", "complete", "in_progress", "open", "skipped")},
        "per_split": {k: dict(v) for k, v in sorted(per_split.items())},
        "per_annotator": {name(u): dict(c) for u, c in sorted(per_user.items(), key=str)},
        "complete_tasks": complete,
    }
