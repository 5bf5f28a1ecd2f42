"""What the readers share: decoding with encoding repair, provenance, label mapping and problem reporting."""

from __future__ import annotations

import codecs
import stat
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any

from builder.config import Config, Source
from builder.corpus.characters import remove_invisible
from builder.document import make_doc_id, new_document, sha256_bytes
from builder.errors import InputError
from builder.labels import LabelMap, parse_label_map
from builder.stage import RejectSink

# Mojibake of UTF-8 read as Latin-1/Windows-1252 is a lead byte (U+00C2-U+00F4) followed by a continuation byte
# (U+0080-U+00BF, or the character Windows-1252 puts at 0x80-0x9F); C1 controls and U+FFFD are suspect alone.
# Only texts this cheap scan flags go through ftfy, which is slow; curly quotes alone do not trigger it.
_CP1252_HIGH = "\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u017d\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u017e\u0178"
_SUSPECT = re.compile(f"[\u00c2-\u00f4][\u0080-\u00bf{_CP1252_HIGH}]|[\u00c2\u00c3] |[\u0080-\u009f\ufffd]")
# Every match of _SUSPECT holds one of these; one character class scans a text several times faster.
_SUSPECT_CHAR = re.compile("[\u00c2-\u00f4\u0080-\u009f\ufffd]")


@cache
def _ftfy() -> tuple[Any, Any]:
    """ftfy and its config, imported on first use: most texts never need it, and commands start faster.

    ftfy only repairs encodings here: widths, ligatures, quotes, line breaks and controls are the cleaning stage's
    (builder/corpus/characters.py), which counts what it changes."""
    import ftfy

    return ftfy, ftfy.TextFixerConfig(unescape_html=False, fix_latin_ligatures=False, fix_character_width=False,
                                      uncurl_quotes=False, fix_line_breaks=False, remove_control_chars=False,
                                      normalization=None, explain=False)


def _detect(data: bytes, candidates: list[str] | None = None) -> Any:
    """charset-normalizer's best guess (imported on first use: only bytes that are not UTF-8 need it)."""
    from charset_normalizer import from_bytes

    return from_bytes(data, cp_isolation=candidates).best() if candidates else from_bytes(data).best()


@dataclass
class InputProblem:
    """An input that could not be read: a file, a row or a field; always with where and how to fix it."""

    what: str
    where: str
    fix: str

    @property
    def message(self) -> str:
        return f"{self.where}: {self.what} (fix: {self.fix})"


@dataclass
class IngestContext:
    """Per-run state of the readers: the rejects sink, the problems to report and the repair counters."""

    rejects: RejectSink
    problems: list[InputProblem] = field(default_factory=list)
    repairs: Counter[str] = field(default_factory=Counter)
    label_maps: dict[str, LabelMap] = field(default_factory=dict)  # source name -> its label_values, parsed once

    def label_map(self, source: Source) -> LabelMap:
        name = source.name
        if name not in self.label_maps:
            self.label_maps[name] = parse_label_map(source.label_values,
                                                    where=f"source '{name}' label_values")
        return self.label_maps[name]

    def problem(self, reason: str, what: str, where: str, fix: str, *, record: Any = None) -> None:
        self.problems.append(InputProblem(what, where, fix))
        self.rejects.reject(reason, kind="input", where=where, detail=f"{what} (fix: {fix})", record=record)


TEMPORARY_SUFFIXES = ("~", ".tmp", ".temp", ".part", ".partial", ".swp", ".swx", ".crdownload", ".lock")


def not_an_input(path: Path, root: Path | None = None) -> str | None:
    """Why a path is never read as input, or None: a hidden or temporary file (editor backups, half-written
    downloads, a killed command's leftovers) or anything inside a hidden folder below `root`; something that is not
    a regular file (a folder, a FIFO, a socket, a device: reading one can hang); a broken or looping link."""
    parts = path.relative_to(root).parts if root is not None and path.is_relative_to(root) else (path.name,)
    if any(part.startswith((".", "~$", "#")) for part in parts) or path.name.lower().endswith(TEMPORARY_SUFFIXES):
        return "hidden_or_temporary_file"
    try:
        mode = path.stat().st_mode
    except OSError as exc:  # a dangling link, a link loop, no permission on a folder
        return f"unreadable_path ({exc.strerror or exc})"
    if not stat.S_ISREG(mode):
        kind = ("a folder" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else "a socket"
                if stat.S_ISSOCK(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "special")
        return f"not_a_regular_file ({kind})"
    return None


def list_source(config: Config, source: Source) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The files a source reads (its path, or the files under it matching `glob`, sorted so order is stable) and
    the matches left out with the reason (`not_an_input`)."""
    path = config.resolve(source.path)
    if path.is_dir():
        default = {"text": "*.txt", "html": "*.htm*", "csv": "*.csv", "jsonl": "*.jsonl"}[source.format]
        found = sorted(path.rglob(source.glob or default))
        root: Path | None = path
    else:
        found, root = [path], None
    files, skipped = [], []
    for p in found:
        why = not_an_input(p, root)
        if why is None:
            files.append(p)
        elif not (why.startswith("not_a_regular_file (a folder") and root is not None):  # folders matching a glob
            skipped.append((p, why))
    return files, skipped


def source_files(config: Config, source: Source) -> list[Path]:
    """The files a source reads (see `list_source`)."""
    return list_source(config, source)[0]


def report_skipped(config: Config, source: Source, ctx: IngestContext) -> list[Path]:
    """The source's files; every match `list_source` left out is counted, and a source with no file is said."""
    files, skipped = list_source(config, source)
    for p, why in skipped:
        reason = why.split(" ", 1)[0]
        if reason == "hidden_or_temporary_file":  # counted and named in the rejects, not an error
            ctx.rejects.reject(reason, kind="input", where=str(p), detail="a hidden or temporary file is never read "
                               "(fix: rename it if it is an article)")
        else:
            ctx.problem(reason, f"not read: {why.replace('_', ' ')}", str(p),
                        "move it out of the source folder, or point 'path' at the real file")
    if not files:
        default = {"text": "*.txt", "html": "*.htm*", "csv": "*.csv", "jsonl": "*.jsonl"}[source.format]
        ctx.problem("no_files", f"source '{source.name}' has no file to read (glob '{source.glob or default}'"
                    f"{', ' + str(len(skipped)) + ' match(es) left out' if skipped else ''})",
                    str(config.resolve(source.path)), "correct 'path' or 'glob' of the source")
    return files


def relative_key(config: Config, source: Source, file: Path) -> str:
    """A file's key: its path relative to the source path (or its name for a single-file source)."""
    root = config.resolve(source.path)
    if root.is_dir():
        return file.relative_to(root).as_posix()
    return file.name


def check_encoding_name(source: Source) -> str:
    enc = source.encoding
    if enc != "auto":
        try:
            codecs.lookup(enc)
        except LookupError as exc:
            raise InputError(
                f"unknown encoding '{enc}' in source '{source.name}'",
                where="newsbench.toml [[sources]]",
                fix="use a Python codec name such as utf-8, cp1252, latin-1, or 'auto' to detect it",
            ) from exc
    return enc


DEFAULT_CANDIDATES = ("cp1252", "utf-16")


def encoding_candidates(source: Source) -> tuple[str, ...]:
    return tuple(source.encoding_candidates)


def decode_bytes(
    data: bytes, encoding: str, where: str, candidates: tuple[str, ...] = DEFAULT_CANDIDATES
) -> tuple[str, str]:
    """Decode raw bytes; with 'auto', UTF-8 first, then the best of the candidate encodings, then any detected
    encoding. Returns (text, encoding).

    Short texts are ambiguous between single-byte code pages (a Windows-1252 quote reads as a Baltic letter), so
    detection is first restricted to the candidates the source names (`encoding_candidates`).
    Raises InputError naming the line and byte offset when the bytes are not in the stated encoding.
    """
    if encoding == "auto":
        try:
            return data.decode("utf-8-sig"), "utf-8"
        except UnicodeDecodeError:
            sample = data[: 1 << 20]
            best = _detect(sample, list(candidates)) if candidates else None
            best = best or _detect(sample)
            if best is None:
                raise InputError(
                    "cannot detect the encoding (the bytes look binary)",
                    where=where,
                    fix="set encoding = '<codec>' on the source, or remove the file from the source",
                ) from None
            encoding = best.encoding
    try:
        text = data.decode(encoding)
    except UnicodeError as exc:
        if not isinstance(exc, UnicodeDecodeError):  # a codec's own refusal, e.g. UTF-16 without its BOM
            raise InputError(f"the bytes are not {encoding} ({exc})", where=where,
                             fix="set encoding = '<codec>' (or 'auto') on the source") from None
        line = data.count(b"\n", 0, exc.start) + 1
        guess = _detect(data[: 1 << 20])
        hint = f"the bytes look like {guess.encoding}; " if guess is not None else ""
        raise InputError(
            f"byte 0x{data[exc.start]:02x} at offset {exc.start} (line {line}) is not valid {encoding}",
            where=where,
            fix=f"{hint}set encoding = '<codec>' (or 'auto') on the source",
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, encoding


def read_decoded(file: Path, source: Source, encoding: str, ctx: IngestContext) -> tuple[bytes, str, str] | None:
    """A file's raw bytes, text and encoding; None when it cannot be read or decoded (reported to `ctx`)."""
    where = str(file)
    why = not_an_input(file)
    if why is not None and not why.startswith("hidden"):  # never open a FIFO or a device: it can block forever
        ctx.problem(why.split(" ", 1)[0], f"cannot read: {why.replace('_', ' ')}", where,
                    "point the source at regular files")
        return None
    try:
        raw = file.read_bytes()
    except OSError as exc:
        ctx.problem("unreadable_file", f"cannot read: {exc.strerror}", where, "check the path and permissions")
        return None
    try:
        text, used = decode_bytes(raw, encoding, where, encoding_candidates(source))
    except InputError as exc:
        ctx.problem("undecodable_file", exc.what, where, exc.fix or "")
        return None
    return raw, text, used


def repair_text(text: str) -> tuple[str, list[str]]:
    """Repair mojibake and C1 controls with ftfy, only where a cheap scan finds suspect characters."""
    if not _SUSPECT_CHAR.search(text) or not _SUSPECT.search(text):
        return text, []
    ftfy, config = _ftfy()
    fixed = ftfy.fix_text(text, config)
    if fixed == text:
        return text, []
    return fixed, ["ftfy"]


def retrieved_at(source: Source, file: Path, record_value: Any = None) -> str:
    """When the raw record was retrieved: the record's own field, the source's config, else the file's mtime.

    The config value is preferred over mtime for shipped data, because a git checkout resets mtimes and the
    published bytes must reproduce.
    """
    if record_value:
        return str(record_value)
    if source.retrieved_at:
        return str(source.retrieved_at)
    return datetime.fromtimestamp(file.stat().st_mtime, tz=timezone.utc).isoformat(timespec="seconds")


def map_labels(source: Source, row: dict[str, Any], where: str, ctx: IngestContext) -> list[dict[str, Any]]:
    """Document labels from the source's `labels = {name = column}` and its label map `label_values`
    (`{raw = value}`, or `{"name:raw" = value}` for one label; a value "" drops the label)."""
    out = []
    values = ctx.label_map(source)
    for name, column in source.labels.items():
        raw = row.get(column)
        if raw is None or str(raw).strip() == "":
            continue
        raw = remove_invisible(str(raw))[0].strip()  # "hoax\u200b" is the value "hoax"
        value = values.lookup(name, raw)
        if value is None:
            value = raw
            if values:
                ctx.rejects.reject(
                    "unmapped_label",
                    kind="field",
                    where=where,
                    detail=f"label {name}={raw!r} is not in label_values; kept as is "
                    f"(fix: add {raw!r} to label_values of source {source.name})",
                )
        if value == "":
            continue  # mapped to "" on purpose: no label
        out.append({"name": name, "value": value, "provenance": f"source:{source.name}:{column}"})
    return out


def build_document(
    config: Config,
    source: Source,
    *,
    key: str,
    key_kind: str,
    text: str,
    uri: str,
    file: Path,
    raw: bytes,
    encoding: str | None,
    ctx: IngestContext,
    row: int | None = None,
    title: str | None = None,
    published: str | None = None,
    outlet: str | None = None,
    doc_labels: list[dict[str, Any]] | None = None,
    meta: dict[str, Any] | None = None,
    retrieved: str | None = None,
) -> dict[str, Any]:
    text, repairs = repair_text(text)
    for r in repairs:
        ctx.repairs[r] += 1
    if title:
        title, _ = repair_text(title)
    provenance = {
        "name": source.name,
        "outlet": outlet or source.outlet,
        "uri": uri,
        "key": key,
        "key_kind": key_kind,
        "row": row,
        "format": source.format,
        "license": source.license,
        "redistributable": bool(source.redistributable),
        "retrieved_at": retrieved or retrieved_at(source, file),
        "raw_sha256": sha256_bytes(raw),
        "encoding": encoding,
        "repairs": repairs,
    }
    return new_document(
        doc_id=make_doc_id(source.name, key),
        source=provenance,
        language=source.language or config.language,
        text=text,
        title=title or None,
        published=normalise_date(published),
        doc_labels=doc_labels,
        meta=meta,
    )


_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?![\d])")

# The roles a CSV or JSONL column can play besides text and labels; their values are metadata.
METADATA_ROLES = ("title", "published", "url", "outlet", "retrieved_at")


def normalise_date(value: Any, formats: Iterable[str] = ()) -> str | None:
    """The ISO date of a metadata value (an ISO date or timestamp, or a date in one of `formats`); else None."""
    if value is None:
        return None
    text = str(value).strip()
    m = _ISO_DATE.match(text)
    if m:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
        except ValueError:
            return None
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def read_metadata(source: Source, record: dict[str, Any], where: str, ctx: IngestContext,
                  meta: dict[str, Any]) -> dict[str, str | None]:
    """The metadata roles of one CSV row or JSONL record, by the source's `columns`.

    Nothing is changed silently: a value that cannot serve its role (a list, an object, a boolean, a date that is
    not read) is counted in the rejects and kept in `meta` under its own column, exactly as the source gave it; so
    is a date that is read but not kept whole (a timestamp keeps its date, `meta` the timestamp)."""
    out: dict[str, str | None] = {}
    for role in METADATA_ROLES:
        column = source.columns.get(role)
        value = record.get(column) if column is not None else None
        if value is None or value == "":
            out[role] = None
            continue
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            ctx.rejects.reject("unusable_metadata", kind="field", where=where, record=value,
                               detail=f"{column!r} ({role}) is {type(value).__name__}, not text; kept in meta as it is "
                               f"(fix: give {role} as a string, or map another column with columns.{role})")
            meta[column] = value
            out[role] = None
            continue
        out[role] = value if isinstance(value, str) else str(value)
    raw = out["published"]
    if raw is not None:
        out["published"] = normalise_date(raw, source.date_formats)
        if out["published"] is None:
            ctx.rejects.reject("unread_date", kind="field", where=where, record=raw,
                               detail=f"{source.columns['published']!r} = {raw!r} is not an ISO date; kept in meta as "
                               f"it is (fix: add its format to date_formats of source '{source.name}', e.g. "
                               f"['%d/%m/%Y'])")
        if out["published"] != raw.strip():
            meta[source.columns["published"]] = record[source.columns["published"]]
    return out


class KeyTracker:
    """Makes keys unique within a source: the n-th repeat of a key gets '#n', so ids never collide and
    exact duplicate records stay distinct documents for dedup to cluster."""

    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()

    def unique(self, key: str) -> str:
        self.seen[key] += 1
        n = self.seen[key]
        return key if n == 1 else f"{key}#{n}"
