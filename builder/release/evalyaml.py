"""`eval.yaml`: the release declared to the Hub as a benchmark, one task per config that has a test split.

The format is the Hub's benchmark registration (https://huggingface.co/docs/hub/eval-results, "Registering a
Benchmark"): `name`, `description`, `evaluation_framework` and `tasks`, each task with its `id`, `config` and
`split`. The Hub's leaderboard then gathers the scores model repositories post for these task ids
(`newsbench evaluate --hub-results`). The format has no field for the metric, so the description names each
task's metric and a comment above each task repeats it. `evaluation_framework` is `newsbench`: a task is scored by
`newsbench evaluate`, not by an Inspect solver and scorer, so the Inspect-only fields (`field_spec`, `solvers`,
`scorers`) are left out.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from builder.release.tasks import LEADERBOARD_SPLIT, TASKS, task_id

EVAL_YAML = "eval.yaml"
FRAMEWORK = "newsbench"


def declared_tasks(manifest: dict[str, Any]) -> list[dict[str, str]]:
    """The tasks of a release: each scored config that has rows in the leaderboard split, in the card's order."""
    configs = manifest.get("configs") or {}
    return [{"id": task_id(name), "config": name, "split": LEADERBOARD_SPLIT}
            for name in configs if name in TASKS and (configs[name].get(LEADERBOARD_SPLIT) or {}).get("rows")]


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a YAML double-quoted scalar: JSON's escaping is valid YAML


def eval_yaml(manifest: dict[str, Any], summary: str) -> str:
    """The file's text; written by hand (not by a YAML dumper) so that each task carries its metric as a comment."""
    tasks = declared_tasks(manifest)
    about = " ".join(summary.strip().split("\n\n")[0].split())  # the summary's first paragraph: what the data is
    lines = [f"{t['id']}: {TASKS[t['config']].describes} ({TASKS[t['config']].metric})." for t in tasks]
    description = (f"{about} " if about else "") + (
        f"Release {manifest['version']}. Tasks, each ranked on the {LEADERBOARD_SPLIT} split by one score "
        "(0 to 1, higher is better) that `newsbench evaluate` computes with a 95% bootstrap interval: "
        + " ".join(lines))
    out = [f"name: {_quoted(str(manifest['name']))}",
           f"description: {_quoted(description)}",
           f"evaluation_framework: {FRAMEWORK}",
           "tasks:"]
    for t in tasks:
        out += [f"  # metric: {TASKS[t['config']].metric}",
                f"  - id: {t['id']}", f"    config: {t['config']}", f"    split: {t['split']}"]
    return "\n".join(out) + "\n"


def write_eval_yaml(folder: Path, manifest: dict[str, Any], summary: str) -> Path | None:
    """`<folder>/eval.yaml`, or nothing when the release has no scored config with a test split."""
    if not declared_tasks(manifest):
        return None
    out = folder / EVAL_YAML
    out.write_text(eval_yaml(manifest, summary), encoding="utf-8")
    return out
