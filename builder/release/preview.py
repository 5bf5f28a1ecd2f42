"""`preview.html`: one self-contained page per release, for a reader who has not loaded anything yet.

Per config and split, the first rows as the data holds them, with entities and claims highlighted in their text
(each highlighted piece carries the span's id, type and offsets, so that what the page shows can be checked against
the Parquet rows), the label counts of the release's statistics, and the card's charts embedded. Deterministic:
the same release gives the same bytes.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from builder.release.layout import class_names

ROWS = 8  # rows shown per config and split
PREVIEW = "preview.html"
_STYLE = ("body{font-family:system-ui,sans-serif;margin:2em;max-width:70em;color:#222}"
          "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px}"
          ".row{border-left:3px solid #ccc;padding:.3em .8em;margin:.6em 0;line-height:1.9}"
          ".ent{background:#fde68a;border-radius:3px;padding:1px 2px}.claim{border-bottom:2px solid #2563eb}"
          ".tag{font-size:.7em;color:#555;vertical-align:super}.meta{color:#666;font-size:.85em}img{max-width:48%}")


def _first_rows(folder: Path, split: str, columns: list[str]) -> tuple[list[dict[str, Any]], Any]:
    files = sorted(folder.glob(f"{split}-*.parquet"))
    if not files:
        return [], None
    table = pq.read_table(files[0], columns=columns).slice(0, ROWS)
    return table.to_pylist(), table


def highlighted(text: str, entities: list[tuple[str, str, int, int]], claims: list[tuple[str, str, int, int]]) -> str:
    """`text` as HTML, each piece between span boundaries wrapped in the entities and claims that cover it:
    (id, label, start, end) each, offsets into `text`."""
    cuts = {0, len(text)}
    for _, _, a, b in [*entities, *claims]:
        cuts.update((max(0, min(a, len(text))), max(0, min(b, len(text)))))
    points = sorted(cuts)
    out = []
    for a, b in zip(points, points[1:]):
        piece = html.escape(text[a:b])
        for kind, spans in (("claim", claims), ("ent", entities)):
            for sid, label, s, e in spans:
                if s <= a and b <= e:
                    piece = (f'<span class="{kind}" data-id="{html.escape(sid)}" data-label="{html.escape(label)}" '
                             f'data-start="{s}" data-end="{e}">{piece}</span>')
        out.append(piece)
    return "".join(out)


def _entities_of(row: dict[str, Any], shift: int = 0) -> list[tuple[str, str, int, int]]:
    return [(e["id"], e["type"], e["offsets"][0][0] - shift, e["offsets"][-1][1] - shift)
            for e in row.get("entities") or [] if e.get("offsets")]


def _claims_of(row: dict[str, Any], shift: int = 0) -> list[tuple[str, str, int, int]]:
    return [(c["id"], f"claim {c.get('checkworthy') or ''}".strip(), c["offsets"][0][0] - shift,
             c["offsets"][-1][1] - shift) for c in row.get("claims") or [] if c.get("offsets")]


def _ner_row(row: dict[str, Any], names: list[str]) -> tuple[str, list[tuple[str, str, int, int]]]:
    """Tokens joined by spaces, and their entities (from the IOB2 tags) as character spans of that text."""
    tokens, tags = row["tokens"], [names[t] for t in row["ner_tags"]]
    starts, pos = [], 0
    for tok in tokens:
        starts.append(pos)
        pos += len(tok) + 1
    spans, k = [], 0
    while k < len(tags):
        if tags[k].startswith("B-") or (tags[k].startswith("I-") and (k == 0 or tags[k - 1][2:] != tags[k][2:])):
            label, j = tags[k][2:], k + 1
            while j < len(tags) and tags[j] == f"I-{label}":
                j += 1
            spans.append((f"{row['id']}-t{k}", label, starts[k], starts[j - 1] + len(tokens[j - 1])))
            k = j
        else:
            k += 1
    return " ".join(tokens), spans


def _section(config: str, split: str, folder: Path) -> str:
    if config == "documents":
        rows, _ = _first_rows(folder, split, ["id", "text", "entities", "claims", "doc_labels"])
        body = [f'<div class="row" data-row="{html.escape(r["id"])}"><div class="meta">{html.escape(r["id"])} · '
                + html.escape(", ".join(f"{d['name']}={d['value']}" for d in r.get("doc_labels") or []))
                + f"</div>{highlighted(r['text'], _entities_of(r), _claims_of(r))}</div>" for r in rows]
    elif config == "claims":
        rows, _ = _first_rows(folder, split, ["id", "start", "text", "claims", "checkworthy"])
        body = [f'<div class="row" data-row="{html.escape(r["id"])}"><div class="meta">{html.escape(r["id"])} · '
                f"check-worthy: {'yes' if r['checkworthy'] else 'no'}</div>"
                f"{highlighted(r['text'], [], _claims_of(r, r['start']))}</div>" for r in rows]
    elif config == "ner":
        rows, table = _first_rows(folder, split, ["id", "tokens", "ner_tags"])
        names = class_names(table, "ner_tags") if table is not None else []
        body = []
        for r in rows:
            text, spans = _ner_row(r, list(names or []))
            body.append(f'<div class="row" data-row="{html.escape(r["id"])}"><div class="meta">{html.escape(r["id"])}'
                        f"</div>{highlighted(text, spans, [])}</div>")
    else:
        rows, _ = _first_rows(folder, split, ["id"])
        body = [f'<div class="row meta" data-row="{html.escape(r["id"])}">{html.escape(r["id"])}</div>' for r in rows]
    return f'<section data-config="{config}" data-split="{split}"><h3>{config} · {split}</h3>{"".join(body)}</section>'


def _flat(node: Any, prefix: str = "") -> dict[str, Any]:
    """{"veracity": {"hoax": 3}} -> {"veracity=hoax": 3}."""
    if not isinstance(node, dict):
        return {prefix: node}
    out: dict[str, Any] = {}
    for k, v in node.items():
        out.update(_flat(v, f"{prefix}={k}" if prefix else str(k)))
    return out


def _counts(statistics: dict[str, Any]) -> str:
    parts = []
    for what in ("rows", "entity", "claim", "doc_label"):
        node = statistics.get(what) or {}
        if not node:
            continue
        if what == "rows":
            rows = [[c, *(node[c].get(s, 0) for s in ("train", "validation", "test"))] for c in sorted(node)]
        else:
            flat = {s: _flat(node.get(s) or {}) for s in ("train", "validation", "test")}
            labels = sorted({k for split in flat.values() for k in split})
            rows = [[k, *(flat[s].get(k, 0) for s in ("train", "validation", "test"))] for k in labels]
        cells = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows)
        parts.append(f"<h3>{what}</h3><table><tr><th></th><th>train</th><th>validation</th><th>test</th></tr>"
                     f"{cells}</table>")
    return "".join(parts)


def preview_html(folder: Path, manifest: dict[str, Any]) -> str:
    name, version = manifest.get("name", ""), manifest.get("version", "")
    parts = [f"<h1>{html.escape(str(name))} {html.escape(str(version))}</h1>",
             "<p>The first rows of every config and split, with entities <span class=\"ent\">highlighted</span> and "
             "claims <span class=\"claim\">underlined</span>. Load a config with "
             "<code>load_dataset(&lt;this folder or its Hub repository&gt;, CONFIG)</code>.</p>",
             "<h2>Counts</h2>", _counts(manifest.get("statistics") or {})]
    charts = sorted(folder.glob("*.png"))
    if charts:
        parts.append("<h2>Charts</h2>" + "".join(
            f'<img alt="{html.escape(p.stem)}" src="data:image/png;base64,{base64.b64encode(p.read_bytes()).decode()}">'
            for p in charts))
    parts.append("<h2>Rows</h2>")
    for config, splits in sorted((manifest.get("configs") or {}).items()):
        for split in ("train", "validation", "test"):
            if split in splits:
                parts.append(_section(config, split, folder / "data" / config))
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(str(name))} "
            f"{html.escape(str(version))}: preview</title><style>{_STYLE}</style></head><body>{''.join(parts)}"
            "</body></html>\n")


def write_preview(folder: Path, manifest: dict[str, Any]) -> Path:
    out = folder / PREVIEW
    out.write_text(preview_html(folder, manifest), encoding="utf-8")
    return out
