"""Running an import: the options of a format from flags or an `[[imports]]` block, and where it writes.

Each imported source is written to `work/import/<source>/` (documents, rejects, stats), replaced whole by the next
import of that source, and becomes part of the project's corpus (`builder.corpus.assemble`). The terms of the
documents (licence, redistributability, language, split, label map) come from the flags, else from the
`[[imports]]` block of that source name, else the defaults; a flag that contradicts the block is refused, because
the licence gate reads both.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.config import IMPORT_FORMATS, Config, ImportBlock
from builder.corpus.assemble import import_dir
from builder.corpus.imports.common import ImportTerms
from builder.corpus.imports.conll import ConllOptions, import_conll
from builder.corpus.imports.sentences import SentencesOptions, import_sentences
from builder.corpus.imports.kb import read_kb
from builder.corpus.imports.spans import Reader, SpansOptions, import_spans
from builder.corpus.ingest.base import InputProblem, not_an_input
from builder.corpus.segment import configured_abbreviations
from builder.document import licence_known
from builder.errors import ConfigError, InputError
from builder.labels import LabelMap, LabelSchema, label_schema_of, parse_label_map
from builder.stage import StageDir

OPTIONS: dict[str, type[ImportTerms]] = {"conll": ConllOptions, "spans": SpansOptions, "sentences": SentencesOptions,
                                          "kb": SpansOptions}
TERMS = tuple(f.name for f in dataclasses.fields(ImportTerms) if f.name != "base")


@dataclass
class ImportResult:
    source: str
    format: str
    out: Path
    stats: dict[str, Any]
    problems: list[InputProblem] = field(default_factory=list)
    licence_known: bool = True


def _convert(value: Any, hint: Any, where: str) -> Any:
    """An option value given as text (a flag) or TOML, as the option's type."""
    origin = typing.get_origin(hint)
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if origin in (typing.Union, types.UnionType) and args:
        return None if value is None else _convert(value, args[0], where)
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{where} must be true or false, not {value!r}", fix="write true or false (no quotes)")
    if hint in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ConfigError(f"{where} must be a number, not {value!r}", fix="write a number")
        try:
            return hint(value)
        except ValueError:
            raise ConfigError(f"{where} must be a number, not {value!r}", fix="write a number") from None
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where} must be a string, not {value!r}", fix="quote it")
        return value
    if origin is list:
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list):
            raise ConfigError(f"{where} must be a list, not {value!r}", fix="write [\"a\", \"b\"] (or a,b as a flag)")
        return [str(x).strip() for x in items]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a table, not {value!r}", fix="write { key = \"value\" }")
        return {str(k): str(v) for k, v in value.items()}
    return value


def make_options(fmt: str, values: dict[str, Any], where: str) -> ImportTerms:
    """The format's options from {name: value} (flag or TOML names; '-' or '_'); unknown names are refused."""
    if fmt not in OPTIONS:
        raise ConfigError(f"unknown import format {fmt!r}", fix=f"use one of {', '.join(IMPORT_FORMATS)}")
    cls = OPTIONS[fmt]
    known = {f.name: f for f in dataclasses.fields(cls) if f.name != "base"}
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for raw_name, value in values.items():
        name = raw_name.replace("-", "_")
        if name not in known:
            own = sorted(set(known) - set(TERMS))
            raise ConfigError(f"{where}: unknown option {raw_name!r} of the {fmt} import",
                              fix=f"use one of {', '.join(own)}")
        if value is None:
            continue
        if name == "label_map":
            kwargs[name] = value if isinstance(value, LabelMap) else label_map_of(value, f"{where} label_map")
        else:
            kwargs[name] = _convert(value, hints[name], f"{where} {raw_name}")
    if "source" not in kwargs:
        raise ConfigError(f"{where}: the import has no source name", fix="pass --source NAME (part of every id)")
    return cls(**kwargs)


def label_map_of(entries: dict[str, str] | Sequence[str], where: str) -> LabelMap:
    return parse_label_map(entries, where=where) if entries else LabelMap()


def terms_of(config: Config, source: str, given: dict[str, Any]) -> dict[str, Any]:
    """The terms of an import of `source`: the flags given, over the `[[imports]]` block of that name."""
    block = config.import_block(source)
    terms: dict[str, Any] = {"source": source, "language": config.language}
    if block is not None:
        terms.update({"license": block.license, "redistributable": block.redistributable,
                      "retrieved_at": block.retrieved_at, "language": block.language or config.language,
                      "split": block.split, "label_map": label_map_of(block.label_map, f"[[imports]] {source}")})
        for key in ("license", "redistributable", "retrieved_at", "language", "split"):
            if given.get(key) is not None and terms.get(key) is not None and given[key] != terms[key]:
                raise ConfigError(f"--{key} {given[key]!r} contradicts the [[imports]] block '{source}' "
                                  f"({key} = {terms[key]!r})", where=str(config.path or "config"),
                                  fix=f"leave --{key} out, or correct the block")
    for key, value in given.items():
        if value is None:
            continue
        if key == "label_map":
            if value.entries:
                merged = dict(terms.get("label_map", LabelMap()).entries)
                merged.update(value.entries)
                terms["label_map"] = LabelMap(merged)
            continue
        terms[key] = value
    return terms


# Formats read by another part (Label Studio's exports are read by builder.annotate.labelstudio): the face
# registers them with `register_reader`, as {format: (options class, span reader)}.
READERS: dict[str, tuple[type[ImportTerms], Reader]] = {"kb": (SpansOptions, read_kb)}


def register_reader(fmt: str, options: type[ImportTerms], reader: Reader) -> None:
    READERS[fmt] = (options, reader)
    OPTIONS[fmt] = options


def _importer(fmt: str) -> Callable[..., tuple[dict[str, Any], list[Any]]]:
    if fmt == "conll":
        return lambda paths, out, options, schema, abbreviations: (import_conll(paths, out, options, schema), [])
    if fmt in READERS:
        reader = READERS[fmt][1]
        return lambda paths, out, options, schema, abbreviations: import_spans(
            paths, out, options, schema, abbreviations, reader=reader, fmt=fmt)
    return {"spans": import_spans, "sentences": import_sentences}[fmt]


def run_import(config: Config, fmt: str, files: Sequence[Path], options: ImportTerms, *,
               out_dir: Path | None = None, schema: LabelSchema | None = None) -> ImportResult:
    """Import `files` in format `fmt` into `work/import/<source>/` (or `out_dir`)."""
    if not files:
        raise InputError(f"no file to import for source '{options.source}'", fix="name the files (or the block's path)")
    for f in files:
        if not Path(f).is_file():
            raise InputError("not a file", where=str(f), fix="name an existing file")
    by_name: dict[str, list[str]] = {}
    for f in files:
        by_name.setdefault(Path(f).name, []).append(str(f))
    twice = {name: paths for name, paths in by_name.items() if len(paths) > 1}
    if twice:  # document ids start with the file name: the two would collide
        name, paths = next(iter(twice.items()))
        raise InputError(f"two files named {name} in one import ({', '.join(paths)})", where=paths[0],
                         fix="import them as two sources (--source NAME each, or two [[imports]] blocks)")
    options.base = str(config.root)  # files of the project are named relative to it in the documents
    out = StageDir(out_dir or import_dir(config, options.source))
    out.root.mkdir(parents=True, exist_ok=True)
    schema = schema or label_schema_of(config)
    stats, problems = _importer(fmt)(list(files), out, options, schema,
                                     abbreviations=sorted(configured_abbreviations(config)))
    known = licence_known(options.license) and options.redistributable
    return ImportResult(options.source, fmt, out.root, stats, list(problems), known)


def block_files(config: Config, block: ImportBlock) -> list[Path]:
    """The files of an `[[imports]]` block: its path, or the files under it matching its glob (never hidden or
    temporary ones)."""
    root = config.resolve(block.path)
    if root.is_file():
        return [root]
    files = sorted(p for p in root.rglob(block.glob) if not_an_input(p, root) is None)
    if not files:
        raise InputError(f"[[imports]] '{block.name}' has no file to read (glob {block.glob!r})", where=str(root),
                         fix="correct 'path' or 'glob' of the block")
    return files


def run_blocks(config: Config, names: Sequence[str] = ()) -> list[ImportResult]:
    """Run the project's `[[imports]]` blocks (all, or those named)."""
    blocks = [b for b in config.imports if not names or b.name in names]
    missing = sorted(set(names) - {b.name for b in config.imports})
    if missing:
        raise ConfigError(f"no [[imports]] block named {', '.join(missing)}", where=str(config.path or "config"),
                          fix=f"use one of {', '.join(b.name for b in config.imports) or '(none: add a block)'}")
    if not blocks:
        raise ConfigError("the project declares no [[imports]] block", where=str(config.path or "config"),
                          fix="add one (see `newsbench init`'s newsbench.toml), or name a format: "
                          "newsbench import conll FILE... --source NAME")
    results = []
    for block in blocks:
        where = f"[[imports]] '{block.name}' options"
        try:
            options = make_options(block.format, {**terms_of(config, block.name, {}), **block.options}, where)
        except ConfigError as exc:
            raise ConfigError(exc.what, where=str(config.path or "config"), fix=exc.fix) from None
        results.append(run_import(config, block.format, block_files(config, block), options))
    return results
