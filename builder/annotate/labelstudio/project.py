"""The Label Studio project: created or updated by title, its labeling config generated from the label schema.

A config change on a project that has annotations is applied only when no annotation uses a label that the
new config removes; otherwise it stops and lists the affected annotations. Migration is explicit: a mapping
`CONTROL:OLD=NEW` rewrites those annotations first (e.g. `entity:PERSON=PER`).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.errors import DataInvalidError, InputError
from builder.annotate.labelstudio.config import config_labels, labelling_config
from builder.labels import LABEL_MAP_SYNTAX, LabelMap
from builder.labels import LabelSchema
from builder.annotate.labelstudio.client import Client

SAMPLING = {"sequential": "Sequential sampling", "uniform": "Uniform sampling",
            "least-confident": "Uncertainty sampling"}


@dataclass
class ProjectSettings:
    title: str
    overlap: int = 1
    instructions: str = ""  # HTML shown to annotators
    sampling: str | None = None  # sequential | uniform | least-confident; None keeps the project's
    label_map: LabelMap = field(default_factory=LabelMap)  # how old labels in annotations become new ones


def markdown_to_html(text: str) -> str:
    """Enough Markdown for annotator guidelines: headings, bullet lists, paragraphs, `code` and **bold**."""
    out, para, in_list = [], [], False

    def inline(s: str) -> str:
        s = html.escape(s)
        s = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", s)
        return re.sub(r"`(.+?)`", r"<code>\1</code>", s)

    def flush() -> None:
        nonlocal in_list
        if para:
            out.append("<p>" + inline(" ".join(para)) + "</p>")
            para.clear()
        if in_list:
            out.append("</ul>")
            in_list = False

    for line in text.splitlines():
        heading = re.match(r"(#{1,6})\s+(.*)", line)
        item = re.match(r"\s*[-*]\s+(.*)", line)
        if heading:
            flush()
            n = len(heading.group(1))
            out.append(f"<h{n}>{inline(heading.group(2))}</h{n}>")
        elif item:
            if para:
                out.append("<p>" + inline(" ".join(para)) + "</p>")
                para.clear()
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{inline(item.group(1))}</li>")
        elif not line.strip():
            flush()
        elif in_list and line.startswith("  "):
            out[-1] = out[-1][:-5] + " " + inline(line.strip()) + "</li>"
        else:
            para.append(line.strip())
    flush()
    return "\n".join(out)


def guidelines_html(path: Path) -> str:
    return markdown_to_html(path.read_text(encoding="utf-8")) if path.is_file() else ""


def find_project(client: Client, title: str) -> dict[str, Any] | None:
    body = client.get("api/projects/", title=title, page_size=100)
    found = [p for p in body.get("results", []) if p.get("title") == title]
    if len(found) > 1:
        raise DataInvalidError(f"{len(found)} projects are titled '{title}' (ids {[p['id'] for p in found]})",
                               fix="rename all but one in Label Studio, or push with another --project")
    return client.get(f"api/projects/{found[0]['id']}") if found else None


def labels_in_use(client: Client, project_id: int, removed: set[tuple[str, str]],
                  page_size: int = 500) -> list[dict[str, Any]]:
    """Every annotation result that uses a (control, value) about to disappear from the config."""
    hits = []
    for page in client.iter_task_pages(project_id, include="id,data,annotations", expand="annotations",
                                       page_size=page_size):
        for task in page:
            for ann in task.get("annotations") or []:
                for item in ann.get("result") or []:
                    control = "relation" if item.get("type") == "relation" else item.get("from_name")
                    value = item.get("value") or {}
                    values = item.get("labels") if item.get("type") == "relation" else (
                        value.get("labels") or value.get("choices") or [])
                    for v in values or []:
                        if (control, v) in removed or (control, "*") in removed:
                            hits.append({"task_id": task["id"], "document_id": (task.get("data") or {}).get("doc_id"),
                                         "annotation_id": ann["id"], "region_id": item.get("id"),
                                         "control": control, "label": v})
    return hits


def _remap(result: list[dict[str, Any]], mapping: LabelMap) -> list[dict[str, Any]]:
    out = []
    for item in result:
        item = dict(item)
        if item.get("type") == "relation":
            item["labels"] = [mapping.get("relation", v) for v in item.get("labels") or []]
        else:
            value = dict(item.get("value") or {})
            for key in ("labels", "choices"):
                if key in value:
                    value[key] = [mapping.get(item.get("from_name"), v) for v in value[key]]
            item["value"] = value
        out.append(item)
    return out


def migrate(client: Client, hits: list[dict[str, Any]], mapping: LabelMap) -> int:
    """Rewrite the annotations that use mapped labels; returns how many annotations changed."""
    done = 0
    for ann_id in sorted({h["annotation_id"] for h in hits}):
        ann = client.get(f"api/annotations/{ann_id}")
        client.request("PATCH", f"api/annotations/{ann_id}", json_body={"result": _remap(ann["result"], mapping)})
        done += 1
    return done


def ensure_project(client: Client, schema: LabelSchema, settings: ProjectSettings) -> tuple[dict[str, Any], list[str]]:
    """Create the project or bring it in line with the label schema and settings; returns it and what changed."""
    xml = labelling_config(schema)
    wanted = {
        "maximum_annotations": settings.overlap,
        "overlap_cohort_percentage": 100,
        "expert_instruction": settings.instructions,
        "show_instruction": bool(settings.instructions),
    }
    if settings.sampling is not None:
        if settings.sampling not in SAMPLING:
            raise InputError(f"unknown sampling '{settings.sampling}'", fix=f"use one of {', '.join(SAMPLING)}")
        wanted["sampling"] = SAMPLING[settings.sampling]
    project = find_project(client, settings.title)
    if project is None:
        created = client.request("POST", "api/projects/", json_body={"title": settings.title, "label_config": xml,
                                                                    **wanted})
        return created, ["created project"]
    changes = []
    patch = {k: v for k, v in wanted.items() if project.get(k) != v}
    changes += [f"set {k}" for k in patch]
    if project.get("label_config", "").strip() != xml.strip():
        old, new = config_labels(project.get("label_config") or "<View/>"), config_labels(xml)
        removed = {(c, v) for c, vals in old.items() for v in vals if v not in new.get(c, set())}
        removed |= {(c, "*") for c in old if c not in new}
        hits = labels_in_use(client, project["id"], removed) if removed else []
        if hits:
            unmapped = [h for h in hits if settings.label_map.lookup(h["control"], h["label"]) is None]
            if unmapped:
                listed = "; ".join(f"task {h['task_id']} ({h['document_id']}) annotation {h['annotation_id']} "
                                   f"uses {h['control']}:{h['label']}" for h in unmapped[:20])
                more = f" and {len(unmapped) - 20} more" if len(unmapped) > 20 else ""
                raise DataInvalidError(
                    f"the new label schema removes labels that {len(unmapped)} annotation results use: {listed}{more}",
                    where=f"project '{settings.title}'",
                    fix="keep those labels in the label schema, or migrate them explicitly with "
                        f"--label-map {LABEL_MAP_SYNTAX} (e.g. entity:PERSON=PER)",
                )
            changes.append(f"migrated {migrate(client, hits, settings.label_map)} annotations")
        patch["label_config"] = xml
        changes.append("updated labeling config")
    if patch:
        project = client.request("PATCH", f"api/projects/{project['id']}", json_body=patch)
    return project, changes
