"""The pilot annotation round: select articles, push them to a local Label Studio, annotate, pull, check.

    python scripts/pilot.py select     # annotations/pilot/selection.json (which articles, and why)
    python scripts/pilot.py push       # local server, project "<project>-pilot", tasks with rule pre-annotations,
                                       # and one sheet per task in work/pilot/sheets/ (the pre-annotation)
    python scripts/pilot.py check [SHEET...]   # resolve sheets offline against their texts
    python scripts/pilot.py submit     # the annotator's corrected sheets (annotations/pilot/sheets/) as that
                                       # annotator's annotations, then pull, validate and adjudicate

Every step goes through `newsbench` itself (annotate push/sheets/submit/pull, validate, adjudicate) against a
real server started by `newsbench annotate server start`; this script only chooses the articles and strings
the steps together. The annotator signs up as their own Label Studio user, so the export says who annotated.

Selection: the shipped corpus after `newsbench prepare`; the seed article (example input, never published)
plus, per split, a fixed number of articles of 120-400 words (shorter ones say little, longer ones cost an
annotator an hour), half hoax and half valid, in the order of a seeded hash of their id.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from builder.cli import main as newsbench
from builder.config import load_config
from builder.corpus.prepare import corpus_path
from builder.jsonl import read_jsonl, write_json

PILOT = REPO / "annotations/pilot"
WORK = REPO / "work/pilot"
QUOTAS = {"train": 25, "validation": 17, "test": 17}
WORDS = (120, 400)
ANNOTATOR = "annotator-1@newsbench.local"


def _key(seed: int, doc_id: str) -> str:
    return hashlib.sha256(f"{seed}\0pilot\0{doc_id}".encode()).hexdigest()


def select(args: argparse.Namespace) -> int:
    config = load_config(REPO / "newsbench.toml")
    docs = list(read_jsonl(corpus_path(config)))
    chosen: list[dict] = [d for d in docs if not (d.get("source") or {}).get("redistributable", True)]
    for split, n in QUOTAS.items():
        for value in ("hoax", "valid"):
            pool = [d for d in docs if d.get("split") == split and WORDS[0] <= len(d["text"].split()) <= WORDS[1]
                    and any(x["name"] == "veracity" and x["value"] == value for x in d.get("doc_labels") or [])]
            take = n // 2 + (n % 2 if value == "hoax" else 0)
            chosen += sorted(pool, key=lambda d: _key(config.seed, d["id"]))[:take]
    PILOT.mkdir(parents=True, exist_ok=True)
    write_json(PILOT / "selection.json", {
        "rule": f"the non-redistributable seed article, plus per split {QUOTAS} articles of {WORDS[0]}-{WORDS[1]} "
                "words, half hoax and half valid (odd counts: one more hoax), first in the order of "
                f"sha256(seed, 'pilot', id) with seed {config.seed}",
        "documents": [{"id": d["id"], "split": d["split"], "words": len(d["text"].split()),
                       "veracity": next((x["value"] for x in d.get("doc_labels") or [] if x["name"] == "veracity"),
                                        None)} for d in chosen],
    })
    print(f"{len(chosen)} documents -> {PILOT / 'selection.json'}")
    return 0


def _selected_ids() -> list[str]:
    return [d["id"] for d in json.loads((PILOT / "selection.json").read_text())["documents"]]


def _run(*argv: str, env: dict[str, str] | None = None) -> None:
    old = dict(os.environ)
    os.environ.update(env or {})
    try:
        print("$ newsbench " + " ".join(argv), flush=True)
        code = newsbench(list(argv))
    finally:
        os.environ.clear()
        os.environ.update(old)
    if code not in (0, None):
        raise SystemExit(f"newsbench {argv[0]} failed with exit {code}")


def _ensure_server() -> None:
    from builder.annotate.labelstudio.server import server_settings, status

    if not status(server_settings(load_config(REPO / "newsbench.toml"))).get("running"):
        _run("annotate", "server", "start")


def push(args: argparse.Namespace) -> int:
    config = load_config(REPO / "newsbench.toml")
    ids = set(_selected_ids())
    WORK.mkdir(parents=True, exist_ok=True)
    docs = WORK / "documents.jsonl"
    with open(docs, "w", encoding="utf-8") as fh:
        for d in read_jsonl(corpus_path(config)):
            if d["id"] in ids:
                fh.write(json.dumps(d, ensure_ascii=False) + "\n")
    _ensure_server()
    _run("annotate", "push", "--documents", str(docs), "--project", args.project, "--preannotator", "rules")
    _run("annotate", "sheets", "--project", args.project, "--out", str(WORK / "sheets"))
    return 0


def _annotator_env() -> dict[str, str]:
    from builder.annotate.labelstudio.client import connect, credentials_from_env
    from builder.annotate.labelstudio.server import local_credentials, server_settings
    from builder.annotate.labelstudio.users import add_annotator

    admin = connect(credentials_from_env(fallback=local_credentials(server_settings(load_config(REPO / "newsbench.toml")))))
    creds = add_annotator(admin, ANNOTATOR, "pilot-annotator-1").credentials
    return {"LABEL_STUDIO_URL": creds.url, "LABEL_STUDIO_API_KEY": creds.key}


def submit(args: argparse.Namespace) -> int:
    _ensure_server()
    _run("annotate", "submit", str(PILOT / "sheets"), "--project", args.project,
         "--report", str(WORK / "submit.json"), env=_annotator_env())
    _run("annotate", "pull", "--project", args.project)
    _run("validate")
    _run("adjudicate")
    return 0


def check(args: argparse.Namespace) -> int:
    """Resolve sheets against their texts offline (work/pilot/sheets/<name>.txt) and print what they mark."""
    from collections import Counter

    from builder.annotate.sheets import resolve_sheet
    from builder.errors import DataInvalidError
    from builder.labels import load_label_schema
    from builder.annotate.labelstudio.submit import read_sheet

    schema = load_label_schema(REPO / "schema/labels.json")
    failed = 0
    for name in args.files or sorted(map(str, (PILOT / "sheets").glob("*.json"))):
        path = Path(name)
        sheet = read_sheet(path)
        text = (WORK / "sheets" / f"{path.stem}.txt").read_text(encoding="utf-8")
        try:
            r = resolve_sheet(text, sheet, schema, where=str(path))
        except DataInvalidError as exc:
            failed += 1
            print(f"FAIL {exc}")
            continue
        counts = Counter(x.label for x in r.regions) + Counter(x.type for x in r.relations)
        print(f"ok   {path.name}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return 1 if failed else 0


def cli() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("step", choices=["select", "push", "check", "submit"])
    p.add_argument("files", nargs="*", help="check: these sheets (default annotations/pilot/sheets/*.json)")
    p.add_argument("--project", default="newsbench-id-pilot")
    args = p.parse_args()
    return {"select": select, "push": push, "check": check, "submit": submit}[args.step](args)


if __name__ == "__main__":
    raise SystemExit(cli())
