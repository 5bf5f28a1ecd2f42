"""eval.yaml of the newest committed release: the Hub's benchmark declaration, whose tasks are configs and splits
the card loads, and whose task ids are the ones `evaluate --hub-results` posts scores for."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from builder.bench.evaluate.hub import hub_entries
from builder.errors import InputError
from builder.release.evalyaml import declared_tasks, eval_yaml
from builder.release.layout import list_versions
from builder.release.tasks import TASKS, task_id

REPO = Path(__file__).resolve().parents[2]
RELEASE = REPO / "releases" / list_versions(REPO / "releases")[-1]


def card_configs(release: Path) -> dict[str, set[str]]:
    header = (release / "README.md").read_text(encoding="utf-8").split("---\n")[1]
    return {c["config_name"]: {f["split"] for f in c["data_files"]} for c in yaml.safe_load(header)["configs"]}


def test_eval_yaml_declares_the_scored_configs_test_splits():
    text = (RELEASE / "eval.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    # the fields of the Hub's benchmark registration, and no others
    assert set(data) == {"name", "description", "evaluation_framework", "tasks"}
    assert data["name"] == "newsbench-id" and data["evaluation_framework"] == "newsbench"
    configs = card_configs(RELEASE)
    ids = [t["id"] for t in data["tasks"]]
    assert len(set(ids)) == len(ids) and set(ids) == {"ner", "claims", "documents"}
    for t in data["tasks"]:
        assert set(t) == {"id", "config", "split"}
        assert t["split"] in configs[t["config"]]  # what load_dataset(repo, config, split=split) loads
        assert f"({TASKS[t['config']].metric})" in data["description"]
        assert f"# metric: {TASKS[t['config']].metric}\n  - id: {t['id']}\n" in text
    assert "raw_annotations" not in ids  # not a task: nothing scores it


def test_hub_results_name_a_declared_task():
    data = yaml.safe_load((RELEASE / "eval.yaml").read_text(encoding="utf-8"))
    ids = {t["id"] for t in data["tasks"]}
    for config in ids:
        report = {"primary": {"name": TASKS[config].metric, "value": 0.5}, "metrics": {}, "config": config,
                  "split": "test", "dataset": "newsbench-id", "version": RELEASE.name}
        (entry,) = hub_entries(report, "org/newsbench-id")
        assert entry["dataset"]["task_id"] in ids
    with pytest.raises(InputError, match="ranked on the test split"):
        task_id("ner", "validation")


def test_a_release_without_a_scored_test_split_declares_nothing():
    manifest = {"name": "x", "version": "1.0.0",
                "configs": {"documents": {"train": {"rows": 3}, "test": {"rows": 0}}, "raw_annotations": {"test": {"rows": 2}}}}
    assert declared_tasks(manifest) == []
    manifest["configs"]["ner"] = {"test": {"rows": 4}}
    assert declared_tasks(manifest) == [{"id": "ner", "config": "ner", "split": "test"}]
    text = eval_yaml(manifest, "A corpus.\n\nSecond paragraph, left out.")
    assert yaml.safe_load(text)["description"].startswith("A corpus. Release 1.0.0.")
