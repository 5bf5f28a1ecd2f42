"""A new project from an empty folder (`newsbench init`): the config with an example of every kind of source and
import, the label schema of the chosen types, a guidelines skeleton, the card's hand-written sections and a
.gitignore. Every other command then works in it as in this repository; nothing is ever overwritten.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from builder.corpus.rulesets import BUILTIN_DIR
from builder.errors import ConfigError
from builder.lang import key as language_key
from builder.lang.identify import identifiable
from builder.labels import parse_label_schema
from builder.release.card import KNOWN_SECTIONS

DEFAULT_ENTITIES = ("PER", "ORG", "LOC", "DATE", "EVENT")
# what the shipped types mean; a type of the user's own starts with an empty description to fill in
DESCRIPTIONS = {
    "PER": "Person: a named individual.",
    "ORG": "Organisation: agencies, companies, parties, media, bodies.",
    "LOC": "Location: countries, cities, regions, facilities.",
    "DATE": "Date or time expression.",
    "EVENT": "Named event.",
    "MISC": "Other named things (products, works, nationalities).",
    "GPE": "Geo-political entity: countries, cities, states.",
    "NORP": "Nationalities, religious or political groups.",
}
PALETTE = ("#e6194b", "#4363d8", "#3cb44b", "#f58231", "#911eb4", "#46f0f0", "#f032e6", "#bcf60c", "#008080",
           "#e6beff", "#9a6324", "#800000", "#aaffc3", "#808000", "#000075", "#808080")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
FILES = ("newsbench.toml", "schema/labels.json", "annotations/GUIDELINES.md", ".gitignore",
         *(f"card/{s}.md" for s in KNOWN_SECTIONS))


@dataclass
class ProjectSpec:
    """What `newsbench init` asks for."""

    name: str
    language: str = "id"
    entities: tuple[str, ...] = DEFAULT_ENTITIES
    claims: bool = True
    speakers: bool = True
    doc_labels: dict[str, tuple[str, ...]] = field(default_factory=dict)  # name -> values


def parse_doc_labels(items: list[str]) -> dict[str, tuple[str, ...]]:
    """`NAME=V1,V2` items (`veracity=hoax,valid`) as {name: values}."""
    out = {}
    for item in items:
        name, sep, values = item.partition("=")
        vals = tuple(v.strip() for v in values.split(",") if v.strip())
        if not sep or not _NAME.match(name.strip()) or len(vals) < 2:
            raise ConfigError(f"--doc-label {item!r} is not NAME=VALUE,VALUE", fix="write e.g. --doc-label veracity=hoax,valid")
        out[name.strip()] = vals
    return out


def label_schema(spec: ProjectSpec) -> dict:
    """The label schema of the spec, checked by the same parser every command uses."""
    if not spec.entities:
        raise ConfigError("no entity type", fix="name at least one, e.g. --entities PER,ORG,LOC")
    seen: set[str] = set()
    types = []
    for i, name in enumerate(spec.entities):
        if not _NAME.match(name) or name in seen:
            raise ConfigError(f"entity type {name!r} is not a plain identifier or comes twice",
                              fix="use letters, digits, '_' or '-', starting with a letter, each once")
        seen.add(name)
        types.append({"name": name, "description": DESCRIPTIONS.get(name, ""), "color": PALETTE[i % len(PALETTE)],
                      "hotkey": ""})
    used = {"c"}  # the claim label's, which every label schema has
    for t in types:  # the first free letter of the name, for the labelling UI
        t["hotkey"] = next((ch for ch in t["name"].lower() if ch.isalnum() and ch not in used), "")
        used.add(t["hotkey"])
    schema: dict = {
        "version": "1.0.0",
        "description": f"The label schema of {spec.name}: the Label Studio config, the JSON Schema enums, the "
                       "ClassLabel names and the card's label table are generated from this file.",
        "entities": {"allow_nested": False, "types": types},
        "claims": {
            "name": "CLAIM",
            "description": "A checkable proposition asserted by the text or attributed to a source.",
            "color": "#ffe119", "hotkey": "c",
            "attributes": [
                {"name": "checkworthy", "description": "Would a fact-checker want to verify it?",
                 "values": ["yes", "no"], "required": True},
                {"name": "kind", "description": "How the claim is presented.",
                 "values": ["quote", "reported", "assertion"], "required": False},
            ] if spec.claims else [],
        },
        "relations": [{"name": "said_by", "description": "Links a claim to the entity that made it (its speaker).",
                       "from": "claim", "to": "entity", "max_per_source": 1}] if spec.claims and spec.speakers else [],
        "doc_labels": [{"name": n, "description": "", "values": list(v), "required": False}
                       for n, v in spec.doc_labels.items()],
    }
    parse_label_schema(schema, "schema/labels.json")
    return schema


def config_text(spec: ProjectSpec) -> str:
    rule_sets = [f"generic-{spec.language}"] if (BUILTIN_DIR / f"generic-{spec.language}.toml").is_file() else []
    code = language_key(spec.language)
    languages = ["id", "ms"] if code == "id" else [code]  # the identifier says ms for some Indonesian
    check = "" if code in identifiable_languages() else (
        f"language_check = false        # the language identifier does not know '{code}'\n")
    return f'''# newsbench project config. Every `newsbench` command run in this folder reads it; override any value
# on the command line with a dotted option, e.g. `newsbench prepare --dedup.threshold 0.7`.

[project]
name = "{spec.name}"
language = "{spec.language}"
seed = 13
work_dir = "work"
label_schema = "schema/labels.json"

# ---- raw articles: one [[sources]] block each, read by `newsbench prepare` --------------------------------
# `license` and `redistributable` decide what a public release may hold (unknown licences are left out).
#
# [[sources]]
# name = "my-outlet"            # part of every document id: never rename it once published
# format = "text"               # text | csv | jsonl | html
# path = "data/raw/my-outlet"   # a file, or a folder read with glob
# glob = "*.txt"
# license = "CC-BY-4.0"
# redistributable = true
# retrieved_at = "2026-01-31"   # when the files were obtained (git checkouts change mtimes)
# first_line_title = true       # text: the first line is the title
#
# [[sources]]
# name = "my-csv"
# format = "csv"                # csv and jsonl map their columns by role
# path = "data/raw/articles.csv"
# delimiter = ","
# license = "CC-BY-4.0"
# redistributable = true
# columns = {{ text = "body", title = "headline", published = "date", url = "link", key = "id" }}
# date_formats = ["%d/%m/%Y"]   # dates that are not ISO
# labels = {{ veracity = "label" }}           # a document label (declare it in schema/labels.json)
# label_values = {{ Hoax = "hoax", Valid = "valid" }}
#
# [[sources]]
# name = "my-pages"
# format = "html"               # the main text and metadata of saved pages
# path = "data/raw/pages"
# license = "unknown"
# redistributable = false       # kept out of public releases; `build --include-restricted` makes a private one

# ---- annotated corpora you already have: one [[imports]] block each, read by `newsbench import` -------------
# Their documents, with their gold layers, join the corpus: `newsbench build` releases them.
#
# [[imports]]
# name = "my-ner"
# format = "conll"              # conll | spans | sentences | kb | labelstudio
# path = "data/raw/my-ner"      # train/dev/test in the file names give the splits
# glob = "*.txt"
# license = "MIT"
# redistributable = true
# retrieved_at = "2026-01-31"   # when the files were obtained (else their mtimes: a fresh clone differs)
# label_map = {{ PPL = "PER", PLC = "LOC", IND = "ORG" }}   # source label -> schema type ("" drops it)
# options = {{ scheme = "auto", sentences_per_doc = 0 }}
#
# [[imports]]
# name = "my-spans"
# format = "spans"              # doccano, Prodigy or kb-style JSONL at character offsets
# path = "data/raw/spans.jsonl"
# license = "CC-BY-4.0"
# redistributable = true
#
# [[imports]]
# name = "my-checkworthy"
# format = "sentences"          # one sentence a line: text, label, optional speaker and document
# path = "data/raw/debates"
# glob = "*.tsv"
# license = "CC-BY-4.0"
# redistributable = true
# options = {{ columns = "line,speaker,text,label" }}   # only for files without a header
#
# [[imports]]
# name = "my-kb"
# format = "kb"                 # a BigBIO / SEACrowd kb config saved by `datasets` (Parquet or JSONL)
# path = "data/raw/kb"
# glob = "*.parquet"            # train-00000-of-00001.parquet: the split from the name
# license = "CC-BY-SA-4.0"
# redistributable = true
#
# [[imports]]
# name = "my-label-studio"
# format = "labelstudio"        # a full JSON export of a project with another labelling config
# path = "data/raw/project-7.json"
# license = "CC-BY-4.0"
# redistributable = true
# label_map = {{ Orang = "PER", Tempat = "LOC" }}
# options = {{ control = "label", doc_labels = {{ veracity = "verdict" }} }}

[clean]
rule_sets = {json.dumps(rule_sets)}
languages = {json.dumps(languages)}
{check}min_words = 30

[dedup]
threshold = 0.8

[split]
ratios = {{ train = 0.8, validation = 0.1, test = 0.1 }}
ledger = "data/splits/ledger.jsonl"

[release]
# source_datasets = ["extended|other-my-corpus"]
'''


def identifiable_languages() -> set[str]:
    """The languages the cleaning stage's identifier tells apart."""
    return set(identifiable())


def guidelines_text(spec: ProjectSpec, schema: dict) -> str:
    ents = "\n".join(f"- **{t['name']}** - {t['description'] or 'describe what it covers, with examples'}"
                     for t in schema["entities"]["types"])
    return f"""# Annotation guidelines (version 1)

These guidelines tell annotators how to mark the labels of `schema/labels.json` in Label Studio; Label Studio
shows them as the project's instructions. Write down every decision the team takes, with an example.

## Entities

Select exact spans: no leading or trailing spaces or punctuation. Mark every mention, not only the first.

{ents}

## Claims

{"A claim is a checkable statement that the text asserts or attributes to a source. For each claim choose "
 "checkworthy (yes/no)" + (" and link it to its speaker with `said_by`." if spec.speakers else ".")
 if spec.claims else "This project marks no claims."}

## When to skip a task

Skip only a text that is not an article of the corpus or is unreadable.
"""


CARD = {
    "summary": "<!-- What the dataset is, in two or three sentences: its texts, language, tasks and size. -->\n",
    "data_statement": "<!-- Curation rationale, language variety, where the texts come from and under which licence, "
                      "who annotated them and how. -->\n",
    "limitations": "<!-- What the data does not cover, known biases, what scores on it do not say. -->\n",
    "citation": "<!-- How to cite the dataset and its sources (BibTeX). -->\n",
}

GITIGNORE = """# stage outputs and scratch: rebuilt by newsbench
/work/
.venv/
__pycache__/
# trained models stay local; the scores a release card shows are committed
/models/*/*
!/models/*/results.json
!/models/*/results.md
"""


def init_project(folder: Path, spec: ProjectSpec) -> list[Path]:
    """Write a new project's files into `folder` (created when missing); the files written. A folder that
    already holds any of them is refused: init never overwrites."""
    if not re.match(r"^[a-z]{2,3}([-_][A-Za-z0-9]+)?$", spec.language):
        raise ConfigError(f"language {spec.language!r} is not an ISO 639 code", fix="write e.g. --language id, en, ms")
    existing = [f for f in FILES if (folder / f).exists()]
    if existing:
        raise ConfigError(f"{folder} already holds {', '.join(existing)}", where=str(folder),
                          fix="init a new or empty folder; newsbench init never overwrites a file")
    schema = label_schema(spec)
    contents = {
        "newsbench.toml": config_text(spec),
        "schema/labels.json": json.dumps(schema, indent=2, ensure_ascii=False) + "\n",
        "annotations/GUIDELINES.md": guidelines_text(spec, schema),
        ".gitignore": GITIGNORE,
        **{f"card/{name}.md": CARD.get(name, "") for name in KNOWN_SECTIONS},
    }
    written = []
    for rel, text in contents.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    for sub in ("data/raw", "data/splits"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return written
