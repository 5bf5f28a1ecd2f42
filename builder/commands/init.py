"""`newsbench init DIR`: a new project from an empty folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from builder.errors import EXIT_OK
from builder.project.scaffold import DEFAULT_ENTITIES, ProjectSpec, init_project, parse_doc_labels


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("init", help="a new project in an empty folder: config, label schema, guidelines, card",
                       description="Write a new project's newsbench.toml (with an example of every source and "
                       "import kind), schema/labels.json for the chosen entity types, an annotation guidelines "
                       "skeleton, the card's sections and a .gitignore. Existing files are never overwritten.")
    p.add_argument("folder", type=Path, help="the project folder (created when missing)")
    p.add_argument("--name", default=None, help="the dataset's name (default: the folder's name)")
    p.add_argument("--language", default="id", help="ISO 639 code of the texts' language (default id)")
    p.add_argument("--entities", default=",".join(DEFAULT_ENTITIES),
                   help=f"entity types, comma-separated (default {','.join(DEFAULT_ENTITIES)})")
    p.add_argument("--no-claims", action="store_true",
                   help="claims without attributes or speakers (the CLAIM label stays: every label schema has one; "
                        "a project that marks no claims simply leaves it unused)")
    p.add_argument("--no-speakers", action="store_true", help="claims without the said_by speaker relation")
    p.add_argument("--doc-label", action="append", default=[], metavar="NAME=V1,V2",
                   help="a document label and its values, e.g. veracity=hoax,valid (repeatable)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    folder = args.folder.resolve()
    spec = ProjectSpec(name=args.name or folder.name, language=args.language,
                       entities=tuple(e.strip() for e in args.entities.split(",") if e.strip()),
                       claims=not args.no_claims, speakers=not args.no_speakers,
                       doc_labels=parse_doc_labels(args.doc_label))
    written = init_project(folder, spec)
    for path in written:
        print(f"wrote {path.relative_to(folder)}")
    print(f"""
next, in {folder}:
  edit newsbench.toml: a [[sources]] block per raw corpus, an [[imports]] block per annotated one
  newsbench import conll FILE... --source NAME --license MIT --redistributable   # or: newsbench import
  newsbench prepare                  # raw articles -> work/segment/ (skip when you only import)
  newsbench build                    # releases/1.0.0/ from the corpus and the gold layers
  newsbench baseline --release 1.0.0 # scores the card shows after the next build""")
    return EXIT_OK
