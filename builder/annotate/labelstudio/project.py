"""The Label Studio project: created or updated by title, its settings taken from the project config.

Overlap, instructions and the labelling config come from `newsbench.toml` (the config from the label schema,
or the file `annotate.label_config` names); the sampling order only when a push asks for one. A labelling config
that someone edited in the project's settings is reported as a diff and left alone unless `replace_config`.
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
from builder.annotate.labelstudio.config import (EDITED, SAME, config_diff, config_labels, config_origin,
                                               labelling_config)
from builder.labels import LABEL_MAP_SYNTAX, LabelMap
from builder.labels import LabelSchema
from builder.annotate.labelstudio.client import Client, Rejected

# push --order -> the project's sampling: the order in which the label stream serves tasks
SAMPLING = {"input": "Sequential sampling", "random": "Uniform sampling",
            "least-confident": "Uncertainty sampling"}


@dataclass
class ProjectSettings:
    title: str
    overlap: int = 1
    instructions: str = ""  # HTML shown to annotators
    sampling: str | None = None  # a key of SAMPLING; None keeps the project's
    model_version: str | None = None  # the pre-annotator whose scores uncertainty sampling orders by
    label_config: str | None = None  # the XML to use; None = generated from the label schema
    replace_config: bool = False  # overwrite a config edited by hand on the server
    label_map: LabelMap = field(default_factory=LabelMap)  # how old labels in annotations become new ones


@dataclass
class ProjectSync:
    """What `ensure_project` did: the project as it now is, the changes made, and the diff from the project's
    hand-edited config to the wanted one when that config was kept (None otherwise)."""

    project: dict[str, Any]
    changes: list[str]
    kept_config_diff: str | None = None


def markdown_to_html(text: str) -> str:
    """Enough Markdown for annotator guidelines: headings, bullet and numbered lists, paragraphs, `code`, **bold**
    and *emphasis*."""
    out: list[str] = []
    para: list[str] = []
    in_list: str | None = None  # "ul" or "ol" while inside a list

    def inline(s: str) -> str:
        s = html.escape(s, quote=False)
        s = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", s)
        s = re.sub(r"(?<![*\w])\*(?!\s)(.+?)(?<!\s)\*(?![*\w])", r"<i>\1</i>", s)
        return re.sub(r"`(.+?)`", r"<code>\1</code>", s)

    def close_list() -> None:
        nonlocal in_list
        if in_list:
            out.append(f"</{in_list}>")
            in_list = None

    def flush() -> None:
        if para:
            out.append("<p>" + inline(" ".join(para)) + "</p>")
            para.clear()
        close_list()

    for line in text.splitlines():
        heading = re.match(r"(#{1,6})\s+(.*)", line)
        bullet = re.match(r"\s*[-*+]\s+(.*)", line)
        numbered = re.match(r"\s*\d{1,9}[.)]\s+(.*)", line)
        if heading:
            flush()
            n = len(heading.group(1))
            out.append(f"<h{n}>{inline(heading.group(2))}</h{n}>")
        elif bullet or numbered:
            kind = "ul" if bullet else "ol"
            if para:
                out.append("<p>" + inline(" ".join(para)) + "</p>")
                para.clear()
            if in_list != kind:
                close_list()
                out.append(f"<{kind}>")
                in_list = kind
            out.append(f"<li>{inline((bullet or numbered).group(1))}</li>")
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


def check_config(client: Client, xml: str) -> None:
    """Label Studio's own validation of a labelling config (the check its settings page runs on Save)."""
    try:
        client.request("POST", "api/projects/validate/", json_body={"label_config": xml}, idempotent=True)
    except Rejected as exc:
        said = exc.body.get("label_config") if isinstance(exc.body, dict) else None
        reason = "; ".join(map(str, said)) if isinstance(said, list) else exc.what
        raise DataInvalidError(f"Label Studio refuses the labelling config: {reason}", where=client.url,
                               fix="correct annotate.label_config, or leave it empty to use the generated config")


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


def ensure_project(client: Client, schema: LabelSchema, settings: ProjectSettings) -> ProjectSync:
    """Create the project or bring it in line with the label schema and settings (see the module docstring)."""
    xml = settings.label_config or labelling_config(schema)
    wanted: dict[str, Any] = {
        "maximum_annotations": settings.overlap,
        "overlap_cohort_percentage": 100,
        "expert_instruction": settings.instructions,
        "show_instruction": bool(settings.instructions),
    }
    if settings.sampling is not None:
        if settings.sampling not in SAMPLING:
            raise InputError(f"unknown order '{settings.sampling}'", fix=f"use one of {', '.join(SAMPLING)}")
        wanted["sampling"] = SAMPLING[settings.sampling]
    if settings.model_version:
        wanted["model_version"] = settings.model_version
    project = find_project(client, settings.title)
    if project is None:
        created = client.request("POST", "api/projects/", json_body={"title": settings.title, "label_config": xml,
                                                                    **wanted})
        return ProjectSync(created, ["created project"])
    changes = []
    patch = {k: v for k, v in wanted.items() if project.get(k) != v}
    changes += [f"set {k}" for k in patch]
    current = project.get("label_config") or ""
    origin = config_origin(current, xml)
    if origin == EDITED and not settings.replace_config:
        if patch:
            project = client.request("PATCH", f"api/projects/{project['id']}", json_body=patch)
        return ProjectSync(project, changes + ["kept the labelling config edited on the server"],
                           config_diff(current, xml))
    if origin != SAME:
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
        changes.append("replaced the hand-edited labelling config" if origin == EDITED
                       else "updated labelling config")
    if patch:
        project = client.request("PATCH", f"api/projects/{project['id']}", json_body=patch)
    return ProjectSync(project, changes)
