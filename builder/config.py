"""The project config: `newsbench.toml` at the repository root, overridable with dotted options.

Every command run without arguments from the repository root reads it. `--dedup.threshold 0.7` (or
`--set dedup.threshold=0.7`) overrides one value; values are parsed as TOML literals, else kept as strings.
Paths in the file are relative to the file's folder.
"""

from __future__ import annotations

import copy
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from builder.errors import ConfigError

CONFIG_NAME = "newsbench.toml"

# Defaults for everything a stage reads; the project file only states what differs.
DEFAULTS: dict[str, Any] = {
    "project": {
        "name": "newsbench",
        "language": "id",
        "seed": 13,
        "work_dir": "work",
        "label_schema": "schema/labels.json",
        "annotations_dir": "annotations",
        "releases_dir": "releases",
    },
    "sources": [],
    "ingest": {"batch_size": 1000},
    "clean": {
        "rule_sets": ["generic-id"],
        "rules_dir": "",  # extra folder of rule files (<name>.toml), searched before the built-in ones
        "unwrap_lines": True,
        "min_words": 30,
        "languages": ["id"],
        "language_check": True,
        "min_language_chars": 200,
        "language_sample_chars": 600,
        "workers": 0,  # 0 = all cores
        "batch_size": 256,
    },
    "dedup": {
        "ngram": 5,
        "threshold": 0.8,
        "num_perm": 128,
        "lsh_threshold": 0.0,  # 0 = chosen from `threshold` so that recall at the threshold stays high
        "lsh_recall": 0.99,  # with lsh_threshold = 0: chance that a pair exactly at `threshold` is a candidate
        "drop": "exact",  # none | exact | near
        "workers": 0,  # 0 = all cores
        "batch_size": 1000,  # documents per worker task
    },
    "split": {
        "ratios": {"train": 0.8, "validation": 0.1, "test": 0.1},
        "stratify_by": "",
        "temporal": {},
        "ledger": "data/splits/ledger.jsonl",  # "" = no ledger
        "update_ledger": True,  # false: read the ledger but do not add the new documents to it
    },
    "segment": {
        "abbreviations": [],  # extra abbreviations no sentence ends after, e.g. ["Jend.", "Kol."]
        "batch_size": 500,
        "workers": 0,  # 0 = all cores
    },
    "distributed": {  # `prepare --engine dask`
        "scheduler": "",  # tcp://host:8786 of a running Dask scheduler; "" = $DASK_SCHEDULER_ADDRESS, else local
        "workers": 0,  # worker processes of the local cluster; 0 = all cores
        "partition_mb": 16.0,  # input bytes per task; a few times more tasks than workers balances the load
        "connect_timeout": 15.0,  # seconds to reach the scheduler and its workers
    },
    "annotate": {
        "project": "",  # Label Studio project title; empty = project.name
        "documents": "",  # JSONL to push; empty = work/segment/documents.jsonl
        "overlap": 1,  # annotators per task (the project's maximum_annotations)
        "batch_size": 1000,  # tasks per import request
        "page_size": 1000,  # tasks per page when pulling (fewer, larger pages are faster on 1.23.2)
        "timeout": 60.0,  # seconds per request
        "retries": 5,  # retries with backoff when the server is down, times out or answers 5xx
        "preannotator": "rules",  # rules | none
        "gazetteer": "",  # extra gazetteer JSON {"Name": "TYPE"} for the rule pre-annotator
        "guidelines": "annotations/GUIDELINES.md",  # shown to annotators as the project's instructions
        "server_version": "1.23.2",  # `annotate server`: label-studio 1.23.2 pins label-studio-sdk 2.1.2
        "server_venv": ".venv-labelstudio",  # the server's own venv; newsbench never depends on it
        "server_home": ".labelstudio",  # template data dir, data dir, credentials, pid file, log
        "server_port": 8080,
        "server_username": "admin@newsbench.local",
        "server_start_timeout": 120.0,
    },
    "validate": {
        "out_dir": "work/validate",  # report.json, report.txt, quarantine.jsonl, valid/<file>.jsonl
        "workers": 0,  # 0 = all cores; a file under ~32 MB is read by one
        "print_problems": 20,  # problems printed; the reports hold all of them
    },
    "agreement": {
        "output": "work/agreement/agreement.json",  # the tables as JSON (the release card shows them)
        "claim_match": "overlap",  # claims are the same unit for attribute kappa when their spans: overlap | exact
    },
    "adjudicate": {
        "ground_truth_wins": True,  # a ground-truth annotation in Label Studio is the gold of its document
        "min_share": 0.5,  # keep an item when MORE than this share of the document's annotators gave it
        "min_annotators": 1,  # documents with fewer annotators (who did not skip) get no gold
        "name": "gold",  # annotations/gold/<name>.jsonl
    },
    "release": {
        "documents": "",  # corpus JSONL; empty = work/segment/documents.jsonl
        "gold_dir": "",  # gold layer (*.jsonl canonical documents); empty = <annotations_dir>/gold
        "raw_dir": "",  # canonical annotation records (*.jsonl); empty = <annotations_dir>/canonical
        "results": "",  # baseline scores JSON (newsbench baseline); empty = none
        "agreement": "",  # agreement JSON (newsbench agreement); empty = none
        "card_dir": "card",  # hand-written card sections (*.md), kept across rebuilds
        "repo_card": "DATASET_CARD.md",  # the newest release's card copied here; empty = not written
        "pretty_name": "",  # empty = project.name
        "repo_id": "",  # Hub dataset repo (ORG/NAME) for publish and the card's loading snippet
        "annotations_creators": [],  # how the span labels were made (Hub values); required once spans exist
        "span_status": "gold",  # annotation_status of annotated documents: gold, or silver (made by a model or unreviewed)
        "source_datasets": ["original"],
        "include_restricted": False,  # true: keep sources that may not be redistributed; the release is private
        "first_version": "1.0.0",
        "workers": 0,  # 0 = all cores
        "batch_size": 1000,  # documents per worker task
    },
    "evaluate": {
        "samples": 1000,  # bootstrap samples over documents; 0 = no confidence intervals
        "decoding": "conlleval",  # conlleval (seqeval's default mode) | iob2 (seqeval's strict IOB2 mode)
        "leaderboard": "",  # leaderboard JSON; empty = <releases_dir>/leaderboard.json
    },
    "baselines": {
        "models_dir": "models",  # models, predictions, reports and results.json under <models_dir>/<version>/
        "samples": 1000,  # bootstrap samples of every baseline report
    },
}


@dataclass
class Config:
    """The merged project config and the folder its relative paths are resolved against."""

    data: dict[str, Any]
    root: Path
    path: Path | None = None
    overrides: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def get(self, dotted: str, default: Any = None) -> Any:
        node: Any = self.data
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    def resolve(self, value: str | Path) -> Path:
        """A path from the config, made absolute against the config's folder."""
        p = Path(value)
        return p if p.is_absolute() else self.root / p

    @property
    def work_dir(self) -> Path:
        return self.resolve(self.data["project"]["work_dir"])

    def stage_dir(self, stage: str) -> Path:
        return self.work_dir / stage

    @property
    def seed(self) -> int:
        return int(self.data["project"]["seed"])

    @property
    def language(self) -> str:
        return str(self.data["project"]["language"])


def _merge(base: dict[str, Any], extra: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    """Sections merge key by key; a value inside a section (split.ratios, say) is replaced whole."""
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if depth == 0 and isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value, depth + 1)
        else:
            out[key] = copy.deepcopy(value)
    return out


def parse_value(text: str) -> Any:
    """Parse an override value as a TOML literal (number, bool, array, inline table), else a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_override(data: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = data
    for i, part in enumerate(parts[:-1]):
        nxt = node.get(part)
        if nxt is None:
            nxt = node[part] = {}
        if not isinstance(nxt, dict):
            raise ConfigError(
                f"cannot set '{dotted}': '{'.'.join(parts[: i + 1])}' is not a table",
                fix="override a leaf value such as dedup.threshold",
            )
        node = nxt
    if parts[0] in DEFAULTS and isinstance(DEFAULTS[parts[0]], dict) and len(parts) == 2:
        known = DEFAULTS[parts[0]]
        if parts[1] not in known and parts[0] != "project":
            raise ConfigError(
                f"unknown option '{dotted}'",
                fix=f"known options of [{parts[0]}]: {', '.join(sorted(known))}",
            )
    node[parts[-1]] = value


def find_config(start: Path | None = None) -> Path | None:
    """The nearest newsbench.toml in the folder or its parents."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def load_config(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> Config:
    """Load the project config (the nearest newsbench.toml when `path` is None) and apply overrides."""
    overrides = overrides or {}
    if path is None:
        found = find_config()
        if found is None:
            raise ConfigError(
                f"no {CONFIG_NAME} in this folder or its parents",
                fix=f"run from the repository root or pass --config PATH/{CONFIG_NAME}",
            )
        path = found
    path = Path(path)
    if not path.is_file():
        raise ConfigError("config file not found", where=str(path), fix="pass an existing --config path")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"not valid TOML: {exc}", where=str(path), fix="correct the TOML syntax") from exc
    data = _merge(DEFAULTS, raw)
    for dotted, value in overrides.items():
        apply_override(data, dotted, value)
    config = Config(data=data, root=path.resolve().parent, path=path.resolve(), overrides=dict(overrides))
    validate_config(config)
    return config


def config_from_dict(raw: dict[str, Any], root: str | Path) -> Config:
    """Build a config in code (tests, notebooks); same defaults and checks as the file."""
    config = Config(data=_merge(DEFAULTS, raw), root=Path(root).resolve())
    validate_config(config)
    return config


SOURCE_FORMATS = ("text", "csv", "jsonl", "html")


def validate_config(config: Config) -> None:
    """Check what can be checked before any data is read: sources, paths, ratios."""
    where = str(config.path or "config")
    sources = config.data.get("sources", [])
    if not isinstance(sources, list):
        raise ConfigError("'sources' must be an array of tables", where=where, fix="write [[sources]] blocks")
    names = set()
    for i, src in enumerate(sources):
        label = f"{where} [[sources]] #{i + 1}"
        for key in ("name", "format", "path", "license"):
            if key not in src:
                raise ConfigError(f"source has no '{key}'", where=label, fix=f"add {key} = ... to the source")
        if src["name"] in names:
            raise ConfigError(f"duplicate source name '{src['name']}'", where=label, fix="give each source a unique name")
        names.add(src["name"])
        if src["format"] not in SOURCE_FORMATS:
            raise ConfigError(
                f"unknown format '{src['format']}'", where=label, fix=f"use one of {', '.join(SOURCE_FORMATS)}"
            )
        if "redistributable" not in src:
            raise ConfigError(
                f"source '{src['name']}' does not say whether it may be redistributed",
                where=label,
                fix="add redistributable = true or false",
            )
        if not config.resolve(src["path"]).exists():
            raise ConfigError(
                f"source '{src['name']}' names a missing path: {src['path']}",
                where=label,
                fix="correct 'path' (relative paths are resolved against the config's folder)",
            )
    ratios = config.data["split"]["ratios"]
    if not isinstance(ratios, dict) or not ratios or any(float(v) < 0 for v in ratios.values()):
        raise ConfigError("split.ratios must map split names to non-negative numbers", where=where)
    total = sum(float(v) for v in ratios.values())
    if abs(total - 1.0) > 1e-6:
        raise ConfigError(f"split.ratios add up to {total:g}, not 1", where=where, fix="make the ratios sum to 1")
    drop = config.data["dedup"]["drop"]
    if drop not in ("none", "exact", "near"):
        raise ConfigError(f"dedup.drop is '{drop}'", where=where, fix="use none, exact or near")
    thr = float(config.data["dedup"]["threshold"])
    if not 0.0 < thr <= 1.0:
        raise ConfigError(f"dedup.threshold is {thr}", where=where, fix="use a Jaccard similarity in (0, 1]")
