"""Annotation results written the way Label Studio's web UI writes them, for tests that annotate through the API."""

from __future__ import annotations

import random
import secrets

from builder.annotate.labelstudio.client import Client
from builder.annotate.labelstudio.convert import frontend_text


def rid() -> str:
    return secrets.token_urlsafe(8)[:10]


def region(text: str, sub: str, control: str, label: str, nth: int = 0) -> dict:
    start = -1
    for _ in range(nth + 1):
        start = text.index(sub, start + 1)
    end = start + len(sub)
    return {"id": rid(), "from_name": control, "to_name": "text", "type": "labels", "origin": "manual",
            "value": {"start": start, "end": end, "text": frontend_text(text[start:end]), "labels": [label]}}


def choice(span: dict, name: str, value: str) -> dict:
    v = {k: span["value"][k] for k in ("start", "end", "text")}
    return {"id": span["id"], "from_name": name, "to_name": "text", "type": "choices", "origin": "manual",
            "value": {**v, "choices": [value]}}


def said_by(claim: dict, speaker: dict) -> dict:
    return {"from_id": claim["id"], "to_id": speaker["id"], "type": "relation", "direction": "right",
            "labels": ["said_by"]}


def annotate(client: Client, task_id: int, result: list, **extra) -> dict:
    body = {"result": result, "lead_time": extra.pop("lead_time", round(random.uniform(5, 90), 3)), **extra}
    return client.request("POST", f"api/tasks/{task_id}/annotations", json_body=body)


def doc_label(name: str, value: str) -> dict:
    return {"id": rid(), "from_name": name, "to_name": "text", "type": "choices", "value": {"choices": [value]}}
