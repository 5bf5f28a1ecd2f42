"""`newsbench import [FORMAT FILE...]`: annotated corpora people already have, as canonical gold documents.

`newsbench import conll|spans|sentences FILE... --source NAME` imports files; `newsbench import` alone runs the
project's `[[imports]]` blocks. Each source goes to `work/import/<source>/` and joins the project's corpus.
The module is `import_` because `import` is a Python keyword; the subcommand is `import`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from builder.commands._common import add_config_option, config_of
from builder.corpus.imports.conll import DELIMITERS, SCHEMES
from builder.annotate.labelstudio.foreign import register as register_labelstudio
from builder.corpus.imports.common import SPLITS
from builder.corpus.imports.run import (OPTIONS, TERMS, ImportResult, label_map_of, make_options, run_blocks,
                                        run_import, terms_of)
from builder.corpus.imports.sentences import NEGATIVES, TARGETS
from builder.errors import EXIT_USAGE, EXIT_OK, ConfigError
from builder.labels import LabelMap, parse_label_map

register_labelstudio()  # Label Studio's JSON is read in annotate/
MAX_SHOWN = 20  # located problems printed; all of them are in the rejects file


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("import", help="import an existing annotated corpus as documents",
                              description="Import annotated corpora as canonical documents with gold layers, into "
                              "work/import/<source>/, where they join the project's corpus. Without a format, run "
                              "the project's [[imports]] blocks.")
    p.add_argument("--only", action="append", default=[], metavar="NAME",
                   help="without a format: run only this [[imports]] block (repeatable)")
    add_config_option(p)
    p.set_defaults(func=run_project_blocks, import_format=None)
    sub = p.add_subparsers(dest="import_format", metavar="FORMAT")

    c = _format(sub, "conll", "CoNLL/BIO files (IOB1, IOB2 or BIOES) with a label mapping",
                "Import CoNLL/BIO files as canonical documents with gold entities.",
                "CoNLL files; the split is read from names like train/dev/test")
    c.add_argument("--token-column", type=int, default=None)
    c.add_argument("--tag-column", type=int, default=None, help="column of the tag (default: the last)")
    c.add_argument("--delimiter", choices=DELIMITERS, default=None)
    c.add_argument("--scheme", choices=SCHEMES, default=None)
    c.add_argument("--sentences-per-doc", type=int, default=None,
                   help="sentences per document (default: one document per -DOCSTART- block, else per sentence)")

    s = _format(sub, "spans", "span JSONL: doccano, Prodigy or kb-style entities at character offsets",
                "Import span JSONL (doccano `label: [[s, e, L]]`, Prodigy `spans`, kb-style `entities` with "
                "`offsets`) as canonical documents with gold entities.", "JSONL (or JSON array) files")
    s.add_argument("--text-field", default=None, help="the field holding the text (default: text)")
    s.add_argument("--id-field", default=None, help="the field holding a record's id (default: id, doc_id, ...)")
    s.add_argument("--doc-label", action="append", default=[], metavar="NAME=FIELD",
                   help="a document label of the schema from a record field (repeatable)")

    _format(sub, "kb", "a BigBIO/SEACrowd kb-shaped dataset from local Parquet or JSONL files",
            "Import a kb-shaped dataset (passages with offsets, entities with offsets and types), as `datasets` "
            "saves a *_bigbio_kb or *_seacrowd_kb config, as documents with gold entities. The split comes from a "
            "split column or the file names (train-00000-of-00001).", "Parquet or JSONL files")

    ls = _format(sub, "labelstudio", "a Label Studio export of another project (any labelling config)",
                 "Import a full JSON export of a Label Studio project with its own config: the regions of a Labels "
                 "control as entities (label map onto the schema), a Choices control as a document label. The "
                 "ground-truth annotation of a task is taken, else the latest one.",
                 "JSON exports (or JSON Lines of tasks)")
    ls.add_argument("--control", default=None, help="the Labels control (from_name) of the entities (default: every one)")
    ls.add_argument("--text-key", default=None, help="the data key of the text (default: text, else the only string)")
    ls.add_argument("--doc-label", action="append", default=[], metavar="NAME=CONTROL",
                    help="a document label of the schema from a Choices control (repeatable)")

    t = _format(sub, "sentences", "sentence-labelled TSV/CSV/JSONL (check-worthiness, claim detection)",
                "Import one-sentence-a-line files with a binary or graded label, an optional speaker and document "
                "key. Columns are found by header name (text, label, speaker, document); a file without a document "
                "column is one document.", "TSV, CSV or JSONL files")
    t.add_argument("--columns", default=None, help="the columns of a file without a header, e.g. line,speaker,text,label")
    for role in ("text", "label", "speaker", "document"):
        t.add_argument(f"--{role}-column", default=None, help=f"the {role} column (default: by header name)")
    t.add_argument("--delimiter", default=None, help="field separator (default: by extension, else sniffed)")
    t.add_argument("--positive", default=None, help="label values that are positive (default 1,yes,true,y)")
    t.add_argument("--negative", default=None, help="label values that are negative (default 0,no,false,n)")
    t.add_argument("--threshold", type=float, default=None, help="graded labels: a value >= N is positive")
    t.add_argument("--target", choices=TARGETS, default=None,
                   help="what a positive sentence is: a check-worthy claim (default) or a claim")
    t.add_argument("--negatives", choices=NEGATIVES, default=None,
                   help="checkworthy target: a negative sentence holds no claim (default) or a claim not worth checking")
    t.add_argument("--attribute", action="append", default=[], metavar="NAME=VALUE",
                   help="another claim attribute every claim gets, e.g. kind=assertion (repeatable)")


def _format(sub: argparse._SubParsersAction, name: str, summary: str, description: str,
            files: str) -> argparse.ArgumentParser:
    """One format's subcommand with what every format takes: its files, the terms, --encoding."""
    p = sub.add_parser(name, help=summary, description=description)
    p.add_argument("files", nargs="+", type=Path, help=files)
    _add_terms(p)
    p.add_argument("--encoding", default=None, help="the files' encoding (default utf-8)")
    p.set_defaults(func=run_format)
    return p


def _add_terms(p: argparse.ArgumentParser) -> None:
    p.add_argument("--source", required=True, help="source name (part of every document id; never rename it); an "
                   "[[imports]] block of this name gives the defaults")
    p.add_argument("--license", default=None, help="licence of the files, e.g. MIT (default: the block's, else unknown)")
    p.add_argument("--redistributable", action=argparse.BooleanOptionalAction, default=None,
                   help="the licence allows publishing the documents")
    p.add_argument("--retrieved-at", default=None, help="ISO date the files were obtained (default: file mtime)")
    p.add_argument("--language", default=None, help="language code (default project.language)")
    p.add_argument("--map", action="append", default=[], metavar="SRC=DST",
                   help="map a source label onto the schema, e.g. PPL=PER; SRC= drops it (repeatable)")
    p.add_argument("--label-map", type=Path, default=None, help='JSON file {"PPL": "PER", "FNB": ""}')
    p.add_argument("--split", default=None, choices=list(SPLITS), help="split of every file (default: from the file name)")
    p.add_argument("--output-dir", type=Path, default=None, help="where to write (default work/import/<source>/)")
    add_config_option(p)


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
    entries.update(label_map_of(args.map, "--map").entries)
    return LabelMap(entries)


def _pairs(items: list[str], flag: str) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"{flag} {item!r} is not NAME=VALUE", fix=f"write e.g. {flag} kind=assertion")
        out[name.strip()] = value.strip()
    return out


def run_format(args: argparse.Namespace) -> int:
    config = config_of(args)
    fmt = args.import_format
    given = {"license": args.license, "redistributable": args.redistributable, "retrieved_at": args.retrieved_at,
             "language": args.language, "split": args.split, "label_map": _label_map(args)}
    own = [f.name for f in dataclasses.fields(OPTIONS[fmt]) if f.name not in TERMS and hasattr(args, f.name)]
    values = {**terms_of(config, args.source, given), **{k: getattr(args, k) for k in own}}
    if fmt in ("spans", "labelstudio"):
        values["doc_labels"] = _pairs(args.doc_label, "--doc-label") or None
    if fmt == "sentences":
        values["attributes"] = _pairs(args.attribute, "--attribute") or None
    block = config.import_block(args.source)
    if block is not None and block.format == fmt:
        values = {**block.options, **{k: v for k, v in values.items() if v is not None}}
    options = make_options(fmt, values, f"import {fmt}")
    return _report([run_import(config, fmt, args.files, options, out_dir=args.output_dir)])


def run_project_blocks(args: argparse.Namespace) -> int:
    config = config_of(args)
    return _report(run_blocks(config, args.only))


def _report(results: list[ImportResult]) -> int:
    code = EXIT_OK
    for r in results:
        print(json.dumps({"source": r.source, "format": r.format, **r.stats}, indent=2, ensure_ascii=False))
        for p in r.problems[:MAX_SHOWN]:
            print(f"newsbench: error: {p.where}: {p.what} (fix: {p.fix})", file=sys.stderr)
        if len(r.problems) > MAX_SHOWN:
            print(f"newsbench: ... {len(r.problems) - MAX_SHOWN} more; every one is in {r.out / 'rejects.jsonl'}",
                  file=sys.stderr)
        if r.problems:
            code = EXIT_USAGE
        print(f"wrote {r.out / 'documents.jsonl'} ({r.stats.get('documents', 0)} documents, source '{r.source}')",
              file=sys.stderr)
        if not r.licence_known:
            print(f"licence: '{r.source}' has no known licence or may not be redistributed, so a public build leaves "
                  f"its documents out; declare it with --license ID --redistributable, or in an [[imports]] block "
                  f"named '{r.source}' (license = \"ID\", redistributable = true)", file=sys.stderr)
    return code
