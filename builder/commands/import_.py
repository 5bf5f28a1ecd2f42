"""`newsbench import conll FILE...`: existing NER corpora as canonical documents with gold entities.

The module is `import_` because `import` is a Python keyword; the subcommand is `import`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from builder.commands._common import add_config_option, config_of
from builder.corpus.imports.conll import DELIMITERS, SCHEMES, ConllOptions, import_conll
from builder.errors import EXIT_OK, ConfigError
from builder.labels import LabelMap, label_schema_of, parse_label_map
from builder.stage import StageDir


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("import", help="import an existing annotated corpus as documents")
    sub = p.add_subparsers(dest="import_format", metavar="FORMAT", required=True)
    c = sub.add_parser("conll", help="CoNLL/BIO files (IOB1, IOB2 or BIOES) with a label mapping",
                       description="Import CoNLL/BIO files as canonical documents with gold entities.")
    c.add_argument("files", nargs="+", type=Path, help="CoNLL files; the split is read from names like train/dev/test")
    c.add_argument("--source", required=True, help="source name (part of every document id; never rename it)")
    c.add_argument("--license", default="unknown", help="licence of the files, e.g. MIT")
    c.add_argument("--redistributable", action="store_true", help="the licence allows publishing the data")
    c.add_argument("--retrieved-at", default=None, help="ISO date the files were obtained (default: file mtime)")
    c.add_argument("--language", default=None, help="language code (default project.language)")
    c.add_argument("--map", action="append", default=[], metavar="SRC=DST",
                   help="map a source label onto a schema type, e.g. PPL=PER; SRC= drops it (repeatable)")
    c.add_argument("--label-map", type=Path, default=None, help='JSON file {"PPL": "PER", "FNB": ""}')
    c.add_argument("--token-column", type=int, default=0)
    c.add_argument("--tag-column", type=int, default=-1, help="column of the tag (default: the last)")
    c.add_argument("--delimiter", choices=DELIMITERS, default="auto")
    c.add_argument("--scheme", choices=SCHEMES, default="auto")
    c.add_argument("--encoding", default="utf-8")
    c.add_argument("--sentences-per-doc", type=int, default=0,
                   help="sentences per document (default: one document per -DOCSTART- block, else per sentence)")
    c.add_argument("--split", default=None, choices=["train", "validation", "test"],
                   help="split of every file (default: from the file name)")
    c.add_argument("--output-dir", type=Path, default=None, help="where to write (default work/import/)")
    add_config_option(c)
    c.set_defaults(func=run_conll)


def _label_map(args: argparse.Namespace) -> LabelMap:
    """The --label-map file's entries, then the --map options (which win)."""
    entries = {}
    if args.label_map:
        try:
            raw = json.loads(args.label_map.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"cannot read the label map: {exc}", where=str(args.label_map),
                              fix='write a JSON object {"SRC": "DST", ...}') from exc
        entries.update(parse_label_map(raw, where=str(args.label_map)).entries)
    entries.update(parse_label_map(args.map, where="--map").entries)
    return LabelMap(entries)


def run_conll(args: argparse.Namespace) -> int:
    config = config_of(args)
    options = ConllOptions(
        source=args.source, license=args.license, redistributable=args.redistributable,
        retrieved_at=args.retrieved_at, language=args.language or config.language,
        token_column=args.token_column, tag_column=args.tag_column, delimiter=args.delimiter,
        scheme=args.scheme, encoding=args.encoding, label_map=_label_map(args),
        sentences_per_doc=args.sentences_per_doc, split=args.split,
    )
    out = StageDir(args.output_dir or config.stage_dir("import"))
    stats = import_conll(args.files, out, options, label_schema_of(config))
    print(json.dumps(stats, indent=2, ensure_ascii=False))
    print(f"wrote {out.documents}", file=sys.stderr)
    return EXIT_OK
