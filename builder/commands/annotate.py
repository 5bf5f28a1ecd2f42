"""`newsbench annotate server start|stop|status`, `annotate push|pull|status`, `annotate sheets|submit`.

The Label Studio URL and key come from LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY (a legacy token or a
personal access token); when they are not set and `annotate server start` runs a local server, that server's
URL and token are used.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from builder.commands._common import add_config_option, config_of
from builder.commands._progress import Bars
from builder.config import Config
from builder.errors import EXIT_INVALID_DATA, EXIT_OK, InputError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("annotate", help="Label Studio: local server, push documents, pull annotations")
    sub = p.add_subparsers(dest="annotate_command", metavar="ACTION", required=True)

    server = sub.add_parser("server", help="install, start, stop or inspect a local Label Studio server")
    server.add_argument("action", choices=["start", "stop", "status", "install"])
    server.add_argument("--port", type=int, default=None, help="port on 127.0.0.1 (default annotate.server_port)")
    add_config_option(server)
    server.set_defaults(func=run_server)

    push = sub.add_parser("push", help="create/update the project and upsert documents with pre-annotations")
    push.add_argument("--documents", default=None, help="documents JSONL (default work/segment/documents.jsonl)")
    push.add_argument("--project", default=None, help="project title (default annotate.project or project.name)")
    push.add_argument("--split", action="append", default=[], help="push only this split (repeatable)")
    push.add_argument("--sample", type=int, default=None, help="push N documents (seeded, or least confident)")
    push.add_argument("--order", choices=["input", "least-confident"], default="input",
                      help="least-confident: choose the N documents the pre-annotator is least sure of, and "
                           "serve annotators the least confident first")
    push.add_argument("--preannotator", default=None, help="rules | none | imported | model:models/VERSION (default annotate.preannotator)")
    push.add_argument("--label-map", action="append", default=[], metavar="[FIELD:]OLD=NEW",
                      help="migrate existing annotations when the label schema renames a label")
    push.add_argument("--report", default=None, help="write the push report as JSON here")
    add_config_option(push)
    push.set_defaults(func=run_push)

    pull = sub.add_parser("pull", help="page every task with its annotations into annotations/raw and canonical")
    pull.add_argument("--project", default=None)
    pull.add_argument("--out", default=None, help="annotations folder (default project.annotations_dir)")
    add_config_option(pull)
    pull.set_defaults(func=run_pull)

    sheets = sub.add_parser("sheets", help="write one annotation sheet per task (from its pre-annotation) to "
                                           "correct outside the web UI")
    sheets.add_argument("--project", default=None)
    sheets.add_argument("--out", required=True, help="folder for <doc>.json sheets and <doc>.txt texts")
    sheets.add_argument("--document", action="append", default=[], help="only this document id (repeatable)")
    add_config_option(sheets)
    sheets.set_defaults(func=run_sheets)

    submit = sub.add_parser("submit", help="send corrected annotation sheets as the signed-in user's annotations")
    submit.add_argument("sheets", nargs="+", help="sheet files or folders of *.json sheets")
    submit.add_argument("--project", default=None)
    submit.add_argument("--report", default=None, help="write the submit report as JSON here")
    add_config_option(submit)
    submit.set_defaults(func=run_submit)

    status = sub.add_parser("status", help="tasks, annotated, skipped, per annotator, per split")
    status.add_argument("--project", default=None)
    status.add_argument("--json", action="store_true", help="print JSON")
    add_config_option(status)
    status.set_defaults(func=run_status)


def _settings(config: Config):
    from builder.annotate.labelstudio.server import check_settings, server_settings

    settings = server_settings(config)
    check_settings(settings)
    return settings


def _client(config: Config):
    from builder.annotate.labelstudio.client import connect, credentials_from_env
    from builder.annotate.labelstudio.server import local_credentials

    creds = credentials_from_env(fallback=local_credentials(_settings(config)))
    return connect(creds, timeout=float(config.annotate.timeout), retries=int(config.annotate.retries))


def _title(config: Config, args: argparse.Namespace) -> str:
    return args.project or config.annotate.project or config.project.name


def run_server(args: argparse.Namespace) -> int:
    from builder.annotate.labelstudio import server

    settings = _settings(config_of(args))
    if args.action == "install":
        server.ensure_template(settings, say=lambda m: print(m, file=sys.stderr))
        print(f"label-studio {settings.version} installed in {settings.venv}")
    elif args.action == "start":
        server.ensure_template(settings, say=lambda m: print(m, file=sys.stderr))
        running = server.start(settings, port=args.port)
        print(f"Label Studio {running.version} runs at {running.url} (pid {running.pid}, data {running.data_dir})")
        print(f"sign in as {settings.username}; password and API token are in "
              f"{running.data_dir / server.CREDENTIALS}; newsbench commands use them when LABEL_STUDIO_API_KEY "
              "is not set")
    elif args.action == "stop":
        print("stopped" if server.stop(settings) else "no server was running")
    else:
        state = server.status(settings)
        if state.get("running"):
            print(f"running at {state['url']} (pid {state['pid']}, healthy: {state['healthy']}, "
                  f"data {state['data_dir']})")
        else:
            print(f"not running (label-studio installed: {state['installed'] or 'no'})")
    return EXIT_OK


def run_push(args: argparse.Namespace) -> int:
    from builder.labels import label_schema_of
    from builder.annotate.labelstudio.project import ProjectSettings, ensure_project, guidelines_html
    from builder.labels import parse_label_map
    from builder.annotate.labelstudio.push import Selection, push
    from builder.annotate.preannotate import make_preannotator
    from builder.corpus.prepare import corpus_path

    config = config_of(args)
    documents = Path(args.documents or config.annotate.documents or corpus_path(config))
    if not documents.is_file():
        raise InputError("documents file not found", where=str(documents),
                         fix="run the segment stage first or pass --documents PATH")
    schema = label_schema_of(config)
    gazetteer = config.annotate.gazetteer
    pre = make_preannotator(args.preannotator or config.annotate.preannotator,
                            gazetteer=config.resolve(gazetteer) if gazetteer else None, claim_label=schema.claim.name)
    client = _client(config)
    settings = ProjectSettings(
        title=_title(config, args),
        overlap=int(config.annotate.overlap),
        instructions=guidelines_html(config.resolve(config.annotate.guidelines)),
        sampling="least-confident" if args.order == "least-confident" else None,
        label_map=parse_label_map(args.label_map, where="--label-map"),
    )
    project = ensure_project(client, schema, settings)
    selection = Selection(tuple(args.split), args.sample, args.order, config.seed)
    with Bars(enabled=sys.stderr.isatty(), unit=" docs") as tick:
        report = push(client, schema, documents, project=(project[0]["id"], project[1]), selection=selection,
                      preannotator=pre, batch_size=int(config.annotate.batch_size), progress=tick)
    out = report.as_dict()
    if args.report:
        from builder.jsonl import write_json

        write_json(args.report, out)
    _print_counts(f"project '{settings.title}' (id {report.project_id})", out["counts"], out["project_changes"])
    for r in report.refused[:20]:
        print(f"refused {r['document_id']} (task {r['task_id']}): {r['reason']}", file=sys.stderr)
    for c in report.conflicts[:20]:
        print(f"conflict {c['document_id']} tasks {c['task_ids']}: {c['reason']}", file=sys.stderr)
    return EXIT_INVALID_DATA if report.refused or report.conflicts else EXIT_OK


def run_pull(args: argparse.Namespace) -> int:
    from builder.labels import label_schema_of
    from builder.annotate.labelstudio.pull import pull

    config = config_of(args)
    out_dir = Path(args.out) if args.out else config.resolve(config.project.annotations_dir)
    with Bars(enabled=sys.stderr.isatty(), unit=" tasks") as tick:
        result = pull(_client(config), label_schema_of(config), _title(config, args), out_dir,
                      page_size=int(config.annotate.page_size), progress=tick)
    m, c = result["manifest"], result["canonical"]
    print(f"raw export {result['export_dir']} (sha256 {m['sha256'][:12]}..., {result['seconds_fetch']} s)")
    _print_counts("counts", m["counts"], [])
    print(f"canonical records: {c['records']} in {out_dir / 'canonical'}")
    if c["offsets"]:
        # reported, not fatal: `newsbench validate` quarantines what stays wrong
        print(f"offset checks: {c['offsets']} (details in the .report.json beside the records)", file=sys.stderr)
    return EXIT_OK


def _project_id(client: Any, config: Config, args: argparse.Namespace) -> int:
    from builder.annotate.labelstudio.project import find_project

    title = _title(config, args)
    project = find_project(client, title)
    if project is None:
        raise InputError(f"no Label Studio project is titled '{title}'", where=client.url,
                         fix="push documents first (`newsbench annotate push`) or pass --project TITLE")
    return int(project["id"])


def run_sheets(args: argparse.Namespace) -> int:
    from builder.labels import label_schema_of
    from builder.annotate.labelstudio.submit import write_sheets

    config = config_of(args)
    client = _client(config)
    counts = write_sheets(client, label_schema_of(config), _project_id(client, config, args), Path(args.out),
                          set(args.document) or None)
    _print_counts(f"sheets in {args.out}", counts, [])
    return EXIT_OK


def run_submit(args: argparse.Namespace) -> int:
    from builder.labels import label_schema_of
    from builder.annotate.labelstudio.submit import submit_sheets

    config = config_of(args)
    paths: list[Path] = []
    for name in args.sheets:
        p = Path(name)
        if p.is_dir():
            paths += sorted(p.glob("*.json"))
        elif p.is_file():
            paths.append(p)
        else:
            raise InputError("sheet not found", where=name, fix="pass sheet files or folders holding *.json sheets")
    client = _client(config)
    report = submit_sheets(client, label_schema_of(config), _project_id(client, config, args), paths)
    if args.report:
        from builder.jsonl import write_json

        write_json(args.report, report.as_dict())
    _print_counts("submitted", dict(report.counts), [])
    for r in report.refused:
        print(f"refused {r['sheet']}: {r['reason']}", file=sys.stderr)
    return EXIT_INVALID_DATA if report.refused else EXIT_OK


def run_status(args: argparse.Namespace) -> int:
    from builder.annotate.labelstudio.status import project_status

    config = config_of(args)
    st = project_status(_client(config), _title(config, args))
    if args.json:
        print(json.dumps(st, indent=2, ensure_ascii=False))
        return EXIT_OK
    print(f"project '{st['project']['title']}' (id {st['project']['id']}, overlap {st['project']['overlap']}): "
          f"{st['tasks']} tasks, {st['annotated']} annotated, {st['skipped']} skipped, {st['open']} open")
    for name, counts in st["per_split"].items():
        print(f"  split {name}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    for name, counts in st["per_annotator"].items():
        print(f"  annotator {name}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return EXIT_OK


def _print_counts(title: str, counts: dict[str, Any], notes: list[str]) -> None:
    print(f"{title}: " + ", ".join(f"{k} {v}" for k, v in counts.items()) + (f" ({'; '.join(notes)})" if notes else ""))
