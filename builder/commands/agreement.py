"""`newsbench agreement`: span F1, Krippendorff's alpha and kappa between annotators; tables and JSON."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from builder.annotate.labelstudio.validation import ANNOTATION_KINDS
from builder.check.agreement import measure, render, report
from builder.commands._common import add_config_option, config_of
from builder.errors import EXIT_INVALID_DATA, EXIT_OK, ConfigError, InputError
from builder.jsonl import write_json
from builder.labels import label_schema_of
from builder.stage import RejectSink
from builder.check.validate.corpus import Corpus
from builder.corpus.prepare import corpus_path
from builder.check.validate.layers import collect


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


def input_files(config, files: list[Path]) -> list[Path]:
    """The files given, else every canonical records file; an error when there is none."""
    annotations = config.resolve(config.project.annotations_dir)
    found = list(files) or sorted((annotations / "canonical").glob("*.jsonl"))
    if not found:
        raise InputError("no annotation records", where=str(annotations / "canonical"),
                         fix="run `newsbench annotate pull`, or pass records files")
    return found


def run(args: argparse.Namespace) -> int:
    config = config_of(args)
    labels = label_schema_of(config)
    claim_match = str(config.agreement.claim_match)
    if claim_match not in ("overlap", "exact"):
        raise ConfigError(f"agreement.claim_match is '{claim_match}'", fix="use overlap or exact")
    files = input_files(config, args.files)
    corpus = Corpus(args.corpus or corpus_path(config))
    out = args.out or config.resolve(config.agreement.output)
    stats: Counter[str] = Counter()
    rejects = RejectSink("agreement", out.with_suffix(".rejects.jsonl"))
    try:
        docs = collect(files, labels, corpus, rejects, stats, kinds=ANNOTATION_KINDS)
    finally:
        rejects.close()
    multi = [d for d in docs.values() if len(d.layers) >= 2]
    documents = {d.document_id: corpus.document(d.document_id) for d in multi}
    texts = {k: v["text"] for k, v in documents.items() if v}
    result = report(measure(docs.values(), labels, documents=documents, texts=texts, claim_match=claim_match,
                            language=config.language), labels, claim_match=claim_match)
    result["inputs"] = {"files": [str(f) for f in files], "records": stats["records"],
                        "records_rejected": stats["records_rejected"], "annotations": stats["annotations"],
                        "skips": stats["skips"], "superseded": stats["superseded"]}
    write_json(out, result)
    print(render(result))
    print(f"wrote {out}", file=sys.stderr)
    if stats["records_rejected"]:
        print(f"newsbench: {stats['records_rejected']} invalid record(s) left out, see "
              f"{out.with_suffix('.rejects.jsonl')} (newsbench validate says why)", file=sys.stderr)
        return EXIT_INVALID_DATA
    return EXIT_OK
