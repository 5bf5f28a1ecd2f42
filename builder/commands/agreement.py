"""`newsbench agreement`: span F1, Krippendorff's alpha and kappa between annotators; tables and JSON."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from builder.annotate.labelstudio.validation import ANNOTATION_KINDS
from builder.check.agreement import rejects_path, render, run_agreement
from builder.check.validate.corpus import Corpus
from builder.check.validate.run import records_files
from builder.commands._common import add_config_option, config_of
from builder.corpus.assemble import corpus_path
from builder.errors import EXIT_INVALID_DATA, EXIT_OK
from builder.labels import label_schema_of


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("agreement", help="agreement between annotators (span F1, alpha, kappa)",
                       description="Pairwise strict/partial span F1 per label, annotator and pair; token-level "
                       "Krippendorff's alpha for entities and claims; Cohen's/Fleiss' kappa for claim attributes "
                       "and document labels. Invalid records are left out, written beside the output and make "
                       "the exit code 1.")
    add_inputs(p, out_help="JSON output (default: [agreement] output)")
    p.set_defaults(func=run)


def add_inputs(p: argparse.ArgumentParser, *, out_help: str) -> None:
    """Options shared with `adjudicate`: the records files, the corpus and the output."""
    add_config_option(p)
    p.add_argument("files", nargs="*", type=Path,
                   help="canonical records or Label Studio exports (default: annotations/canonical/*.jsonl)")
    p.add_argument("--corpus", type=Path, default=None, help="documents (default: work/segment/documents.jsonl)")
    p.add_argument("--out", type=Path, default=None, help=out_help)


def run(args: argparse.Namespace) -> int:
    config = config_of(args)
    files = records_files(config.resolve(config.project.annotations_dir), args.files)
    out = args.out or config.resolve(config.agreement.output)
    result = run_agreement(files, label_schema_of(config), Corpus(args.corpus or corpus_path(config)), out,
                           claim_match=config.agreement.claim_match, language=config.language,
                           kinds=ANNOTATION_KINDS)
    print(render(result))
    print(f"wrote {out}", file=sys.stderr)
    rejected = result["inputs"]["records_rejected"]
    if rejected:
        print(f"newsbench: {rejected} invalid record(s) left out, see {rejects_path(out)} (newsbench validate "
              "says why)", file=sys.stderr)
        return EXIT_INVALID_DATA
    return EXIT_OK
