"""`newsbench validate`: check annotation exports and records; report every problem, quarantine bad records."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from builder.annotate.labelstudio.validation import ANNOTATION_KINDS
from builder.commands._common import add_config_option, config_of
from builder.labels import label_schema_of
from builder.check.validate.corpus import Corpus
from builder.corpus.assemble import corpus_path
from builder.check.validate.run import annotation_files, validate_files


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "validate", help="validate Label Studio exports, canonical annotation records or gold documents",
        description="Check the JSON Schema, offsets, texts, region ids, relations, speakers, overlaps and the "
        "corpus of every record; write report.json, report.txt, quarantine.jsonl and the valid records. "
        "Exit 0 when all is valid, 1 when the data has errors, 2 when a file cannot be read.")
    add_config_option(p)
    p.add_argument("files", nargs="*", type=Path,
                   help="exports (JSON array or JSON Lines) or records files (default: everything under annotations/)")
    p.add_argument("--corpus", type=Path, default=None,
                   help="documents the tasks were pushed from (default: work/segment/documents.jsonl)")
    p.add_argument("--no-corpus", action="store_true", help="skip the corpus checks (said in the report)")
    p.add_argument("--out", type=Path, default=None, help="report folder (default: [validate] out_dir)")
    p.add_argument("--workers", type=int, default=None, help="processes (default: [validate] workers; 0 = all cores)")
    p.add_argument("--no-valid", action="store_true", help="do not write the valid records")
    p.add_argument("--quiet", action="store_true", help="print only the summary line")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = config_of(args)
    labels = label_schema_of(config)
    annotations = config.resolve(config.project.annotations_dir)
    files = list(args.files) or annotation_files(annotations)
    # indexed by validate_files while its workers check the first records
    corpus = None if args.no_corpus else Corpus(args.corpus or corpus_path(config), load=False)
    out = args.out or config.resolve(config.validate.out_dir)
    workers = args.workers if args.workers is not None else int(config.validate.workers)
    report = validate_files(files, labels, corpus=corpus, out_dir=out, workers=workers, root=config.root,
                            keep_valid=not args.no_valid, kinds=ANNOTATION_KINDS)
    limit = 0 if args.quiet else int(config.validate.print_problems)
    print(report.text(limit=limit))
    print(f"reports: {out / 'report.txt'}, {out / 'report.json'}; quarantine: {out / 'quarantine.jsonl'}",
          file=sys.stderr)
    return report.exit_code
