"""Validate files of annotation records: every problem located, valid records kept, invalid ones quarantined.

Each input file is read as a stream of records (a JSON array or JSON Lines) and cut into regions, several per
worker process so that the main process joins the results of the first regions while the workers check the
next ones. Workers (`worker`) check their records, write the valid ones to a part file and return the
problems; this process (`merge`) numbers the records across regions, marks repeated documents and writes
`valid/<file>.jsonl` (valid records as they were, one a line), `quarantine.jsonl` (each invalid record with its
problems), `report.json` and `report.txt`. Every record ends up in exactly one of the two outputs. A file that
cannot be read or parsed is reported and makes the exit code 2.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from pathlib import Path

from builder.errors import InputError
from builder.jsonl import AtomicWriter, write_json
from builder.labels import LabelSchema
from builder.parallel import map_batches, worker_count
from builder.check.validate import reader
from builder.check.validate.corpus import Corpus, CorpusError
from builder.check.validate.merge import FileMerge, RegionsMisplaced
from builder.check.validate.kinds import KINDS, RecordKind, kind_of
from builder.check.validate.problems import Problem
from builder.check.validate.report import REPORT_JSON, REPORT_TXT, FileReport, ValidationReport
from builder.check.validate.worker import Job, check_region, init

QUARANTINE = "quarantine.jsonl"
VALID_DIR = "valid"
REGIONS_PER_WORKER = 8  # more regions than workers: the main process joins early regions while later ones run,
# and the workers end at about the same time



def display_name(path: Path, root: Path | None) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve())) if root else str(path)
    except ValueError:
        return str(path)


def folder_files(folder: Path) -> list[Path]:
    """The record files in a folder and below: .json and .jsonl, never a pull's manifest.json, never a hidden or
    temporary file or folder (a pull killed half way leaves raw/.pull-*/ behind)."""
    return [p for p in sorted(folder.rglob("*.json*")) if p.suffix in (".json", ".jsonl") and p.name != "manifest.json"
            and not any(part.startswith(".") for part in p.relative_to(folder).parts)]


def records_in(folder: Path) -> list[Path]:
    """A folder given to validate: its own .jsonl files (records, exports, gold), or its .json files when it holds
    none (a tool's JSON export); a folder with neither, the files of the folders below it (annotations/raw holds
    one folder per pull). Reports such as gold/adjudication.json beside JSONL records are not records."""
    found = [p for p in folder_files(folder) if p.parent == folder] or folder_files(folder)
    lines = [p for p in found if p.suffix == ".jsonl"]
    return lines or found


def annotation_files(annotations_dir: Path) -> list[Path]:
    """The record files under the annotations folder: raw exports, canonical records, gold documents."""
    raw = annotations_dir / "raw"
    found = folder_files(raw) if raw.is_dir() else []
    found += [p for p in sorted((annotations_dir / "canonical").glob("*.jsonl")) if not p.name.startswith(".")]
    found += [p for p in sorted((annotations_dir / "gold").glob("*.jsonl")) if not p.name.startswith(".")]
    return found


def records_files(annotations_dir: Path, files: Iterable[Path] = ()) -> list[Path]:
    """The files given, else every canonical records file of the project; an error when there is none."""
    found = list(files) or [p for p in sorted((annotations_dir / "canonical").glob("*.jsonl"))
                            if not p.name.startswith(".")]
    if not found:
        raise InputError("no annotation records", where=str(annotations_dir / "canonical"),
                         fix="run `newsbench annotate pull`, or pass records files")
    return found


def validate_files(paths: Iterable[Path], labels: LabelSchema, *, corpus: Corpus | None, out_dir: Path,
                   workers: int = 1, root: Path | None = None, keep_valid: bool = True,
                   kinds: Sequence[RecordKind] = KINDS) -> ValidationReport:
    """Validate each file of records of the given kinds; write the valid records, the quarantine and both
    reports under `out_dir`."""
    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    files: list[FileReport] = []
    problems: list[Problem] = []
    workers = worker_count(workers)
    with AtomicWriter(out_dir / QUARANTINE) as quarantine:
        # a folder stands for the record files in it (a pulled export's folder, annotations/gold ...)
        for path in [f for p in paths for f in (records_in(p) or [p] if p.is_dir() else [p])]:
            name = display_name(path, root)
            report = FileReport(name)
            files.append(report)
            target = out_dir / VALID_DIR / valid_name(name) if keep_valid else None
            try:
                merge = _validate_file(path, name, labels, corpus, workers, target, report, kinds)
            except CorpusError:
                raise
            except InputError as exc:
                report.error = exc.message
                continue
            found = merge.problems()
            problems += found
            report.by_check.update(p.check for p in found)
            report.records, report.invalid, report.valid = merge.records, len(merge.invalid), merge.valid
            report.valid_out = str(target) if target else None
            merge.write_quarantine(path, quarantine)
    result = ValidationReport(files, problems, str(corpus.path) if corpus else None, out_dir)
    result.seconds = time.perf_counter() - started
    write_json(out_dir / REPORT_JSON, result.to_dict())
    with AtomicWriter(out_dir / REPORT_TXT) as out:
        out.write_bytes(result.text().encode("utf-8") + b"\n")
    return result


def valid_name(name: str) -> str:
    """`valid/` file name of an input: its path with '/' as '__', extension .jsonl."""
    return name.strip("/").replace("/", "__").rsplit(".", 1)[0] + ".jsonl"


def _validate_file(path: Path, name: str, labels: LabelSchema, corpus: Corpus | None, workers: int,
                   target: Path | None, report: FileReport, kinds: Sequence[RecordKind]) -> FileMerge:
    if path.is_dir():
        raise InputError("the folder holds no .json or .jsonl file", where=str(path),
                         fix="pass an export or records file, or a folder that holds some")
    if not path.is_file():
        raise InputError("no such file", where=str(path), fix="pass an existing export or records file")
    fmt = reader.detect_format(path)
    report.format = fmt
    cuts = reader.regions(path, fmt, workers * REGIONS_PER_WORKER if workers > 1 else 1)
    first = _first_kind(path, fmt, cuts[0], kinds)
    if corpus is not None and not corpus.loaded and (first is None or not first.hashes_text):
        corpus.load()  # records without their text are checked against it in the workers: index it once, now
    try:
        return _check_regions(path, name, fmt, cuts, labels, corpus, workers, target, kinds)
    except CorpusError:
        raise
    except (RegionsMisplaced, InputError):
        if len(cuts) == 1:
            raise
    # A region cut fell inside an element (a string mimicked one), or a region did not parse on its own:
    # read the file again in one piece, which also gives the right error for a file that is damaged.
    return _check_regions(path, name, fmt, [(cuts[0][0], path.stat().st_size)], labels, corpus, 1, target,
                          kinds)


def _check_regions(path: Path, name: str, fmt: str, cuts: list[tuple[int, int]], labels: LabelSchema,
                   corpus: Corpus | None, workers: int, target: Path | None,
                   kinds: Sequence[RecordKind]) -> FileMerge:
    """Check the regions on `workers` processes and join their results in order as they come."""
    jobs = [Job(str(path), name, fmt, a, b, _part_path(target, a)) for a, b in cuts]
    try:
        with AtomicWriter(target) if target else nullcontext() as out:
            merge = FileMerge(name, out, corpus)
            results = map_batches(check_region, jobs, workers=min(workers, len(jobs)), initializer=init,
                                  initargs=(labels, corpus, tuple(kinds)))
            try:
                for result in results:  # the first add indexes the corpus (when not yet), while workers run
                    merge.add(result)
                    _remove(result.part)
            finally:
                results.close()  # on an error: stop the workers before their parts are removed
        return merge
    finally:
        for job in jobs:  # the parts of regions not joined (an error, misplaced regions)
            _remove(job.part)


def _first_kind(path: Path, fmt: str, cut: tuple[int, int], kinds: Sequence[RecordKind]) -> RecordKind | None:
    """The kind of the file's first record (None: none, or not readable; the checks will say)."""
    records = reader.iter_records(path, fmt, *cut, first_line=1)
    try:
        first = next(records, None)
    except InputError:
        return None
    finally:
        records.close()
    return kind_of(first.value, kinds) if first and not isinstance(first.value, reader.Unparsable) else None


def _part_path(target: Path | None, start: int) -> str | None:
    return str(target.parent / f".{target.name}.{start}.part") if target else None


def _remove(part: str | None) -> None:
    if part is not None:
        Path(part).unlink(missing_ok=True)
