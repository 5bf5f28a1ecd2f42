"""Benchmark the Label Studio round trip on a real local server.

Pushes N tasks (default 10,000, real Pratiwi articles with distinct document ids) into an empty project with
rule pre-annotations, pushes the same N again (all upserts), annotates every task through the API, and pulls
everything back (paged raw export + canonical records). Prints tasks/s for each step.
Targets: push >= 200 tasks/s both times; pull of 10,000 annotated tasks within 60 s.

    python scripts/bench_labelstudio.py [--tasks 10000] [--workers 4]

Starts a throw-away server from the template data dir (installing label-studio into .venv-labelstudio/ first
if needed) and stops it at the end; with LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY set it uses that server.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from builder.config import config_from_dict  # noqa: E402
from builder.document import make_doc_id, new_document  # noqa: E402
from builder.jsonl import write_jsonl  # noqa: E402
from builder.labels import label_schema_of  # noqa: E402
from builder.annotate.labelstudio import server as ls_server  # noqa: E402
from builder.annotate.labelstudio.client import Client, connect, credentials_from_env  # noqa: E402
from builder.annotate.labelstudio.convert import region_results  # noqa: E402
from builder.annotate.labelstudio.project import ProjectSettings, ensure_project  # noqa: E402
from builder.annotate.labelstudio.pull import pull  # noqa: E402
from builder.annotate.labelstudio.push import Selection, push, task_index  # noqa: E402
from builder.bench.baselines.rules import RulePreAnnotator  # noqa: E402

PRATIWI = REPO / "data/raw/pratiwi2017"


def documents(n: int) -> list[dict]:
    import csv

    texts = []
    for path in sorted(PRATIWI.glob("*.csv")):
        with open(path, encoding="cp1252", newline="") as fh:
            texts += [row[0] for row in list(csv.reader(fh, delimiter=";"))[1:]]
    docs = []
    for i in range(n):
        doc = new_document(doc_id=make_doc_id("bench", str(i)), language="id", text=texts[i % len(texts)],
                           source={"name": "bench", "license": "CC-BY-4.0", "redistributable": True,
                                   "retrieved_at": "2026-11-26", "key": str(i)})
        doc["split"] = ("train", "validation", "test")[i % 3]
        docs.append(doc)
    return docs


def annotate_all(client: Client, project_id: int, docs: dict[str, dict], workers: int) -> int:
    """One annotation per task: the annotator keeps the first pre-annotated regions, as a person accepting them."""
    pre = RulePreAnnotator()
    index, _ = task_index(client, project_id)
    jobs = []
    for doc_id, refs in index.items():
        doc = docs[doc_id]
        guess = pre.predict_one(doc)
        regions = [r for r in guess.regions if r.layer == "entity"][:3]
        jobs.append((refs[0].id, region_results(regions, [], doc["text"])))

    def post(job: tuple[int, list]) -> None:
        task_id, result = job
        client.request("POST", f"api/tasks/{task_id}/annotations", json_body={"result": result, "lead_time": 10.0},
                       idempotent=False)

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(post, jobs))
    return len(jobs)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tasks", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=4, help="parallel annotation requests")
    ap.add_argument("--batch-size", type=int, default=1000)
    ap.add_argument("--page-size", type=int, default=1000)
    ap.add_argument("--no-annotate", action="store_true", help="skip annotating (it takes ~4 min per 1,000 tasks)")
    args = ap.parse_args()

    config = config_from_dict({}, REPO)
    schema = label_schema_of(config)
    tmp = Path(tempfile.mkdtemp(prefix="bench-labelstudio-"))
    running = None
    if os.environ.get("LABEL_STUDIO_API_KEY"):
        creds = credentials_from_env()
    else:
        t = time.monotonic()
        running = ls_server.start_disposable(ls_server.server_settings(config), tmp / "server")
        creds = running.credentials()
        print(f"server started in {time.monotonic() - t:.1f} s at {running.url} (pid {running.pid})")
    try:
        client = connect(creds, timeout=300.0)
        docs = documents(args.tasks)
        path = tmp / "documents.jsonl"
        write_jsonl(path, docs)
        title = f"bench-{secrets.token_hex(3)}"
        sync = ensure_project(client, schema, ProjectSettings(title))
        project, changes = sync.project, sync.changes
        pre = RulePreAnnotator()
        figures = {}
        for run in ("push (empty project)", "push again (all upserts)"):
            t = time.monotonic()
            rep = push(client, schema, path, project=(project["id"], changes), selection=Selection(),
                       preannotator=pre, batch_size=args.batch_size, page_size=1000)
            secs = time.monotonic() - t
            figures[run] = (args.tasks / secs, secs)
            print(f"{run}: {args.tasks} tasks in {secs:.1f} s = {args.tasks / secs:.0f} tasks/s  {rep.counts}")
        if not args.no_annotate:
            t = time.monotonic()
            n = annotate_all(client, project["id"], {d["id"]: d for d in docs}, args.workers)
            secs = time.monotonic() - t
            print(f"annotate via API: {n} annotations in {secs:.1f} s = {n / secs:.0f} annotations/s "
                  f"({args.workers} workers)")
        t = time.monotonic()
        result = pull(client, schema, title, tmp / "annotations", page_size=args.page_size)
        secs = time.monotonic() - t
        counts = result["manifest"]["counts"]
        print(f"pull: {counts['tasks']} tasks, {counts['annotations']} annotations in {secs:.1f} s "
              f"(fetch {result['seconds_fetch']} s) = {counts['tasks'] / secs:.0f} tasks/s")
        ok = all(rate >= 200 for rate, _ in figures.values()) and secs <= 60 * max(1, args.tasks / 10_000)
        print("targets (push >= 200 tasks/s twice, pull of 10k <= 60 s):", "met" if ok else "NOT met")
    finally:
        if running:
            ls_server.terminate(running.pid)
    return 0


if __name__ == "__main__":
    sys.exit(main())
