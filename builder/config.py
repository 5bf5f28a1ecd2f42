"""The project config: `newsbench.toml` at the project root, typed, built and checked once in `load_config`.

One dataclass per section; every option has a type and a default (the project file only states what differs).
`load_config` merges the file over the defaults, applies command-line overrides (`--dedup.threshold 0.7`, or
`--set dedup.threshold=0.7`; values are TOML literals, else strings) and builds the sections, refusing with the
file, section, key and a fix: an unknown section or option (naming the closest known one), a value of the wrong
type (a string where a boolean belongs, a word for a number, a string for a list), a value out of range, a
source without its licence or with a path that does not exist. Paths in the file are relative to its folder.
"""

from __future__ import annotations

import copy
import difflib
import re
import sys
import types
import typing
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from builder.errors import ConfigError

CONFIG_NAME = "newsbench.toml"


def _opt(default: Any, help: str = "", **checks: Any) -> Any:
    """A config option: its default, what it is for, and its checks (choices, min, max, min_items)."""
    if isinstance(default, (list, dict, tuple)):
        return field(default_factory=lambda: copy.deepcopy(default), metadata={"help": help, **checks})
    return field(default=default, metadata={"help": help, **checks})


@dataclass(frozen=True)
class ProjectSection:
    name: str = _opt("newsbench", "the dataset's name")
    language: str = _opt("id", "ISO 639-1 code of the project's language (builder/lang)")
    seed: int = _opt(13, "seed of every random choice (splits, sampling, bootstrap, models)")
    work_dir: str = _opt("work", "where the stages write")
    label_schema: str = _opt("schema/labels.json", "the label schema")
    annotations_dir: str = _opt("annotations", "guidelines, exports, canonical records, gold")
    releases_dir: str = _opt("releases", "the built releases")


SOURCE_FORMATS = ("text", "csv", "jsonl", "html")


@dataclass(frozen=True)
class Source:
    """One `[[sources]]` block: where the raw articles are, how to read them, and their licence."""

    name: str = _opt(MISSING, "part of every document id: never rename it once published")
    format: str = _opt(MISSING, "how to read the files", choices=SOURCE_FORMATS)
    path: str = _opt(MISSING, "a file, or a folder (read with glob)")
    license: str = _opt(MISSING, "an SPDX id such as CC-BY-4.0, or unknown")
    redistributable: bool = _opt(MISSING, "whether the licence lets the articles be published")
    glob: str | None = _opt(None, "files under a folder path (default by format: *.txt, *.csv, *.jsonl, *.htm*)")
    encoding: str = _opt("auto", "a codec name, or auto")
    encoding_candidates: list[str] = _opt(["cp1252", "utf-16"], "codecs auto tries when UTF-8 fails")
    delimiter: str = _opt(",", "CSV field separator")
    first_line_title: bool = _opt(False, "text files: the first line is the title")
    columns: dict[str, str] = _opt({}, "CSV/JSONL field of each role: text, key, title, published, url, ...")
    labels: dict[str, str] = _opt({}, "document label name -> the column holding it")
    label_values: dict[str, str] = _opt({}, "label map of the label values ([label:]raw = value)")
    language: str | None = _opt(None, "the articles' language (default project.language)")
    outlet: str | None = _opt(None, "the publisher's name")
    retrieved_at: str | None = _opt(None, "when the files were obtained (ISO date; default the files' mtimes)")
    date_formats: list[str] = _opt([], "strftime formats of the published column tried after ISO dates, "
                                   "e.g. ['%d/%m/%Y']")
    rule_sets: list[str] = _opt([], "outlet rule sets, applied before [clean] rule_sets")


IMPORT_FORMATS = ("conll", "spans", "sentences", "kb", "labelstudio")


@dataclass(frozen=True)
class ImportBlock:
    """One `[[imports]]` block: an annotated corpus read by `newsbench import`, with its licence. Its documents join
    the project's corpus with their gold layers (builder/corpus/assemble.py)."""

    name: str = _opt(MISSING, "part of every document id: never rename it once published")
    format: str = _opt(MISSING, "how to read the files", choices=IMPORT_FORMATS)
    path: str = _opt(MISSING, "a file, or a folder (read with glob)")
    license: str = _opt(MISSING, "an SPDX id such as MIT or CC-BY-4.0, or unknown")
    redistributable: bool = _opt(MISSING, "whether the licence lets the documents be published")
    glob: str = _opt("*", "files under a folder path")
    language: str | None = _opt(None, "the documents' language (default project.language)")
    retrieved_at: str | None = _opt(None, "when the files were obtained (ISO date; default the files' mtimes)")
    split: str | None = _opt(None, "the split of every file (default: from the file names, else by [split] ratios)")
    label_map: dict[str, str] = _opt({}, "source label -> schema label ('' drops it), e.g. { PPL = \"PER\" }")
    options: dict[str, object] = _opt({}, "options of the format, as its command's flags without '--' "
                                          "(e.g. { scheme = \"iob2\", sentences_per_doc = 20 })")


@dataclass(frozen=True)
class CleanSection:
    rule_sets: list[str] = _opt(["generic-id"], "rule sets applied to every source")
    rules_dir: str = _opt("", "extra folder of rule files (<name>.toml), searched before the built-in ones")
    unwrap_lines: bool = _opt(True, "join hard-wrapped lines")
    min_words: int = _opt(30, "shorter documents are dropped", min=0)
    languages: list[str] = _opt(["id"], "documents in other languages are dropped", min_items=1)
    language_check: bool = _opt(True, "identify each document's language")
    min_language_chars: int = _opt(200, "shorter texts are not language-checked", min=0)
    language_sample_chars: int = _opt(600, "characters the identifier reads", min=1)
    workers: int = _opt(0, "worker processes; 0 = all cores", min=0)
    batch_size: int = _opt(256, "documents per worker task", min=1)


@dataclass(frozen=True)
class DedupSection:
    ngram: int = _opt(5, "words per shingle", min=1)
    threshold: float = _opt(0.8, "Jaccard similarity of near duplicates", min=0.0, max=1.0, above_min=True)
    num_perm: int = _opt(128, "MinHash permutations", min=1)
    lsh_threshold: float = _opt(0.0, "0 = chosen from threshold so that recall there stays high", min=0.0, max=1.0)
    lsh_recall: float = _opt(0.99, "with lsh_threshold = 0: chance a pair at threshold is a candidate",
                             min=0.0, max=1.0)
    drop: str = _opt("exact", "which duplicates leave the corpus", choices=("none", "exact", "near"))
    workers: int = _opt(0, "worker processes; 0 = all cores", min=0)
    batch_size: int = _opt(1000, "documents per worker task", min=1)


@dataclass(frozen=True)
class SplitSection:
    ratios: dict[str, float] = _opt({"train": 0.8, "validation": 0.1, "test": 0.1}, "split name -> share",
                                    min_items=1)
    stratify_by: str = _opt("", "a document label to balance across splits")
    temporal: dict[str, object] = _opt({}, "<split>_from = YYYY-MM-DD cut-offs (TOML dates or strings)")
    ledger: str = _opt("data/splits/ledger.jsonl", "where every document's split is kept; empty = none")
    update_ledger: bool = _opt(True, "add the new documents to the ledger")


@dataclass(frozen=True)
class SegmentSection:
    abbreviations: list[str] = _opt([], "extra abbreviations no sentence ends after, e.g. [\"Jend.\"]")
    batch_size: int = _opt(500, "documents per worker task", min=1)
    workers: int = _opt(0, "worker processes; 0 = all cores", min=0)


@dataclass(frozen=True)
class DistributedSection:
    scheduler: str = _opt("", "tcp://host:8786 of a running Dask scheduler; empty = $DASK_SCHEDULER_ADDRESS, else local")
    workers: int = _opt(0, "worker processes of the local cluster; 0 = all cores", min=0)
    partition_mb: float = _opt(16.0, "input MB per task", min=0.0, above_min=True)
    connect_timeout: float = _opt(15.0, "seconds to reach the scheduler and its workers", min=0.0, above_min=True)


@dataclass(frozen=True)
class AnnotateSection:
    project: str = _opt("", "Label Studio project title; empty = project.name")
    documents: str = _opt("", "JSONL to push; empty = the prepared corpus")
    overlap: int = _opt(1, "annotators per task", min=1)
    batch_size: int = _opt(1000, "tasks per import request", min=1)
    page_size: int = _opt(1000, "tasks per page when pulling", min=1)
    timeout: float = _opt(60.0, "seconds per request", min=0.0, above_min=True)
    retries: int = _opt(5, "retries with backoff when the server is down or answers 5xx", min=0)
    preannotator: str = _opt("rules", "rules | none | imported | model:DIR")
    gazetteer: str = _opt("", "extra gazetteer JSON {\"Name\": \"TYPE\"} for the rule pre-annotator")
    guidelines: str = _opt("annotations/GUIDELINES.md", "shown to annotators as the project's instructions")
    label_config: str = _opt("", "a Label Studio labelling config XML file; empty = generated from the label schema")
    order: str = _opt("", "how the label stream serves tasks: input | random | least-confident; empty = leave the "
                          "project's setting", choices=("", "input", "random", "least-confident"))
    annotators: str = _opt("annotations/annotators.json", "the annotator pseudonym map (commit it)")
    server_version: str = _opt("1.23.2", "`annotate server`: the label-studio version")
    server_venv: str = _opt(".venv-labelstudio", "the server's own venv")
    server_home: str = _opt(".labelstudio", "data dirs, credentials, pid file, log")
    server_port: int = _opt(8080, "port on 127.0.0.1", min=1, max=65535)
    server_username: str = _opt("admin@newsbench.local", "the admin account")
    server_start_timeout: float = _opt(120.0, "seconds to wait for the server", min=0.0, above_min=True)


@dataclass(frozen=True)
class ValidateSection:
    out_dir: str = _opt("work/validate", "report.json, report.txt, quarantine.jsonl, valid/<file>.jsonl")
    workers: int = _opt(0, "worker processes; 0 = all cores", min=0)
    print_problems: int = _opt(20, "problems printed; the reports hold all of them", min=0)


@dataclass(frozen=True)
class AgreementSection:
    output: str = _opt("work/agreement/agreement.json", "the tables as JSON")
    claim_match: str = _opt("overlap", "claims are one unit when their spans overlap, or are exactly equal",
                            choices=("overlap", "exact"))


@dataclass(frozen=True)
class AdjudicateSection:
    ground_truth_wins: bool = _opt(True, "a ground-truth annotation is the gold of its document")
    min_share: float = _opt(0.5, "keep an item given by MORE than this share of the annotators", min=0.0, max=1.0,
                            below_max=True)
    min_annotators: int = _opt(1, "documents with fewer annotators get no gold", min=1)
    name: str = _opt("gold", "annotations/gold/<name>.jsonl")


@dataclass(frozen=True)
class ReleaseSection:
    documents: str = _opt("", "corpus JSONL; empty = the prepared corpus")
    gold_dir: str = _opt("", "gold layer (*.jsonl); empty = <annotations_dir>/gold")
    raw_dir: str = _opt("", "canonical annotation records (*.jsonl); empty = <annotations_dir>/canonical")
    results: str = _opt("", "baseline scores JSON for the card; empty = none")
    agreement: str = _opt("", "agreement JSON for the card; empty = none")
    card_dir: str = _opt("card", "hand-written card sections (*.md)")
    repo_card: str = _opt("DATASET_CARD.md", "the newest release's card copied here; empty = not written")
    pretty_name: str = _opt("", "empty = project.name")
    repo_id: str = _opt("", "Hub dataset repo (ORG/NAME)")
    annotations_creators: list[str] = _opt([], "how the span labels were made (Hub values)")
    span_status: str = _opt("gold", "annotation_status of gold records that do not say how they were decided", choices=("gold", "silver"))
    source_datasets: list[str] = _opt(["original"], "Hub source_datasets")
    include_restricted: bool = _opt(False, "keep sources that may not be redistributed; the release is private")
    first_version: str = _opt("1.0.0", "the version of the first release")
    workers: int = _opt(0, "worker processes; 0 = all cores", min=0)
    batch_size: int = _opt(1000, "documents per worker task", min=1)


@dataclass(frozen=True)
class EvaluateSection:
    samples: int = _opt(1000, "bootstrap samples over documents; 0 = no intervals", min=0)
    decoding: str = _opt("conlleval", "how tags are read", choices=("conlleval", "iob2"))
    leaderboard: str = _opt("", "leaderboard JSON; empty = <releases_dir>/leaderboard.json")


@dataclass(frozen=True)
class BaselinesSection:
    models_dir: str = _opt("models", "models, predictions, reports and results under <models_dir>/<version>/")
    samples: int = _opt(1000, "bootstrap samples of every baseline report", min=0)
    systems: list[str] = _opt([], "the systems `newsbench baseline` runs (names in builder/bench/baselines/systems.py); "
                                  "[] = every one")
    options: dict[str, object] = _opt({}, "system -> its options, e.g. { \"ner-crf\" = { iterations = 50 } }")


SECTIONS: dict[str, type] = {
    "project": ProjectSection, "clean": CleanSection, "dedup": DedupSection, "split": SplitSection,
    "segment": SegmentSection, "distributed": DistributedSection, "annotate": AnnotateSection,
    "validate": ValidateSection, "agreement": AgreementSection, "adjudicate": AdjudicateSection,
    "release": ReleaseSection, "evaluate": EvaluateSection, "baselines": BaselinesSection,
}


@dataclass(frozen=True)
class Config:
    """The typed project config and the folder its relative paths are resolved against."""

    project: ProjectSection
    sources: tuple[Source, ...]
    clean: CleanSection
    dedup: DedupSection
    split: SplitSection
    segment: SegmentSection
    distributed: DistributedSection
    annotate: AnnotateSection
    validate: ValidateSection
    agreement: AgreementSection
    adjudicate: AdjudicateSection
    release: ReleaseSection
    evaluate: EvaluateSection
    baselines: BaselinesSection
    root: Path
    path: Path | None = None
    imports: tuple[ImportBlock, ...] = ()
    overrides: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)  # the merged TOML: what stage fingerprints hash

    def section(self, name: str) -> Any:
        return getattr(self, name)

    def resolve(self, value: str | Path) -> Path:
        """A path from the config, made absolute against the config's folder."""
        p = Path(value)
        return p if p.is_absolute() else self.root / p

    @property
    def work_dir(self) -> Path:
        return self.resolve(self.project.work_dir)

    def stage_dir(self, stage: str) -> Path:
        return self.work_dir / stage

    @property
    def seed(self) -> int:
        return self.project.seed

    @property
    def language(self) -> str:
        return self.project.language

    def source(self, name: str) -> Source | None:
        return next((s for s in self.sources if s.name == name), None)

    def import_block(self, name: str) -> ImportBlock | None:
        return next((s for s in self.imports if s.name == name), None)


# ---- building and checking --------------------------------------------------------------------------------------


def _optional(tp: Any) -> Any | None:
    """T for `T | None`, else None."""
    args = typing.get_args(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return rest[0] if len(rest) == 1 else None
    return None


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if _optional(tp) is not None:
        return _type_name(_optional(tp))
    if tp is bool:
        return "true or false"
    if tp is int:
        return "an integer"
    if tp is float:
        return "a number"
    if tp is str:
        return "a string"
    if origin is list:
        return f"a list of {_type_name(typing.get_args(tp)[0]).removeprefix('a ').removeprefix('an ')}s"
    if origin is dict:
        return f"a table of {_type_name(typing.get_args(tp)[1]).removeprefix('a ').removeprefix('an ')}s"
    return str(tp)


def _example(tp: Any) -> str:
    origin = typing.get_origin(tp)
    return {bool: "true", int: "10", float: "0.5", str: '"text"'}.get(tp) or (
        '["a", "b"]' if origin is list else '{ name = "value" }' if origin is dict else "a value")


def _typed(value: Any, tp: Any, where: str) -> Any:
    """`value` as type `tp`, or a ConfigError naming what was found and what is wanted."""
    if _optional(tp) is not None:
        return None if value is None else _typed(value, _optional(tp), where)
    if tp is object:  # checked where it is read (split.temporal: a date or a string)
        return value
    origin = typing.get_origin(tp)
    ok = False
    if tp is bool:
        ok = isinstance(value, bool)
    elif tp is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif tp is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif tp is str:
        ok = isinstance(value, str)
    elif origin is list:
        if isinstance(value, list):
            return [_typed(v, typing.get_args(tp)[0], f"{where}[{i}]") for i, v in enumerate(value)]
    elif origin is dict:
        if isinstance(value, dict):
            return {str(k): _typed(v, typing.get_args(tp)[1], f"{where}.{k}") for k, v in value.items()}
    if not ok:
        found = f"the string {value!r}" if isinstance(value, str) else f"{type(value).__name__} {value!r}"
        example = _example(tp)
        if tp is bool and isinstance(value, (str, int)):  # say the boolean the value meant, when it is clear
            meant = str(value).strip().lower()
            example = ("false" if meant in ("no", "n", "false", "off", "0", "tidak") else
                       "true" if meant in ("yes", "y", "true", "on", "1", "ya") else "true or false")
        raise ConfigError(f"{where} is {found}, not {_type_name(tp)}", where=None,
                          fix=f"write {where.rsplit(' ', 1)[-1].split('[')[0]} = {example} (no quotes)"
                          if tp is bool else f"write {where.rsplit(' ', 1)[-1].split('[')[0]} = {example}")
    return value


def _checked(value: Any, f: Any, where: str) -> None:
    meta = f.metadata
    if "choices" in meta and value not in meta["choices"]:
        raise ConfigError(f"{where} is {value!r}", fix=f"use one of {', '.join(map(str, meta['choices']))}")
    low, high = meta.get("min"), meta.get("max")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if low is not None and (value < low or (meta.get("above_min") and value == low)):
            bound = f"> {low}" if meta.get("above_min") else f">= {low}"
            raise ConfigError(f"{where} is {value}", fix=f"use a value {bound}" + (f" and <= {high}" if high is not None else ""))
        if high is not None and (value > high or (meta.get("below_max") and value == high)):
            bound = f"< {high}" if meta.get("below_max") else f"<= {high}"
            raise ConfigError(f"{where} is {value}", fix=f"use a value {bound}")
    if "min_items" in meta and isinstance(value, (list, dict)) and len(value) < meta["min_items"]:
        raise ConfigError(f"{where} is empty", fix=f"give at least {meta['min_items']} item(s)")


def _unknown(key: str, known: list[str], where: str, what: str = "option") -> ConfigError:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return ConfigError(f"unknown {what} '{key}' in {where}", fix=f"{hint}known: {', '.join(known)}")


def build_section(cls: type, raw: Any, where: str) -> Any:
    """A section (or source) dataclass from its TOML table: every key known, every value of its type."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} is {type(raw).__name__} {raw!r}, not a table", fix=f"write {where} as a table")
    known = {f.name: f for f in fields(cls)}
    for key in raw:
        if key not in known:
            raise _at_key(_unknown(key, list(known), where), where, key)
    values = {}
    for name, f in known.items():
        at = f"{where} {name}"
        if name not in raw:
            if f.default is MISSING and f.default_factory is MISSING:
                raise _at_key(ConfigError(f"{where} has no '{name}'",
                                          fix=f"add {name} = ... ({f.metadata.get('help', '')})"), where, None)
            continue
        hint = typing.get_type_hints(cls)[name]
        try:
            value = _typed(raw[name], hint, at)
            _checked(value, f, at)
        except ConfigError as exc:
            raise _at_key(exc, where, name) from None
        values[name] = value
    return cls(**values)


def _at_key(exc: ConfigError, table: str, key: str | None) -> ConfigError:
    """The error, tagged with the TOML table ("[clean]", "[[sources]] #2") and key it is about, so that
    `load_config` can name the line."""
    exc.toml_key = (table, key)  # type: ignore[attr-defined]
    return exc


_HEADER = re.compile(r"^\s*\[(\[)?\s*([A-Za-z0-9_.-]+)\s*\]?\]\s*(#.*)?$")


def toml_line(text: str, table: str, key: str | None) -> int | None:
    """The line of `key` in `table` of a TOML file (or of the table's header when `key` is None), if written there
    (not through a dotted or inline table)."""
    m = re.match(r"^\[\[(\w+)\]\] #(\d+)$", table.split(" (")[0])
    name, nth = (m.group(1), int(m.group(2))) if m else (table.strip("[]"), 1)
    current, count, header_line = None, {}, None
    for n, line in enumerate(text.splitlines(), 1):
        h = _HEADER.match(line)
        if h:
            current = h.group(2)
            count[current] = count.get(current, 0) + 1
            if current == name and count[current] == nth:
                header_line = n
                if key is None:
                    return n
            continue
        if current == name and count.get(name) == nth and key is not None and re.match(
                rf"^\s*{re.escape(key)}\s*=", line):
            return n
    return header_line if key is None else None



def _check_sources(config: Config, where: str) -> None:
    seen: set[str] = set()
    blocks = [("sources", i, s) for i, s in enumerate(config.sources)] + [
        ("imports", i, s) for i, s in enumerate(config.imports)]
    for table, i, src in blocks:
        label = f"{where} [[{table}]] #{i + 1} ({src.name})"
        if src.name in seen:  # document ids start with the name: two blocks of one name would mix their ids
            raise ConfigError(f"duplicate source name '{src.name}'", where=label,
                              fix="give each [[sources]] and [[imports]] block a unique name")
        seen.add(src.name)
        if not config.resolve(src.path).exists():
            raise ConfigError(f"source '{src.name}' names a missing path: {src.path}", where=label,
                              fix="correct 'path' (relative paths are resolved against the config's folder)")


def _check_split(config: Config, where: str) -> None:
    ratios = config.split.ratios
    if any(v < 0 for v in ratios.values()):
        raise ConfigError(f"split.ratios has a negative share: {ratios}", where=where, fix="use shares >= 0")
    total = sum(ratios.values())
    if abs(total - 1.0) > 1e-6:
        raise ConfigError(f"split.ratios add up to {total:g}, not 1", where=where, fix="make the ratios sum to 1")
    label = config.split.stratify_by
    given = sorted({name for src in config.sources for name in src.labels})
    if label and config.sources and label not in given:
        raise ConfigError(f"split.stratify_by is '{label}', a document label no source gives", where=where,
                          fix=f"use one of {', '.join(given)}" if given else
                          "give a source `labels = { " + label + " = \"<column>\" }`, or leave stratify_by empty")


def _check_folders(config: Config, where: str) -> None:
    """The folders newsbench writes to must be folders (or not exist yet)."""
    for key in ("work_dir", "annotations_dir", "releases_dir"):
        value = getattr(config.project, key)
        folder = config.resolve(value)
        if folder.exists() and not folder.is_dir():
            raise ConfigError(f"project.{key} = \"{value}\" is a file, not a folder", where=where,
                              fix=f"name a folder for {key} (or move the file {folder} away)")


def build_config(data: dict[str, Any], root: Path, path: Path | None = None,
                 overrides: dict[str, Any] | None = None) -> Config:
    """The typed config from merged TOML data; every problem is a ConfigError with its place and fix."""
    where = str(path or "config")
    for key in data:
        if key not in SECTIONS and key not in ("sources", "imports"):
            hint = _unknown(key, [*SECTIONS, "sources", "imports"], where, "section").fix
            raise _at_key(ConfigError(f"unknown section '{key}'", where=where, fix=hint), f"[{key}]", None)
    sections = {}
    for name, cls in SECTIONS.items():
        try:
            sections[name] = build_section(cls, data.get(name, {}), f"[{name}]")
        except ConfigError as exc:
            raise _at_key(ConfigError(exc.what, where=where, fix=exc.fix), *getattr(exc, "toml_key", (f"[{name}]", None))) from None
    blocks: dict[str, list[Any]] = {}
    for table, cls in (("sources", Source), ("imports", ImportBlock)):
        raw_blocks = data.get(table, [])
        if not isinstance(raw_blocks, list):
            raise ConfigError(f"'{table}' must be an array of tables", where=where, fix=f"write [[{table}]] blocks")
        blocks[table] = []
        for i, raw in enumerate(raw_blocks):
            try:
                blocks[table].append(build_section(cls, raw, f"[[{table}]] #{i + 1}"))
            except ConfigError as exc:
                raise _at_key(ConfigError(exc.what, where=where, fix=exc.fix),
                              *getattr(exc, "toml_key", (f"[[{table}]] #{i + 1}", None))) from None
    config = Config(**sections, sources=tuple(blocks["sources"]), imports=tuple(blocks["imports"]),
                    root=Path(root).resolve(), path=path.resolve() if path else None,
                    overrides=dict(overrides or {}), data=data)
    _check_sources(config, where)
    _check_split(config, where)
    _check_folders(config, where)
    return config


# ---- the file and the overrides -------------------------------------------------------------------------------


def defaults() -> dict[str, Any]:
    """The default of every option, as TOML data (what a project file is merged over)."""
    out: dict[str, Any] = {}
    for name, cls in SECTIONS.items():
        out[name] = {f.name: (f.default_factory() if f.default_factory is not MISSING else f.default)
                     for f in fields(cls)}
    out["sources"] = []
    out["imports"] = []
    return out


def _merge(base: dict[str, Any], extra: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    """Sections merge key by key; a value inside a section (split.ratios, say) is replaced whole."""
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if depth == 0 and isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value, depth + 1)
        else:
            out[key] = copy.deepcopy(value)
    return out


def parse_value(text: str) -> Any:
    """Parse an override value as a TOML literal (number, bool, array, inline table), else a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_override(data: dict[str, Any], dotted: str, value: Any) -> None:
    """Set `section.key` (or a key inside a table option: `split.ratios.train`) in the merged data."""
    if dotted in ("sources", "imports"):  # the whole array: --set 'sources=[{name="a", ...}]'
        data[dotted] = value
        return
    parts = dotted.split(".")
    if len(parts) < 2 or not all(parts):
        raise ConfigError(f"cannot set '{dotted}'", fix="override an option as section.key, e.g. dedup.threshold")
    if parts[0] not in SECTIONS:
        raise _unknown(parts[0], list(SECTIONS), "the overrides", "section")
    node = data.setdefault(parts[0], {})
    for i, part in enumerate(parts[1:-1], 1):
        nxt = node.get(part)
        if nxt is None:
            nxt = node[part] = {}
        if not isinstance(nxt, dict):
            raise ConfigError(f"cannot set '{dotted}': '{'.'.join(parts[: i + 1])}' is not a table",
                              fix="override a leaf value such as dedup.threshold")
        node = nxt
    node[parts[-1]] = value


def find_config(start: Path | None = None) -> Path | None:
    """The nearest newsbench.toml in the folder or its parents."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def load_config(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> Config:
    """Load the project config (the nearest newsbench.toml when `path` is None) and apply overrides."""
    overrides = overrides or {}
    if path is None:
        found = find_config()
        if found is None:
            raise ConfigError(
                f"no {CONFIG_NAME} in this folder or its parents",
                fix=f"run from a project folder or pass --config PATH/{CONFIG_NAME}, or start a project with "
                    "`newsbench init DIR` (evaluate also works on a release folder alone)",
            )
        path = found
    path = Path(path)
    if path.is_dir():
        path = path / CONFIG_NAME
    if not path.is_file():
        raise ConfigError("config file not found", where=str(path), fix="pass an existing --config path")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"not valid TOML: {exc}", where=str(path), fix="correct the TOML syntax") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read the config: {exc.strerror}", where=str(path),
                          fix="check the path and its permissions") from exc
    data = _merge(defaults(), raw)
    for dotted, value in overrides.items():
        apply_override(data, dotted, value)
    try:
        return build_config(data, path.resolve().parent, path, overrides)
    except ConfigError as exc:  # name the line of the key, when the file states it
        table_key = getattr(exc, "toml_key", None)
        line = toml_line(path.read_text(encoding="utf-8"), *table_key) if table_key else None
        if line is None or exc.where != str(path):
            raise
        raise ConfigError(exc.what, where=f"{path}:{line}", fix=exc.fix) from None


def config_from_dict(raw: dict[str, Any], root: str | Path) -> Config:
    """Build a config in code (tests, notebooks); same defaults and checks as the file."""
    return build_config(_merge(defaults(), raw), Path(root))
