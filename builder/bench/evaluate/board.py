"""The leaderboard page: `leaderboard.html` beside `leaderboard.json`, one self-contained file.

Per release version (newest first), config and split: the systems best first, their primary score with its
interval, and a paired bootstrap test between each system and the next one down. Paired, because both systems'
scores are recomputed on the same resampled sets of documents (the draws depend only on the seed and the number
of documents, which `evaluate` stores with each entry, beside the score in every sample): the spread of the
difference then reflects which documents were drawn once, not twice. The difference is called real when its 95%
interval excludes zero; p is the share of samples in which the higher system is not ahead (one-sided, with one
added to both counts so that it is never 0).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np

from builder.jsonl import AtomicWriter
from builder.release.layout import semver

LEVEL = 0.95
METHOD = ("Paired bootstrap over documents: both systems' primary scores are recomputed on the same resampled "
          "document sets (the seed and the number of documents fix the draws). The difference is real when its "
          f"{round(LEVEL * 100)}% interval excludes zero; p is the share of samples in which the higher system is not "
          "ahead, (k + 1) / (n + 1), one-sided.")


def _values(entry: dict[str, Any]) -> np.ndarray | None:
    reps = (entry.get("bootstrap") or {}).get("replicates")
    if not reps:
        return None
    return np.asarray([np.nan if v is None else v for v in reps], dtype=np.float64)


def paired(upper: dict[str, Any], lower: dict[str, Any]) -> dict[str, Any]:
    """The paired bootstrap of upper's primary score minus lower's: {"difference", "ci", "p", "samples", "real"},
    or {"reason"} when the entries cannot be paired."""
    a, b = _values(upper), _values(lower)
    if a is None or b is None:
        return {"reason": "no bootstrap samples stored with the entry: evaluate it again"}
    key = ("seed", "samples", "documents")
    if [upper["bootstrap"].get(k) for k in key] != [lower["bootstrap"].get(k) for k in key] or a.size != b.size:
        return {"reason": "scored with different bootstrap draws (seed, samples or documents differ)"}
    d = a - b
    d = d[np.isfinite(d)]
    if not d.size:
        return {"reason": "the score is undefined in every sample"}
    tail = (1 - LEVEL) / 2 * 100
    low, high = np.percentile(d, [tail, 100 - tail])
    diff = (upper.get("value") or 0.0) - (lower.get("value") or 0.0)
    p = (int(np.sum(d <= 0)) + 1) / (d.size + 1)
    return {"difference": round(float(diff), 6), "ci": [round(float(low), 6), round(float(high), 6)],
            "p": round(p, 4), "samples": int(d.size), "real": bool(low > 0)}


def _num(v: Any) -> str:
    return "undefined" if v is None else f"{v:.4f}"


def _table(entries: list[dict[str, Any]]) -> str:
    rows = []
    for rank, e in enumerate(entries, 1):
        ci = e.get("ci") or [None, None]
        test = paired(e, entries[rank]) if rank < len(entries) else None
        if test is None:
            cells = ["", "", "", ""]
        elif "reason" in test:
            cells = ["", "", "", html.escape(test["reason"])]
        else:
            cells = [f"{test['difference']:+.4f}", f"[{test['ci'][0]:+.4f}, {test['ci'][1]:+.4f}]", f"{test['p']:.4f}",
                     "real" if test["real"] else "within chance"]
        rows.append(
            f"<tr class=\"{'real' if test and test.get('real') else ''}\"><td>{rank}</td>"
            f"<td class=\"system\">{html.escape(str(e.get('system')))}</td><td>{_num(e.get('value'))}</td>"
            f"<td>[{_num(ci[0])}, {_num(ci[1])}]</td>" + "".join(f"<td>{c}</td>" for c in cells)
            + f"<td>{html.escape(str(e.get('evaluated_at', '')))}</td></tr>")
    head = ("<tr><th>#</th><th>system</th><th>score</th><th>95% CI</th><th>ahead of the next by</th>"
            "<th>95% CI of the difference</th><th>p</th><th>difference</th><th>evaluated</th></tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def leaderboard_html(board: dict[str, Any], title: str = "newsbench leaderboard") -> str:
    parts = [f"<h1>{html.escape(title)}</h1>", f"<p class=\"method\">{html.escape(METHOD)}</p>"]
    for version in sorted(board, key=lambda v: (semver(v) or (0, 0, 0), v), reverse=True):
        parts.append(f"<h2>{html.escape(version)}</h2>")
        for config, splits in sorted(board[version].items()):
            for split, entries in sorted(splits.items()):
                primary = entries[0].get("primary", "") if entries else ""
                parts.append(f"<h3>{html.escape(config)} · {html.escape(split)} · {html.escape(primary)}</h3>")
                parts.append(_table(entries))
    style = ("body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;"
             "margin-bottom:1.5em}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
             "td.system{text-align:left;font-weight:600}tr.real td{background:#eef7ee}.method{max-width:60em}")
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>\n")


def write_leaderboard_page(board: dict[str, Any], json_path: Path) -> Path:
    """`<json_path stem>.html` beside the leaderboard JSON."""
    out = json_path.with_suffix(".html")
    with AtomicWriter(out) as fh:
        fh.write_bytes(leaderboard_html(board).encode("utf-8"))
    return out
