"""`newsbench report`: the report of an annotation round, as one self-contained HTML file and its JSON."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from builder.commands._common import add_config_option, config_of
from builder.errors import EXIT_OK


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="the report of an annotation round: progress, lead time, edit rates, "
                                      "agreement per pair, label confusion, disagreements, changes since the "
                                      "previous pull (HTML + JSON)")
    p.add_argument("files", nargs="*", type=Path, help="canonical records files (default: the project's, "
                                                       "annotations/canonical/<project>.jsonl, else all there)")
    p.add_argument("--project", default=None, help="the project whose pulls are compared (default annotate.project "
                                                    "or project.name)")
    p.add_argument("--url", default=None, help="Label Studio URL for the task links (default LABEL_STUDIO_URL, "
                                               "else the local server's)")
    p.add_argument("--out", default=None, type=Path, help="folder (default work/report/<latest pull>/)")
    add_config_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from builder.annotate.labelstudio.pull import exports_of, pull_changes, slug
    from builder.annotate.labelstudio.validation import ANNOTATION_KINDS
    from builder.check.report import render_html, round_report
    from builder.check.validate.corpus import Corpus
    from builder.check.validate.run import records_files
    from builder.corpus.assemble import corpus_path
    from builder.jsonl import write_json
    from builder.labels import label_schema_of
    from builder.stage import RejectSink

    config = config_of(args)
    annotations = config.resolve(config.project.annotations_dir)
    title = args.project or config.annotate.project or config.project.name
    base = (args.url or os.environ.get("LABEL_STUDIO_URL") or f"http://127.0.0.1:{config.annotate.server_port}")
    base = base.rstrip("/")
    exports = exports_of(annotations / "raw", title)
    out = args.out or config.work_dir / "report" / (exports[-1].name if exports else slug(title))
    out.mkdir(parents=True, exist_ok=True)
    rejects = RejectSink("report", out / "rejects.jsonl")
    try:
        own = annotations / "canonical" / f"{slug(title)}.jsonl"  # the round's own records, when it has them
        files = records_files(annotations, args.files or ([own] if own.is_file() else []))
        rep = round_report(files, label_schema_of(config),
                           Corpus(corpus_path(config)), rejects, gold=annotations / "gold/gold.jsonl",
                           task_url=lambda project, task: f"{base}/projects/{project.get('id')}/data?task={task}",
                           changes=pull_changes(annotations / "raw", title),
                           claim_match=str(config.agreement.claim_match), language=config.language,
                           kinds=ANNOTATION_KINDS)
    finally:
        rejects.close()
    write_json(out / "report.json", rep)
    (out / "report.html").write_text(render_html(rep, f"Annotation round: {title}"), encoding="utf-8")
    g = rep["agreement"]["overall"]
    print(f"report: {out / 'report.html'} (and report.json)")
    print(f"documents annotated {rep['annotated_documents']}, by two or more {rep['documents_with_two_or_more']}; "
          f"disagreements {len(rep['disagreements'])} (open "
          f"{sum(1 for d in rep['disagreements'] if not d['resolved'])}); entity F1 strict "
          f"{g['entities_overall']['strict_f1']}, alpha entity {g['alpha'][0]['alpha']}", file=sys.stderr)
    return EXIT_OK
