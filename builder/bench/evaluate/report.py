"""Reports: the JSON report as Markdown, and the leaderboard file keyed by dataset version."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson

from builder.bench.evaluate.board import write_leaderboard_page
from builder.config import Config
from builder.errors import InputError
from builder.jsonl import AtomicWriter, write_json
from builder.release.layout import releases_dir

# The rows of the Markdown summary per config: (family, path inside the family, shown name).
SUMMARY = {
    "ner": [("spans", "micro", "span F1 micro"), ("spans", "macro", "span F1 macro"),
            ("semeval", "strict.micro", "strict"), ("semeval", "exact.micro", "exact"),
            ("semeval", "partial.micro", "partial"), ("semeval", "type.micro", "type"),
            ("tokens", "micro", "token F1")],
    "claims": [("ranking", "", "check-worthiness"), ("checkworthy", "", "check-worthy F1 (label)"),
               ("checkworthy_at_threshold", "", "check-worthy F1 (score >= threshold)"),
               ("has_claim", "", "has claim F1"), ("claim_spans", "micro", "claim span F1"),
               ("claim_spans_semeval", "partial.micro", "claim span partial"), ("speakers", "", "speaker F1")],
    "documents": [("labels", "", "document labels"), ("labels", "macro", "macro")],
}


def _get(node: dict, path: str) -> dict | None:
    for key in filter(None, path.split(".")):
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else None


def _fmt(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _with_ci(node: dict, metric: str) -> str:
    value = node.get(metric)
    ci = (node.get("ci") or {}).get(metric)
    if value is None:
        return "undefined" if metric in node else ""
    return f"{_fmt(value)} [{_fmt(ci[0])}, {_fmt(ci[1])}]" if ci and None not in ci else _fmt(value)


def markdown(report: dict[str, Any]) -> str:
    """A short Markdown report: what was scored, the main scores with intervals, per-label tables."""
    level = round(report["bootstrap"]["level"] * 100)
    lines = [
        f"# {report['system']} on {report['dataset']} {report['version']} ({report['config']}, {report['split']})",
        "",
        (f"Predictions `{report['predictions']['path']}` (sha256 `{report['predictions']['sha256'][:12]}`), "
         f"scored {report['evaluated_at']}. Intervals: {level}% bootstrap over documents "
         f"({report['bootstrap']['samples']} samples, seed {report['bootstrap']['seed']})."),
        "",
        f"Units: {', '.join(f'{k} {v}' for k, v in report['units'].items())}.",
        "",
    ]
    metrics = report["metrics"]
    rows = []
    for family, path, shown in SUMMARY.get(report["config"], []):
        node = _get(metrics.get(family, {}), path)
        if not node:
            continue
        for metric in ("map", "r_precision", *[k for k in node if k.startswith("p@")], "accuracy", "precision",
                       "recall", "f1"):
            if metric in node:
                rows.append(f"| {shown} | {metric} | {_with_ci(node, metric)} |")
    if rows:
        lines += [f"| score | metric | value [{level}% CI] |", "|---|---|---|", *rows, ""]
    for family, node in metrics.items():
        per_label = node.get("per_label") if isinstance(node, dict) else None
        if per_label:
            lines += [f"### {family}: per label", "", "| label | precision | recall | F1 | support |",
                      "|---|---|---|---|---|"]
            for label, entry in per_label.items():
                lines.append(f"| {label} | {_fmt(entry['precision'])} | {_fmt(entry['recall'])} | "
                             f"{_with_ci(entry, 'f1')} | {entry.get('support', '')} |")
            lines.append("")
    return "\n".join(lines)


def leaderboard_entry(report: dict[str, Any]) -> dict[str, Any]:
    primary = report["primary"]
    family, *path, metric = primary["name"].split(".")
    node = _get(report["metrics"][family], ".".join(path)) or {}
    return {
        "system": report["system"],
        "primary": primary["name"],
        "value": primary["value"],
        "ci": (node.get("ci") or {}).get(metric),
        "predictions_sha256": report["predictions"]["sha256"],
        "evaluated_at": report["evaluated_at"],
        "newsbench": report["newsbench"],
        # what a paired comparison needs: the primary score in every bootstrap sample, and what fixed the draws
        "bootstrap": {"seed": report["bootstrap"]["seed"], "samples": report["bootstrap"]["samples"],
                      "documents": (report.get("units") or {}).get("documents"),
                      "replicates": primary.get("replicates") or []},
    }


def update_leaderboard(path: Path, report: dict[str, Any]) -> dict[str, Any]:
    """Add (or replace, by system name) this report's entry under version -> config -> split; best first. The
    page (`builder.bench.evaluate.board`) is written beside it."""
    board: dict[str, Any] = {}
    if path.is_file():
        try:
            board = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError as exc:
            raise InputError(f"the leaderboard is not valid JSON ({exc})", where=str(path),
                             fix="repair it or move it away") from exc
    entries = board.setdefault(report["version"], {}).setdefault(report["config"], {}).setdefault(report["split"], [])
    entries[:] = [e for e in entries if e.get("system") != report["system"]]
    entries.append(leaderboard_entry(report))
    entries.sort(key=lambda e: (-(e["value"] or 0.0), e["system"]))
    write_json(path, board)
    write_leaderboard_page(board, path)
    return board


def write_report(report: dict[str, Any], prefix: Path, predictions: Path) -> tuple[Path, Path]:
    """`PREFIX.json` (the full report) and `PREFIX.md` (its summary); never over the predictions file itself."""
    json_path, md_path = Path(f"{prefix}.json"), Path(f"{prefix}.md")
    if json_path.resolve() == Path(predictions).resolve():
        json_path = Path(f"{prefix}.report.json")
    write_json(json_path, report)
    with AtomicWriter(md_path) as out:
        out.write_bytes(markdown(report).encode("utf-8"))
    return json_path, md_path


def leaderboard_path(config: Config) -> Path:
    """evaluate.leaderboard, else <releases_dir>/leaderboard.json."""
    if config.evaluate.leaderboard:
        return config.resolve(config.evaluate.leaderboard)
    return releases_dir(config) / "leaderboard.json"


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
