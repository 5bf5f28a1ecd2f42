"""A score as the Hub's evaluation results: the `.eval_results/*.yaml` file a model repository holds, so that the
score shows on the model's page and on the benchmark dataset's leaderboard.

The format is the Hub's "Evaluation Results" (https://huggingface.co/docs/hub/eval-results, a feature the Hub marks
as work in progress), written through huggingface_hub's `EvalResultEntry` and `eval_result_entries_to_yaml` (2.x):
one entry with the dataset id, the task id, the dataset revision when given, the value, the date of the evaluation,
an optional source, and notes that carry what the format has no field for: the metric, the split, the release
version and the 95% bootstrap interval. The task id is one the release's `eval.yaml` declares (`builder/release/tasks.py`:
the config's name, test split only). Values are on the card's scale (0 to 1).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from builder.errors import InputError
from builder.jsonl import AtomicWriter
from builder.release.tasks import task_id

_REPO_ID = re.compile(r"^[\w.-]+/[\w.-]+$")


def check_dataset_id(dataset_id: str) -> None:
    if not _REPO_ID.match(dataset_id or ""):
        raise InputError(f"'{dataset_id}' is not a Hub dataset id",
                         fix="write ORG/NAME, e.g. --hub-dataset org/newsbench-id")


def hub_entries(report: dict[str, Any], dataset_id: str, *, revision: str | None = None,
                source_url: str | None = None, source_name: str | None = None) -> list[dict[str, Any]]:
    """The YAML-ready entries of one evaluation report."""
    from huggingface_hub import EvalResultEntry, eval_result_entries_to_yaml

    check_dataset_id(dataset_id)
    primary = report["primary"]
    family, *path, metric = primary["name"].split(".")
    node: Any = report["metrics"].get(family) or {}
    for part in path:
        node = node.get(part) or {}
    ci = (node.get("ci") or {}).get(metric)
    boot = report.get("bootstrap") or {}
    notes = (f"{primary['name']} on the {report['split']} split of {report['dataset']} {report['version']}"
             + (f"; 95% CI [{ci[0]:.4f}, {ci[1]:.4f}] (bootstrap over documents, {boot.get('samples')} samples, "
                f"seed {boot.get('seed')})" if ci and None not in ci else "")
             + f"; scored by newsbench {report.get('newsbench')}")
    entry = EvalResultEntry(dataset_id=dataset_id, task_id=task_id(report["config"], report["split"]),
                            value=None if primary["value"] is None else round(float(primary["value"]), 6),
                            dataset_revision=revision, date=report.get("evaluated_at"), source_url=source_url,
                            source_name=source_name if source_url else None, notes=notes)
    return eval_result_entries_to_yaml([entry])


def write_hub_results(report: dict[str, Any], folder: Path, dataset_id: str, **options: Any) -> Path:
    """`<folder>/<dataset name>-<task id>.yaml` (what goes into a model repository's `.eval_results/`)."""
    entries = hub_entries(report, dataset_id, **options)
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"{dataset_id.split('/')[1]}-{task_id(report['config'], report['split'])}.yaml"
    with AtomicWriter(out) as fh:
        fh.write_bytes(yaml.safe_dump(entries, sort_keys=False, allow_unicode=True).encode("utf-8"))
    return out
