"""Build a versioned release: `releases/<version>/` with Parquet per config and split, the card and a manifest.

A version never changes. Building an existing version from the same inputs is a no-op that succeeds (after
checking that its files still match its manifest); building it from other inputs is refused. Without
`--version` the next version follows from the inputs and the latest release (`builder.release.version`). The
manifest records the input hashes, the config, the code version, the change summary and every file's sha256;
the same inputs give byte-identical Parquet files. Before a new folder is put in place, the release-level checks
of `builder.release.conformance` run on its tables.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import stat
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from builder import __version__
from builder.config import Config
from builder.errors import ConfigError, DataInvalidError
from builder.jsonl import write_json
from builder.labels import label_schema_of
from builder.parallel import worker_count
from builder.release.card import CardContext, annotations_creators, contradictions, render_card
from builder.release.charts import draw_charts
from builder.release.conformance import table_problems
from builder.release.diff import Changes, compare, read_documents, section_changes, with_split
from builder.release.features import CONFIGS, release_features, release_labels
from builder.release.inputs import ReleaseInputs, collect_inputs, input_digests
from builder.release.croissant import write_croissant
from builder.release.evalyaml import write_eval_yaml
from builder.release.preview import write_preview
from builder.release.layout import CARD, MANIFEST, RESULTS, ReleaseFolder, concat_table, list_versions, \
    releases_dir, split_order, write_split
from builder.release.licence import how_to_declare, restricted_sources
from builder.release.rows.run import ReleaseRows, read_release_rows
from builder.release.version import changed_roles, choose_version, identity, parse_version, release_config, \
    required_bump
from builder.stage import Progress, file_digest


def code_version(root: Path) -> dict[str, Any]:
    """newsbench's version, the git commit of the code when there is one, and the writers' versions."""
    import datasets
    import pyarrow

    commit = None
    try:
        here = Path(__file__).resolve().parent
        commit = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        pass
    return {"newsbench": __version__, "git_commit": commit, "datasets": datasets.__version__,
            "pyarrow": pyarrow.__version__, "python": platform.python_version()}


@dataclass
class BuildResult:
    version: str
    path: Path
    status: str  # "built" | "unchanged"
    manifest: dict[str, Any]

    @property
    def public(self) -> bool:
        return bool(self.manifest["public"])


def build_release(config: Config, *, version: str | None = None, documents: str | Path | None = None,
                  results: str | Path | None = None, agreement: str | Path | None = None,
                  include_restricted: bool | None = None, inherit_results: bool = True,
                  progress: Progress | None = None) -> BuildResult:
    """Build the next release (or `version`) from the project's inputs; see the module docstring for the rules."""
    rel = config.release
    restricted = bool(rel.include_restricted if include_restricted is None else include_restricted)
    inputs = collect_inputs(config, documents=documents, results=results, agreement=agreement,
                            inherit=inherit_results)
    digests = input_digests(inputs, config.root)
    settings = release_config(config, restricted)
    ident = identity(digests, settings)
    root = releases_dir(config)
    versions = list_versions(root)
    if version is not None:
        parse_version(version)
        if version in versions:
            return _existing(root / version, ident, digests, config)
    elif versions:
        latest = root / versions[-1]
        if ReleaseFolder(latest).manifest.get("identity") == ident:
            return _existing(latest, ident, digests, config)

    work = config.stage_dir("build")
    try:
        return _build(config, inputs, digests, settings, ident, version, root, versions, restricted, work, progress)
    finally:
        shutil.rmtree(work / "parts", ignore_errors=True)  # the workers' batch tables


def _build(config: Config, inputs: ReleaseInputs, digests: dict[str, Any], settings: dict[str, Any], ident: str,
           version: str | None, root: Path, versions: list[str], restricted: bool, work: Path,
           progress: Progress | None) -> BuildResult:
    """Rows, version, manifest and folder of a new release."""
    schema = label_schema_of(config)
    labels = release_labels(schema)
    features = release_features(labels)
    work.mkdir(parents=True, exist_ok=True)
    rows = read_release_rows(config, inputs, schema, labels, features, work, include_restricted=restricted,
                             progress=progress)
    tables = contiguous_tables(rows, features)
    if "documents" not in tables:
        gated = sorted({str(name) for (reason, name) in rows.rejects if reason == "not_redistributable"})
        if gated:
            raise DataInvalidError(
                "no document may go into a public release: the licence of " + ", ".join(f"'{n}'" for n in gated)
                + " is unknown or does not allow publishing", where=str(inputs.documents),
                fix="; ".join(how_to_declare(config, n) for n in gated) + " (or build a private release with "
                "--include-restricted)")
        raise DataInvalidError("no document may go into the release", where=str(inputs.documents),
                               fix="see work/build/rejects.jsonl for why each was left out")
    problems = table_problems(tables, labels)  # the document rows were checked as they were made
    if problems:
        write_json(work / "release_problems.json", {"problems": problems, "count": len(problems)})
        raise DataInvalidError(f"the release would not conform ({len(problems)} problem(s)): "
                               + "; ".join(problems[:5]), where=str(work / "release_problems.json"),
                               fix="this is a newsbench defect if the inputs validate: report it with the file")

    previous = root / versions[-1] if versions else None
    changes, bump, reasons = Changes(), "major", ["first release"]
    if previous is not None:
        changes = compare(read_documents(ReleaseFolder(previous)), with_split(tables["documents"]),
                          claim_label=labels.claim_label)
        changes.sections = section_changes(ReleaseFolder(previous).manifest.get("inputs", {}), digests)
        bump, reasons = required_bump(ReleaseFolder(previous).manifest, digests, changes)
    version = choose_version(version, previous.name if previous else None, bump, reasons,
                              config.release.first_version)
    manifest = {
        "name": config.project.name,
        "version": version,
        "identity": ident,
        "public": not restricted_sources(rows.sources),
        "restricted_sources": restricted_sources(rows.sources),
        "previous": previous.name if previous else None,
        "bump": bump if previous else None,
        "bump_reasons": reasons,
        "changes": changes.summary(),
        "inputs": digests,
        "config": settings,
        "code": code_version(config.root),
        "labels": {"schema_version": schema.version, "claim": labels.claim_label,
                   "ner_tags": list(labels.ner_tags), "claim_tags": list(labels.claim_tags)},
        "statistics": statistics(rows, tables),
    }
    manifest["statistics"]["pre_annotation_edits"] = rows.edits.report([*labels.entity_types, labels.claim_label])
    if inputs.agreement is None:
        manifest["statistics"]["agreement"] = release_agreement(config, inputs, schema, set(rows.included), work)
    manifest["annotations_creators"] = annotations_creators(config, manifest["statistics"])
    manifest["card_warnings"] = contradictions(
        {p.stem: p.read_text(encoding="utf-8") for p in inputs.card_sections}, manifest["statistics"])
    path = _write(root, version, tables, features, manifest, inputs, config, schema, rows)
    return BuildResult(version, path, "built", ReleaseFolder(path).manifest)


def contiguous_tables(rows: ReleaseRows, features: dict[str, Any]) -> dict[str, dict[str, pa.Table]]:
    """One contiguous table per config and split from the row pass's batch tables, which are let go one split at
    a time: they map the workers' files, and holding them beside the copies would double the build's memory."""
    tables: dict[str, dict[str, pa.Table]] = {}
    for c in CONFIGS:
        batches = rows.tables.pop(c, None)
        if batches is None:
            continue
        tables[c] = {s: concat_table(batches.pop(s), features[c].arrow_schema) for s in split_order(batches)}
    return tables


def planned_release(config: Config) -> tuple[str | None, list[str]]:
    """The newest release and, when a plain `build` would cut a new version, the input roles that changed
    (empty: the inputs are those of the newest release, which a build only verifies)."""
    restricted = bool(config.release.include_restricted)
    inputs = collect_inputs(config)
    digests = input_digests(inputs, config.root)
    ident = identity(digests, release_config(config, restricted))
    versions = list_versions(releases_dir(config))
    if not versions:
        return None, ["no release yet"]
    newest = ReleaseFolder(releases_dir(config) / versions[-1]).manifest
    if newest.get("identity") == ident:
        return versions[-1], []
    return versions[-1], changed_roles(newest, digests) or ["config"]


def release_agreement(config: Config, inputs: ReleaseInputs, schema: Any, released: set[str],
                      work: Path) -> dict[str, Any] | None:
    """Agreement between the annotators of the released documents, from the raw annotation records (the
    tables `newsbench agreement` writes, without its local file names); None without raw annotations."""
    if not inputs.raw:
        return None
    from builder.check.agreement import agreement_report
    from builder.check.validate.corpus import Corpus
    from builder.stage import RejectSink

    rejects = RejectSink("build-agreement", work / "agreement_rejects.jsonl")
    try:
        result, _ = agreement_report(list(inputs.raw), schema, Corpus(inputs.documents), rejects,
                                     claim_match=str(config.agreement.claim_match), language=config.language,
                                     only=released)
    finally:
        rejects.close()
    return result


def _existing(path: Path, ident: str, digests: dict[str, Any], config: Config) -> BuildResult:
    manifest = ReleaseFolder(path).verify()
    if manifest.get("identity") != ident:
        roles = changed_roles(manifest, digests) or ["config"]
        raise ConfigError(
            f"release {path.name} exists and was built from other inputs (changed: {', '.join(roles)})",
            where=str(path), fix="a release never changes: build without --version to make the next one")
    write_repo_card(config, path)
    return BuildResult(path.name, path, "unchanged", manifest)


def statistics(rows: ReleaseRows, tables: dict[str, dict[str, pa.Table]]) -> dict[str, Any]:
    """Counts per split for the card and the manifest, from the row pass."""
    out: dict[str, Any] = {"rows": {c: {s: t.num_rows for s, t in splits.items()} for c, splits in tables.items()}}
    for (kind, split, name, value), n in sorted(rows.stats.counts.items()):
        node = out.setdefault(kind, {}).setdefault(split, {})
        if value:
            node.setdefault(name, {})[value] = n
        else:
            node[name] = n
    left: dict[str, Any] = {}
    for (config, label, reason), n in sorted(rows.stats.left_out.items()):
        left.setdefault(config, {}).setdefault(label, {})[reason] = n
    out["left_out"] = left
    sources: dict[str, Any] = {}
    for (name, lic, redis, included), n in sorted(rows.sources.items(), key=lambda kv: str(kv[0])):
        entry = sources.setdefault(name, {"license": lic, "redistributable": redis, "included": 0, "excluded": 0})
        entry["redistributable"] = entry["redistributable"] and redis
        entry["included" if included else "excluded"] += n
    out["sources"] = sources
    out["rejects"] = {f"{reason}" + (f" ({src})" if src else ""): n for (reason, src), n in sorted(
        rows.rejects.items(), key=lambda kv: str(kv[0]))}
    out["document_tokens"] = {split: _summary(values) for split, values in sorted(rows.stats.doc_tokens.items())}
    out["gold_documents"] = rows.gold_documents
    out["gold_not_released"] = len(rows.gold_unused)
    out["annotators"] = _annotators(tables.get("raw_annotations", {}))
    return out


def _summary(values: list[int]) -> dict[str, float]:
    ordered = sorted(values)
    n = len(ordered)
    return {"documents": n, "min": ordered[0], "median": ordered[n // 2], "mean": round(sum(ordered) / n, 1),
            "max": ordered[-1]} if n else {"documents": 0}


def _annotators(raw: dict[str, pa.Table]) -> dict[str, Any]:
    """How many people annotated, and the most annotators any one document had (submitted annotations)."""
    people: set[str] = set()
    per_doc: dict[str, set[str]] = {}
    for table in raw.values():
        for r in table.select(["document_id", "kind", "annotator", "was_cancelled"]).to_pylist():
            if r["kind"] == "annotation" and not r["was_cancelled"]:
                people.add(r["annotator"])
                per_doc.setdefault(r["document_id"], set()).add(r["annotator"])
    return {"annotators": len(people), "max_per_document": max((len(v) for v in per_doc.values()), default=0),
            "documents_with_two_or_more": sum(len(v) >= 2 for v in per_doc.values())}


def _read_only(folder: Path) -> None:
    for p in folder.rglob("*"):
        if p.is_file():
            p.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)


def _write(root: Path, version: str, tables: dict[str, dict[str, pa.Table]], features: dict[str, Any],
           manifest: dict[str, Any], inputs: ReleaseInputs, config: Config, schema: Any, rows: ReleaseRows) -> Path:
    """Write everything into a hidden folder and rename it into place; an interrupted build leaves no release."""
    final = root / version
    if final.exists():
        raise ConfigError(f"release {version} already exists", where=str(final),
                          fix="a release never changes: build the next version")
    tmp = root / f".build-{version}-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    try:
        layout: dict[str, dict[str, Any]] = {}
        jobs = [(c, split, table) for c in CONFIGS for split, table in tables.get(c, {}).items()]
        # Parquet encoding runs in C++ without the GIL: one thread per core writes a config/split each.
        with ThreadPoolExecutor(worker_count(int(config.release.workers))) as pool:
            written = list(pool.map(lambda job: write_split(job[2], tmp / "data" / job[0], job[1]), jobs))
        for (config_name, split, table), paths in zip(jobs, written):
            layout.setdefault(config_name, {})[split] = {
                "rows": table.num_rows, "num_bytes": table.nbytes,
                "download_bytes": sum(p.stat().st_size for p in paths),
                "files": [p.relative_to(tmp).as_posix() for p in paths]}
        manifest["configs"] = layout
        if inputs.results:
            shutil.copyfile(inputs.results, tmp / RESULTS)
        charts = draw_charts(tmp, rows.stats, manifest)
        write_preview(tmp, manifest)
        sections = {p.stem: p.read_text(encoding="utf-8") for p in inputs.card_sections}
        repo = str(config.release.repo_id or "")
        write_croissant(tmp, manifest, sections, citation=sections.get("citation", "").strip(),
                        url=f"https://huggingface.co/datasets/{repo}" if repo else "",
                        description=sections.get("summary", "").strip())
        write_eval_yaml(tmp, manifest, sections.get("summary", ""))
        context = CardContext.of(config, manifest, features, schema, inputs, charts, root)
        (tmp / CARD).write_text(render_card(context), encoding="utf-8")
        manifest["files"] = {p.relative_to(tmp).as_posix(): {"sha256": file_digest(p), "bytes": p.stat().st_size}
                             for p in sorted(tmp.rglob("*")) if p.is_file()}
        write_json(tmp / MANIFEST, manifest)
        _read_only(tmp)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    write_repo_card(config, final)
    return final


def write_repo_card(config: Config, release: Path) -> Path | None:
    """`DATASET_CARD.md` (release.repo_card): the card of the newest release, image links made repo-relative."""
    target = config.release.repo_card
    if not target:
        return None
    versions = list_versions(release.parent)
    if versions and versions[-1] != release.name:
        return None  # only the newest release speaks for the repository
    path = config.resolve(target)
    text = (release / CARD).read_text(encoding="utf-8")
    prefix = os.path.relpath(release, path.parent).replace(os.sep, "/")
    text = re.sub(r"\]\((?!https?:|#|/)([^)]+\.png)\)", lambda m: f"]({prefix}/{m[1]})", text)
    path.write_text(text, encoding="utf-8")
    return path
