"""The report of an annotation round: one JSON and one self-contained HTML file (charts inline, no assets).

From the canonical records (and the adjudication's review items, when there are any) it gathers:
- progress per annotator and split (submitted, skipped, documents);
- lead time per task and annotator (Label Studio's `lead_time`, seconds);
- pre-annotation edit rates per label, overall and per annotator (`builder.check.edit_rates`);
- agreement overall and per annotator pair and label: span F1, Krippendorff's alpha, kappa (`check.agreement`);
- a label confusion matrix between annotators: spans on the same offsets counted by the two labels given, and a
  span one annotator marked and the other did not under "(none)";
- the disagreement list: what a vote over the annotators' own versions leaves open (ties, conflicts), each
  with how it was resolved (the gold's adjudication method and who decided) and a link to its task;
- what changed since the previous pull, when the tool adapter can say (`changes`).
Reviewers' decisions (records of a review project) are not annotators' work and are left out of every figure.
Every number of the HTML carries its JSON path in a `data-k` attribute, so that a test can read the page back.
"""

from __future__ import annotations

import html
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from itertools import combinations
from pathlib import Path
from typing import Any

from builder.check.adjudicate import OPEN_KINDS, Policy, adjudicate_document
from builder.check.agreement import measure, report as agreement_tables
from builder.check.edit_rates import EditCounter
from builder.check.validate.corpus import Corpus
from builder.check.validate.kinds import KINDS, RecordKind
from builder.check.validate.layers import DocAnnotations, collect
from builder.jsonl import read_jsonl
from builder.labels import LabelSchema
from builder.stage import RejectSink

NONE = "(none)"
TaskUrl = Callable[[dict[str, Any], Any], "str | None"]  # (record's project, task id) -> link


def _records(paths: Sequence[Path]) -> list[dict[str, Any]]:
    return [r for p in paths for r in read_jsonl(p) if r.get("purpose") != "review"]


def progress(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    counts: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for rec in records:
        split = rec.get("split") or "(none)"
        for ann in rec.get("annotations") or []:
            c = counts[(str(ann.get("annotator")), split)]
            c["skipped" if ann.get("was_cancelled") else "submitted"] += 1
    return [{"annotator": a, "split": s, "submitted": c["submitted"], "skipped": c["skipped"]}
            for (a, s), c in sorted(counts.items())]


def lead_times(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    per: dict[str, list[float]] = defaultdict(list)
    for rec in records:
        for ann in rec.get("annotations") or []:
            if not ann.get("was_cancelled") and isinstance(ann.get("lead_time"), (int, float)):
                per[str(ann.get("annotator"))].append(float(ann["lead_time"]))
    rows = []
    for a, values in sorted(per.items()):
        ordered = sorted(values)
        rows.append({"annotator": a, "tasks": len(values), "median_s": round(statistics.median(values), 1),
                     "mean_s": round(statistics.fmean(values), 1),
                     "p90_s": round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 1),
                     "total_min": round(sum(values) / 60, 1)})
    return rows


def edit_rates(records: list[dict[str, Any]], labels: LabelSchema) -> dict[str, Any]:
    order = [*labels.entity_names, labels.claim.name]
    overall = EditCounter()
    per: dict[str, EditCounter] = defaultdict(EditCounter)
    annotators = sorted({str(a.get("annotator")) for r in records for a in r.get("annotations") or []})
    for rec in records:
        overall.add_record(rec)
        for a in annotators:
            per[a].add_record(rec, a)
    return {"overall": overall.report(order), "per_annotator": {a: per[a].report(order) for a in annotators}}


def confusion(docs: list[DocAnnotations], labels: LabelSchema) -> dict[str, Any]:
    """Entity labels two annotators gave the same offsets, over every pair and both orders."""
    names = [*labels.entity_names, NONE]
    matrix: Counter = Counter()
    for doc in docs:
        for x, y in combinations(doc.layers, 2):
            a = {(s, e): lab for _, s, e, lab in x.entities}
            b = {(s, e): lab for _, s, e, lab in y.entities}
            for key in a.keys() | b.keys():
                la, lb = a.get(key, NONE), b.get(key, NONE)
                matrix[(la, lb)] += 1
                matrix[(lb, la)] += 1
    return {"labels": names, "matrix": [[matrix[(r, c)] for c in names] for r in names]}


def pair_agreement(docs: list[DocAnnotations], labels: LabelSchema, corpus: Corpus, *, claim_match: str,
                   language: str) -> list[dict[str, Any]]:
    """Span F1 per label, alpha and kappa for each pair of annotators, over the documents both annotated."""
    pairs: dict[tuple[str, str], list[DocAnnotations]] = defaultdict(list)
    for doc in docs:
        by = {x.annotator: x for x in doc.layers}
        for a, b in combinations(sorted(by), 2):
            pairs[(a, b)].append(DocAnnotations(doc.document_id, [by[a], by[b]]))
    out = []
    for (a, b), both in sorted(pairs.items()):
        documents = {d.document_id: corpus.document(d.document_id) for d in both}
        texts = {k: v["text"] for k, v in documents.items() if v}
        t = agreement_tables(measure(both, labels, documents=documents, texts=texts, claim_match=claim_match,
                                     language=language), labels, claim_match=claim_match)
        out.append({"annotators": [a, b], "documents": len(both),
                    "per_label": [r for r in t["per_label"] if r["spans_a"] or r["spans_b"]],
                    "alpha": t["alpha"], "kappa": t["kappa"]})
    return out


def _quote(text: str, span: dict[str, Any], limit: int = 60) -> str:
    part = " ".join(text[span["start"]:span["end"]].split())
    return f'{span.get("label", "")} "{part if len(part) <= limit else part[:limit - 3] + "..."}"'.strip()


def describe(value: Any, text: str | None, claim: dict[str, Any] | None = None) -> str:
    """A candidate as a reader sees it: a span by label and quoted text, a relation by its two spans, an
    attribute value with the claim it is about."""
    if text is None:
        return str(value)
    if isinstance(value, dict) and {"start", "end"} <= value.keys():
        return f'{_quote(text, value)} at {value["start"]}'
    if isinstance(value, dict) and {"from", "to"} <= value.keys():
        return f'{_quote(text, value["from"])} -> {_quote(text, value["to"])}'
    if claim is not None:
        return f'{value} (claim {_quote(text, claim)[len(str(claim.get("label", ""))):].strip()})'
    return str(value)


def disagreements(docs: list[DocAnnotations], labels: LabelSchema, records: list[dict[str, Any]],
                  resolved: dict[str, dict[str, Any]], task_url: TaskUrl | None,
                  texts: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Where the annotators disagreed: the open items a majority vote over their own versions leaves (a
    reviewer's decision never hides a disagreement), each with how it was resolved, if it was."""
    where = {r["document_id"]: r for r in records}
    out = []
    for doc in docs:
        vote = adjudicate_document(DocAnnotations(doc.document_id, doc.layers), labels, Policy(ground_truth_wins=False))
        rec = where.get(doc.document_id) or {}
        task = (rec.get("task_ids") or [None])[0]
        gold = resolved.get(doc.document_id)
        for item in vote.review:
            if item.kind not in OPEN_KINDS:
                continue
            text = (texts or {}).get(doc.document_id)
            out.append({"document_id": doc.document_id, "kind": item.kind, "layer": item.layer, "name": item.name,
                        "candidates": [{**c, "shown": describe(c.get("value"), text, item.claim)}
                                       for c in item.candidates],
                        "resolved": (f"{gold['method']}" + (f" by {gold['decided_by']}" if gold.get("decided_by")
                                                            else "")) if gold else None,
                        "task_url": task_url(rec.get("project") or {}, task) if task_url and task is not None
                        else None})
    return out


def resolutions(gold: Path | None) -> dict[str, dict[str, Any]]:
    """document id -> the gold record's `adjudication` (method, decided_by), from the adjudication's gold file."""
    if gold is None or not gold.is_file():
        return {}
    return {r["document_id"]: r.get("adjudication") or {"method": "gold"} for r in read_jsonl(gold)}


def round_report(paths: Sequence[Path], labels: LabelSchema, corpus: Corpus, rejects: RejectSink, *,
                 gold: Path | None = None, task_url: TaskUrl | None = None, changes: dict[str, Any] | None = None,
                 claim_match: str = "overlap", language: str = "id",
                 kinds: Sequence[RecordKind] = KINDS) -> dict[str, Any]:
    """The report's JSON (see the module docstring)."""
    records = _records(paths)
    docs = [d for d in collect(paths, labels, corpus, rejects, kinds=kinds).values() if d.layers]
    multi = [d for d in docs if len(d.layers) >= 2]
    documents = {d.document_id: corpus.document(d.document_id) for d in multi}
    texts = {k: v["text"] for k, v in documents.items() if v}
    overall = agreement_tables(measure(docs, labels, documents=documents, texts=texts, claim_match=claim_match,
                                       language=language), labels, claim_match=claim_match)
    projects = sorted({(r.get("project") or {}).get("title") or "" for r in records})
    return {
        "projects": projects,
        "documents": len({r["document_id"] for r in records}),
        "annotated_documents": len(docs),
        "documents_with_two_or_more": len(multi),
        "progress": progress(records),
        "lead_time": lead_times(records),
        "edit_rates": edit_rates(records, labels),
        "agreement": {"overall": overall, "pairs": pair_agreement(multi, labels, corpus, claim_match=claim_match,
                                                                  language=language)},
        "confusion": confusion(multi, labels),
        "disagreements": disagreements(multi, labels, records, resolutions(gold), task_url, texts),
        "changes": changes,
    }


# ---- HTML ---------------------------------------------------------------------------------------------------

CSS = """body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:70em;color:#222;padding:0 1em}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd}table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}th{background:#f3f3f3}td.t,th.t{text-align:left}
.note{color:#555}svg{display:block;margin:.5em 0}"""


def _shown(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def _num(value: Any, key: str) -> str:
    return f'<td data-k="{html.escape(key)}">{html.escape(_shown(value))}</td>'


def _text(value: Any) -> str:
    return f'<td class="t">{html.escape("" if value is None else str(value))}</td>'


def _table(headers: list[str], rows: list[str], left: int = 1) -> str:
    head = "".join(f'<th class="t">{html.escape(h)}</th>' if i < left else f"<th>{html.escape(h)}</th>"
                   for i, h in enumerate(headers))
    return f"<table><tr>{head}</tr>{''.join(f'<tr>{r}</tr>' for r in rows)}</table>"


def _bars(title: str, values: list[tuple[str, float]], unit: str = "") -> str:
    """A horizontal bar chart as inline SVG."""
    if not values:
        return ""
    top = max(v for _, v in values) or 1
    height = 22 * len(values) + 30
    bars = []
    for i, (name, v) in enumerate(values):
        y = 24 + 22 * i
        width = 360 * v / top
        bars.append(f'<text x="0" y="{y + 13}" font-size="12">{html.escape(name)}</text>'
                    f'<rect x="170" y="{y}" width="{width:.1f}" height="16" fill="#4363d8"/>'
                    f'<text x="{175 + width:.1f}" y="{y + 13}" font-size="12">{_shown(v)}{unit}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="620" height="{height}" role="img" '
            f'aria-label="{html.escape(title)}"><text x="0" y="14" font-size="13" font-weight="bold">'
            f'{html.escape(title)}</text>{"".join(bars)}</svg>')


def render_html(rep: dict[str, Any], title: str) -> str:
    parts = [f"<h1>{html.escape(title)}</h1>",
             f'<p class="note">Projects: {html.escape(", ".join(rep["projects"]))}. Documents with annotations: '
             f'<span data-k="annotated_documents">{rep["annotated_documents"]}</span>; with two or more annotators: '
             f'<span data-k="documents_with_two_or_more">{rep["documents_with_two_or_more"]}</span>.</p>']
    rows = [_text(r["annotator"]) + _text(r["split"]) + _num(r["submitted"], f"progress.{i}.submitted")
            + _num(r["skipped"], f"progress.{i}.skipped") for i, r in enumerate(rep["progress"])]
    per_annotator = Counter()
    for r in rep["progress"]:
        per_annotator[r["annotator"]] += r["submitted"]
    parts += ["<h2>Progress</h2>", _table(["annotator", "split", "submitted", "skipped"], rows, 2),
              _bars("submitted annotations per annotator", sorted(per_annotator.items()))]
    rows = [_text(r["annotator"]) + "".join(_num(r[k], f"lead_time.{i}.{k}") for k in
                                            ("tasks", "median_s", "mean_s", "p90_s", "total_min"))
            for i, r in enumerate(rep["lead_time"])]
    parts += ["<h2>Lead time per task</h2>",
              _table(["annotator", "tasks", "median s", "mean s", "90th percentile s", "total min"], rows),
              _bars("median seconds per task", [(r["annotator"], r["median_s"]) for r in rep["lead_time"]], " s")]
    e = rep["edit_rates"]
    rows = [_text(r["label"]) + "".join(_num(r[k], f"edit_rates.overall.spans.{i}.{k}") for k in
                                        ("proposed", "final", "unchanged", "edit_rate"))
            for i, r in enumerate(e["overall"]["spans"])]
    parts += ["<h2>Pre-annotation edit rates</h2>",
              '<p class="note">Edit rate = 1 - unchanged / (proposed + final - unchanged), per label, against '
              "the newest prediction of each task.</p>",
              _table(["label", "proposed", "final", "unchanged", "edit rate"], rows),
              _bars("edit rate per label", [(r["label"], r["edit_rate"]) for r in e["overall"]["spans"]])]
    for a, r_ in e["per_annotator"].items():
        rows = [_text(r["label"]) + _num(r["edit_rate"], f"edit_rates.per_annotator.{a}.spans.{i}.edit_rate")
                for i, r in enumerate(r_["spans"])]
        parts.append(f"<h3>{html.escape(a)}</h3>" + _table(["label", "edit rate"], rows))
    g = rep["agreement"]["overall"]
    rows = [_text(r["layer"]) + _text(r["label"]) + "".join(_num(r[k], f"agreement.overall.per_label.{i}.{k}")
                                                           for k in ("spans_a", "spans_b", "strict_f1", "partial_f1"))
            for i, r in enumerate(g["per_label"])]
    parts += ["<h2>Agreement</h2>", _table(["layer", "label", "spans (a)", "spans (b)", "strict F1", "partial F1"],
                                           rows, 2)]
    rows = [_text(r["layer"]) + _num(r["alpha"], f"agreement.overall.alpha.{i}.alpha") for i, r in enumerate(g["alpha"])]
    rows += [_text(r["what"]) + _num(r["kappa"], f"agreement.overall.kappa.{i}.kappa") for i, r in enumerate(g["kappa"])]
    parts.append(_table(["what", "alpha or kappa"], rows))
    for p, pair in enumerate(rep["agreement"]["pairs"]):
        a, b = pair["annotators"]
        rows = [_text(r["label"]) + _num(r["strict_f1"], f"agreement.pairs.{p}.per_label.{i}.strict_f1")
                + _num(r["partial_f1"], f"agreement.pairs.{p}.per_label.{i}.partial_f1")
                for i, r in enumerate(pair["per_label"])]
        rows += [_text(f"alpha {r['layer']}") + _num(r["alpha"], f"agreement.pairs.{p}.alpha.{i}.alpha") + "<td></td>"
                 for i, r in enumerate(pair["alpha"])]
        rows += [_text(f"kappa {r['what']}") + _num(r["kappa"], f"agreement.pairs.{p}.kappa.{i}.kappa") + "<td></td>"
                 for i, r in enumerate(pair["kappa"])]
        parts.append(f"<h3>{html.escape(a)} and {html.escape(b)} ({pair['documents']} documents)</h3>"
                     + _table(["label", "strict F1", "partial F1"], rows))
    c = rep["confusion"]
    rows = [_text(r) + "".join(_num(c["matrix"][i][j], f"confusion.matrix.{i}.{j}") for j in range(len(c["labels"])))
            for i, r in enumerate(c["labels"])]
    parts += ["<h2>Label confusion between annotators</h2>",
              '<p class="note">Entity spans on the same offsets, by the label each of two annotators gave (every '
              "pair, both orders); (none): the other marked nothing there.</p>",
              _table(["label", *c["labels"]], rows)]
    rows = [_text(d["document_id"]) + _text(d["kind"]) + _text(f"{d['layer']}{'/' + d['name'] if d['name'] else ''}")
            + _text("; ".join(f"{x['shown']} ({', '.join(x.get('annotators') or [])})"
                              for x in d["candidates"]))
            + _text(d["resolved"] or "open")
            + (f'<td class="t"><a href="{html.escape(d["task_url"])}">task</a></td>' if d["task_url"] else "<td></td>")
            for d in rep["disagreements"]]
    still = sum(1 for d in rep["disagreements"] if not d["resolved"])
    parts += [f'<h2>Disagreements (<span data-k="disagreements.length">{len(rep["disagreements"])}</span>, '
              f'open <span data-k="disagreements.open">{still}</span>)</h2>',
              _table(["document", "kind", "what", "candidates (annotators)", "resolved", "task"], rows, 6)
              if rows else "<p>None: the annotators' versions agree wherever two or more annotated.</p>"]
    ch = rep.get("changes")
    if ch:
        rows = [_text(k.replace("_", " ")) + _num(v, f"changes.counts.{k}") for k, v in ch["counts"].items()]
        parts += ["<h2>Since the previous pull</h2>",
                  f'<p class="note">{html.escape(ch["previous"] or "first pull")} -> {html.escape(ch["current"])}</p>',
                  _table(["what", "n"], rows)]
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{CSS}</style></head><body>{''.join(parts)}</body></html>\n")
