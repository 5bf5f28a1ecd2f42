"""`newsbench annotate server start|stop|status`, `annotate config`, `annotate annotators add|list`,
`annotate push|pull|status`, `annotate sheets|submit`.

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

    cfg = sub.add_parser("config", help="print the labelling config (generated from the label schema, or the file "
                                        "annotate.label_config names)")
    cfg.add_argument("--check", action="store_true", help="also have the Label Studio server validate it")
    cfg.add_argument("--out", default=None, help="write it to this file instead of printing it")
    add_config_option(cfg)
    cfg.set_defaults(func=run_config)

    people = sub.add_parser("annotators", help="annotators: add an account with a pseudonym, list them")
    people_sub = people.add_subparsers(dest="annotators_command", metavar="ACTION", required=True)
    add = people_sub.add_parser("add", help="give a person a pseudonym and an account (or an invite link)")
    add.add_argument("email")
    add.add_argument("--name", default="", help="display name shown by status and list (kept in the map)")
    add.add_argument("--model", action="store_true",
                     help="the account is used by a program (a language model, a script), not a person: releases "
                          "mark what it decided as machine-made (silver)")
    add.add_argument("--invite", action="store_true",
                     help="print the invite link for the person to sign up with this email, instead of making "
                          "the account with a generated password")
    add.add_argument("--map-only", action="store_true",
                     help="only give the email a pseudonym in the map, without touching any server (for an "
                          "account that annotated on a server that is gone, before its export is converted)")
    add_config_option(add)
    add.set_defaults(func=run_annotators_add)
    listing = people_sub.add_parser("list", help="the pseudonym map, with the server's accounts")
    listing.add_argument("--json", action="store_true", help="print JSON")
    add_config_option(listing)
    listing.set_defaults(func=run_annotators_list)

    push = sub.add_parser("push", help="create/update the project and upsert documents with pre-annotations")
    push.add_argument("--documents", default=None, help="documents JSONL, pushed as they are (default: the project's corpus)")
    push.add_argument("--project", default=None, help="project title (default annotate.project or project.name)")
    push.add_argument("--split", action="append", default=[], help="push only this split (repeatable)")
    push.add_argument("--source", action="append", default=[], metavar="NAME",
                      help="push only this source's documents (repeatable); pushing the project's corpus, "
                           "documents imported with gold layers are left out unless their source is named")
    push.add_argument("--sample", type=int, default=None, help="push N documents (seeded, or least confident)")
    push.add_argument("--order", choices=["input", "random", "least-confident"], default=None,
                      help="how the label stream serves tasks (and which N --sample keeps): input order, random, "
                           "or least-confident: the documents whose proposals the pre-annotator is least sure of "
                           "first (default annotate.order; unset leaves the project's order)")
    push.add_argument("--preannotator", default=None, help="rules | none | imported | model:models/VERSION (default annotate.preannotator)")
    push.add_argument("--label-map", action="append", default=[], metavar="[FIELD:]OLD=NEW",
                      help="migrate existing annotations when the label schema renames a label")
    push.add_argument("--review", action="store_true",
                      help="send the documents adjudication left open to the review project (<project>-review), "
                           "each with every annotator's version as a prediction named by pseudonym")
    push.add_argument("--replace-config", action="store_true",
                      help="replace a labelling config edited by hand on the server (by default it is kept and "
                           "the difference is shown)")
    push.add_argument("--report", default=None, help="write the push report as JSON here")
    add_config_option(push)
    push.set_defaults(func=run_push)

    truth = sub.add_parser("ground-truth", help="mark an annotator's annotation of a document as its ground truth "
                                                "(Label Studio's API; its community UI has no such action)")
    truth.add_argument("document", help="document id")
    truth.add_argument("--annotator", required=True, help="the annotator's pseudonym, e.g. annotator-2")
    truth.add_argument("--project", default=None)
    add_config_option(truth)
    truth.set_defaults(func=run_ground_truth)

    pull = sub.add_parser("pull", help="page every task with its annotations into annotations/raw and canonical")
    pull.add_argument("--project", default=None)
    pull.add_argument("--out", default=None, help="annotations folder (default project.annotations_dir)")
    add_config_option(pull)
    pull.set_defaults(func=run_pull)

    convert = sub.add_parser("convert", help="turn a raw export under annotations/raw/ into canonical records again "
                                            "(no server): e.g. after the annotator map or the label schema changed")
    convert.add_argument("export", help="the export folder, annotations/raw/<project>-<time>/")
    convert.add_argument("--out", default=None, help="canonical records folder (default annotations/canonical)")
    add_config_option(convert)
    convert.set_defaults(func=run_convert)

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


def _label_config(config: Config, schema: Any) -> str:
    from builder.annotate.labelstudio.config import config_from_file, labelling_config
    from builder.errors import ConfigError

    if not config.annotate.label_config:
        return labelling_config(schema)
    path = config.resolve(config.annotate.label_config)
    if not path.is_file():
        raise ConfigError("the labelling config file does not exist", where=f"annotate.label_config = {path}",
                          fix="correct the path, or leave annotate.label_config empty to use the generated config")
    return config_from_file(path.read_text(encoding="utf-8"), schema, str(path))


def _people(config: Config):
    from builder.annotate.annotators import AnnotatorMap

    return AnnotatorMap.load(config.resolve(config.annotate.annotators))


def run_config(args: argparse.Namespace) -> int:
    from builder.labels import label_schema_of

    config = config_of(args)
    xml = _label_config(config, label_schema_of(config))
    if args.check:
        from builder.annotate.labelstudio.project import check_config

        client = _client(config)
        check_config(client, xml)
        print(f"Label Studio at {client.url} accepts the labelling config", file=sys.stderr)
    if args.out:
        Path(args.out).write_text(xml, encoding="utf-8")
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(xml)
    return EXIT_OK


def run_annotators_add(args: argparse.Namespace) -> int:
    from builder.annotate.labelstudio.users import add_annotator, has_account, invite_url

    config = config_of(args)
    people = _people(config)
    person = people.add(args.email, args.name, "model" if args.model else None)
    if args.map_only:
        if people.changed:
            people.save()
        print(f"{person.label}: in the map only (no account was made or looked up)")
        print(f"pseudonyms are kept in {people.path} (commit it; it holds no emails)", file=sys.stderr)
        return EXIT_OK
    client = _client(config)
    if args.invite:
        how = f"send them the invite link {invite_url(client)} and ask them to sign up as {args.email}"
    elif has_account(client, args.email):
        how = f"{args.email} has an account at {client.url} already"
    else:
        account = add_annotator(client, args.email)
        how = (f"sign in at {client.url.rstrip('/')}/user/login/ as {args.email} with the password "
               f"{account.password} (shown once; they can change it under Account & Settings)")
    if people.changed:
        people.save()
    print(f"{person.label}: {how}")
    print(f"pseudonyms are kept in {people.path} (commit it; it holds no emails)", file=sys.stderr)
    return EXIT_OK


def run_annotators_list(args: argparse.Namespace) -> int:
    from builder.annotate.labelstudio.client import LabelStudioError
    from builder.annotate.labelstudio.users import server_people

    config = config_of(args)
    people = _people(config)
    try:
        accounts = server_people(_client(config), people)
        reachable = True
    except LabelStudioError as exc:
        accounts, reachable = [], False
        print(f"the server's accounts are not shown: {exc.message}", file=sys.stderr)
    on_server = {a["annotator"]: a for a in accounts if a["annotator"]}
    rows = [{"annotator": p.id, "name": p.name, "added": p.added,
             "email": on_server[p.id]["email"] if p.id in on_server else None,
             "account": (p.id in on_server) if reachable else None} for p in people.people]
    rows += [{"annotator": None, "name": "", "added": "", "email": a["email"], "account": True}
             for a in accounts if not a["annotator"]]
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return EXIT_OK
    for r in rows:
        who = r["annotator"] or "(no pseudonym yet: given at the next pull if they annotate)"
        name = f" ({r['name']})" if r["name"] else ""
        account = {True: f"account {r['email']}", False: "no account on this server", None: ""}[r["account"]]
        print(f"{who}{name}  {account}".rstrip())
    if not rows:
        print("no annotators yet: add one with `newsbench annotate annotators add EMAIL`")
    return EXIT_OK


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


def run_review_push(args: argparse.Namespace, config: Config) -> int:
    from builder.annotate.labelstudio.project import ProjectSettings, ensure_project, guidelines_html, markdown_to_html
    from builder.annotate.labelstudio.review import REVIEW_GUIDE, open_documents, push_review, review_task
    from builder.annotate.labelstudio.validation import ANNOTATION_KINDS
    from builder.check.validate.corpus import Corpus
    from builder.check.validate.layers import collect
    from builder.check.validate.run import records_files
    from builder.corpus.assemble import corpus_path
    from builder.labels import label_schema_of
    from builder.stage import RejectSink

    annotations = config.resolve(config.project.annotations_dir)
    items_path = annotations / "gold" / "review" / "items.jsonl"
    if not items_path.is_file():
        raise InputError("no review items", where=str(items_path), fix="run `newsbench adjudicate` first")
    wanted = open_documents(items_path)
    schema = label_schema_of(config)
    corpus = Corpus(Path(args.documents) if args.documents else corpus_path(config))
    rejects = RejectSink("review", config.work_dir / "review" / "rejects.jsonl")
    try:
        docs = collect(records_files(annotations), schema, corpus, rejects, kinds=ANNOTATION_KINDS)
    finally:
        rejects.close()
    tasks = [review_task(corpus.document(d), items, docs[d]) for d, items in sorted(wanted.items())
             if d in docs and docs[d].raw and corpus.document(d) is not None]
    title = f"{_title(config, args)}-review"
    client = _client(config)
    settings = ProjectSettings(title=title, overlap=1, sampling="input",
                               instructions=markdown_to_html(REVIEW_GUIDE) + guidelines_html(
                                   config.resolve(config.annotate.guidelines)),
                               label_config=_label_config(config, schema), replace_config=args.replace_config)
    sync = ensure_project(client, schema, settings)
    report = push_review(client, sync.project["id"], tasks)
    _print_counts(f"review project '{title}' (id {sync.project['id']})", dict(report.counts),
                  sync.changes + [f"{len(wanted)} open documents"])
    for r in report.refused[:20]:
        print(f"refused {r['document_id']} (task {r['task_id']}): {r['reason']}", file=sys.stderr)
    return EXIT_INVALID_DATA if report.refused else EXIT_OK


def run_ground_truth(args: argparse.Namespace) -> int:
    from builder.annotate.labelstudio.review import set_ground_truth

    config = config_of(args)
    client = _client(config)
    done = set_ground_truth(client, _project_id(client, config, args), args.document, args.annotator, _people(config))
    print(f"{args.document}: annotation {done['annotation_id']} (task {done['task_id']}) of {args.annotator} is its "
          f"ground truth" + (f"; unmarked {done['unmarked']}" if done["unmarked"] else "") +
          ". Pull, then adjudicate: with adjudicate.ground_truth_wins it is the document's gold")
    return EXIT_OK


def run_push(args: argparse.Namespace) -> int:
    from builder.labels import label_schema_of
    from builder.annotate.labelstudio.project import ProjectSettings, ensure_project, guidelines_html
    from builder.labels import parse_label_map
    from builder.annotate.labelstudio.push import Selection, push
    from builder.annotate.preannotate import make_preannotator
    from builder.corpus.assemble import corpus_path

    config = config_of(args)
    if args.review:
        return run_review_push(args, config)
    documents = Path(args.documents or config.annotate.documents or corpus_path(config))
    if not documents.is_file():
        raise InputError("documents file not found", where=str(documents),
                         fix="run the segment stage first or pass --documents PATH")
    schema = label_schema_of(config)
    gazetteer = config.annotate.gazetteer
    pre = make_preannotator(args.preannotator or config.annotate.preannotator,
                            gazetteer=config.resolve(gazetteer) if gazetteer else None, claim_label=schema.claim.name,
                            schema=schema)
    order = args.order or config.annotate.order or None
    if order == "least-confident" and pre is None:
        raise InputError("--order least-confident needs a pre-annotator",
                         fix="choose one with --preannotator (rules, or model:DIR), or another --order")
    xml = _label_config(config, schema)
    client = _client(config)
    settings = ProjectSettings(
        title=_title(config, args),
        overlap=int(config.annotate.overlap),
        instructions=guidelines_html(config.resolve(config.annotate.guidelines)),
        sampling=order,
        model_version=pre.model_version if order == "least-confident" else None,
        label_config=xml,
        replace_config=args.replace_config,
        label_map=parse_label_map(args.label_map, where="--label-map"),
    )
    sync = ensure_project(client, schema, settings)
    if sync.kept_config_diff is not None:
        print("the project's labelling config was edited on the server and is kept; the difference to the one "
              "newsbench would set (push with --replace-config to set it):\n" + sync.kept_config_diff,
              file=sys.stderr)
    explicit = bool(args.documents or config.annotate.documents)
    selection = Selection(tuple(args.split), args.sample, order or "input", config.seed, tuple(args.source),
                          skip_annotated=not explicit)
    with Bars(enabled=sys.stderr.isatty(), unit=" docs") as tick:
        report = push(client, schema, documents, project=(sync.project["id"], sync.changes), selection=selection,
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
                      page_size=int(config.annotate.page_size), people=_people(config), progress=tick)
    m, c = result["manifest"], result["canonical"]
    print(f"raw export {result['export_dir']} (sha256 {m['sha256'][:12]}..., {result['seconds_fetch']} s)")
    _print_counts("counts", m["counts"], [])
    print(f"canonical records: {c['records']} in {out_dir / 'canonical'}")
    named = ", ".join(a["annotator"] for a in m["annotators"] if a["annotator"])
    if named:
        print(f"annotators: {named}" + (f" (new: {', '.join(result['new_annotators'])}, added to "
                                         f"{config.resolve(config.annotate.annotators)}; commit it)"
                                         if result["new_annotators"] else ""))
    if c["offsets"]:
        # reported, not fatal: `newsbench validate` quarantines what stays wrong
        print(f"offset checks: {c['offsets']} (details in the .report.json beside the records)", file=sys.stderr)
    return EXIT_OK


def run_convert(args: argparse.Namespace) -> int:
    from builder.annotate.labelstudio.pull import convert_export
    from builder.labels import label_schema_of

    config = config_of(args)
    export = Path(args.export)
    if not (export / "manifest.json").is_file() or not (export / "tasks.jsonl").is_file():
        raise InputError("not a raw export folder (no manifest.json and tasks.jsonl)", where=str(export),
                         fix="pass a folder under annotations/raw/ that `newsbench annotate pull` wrote")
    out = Path(args.out) if args.out else config.resolve(config.project.annotations_dir) / "canonical"
    people = _people(config)
    summary = convert_export(export, label_schema_of(config), out, people)
    if people.changed:
        people.save()
    print(f"canonical records: {summary['records']} in {out} (from {export.name})")
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
    st = project_status(_client(config), _title(config, args), people=_people(config))
    if args.json:
        print(json.dumps(st, indent=2, ensure_ascii=False))
        return EXIT_OK
    overlap = st["project"]["overlap"]
    print(f"project '{st['project']['title']}' (id {st['project']['id']}, overlap {overlap}): {st['tasks']} tasks: "
          f"{st['complete']} complete ({overlap} submitted annotation{'s' if overlap > 1 else ''}), "
          f"{st['in_progress']} in progress, {st['open']} open; {st['skipped']} skips")
    for name, counts in st["per_split"].items():
        print(f"  split {name}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    for name, counts in st["per_annotator"].items():
        print(f"  annotator {name}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    done = st["complete_tasks"]
    if done:
        listed = ", ".join(f"{t['document_id']} (task {t['task_id']})" for t in done[:20])
        print(f"  complete: {listed}" + (f" and {len(done) - 20} more (--json lists all)" if len(done) > 20 else ""))
    return EXIT_OK


def _print_counts(title: str, counts: dict[str, Any], notes: list[str]) -> None:
    print(f"{title}: " + ", ".join(f"{k} {v}" for k, v in counts.items()) + (f" ({'; '.join(notes)})" if notes else ""))
