"""Benchmark `newsbench validate` end to end on a generated Label Studio export, next to plain `jsonschema`.

    python scripts/bench_validate.py [--tasks 50000] [--out DIR] [--format json|jsonl] [--runs 3]

What it does
1. Generates a Label Studio JSON export the way the server writes one (a JSON array of tasks; every task with
   two annotators' annotations of ~11 results each: entities, a claim with its per-region check-worthy and kind
   choices and a said_by relation, a document label), and the segmented corpus the tasks come from
   (`documents.jsonl` with sentences and tokens). Texts are real sentences of the shipped Pratiwi articles, a
   third with typographic quotes, some with \\r\\n line breaks and a claim across one (its value.text written as
   the web UI writes it). 1% of the tasks are broken one way each (offset past the end, unknown label,
   dangling relation, stated text that does not match, changed document text, overlapping entities).
   Reused when `DIR/params.json` has the same parameters.
2. Runs `newsbench validate EXPORT --corpus CORPUS --out DIR/report` in a fresh subprocess, `--runs` times, and
   reports wall time from start to exit (imports, reading, schema, semantic checks, report, quarantine and the
   valid tasks written), CPU seconds, tasks/s, peak RSS and the load average (other processes on the machine
   slow every figure down).
3. Loads the same file with `json` and validates the tasks with plain `jsonschema` (Draft 2020-12,
   `iter_errors`, the same schema), schema only, no semantic checks; reports tasks/s. `--jsonschema-tasks`
   limits the validation to the first N tasks (it is ~100x slower); the time of all is extrapolated.
Prints a Markdown table and PASS/FAIL against the target (>= 30,000 tasks/s through the CLI).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parent.parent
PRATIWI = REPO / "data/raw/pratiwi2017/600 news with valid hoax label.csv"
TARGET_TASKS_PER_S = 30_000.0  # the performance issues' second rung
ENTITY_TYPES = ["PER", "ORG", "LOC", "DATE", "EVENT"]
NAMES = ["Joko Widodo", "Prabowo Subianto", "Sri Mulyani", "Anies Baswedan", "Kim Jong Un", "Vladimir Putin",
         "Retno Marsudi", "Mahfud MD", "Ganjar Pranowo", "Puan Maharani"]
_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_WORD = re.compile(r"\S+")


def real_sentences() -> list[str]:
    """Sentences of the shipped Pratiwi articles, 6-40 words each."""
    with open(PRATIWI, encoding="cp1252", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))[1:]
    out = []
    for row in rows:
        for s in _SENT.split(" ".join(row[0].split())):
            if 6 <= len(s.split()) <= 40:
                out.append(s)
    return sorted(set(out))


def _result(rid: str, control: str, kind: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"value": value, "id": rid, "from_name": control, "to_name": "text", "type": kind, "origin": "manual"}


def _annotation(ann_id: int, task_id: int, user: int, result: list[dict[str, Any]], rng: random.Random) -> dict:
    stamp = f"2026-11-{rng.randint(1, 28):02d}T10:{rng.randint(0, 59):02d}:00.000000Z"
    return {
        "id": ann_id, "completed_by": user, "result": result, "was_cancelled": False, "ground_truth": False,
        "created_at": stamp, "updated_at": stamp, "draft_created_at": None, "lead_time": round(rng.uniform(20, 400), 3),
        "prediction": {}, "result_count": len(result), "unique_id": hashlib.md5(f"{ann_id}".encode()).hexdigest(),
        "import_id": None, "last_action": None, "bulk_created": False, "task": task_id, "project": 1,
        "updated_by": user, "parent_prediction": None, "parent_annotation": None, "last_created_by": None,
    }


def make_task(i: int, sentences: list[str], rng: random.Random) -> tuple[dict[str, Any], dict[str, Any]]:
    """One task (two annotators) and its corpus document."""
    chosen = rng.sample(sentences, 16)
    name = rng.choice(NAMES)
    quote_idx = rng.randrange(4, 14)
    curly = rng.random() < 1 / 3
    oq, cq = ("\u201c", "\u201d") if curly else ('"', '"')
    chosen[quote_idx] = f"{oq}{chosen[quote_idx].rstrip('.')}{cq}, kata {name}."
    crlf = rng.random() < 0.1
    brk = "\r\n" if crlf else "\n\n"
    paragraphs = [" ".join(chosen[k:k + 4]) for k in range(0, 16, 4)]
    text = brk.join(paragraphs)
    words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    q_start = text.index(oq + chosen[quote_idx][1:6]) if curly else text.index(chosen[quote_idx])
    q_end = text.index(f", kata {name}", q_start)
    n_start = q_end + len(", kata ")
    n_end = n_start + len(name)
    if crlf and rng.random() < 0.5:  # a claim across a paragraph break, as the web UI writes its text
        q_start = text.rfind(brk, 0, q_start) - 10
        while text[q_start - 1] != " ":
            q_start -= 1
    entities = [(n_start, n_end, "PER")]
    used = [(q_start, q_end), (n_start, n_end)]
    for _ in range(40):
        if len(entities) == 6:
            break
        k = rng.randrange(len(words) - 2)
        s, e = words[k][0], words[k + rng.randrange(2)][1]
        if text[e - 1] in ".,!?\u201d\"":
            e -= 1
        if e <= s or any(s < ue and us < e for us, ue in used):
            continue
        used.append((s, e))
        entities.append((s, e, rng.choice(ENTITY_TYPES)))
    doc_id = f"bench:{i:08x}"
    task_id = i + 1

    def stated(s: int, e: int) -> str:
        return text[s:e].replace("\r\n", "\\n\\n")

    def layer(user: int, drop: int | None, relabel: int | None) -> list[dict[str, Any]]:
        res = []
        for k, (s, e, lab) in enumerate(entities):
            if k == drop:
                continue
            lab = ENTITY_TYPES[(ENTITY_TYPES.index(lab) + 1) % 5] if k == relabel else lab
            res.append(_result(f"e{k}-{user}", "entity", "labels",
                               {"start": s, "end": e, "text": stated(s, e), "labels": [lab]}))
        span = {"start": q_start, "end": q_end, "text": stated(q_start, q_end)}
        res.append(_result(f"c0-{user}", "claim", "labels", {**span, "labels": ["CLAIM"]}))
        res.append(_result(f"c0-{user}", "checkworthy", "choices", {**span, "choices": [rng.choice(["yes", "no"])]}))
        res.append(_result(f"c0-{user}", "kind", "choices", {**span, "choices": ["quote"]}))
        res.append({"from_id": f"c0-{user}", "to_id": f"e0-{user}", "type": "relation", "direction": "right",
                    "labels": ["said_by"]})
        res.append(_result(f"d0-{user}", "veracity", "choices", {"choices": [rng.choice(["hoax", "valid"])]}))
        return res

    anns = [
        _annotation(2 * i + 1, task_id, 1, layer(1, None, None), rng),
        _annotation(2 * i + 2, task_id, 2, layer(2, rng.randrange(1, 7), rng.randrange(1, 7)), rng),
    ]
    stamp = "2026-11-20T09:00:00.000000Z"
    task = {
        "id": task_id, "annotations": anns, "file_upload": None, "drafts": [], "predictions": [],
        "data": {"text": text, "doc_id": doc_id, "title": chosen[0][:60], "split": "train"},
        "meta": {}, "created_at": stamp, "updated_at": stamp, "inner_id": task_id, "total_annotations": 2,
        "cancelled_annotations": 0, "total_predictions": 0, "comment_count": 0, "unresolved_comment_count": 0,
        "last_comment_updated_at": None, "project": 1, "updated_by": None, "comment_authors": [],
    }
    sentences_out, pos = [], 0
    for k, p in enumerate(paragraphs):
        start = text.index(p, pos)
        toks = [[start + m.start(), start + m.end()] for m in _WORD.finditer(p)]
        sentences_out.append({"id": f"{doc_id}-s{k}", "start": start, "end": start + len(p), "tokens": toks})
        pos = start + len(p)
    doc = {
        "schema_version": "1.0.0", "id": doc_id, "document_id": doc_id,
        "source": {"name": "bench", "license": "CC-BY-4.0", "redistributable": True,
                   "retrieved_at": "2026-11-26", "key": str(i)},
        "language": "id", "title": None, "text": text, "text_sha256": hashlib.sha256(text.encode()).hexdigest(),
        "doc_labels": [], "meta": {}, "sentences": sentences_out,
    }
    return task, doc


BREAKS = ["offset", "label", "relation", "text", "hash", "overlap"]


def break_task(task: dict[str, Any], doc: dict[str, Any], how: str) -> None:
    """Break one task one way (the planted invalid tasks)."""
    result = task["annotations"][0]["result"]
    if how == "offset":
        result[0]["value"]["end"] = len(task["data"]["text"]) + 5
    elif how == "label":
        result[0]["value"]["labels"] = ["PERSON"]
    elif how == "relation":
        next(r for r in result if r["type"] == "relation")["to_id"] = "missing"
    elif how == "text":
        result[0]["value"]["text"] = result[0]["value"]["text"] + "x"
    elif how == "hash":
        doc["text_sha256"] = "0" * 64
    elif how == "overlap":
        v = result[0]["value"]
        result.insert(1, _result("overlap", "entity", "labels", {**v, "labels": ["ORG"]}))


def generate(out: Path, n_tasks: int, fmt: str, seed: int = 13) -> tuple[Path, Path, int]:
    """Write the export and the corpus under `out` (reused when the parameters match); return their paths."""
    params = {"tasks": n_tasks, "format": fmt, "seed": seed, "version": 3}
    export = out / f"export.{fmt}"
    corpus = out / "documents.jsonl"
    pfile = out / "params.json"
    if pfile.is_file() and json.loads(pfile.read_text()) == params and export.is_file() and corpus.is_file():
        return export, corpus, json.loads((out / "planted.json").read_text())["invalid"]
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    sentences = real_sentences()
    planted = 0
    with open(export, "wb") as ex, open(corpus, "wb") as co:
        if fmt == "json":
            ex.write(b"[")
        for i in range(n_tasks):
            task, doc = make_task(i, sentences, rng)
            if i % 100 == 50:
                break_task(task, doc, BREAKS[(i // 100) % len(BREAKS)])
                planted += 1
            if fmt == "json":
                ex.write((b", " if i else b"") + orjson.dumps(task))
            else:
                ex.write(orjson.dumps(task) + b"\n")
            co.write(orjson.dumps(doc) + b"\n")
        if fmt == "json":
            ex.write(b"]\n")
    (out / "planted.json").write_text(json.dumps({"invalid": planted}))
    pfile.write_text(json.dumps(params))
    return export, corpus, planted


def run_cli(export: Path, corpus: Path, report: Path, workers: int) -> dict[str, Any]:
    """Wall and CPU seconds, peak RSS (MB) and exit code of `newsbench validate` in a fresh process."""
    import resource

    cmd = [sys.executable, "-m", "builder.cli", "validate", str(export), "--corpus", str(corpus),
           "--out", str(report), "--quiet", "--workers", str(workers)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        sys.stderr.write(proc.stderr.decode())
        raise SystemExit(f"newsbench validate exited {proc.returncode}")
    summary = json.loads((report / "report.json").read_text())["summary"]
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"seconds": seconds, "cpu": cpu, "rss_mb": after.ru_maxrss / 1024, "code": proc.returncode,
            "summary": summary}


def run_plain_jsonschema(export: Path, n_tasks: int, limit: int | None) -> dict[str, Any]:
    """`json` load of the whole file, then `jsonschema` iter_errors on (the first `limit`) tasks, extrapolated."""
    from jsonschema import Draft202012Validator

    schema = json.loads((REPO / "schema/labelstudio-export.schema.json").read_text())
    validator = Draft202012Validator(schema)
    t0 = time.perf_counter()
    with open(export, encoding="utf-8") as fh:
        tasks = json.load(fh) if export.suffix == ".json" else [json.loads(line) for line in fh]
    load = time.perf_counter() - t0
    tasks = tasks[:limit] if limit else tasks
    t0 = time.perf_counter()
    invalid = sum(1 for t in tasks if next(validator.iter_errors(t), None) is not None)
    check = time.perf_counter() - t0
    total = load + check * n_tasks / len(tasks)
    return {"load": load, "check": check, "checked": len(tasks), "invalid": invalid, "seconds": total}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", type=int, default=50_000)
    ap.add_argument("--out", type=Path, default=Path("/tmp/newsbench-bench-validate"))
    ap.add_argument("--format", choices=["json", "jsonl"], default="json")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jsonschema-tasks", type=int, default=5000,
                    help="tasks for the plain jsonschema run (0 = all)")
    ap.add_argument("--workers", type=int, default=0, help="newsbench validate --workers (0 = all cores)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    export, corpus, planted = generate(args.out, args.tasks, args.format)
    size_mb = export.stat().st_size / 1e6
    print(f"export: {export} ({size_mb:.0f} MB, {args.tasks} tasks, {planted} planted invalid), "
          f"corpus: {corpus} ({corpus.stat().st_size / 1e6:.0f} MB); ready in {time.perf_counter() - t0:.1f}s")
    runs = []
    for _ in range(args.runs):
        load = os.getloadavg()[0]
        run = run_cli(export, corpus, args.out / "report", args.workers)
        runs.append(run)
        print(f"  newsbench validate: {run['seconds']:.2f}s wall, {run['cpu']:.2f}s CPU, exit {run['code']}, "
              f"peak RSS {run['rss_mb']:.0f} MB, invalid records {run['summary']['invalid_records']} "
              f"(planted {planted}), problems {run['summary']['problems']}; load average before {load:.1f}")
    best = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
    plain = run_plain_jsonschema(export, args.tasks, args.jsonschema_tasks or None)
    rate, plain_rate = args.tasks / best["seconds"], args.tasks / plain["seconds"]
    print()
    print("| validator | tasks | seconds | tasks/s |")
    print("|---|---|---|---|")
    print(f"| newsbench validate (CLI: read, schema, semantic and corpus checks, reports, quarantine, valid "
          f"records), median of {args.runs} | {args.tasks} | {best['seconds']:.2f} (CPU {best['cpu']:.2f}) "
          f"| {rate:,.0f} |")
    print(f"| plain jsonschema (json.load {plain['load']:.2f}s + iter_errors, schema only; "
          f"{plain['checked']} tasks checked, extrapolated) | {args.tasks} | {plain['seconds']:.2f} "
          f"| {plain_rate:,.0f} |")
    print(f"\nplain jsonschema found {plain['invalid']} schema-invalid tasks in its {plain['checked']}; "
          f"{os.cpu_count()} CPUs, load average now {os.getloadavg()[0]:.1f}")
    ok = rate >= TARGET_TASKS_PER_S
    print(f"{'PASS' if ok else 'FAIL'}: {rate:,.0f} tasks/s through the CLI (target >= {TARGET_TASKS_PER_S:,.0f})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
