"""`newsbench adjudicate`: the gold layer by the configured policy; ties and conflicts listed for review."""

from __future__ import annotations

import argparse
import json
import sys

from builder.annotate.labelstudio.validation import ANNOTATION_KINDS
from builder.check.adjudicate import Policy, run_adjudicate
from builder.commands._common import config_of
from builder.check.validate.run import records_files
from builder.commands.agreement import add_inputs
from builder.errors import EXIT_INVALID_DATA, EXIT_OK
from builder.labels import label_schema_of
from builder.check.validate.corpus import Corpus
from builder.corpus.assemble import corpus_path


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("adjudicate", help="adjudicate annotations into the gold layer (annotations/gold/)",
                       description="A reviewer's decision wins, then a ground-truth annotation; otherwise an item "
                       "is kept when more than [adjudicate] min_share of the document's annotators gave it, and a "
                       "document with a tie, a conflict or a missing attribute is left open for review "
                       "(`annotate push --review`) instead of getting gold. Writes annotations/gold/<name>.jsonl, "
                       "review items and their documents under annotations/gold/review/, and adjudication.json. "
                       "Invalid records are left out and make the exit code 1.")
    add_inputs(p, out_help="gold folder (default: annotations/gold)")
    p.add_argument("--prefer", action="append", default=[], metavar="ANNOTATOR",
                   help="settle each document left open with this annotator's version (a decision made outside "
                        "Label Studio; repeat to give an order)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = config_of(args)
    labels = label_schema_of(config)
    from builder.annotate.annotators import AnnotatorMap

    machines = AnnotatorMap.load(config.resolve(config.annotate.annotators)).models
    policy = Policy.from_config(config, args.prefer, machines)
    files = records_files(config.resolve(config.project.annotations_dir), args.files)
    corpus = Corpus(args.corpus or corpus_path(config))
    out = args.out or config.resolve(config.project.annotations_dir) / "gold"
    summary = run_adjudicate(files, labels, corpus, out, policy, name=str(config.adjudicate.name),
                             kinds=ANNOTATION_KINDS, root=config.root)
    shown = {k: v for k, v in summary.items() if k not in ("outputs", "open_documents")}
    print(json.dumps({**shown, "open_documents": len(summary["open_documents"])}, indent=2, ensure_ascii=False))
    print(f"wrote {config.resolve(summary['outputs']['gold'])} and the review under {out / 'review'}", file=sys.stderr)
    if summary["open_documents"]:
        print(f"{len(summary['open_documents'])} document(s) left open for review: send them to Label Studio with "
              "`newsbench annotate push --review`, or settle them with `newsbench adjudicate --prefer ANNOTATOR`",
              file=sys.stderr)
    return EXIT_INVALID_DATA if summary["rejected_records"] else EXIT_OK
