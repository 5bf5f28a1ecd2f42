"""The benchmark's tasks: per config, the one score that ranks systems on it and the split a leaderboard ranks on.

One place for what `evaluate` reports as its primary score, what the leaderboard sorts by, what a release's
`eval.yaml` declares to the Hub, and which task id a score posted to the Hub names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from builder.errors import InputError

# The split leaderboards rank on: the Hub's benchmark tasks are declared for it alone.
LEADERBOARD_SPLIT = "test"


@dataclass(frozen=True)
class Task:
    config: str
    metric: str  # a path in an evaluation report's "metrics", e.g. "spans.micro.f1"
    describes: str  # what the score measures, in a sentence for people

    def value(self, metrics: dict[str, Any]) -> Any:
        """The task's score in an evaluation report's nested metrics."""
        node: Any = metrics
        for part in self.metric.split("."):
            node = node[part]
        return node


TASKS: dict[str, Task] = {t.config: t for t in (
    Task("ner", "spans.micro.f1",
         "named entities: exact-match spans (type and both boundaries), micro F1 over all entity types"),
    Task("claims", "ranking.map",
         "check-worthiness: sentences ranked within each document, mean average precision of the check-worthy ones"),
    Task("documents", "labels.macro.f1", "document labels: macro F1 over the label's values"),
)}


def task_id(config: str, split: str = LEADERBOARD_SPLIT) -> str:
    """The id of a config's task in `eval.yaml` and in the Hub's evaluation results."""
    if config not in TASKS:
        raise InputError(f"'{config}' is not a benchmark task", fix=f"use one of {', '.join(TASKS)}")
    if split != LEADERBOARD_SPLIT:
        raise InputError(f"the benchmark's tasks are ranked on the {LEADERBOARD_SPLIT} split, not '{split}'",
                         fix=f"score --split {LEADERBOARD_SPLIT} for the Hub, or leave out --hub-results")
    return config
