"""Label Studio exports of other projects (any labelling config), imported as documents with gold entities.

`newsbench import labelstudio EXPORT.json --source NAME --control label --map Person=PER` reads a full JSON export
(an array of tasks, or JSON Lines) whose config is not newsbench's: the text is `data[--text-key]` (default: `text`,
else the task's only string), the entities are the regions of the `--control` Labels control (default: every
Labels control), mapped onto the schema with the label map, and a document label comes from a Choices control
(`--doc-label veracity=<control>`). Of a task's annotations the ground-truth one is taken, else the most recently
updated one that was not cancelled; a task without one is counted (`no_annotation`), never guessed. Offsets are
the export's own (code points), checked by the span import like any other.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.corpus.imports.spans import READER_KEY, SpansOptions, json_records


RESERVED = ("id", "text", "spans", "split")  # the fields of the span record a control name may not take


@dataclass
class LabelStudioImportOptions(SpansOptions):
    control: str = ""  # the Labels control whose regions are entities; "" = every Labels control
    text_key: str = ""  # the data key of the text; "" = text, else the task's only string


def chosen_annotation(task: dict[str, Any]) -> dict[str, Any] | None:
    """The ground-truth annotation, else the most recently updated one not cancelled; None without one."""
    annotations = [a for a in task.get("annotations") or [] if isinstance(a, dict) and not a.get("was_cancelled")]
    truth = [a for a in annotations if a.get("ground_truth")]
    pool = truth or annotations
    return max(pool, key=lambda a: (str(a.get("updated_at") or a.get("created_at") or ""), a.get("id") or 0),
               default=None)


def _text(data: dict[str, Any], key: str) -> tuple[str | None, str]:
    if key:
        return (data.get(key) if isinstance(data.get(key), str) else None), key
    if isinstance(data.get("text"), str):
        return data["text"], "text"
    strings = [k for k, v in data.items() if isinstance(v, str)]
    return (data[strings[0]], strings[0]) if len(strings) == 1 else (None, "text")


def read_export(path: Path, options: SpansOptions) -> Iterator[tuple[int, dict[str, Any] | None, str | None, str]]:
    """The tasks of an export as span records for `builder.corpus.imports.spans.import_spans`."""
    control = getattr(options, "control", "")
    text_key = getattr(options, "text_key", "")
    for n, task, why, raw in json_records(path, options.encoding):  # a JSON array or JSON Lines of tasks
        if task is None:
            yield n, None, why, raw
            continue
        data = task.get("data") if isinstance(task.get("data"), dict) else {}
        text, key = _text(data, text_key)
        if text is None:
            yield n, None, ("no_text", f"no text in data[{key!r}] (data keys: {', '.join(data) or 'none'})",
                            "name the data key of the text with --text-key"), raw
            continue
        annotation = chosen_annotation(task)
        own: dict[str, Any] = {"shape": "labelstudio"}
        record: dict[str, Any] = {"id": task.get("id"), "text": text, "spans": [], READER_KEY: own}
        if annotation is None:
            own["skip"] = ("no_annotation", "the task has no annotation that was not cancelled")
            yield n, record, None, raw
            continue
        for r in annotation.get("result") or []:
            if not isinstance(r, dict):
                continue
            value = r.get("value") if isinstance(r.get("value"), dict) else {}
            if r.get("type") == "labels" and (not control or r.get("from_name") == control):
                labels = value.get("labels") or [None]
                record["spans"].append({"start": value.get("start"), "end": value.get("end"), "label": labels[0],
                                        **({"text": value["text"]} if isinstance(value.get("text"), str) else {})})
            elif r.get("type") == "choices" and value.get("choices"):
                name = str(r.get("from_name"))  # --doc-label NAME=CONTROL reads it
                record[name if name not in RESERVED else f"choice:{name}"] = value["choices"][0]
        for k in ("split",):
            if k in data:
                record[k] = data[k]
        yield n, record, None, raw


def register() -> None:
    """Make `labelstudio` an import format of `builder.corpus.imports.run` (which may not import this part)."""
    from builder.corpus.imports.run import register_reader

    register_reader("labelstudio", LabelStudioImportOptions, read_export)
