"""Versioned releases: `releases/<version>/` with Parquet per config and split, the card and a manifest.

A version never changes. Building an existing version from the same inputs is a no-op that succeeds (after
checking that its files still match its manifest); building it from other inputs is refused. Without
`--version` the next version follows from the inputs and the latest release: a label-schema or
document-schema change is major; added documents or annotations (and documents removed or moved between
splits, which change what a split holds) minor; anything else (corrected spans or texts, baseline scores,
card text, config) patch. The manifest records the input hashes, the config, the code version, the change
summary and every file's sha256; the same inputs give byte-identical Parquet files.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from builder import __version__
from builder.release.card import annotations_creators
from builder.config import Config
from builder.release.dataset import CONFIGS, concat_table, release_features, split_order, write_split
from builder.release.diff import Changes, compare, read_documents, with_split
from builder.errors import ConfigError, DataInvalidError, InputError
from builder.jsonl import write_json
from builder.labels import label_schema_of
from builder.parallel import worker_count
from builder.release.inputs import (
    ReleaseInputs,
    ReleaseRows,
    collect_inputs,
    input_digests,
    read_release_rows,
)
from builder.release.labels import release_labels
from builder.stage import file_digest, fingerprint

MANIFEST = "manifest.json"
CARD = "README.md"
RESULTS = "results.json"
_SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
# [release] options that change what a release holds or says; the others (paths, workers) do not.
IDENTITY_OPTIONS = ("include_restricted", "pretty_name", "annotations_creators", "source_datasets", "repo_id",
                    "span_status")
LEVELS = ("patch", "minor", "major")


# ---- versions ----------------------------------------------------------------------------------------------


def parse_version(text: str) -> tuple[int, int, int]:
    m = _SEMVER.match(str(text))
    if not m:
        raise ConfigError(f"'{text}' is not a semantic version", fix="write MAJOR.MINOR.PATCH, e.g. 1.2.0")
    return int(m[1]), int(m[2]), int(m[3])


def bumped(version: str, level: str) -> str:
    major, minor, patch = parse_version(version)
    if level == "major":
        return f"{major + 1}.0.0"
    if level == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


def list_versions(releases: Path) -> list[str]:
    """Versions with a manifest under `releases/`, oldest first."""
    if not releases.is_dir():
        return []
    found = [p.name for p in releases.iterdir() if _SEMVER.match(p.name) and (p / MANIFEST).is_file()]
    return sorted(found, key=parse_version)


def releases_dir(config: Config) -> Path:
    return config.resolve(config.get("project.releases_dir", "releases"))


def resolve_release(config: Config, name: str | Path) -> Path:
    """A release folder from a version (under releases/) or a path; an unknown one names the available ones."""
    path = Path(name)
    if (path / MANIFEST).is_file():
        return path
    root = releases_dir(config)
    if (root / str(name) / MANIFEST).is_file():
        return root / str(name)
    versions = list_versions(root)
    raise InputError(f"no release '{name}'", where=str(root),
                     fix=f"use one of: {', '.join(versions)}" if versions else "run `newsbench build` first")


def read_manifest(release: Path) -> dict[str, Any]:
    try:
        return orjson.loads((release / MANIFEST).read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise InputError(f"cannot read the manifest ({exc})", where=str(release / MANIFEST),
                         fix="rebuild the release with `newsbench build`") from exc


def verify_release(release: Path) -> dict[str, Any]:
    """The manifest, after checking that every file it lists is there with its sha256 and nothing else is."""
    manifest = read_manifest(release)
    listed = manifest["files"]
    present = {p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file()} - {MANIFEST}
    problems = [f"{f} is missing" for f in sorted(set(listed) - present)]
    problems += [f"{f} is not in the manifest" for f in sorted(present - set(listed))]
    problems += [f"{f} was changed (sha256 differs)" for f in sorted(set(listed) & present)
                 if file_digest(release / f) != listed[f]["sha256"]]
    if problems:
        raise DataInvalidError(f"release {manifest['version']} does not match its manifest: " + "; ".join(problems),
                               where=str(release), fix="restore the folder from version control; releases never change")
    return manifest


# ---- identity ----------------------------------------------------------------------------------------------


def release_config(config: Config, include_restricted: bool) -> dict[str, Any]:
    """The part of the config that decides what a release holds (recorded in the manifest)."""
    rel = config["release"]
    return {
        "project": {"name": config.get("project.name"), "language": config.language},
        "sources": [{k: s.get(k) for k in ("name", "license", "redistributable", "outlet")}
                    for s in config.get("sources", [])],
        "release": {**{k: rel.get(k) for k in IDENTITY_OPTIONS}, "include_restricted": include_restricted},
    }


# Inputs recorded in the manifest but not part of a release's identity: the prepare statistics describe the
# corpus (whose own hash counts) and hold machine-specific values such as absolute paths.
INFORMATIONAL_INPUTS = ("stage_stats",)


def identity(digests: dict[str, list[dict[str, str]]], settings: dict[str, Any]) -> str:
    """A hash of input contents and settings; paths count only by file name (moving a file is no change)."""
    contents = {role: sorted((Path(f["path"]).name, f["sha256"]) for f in files) for role, files in digests.items()
                if role not in INFORMATIONAL_INPUTS}
    return fingerprint(contents, settings)


def _changed_roles(old: dict[str, Any], digests: dict[str, Any]) -> list[str]:
    before = old.get("inputs", {})
    return [role for role in digests if [f["sha256"] for f in before.get(role, [])] != [f["sha256"] for f in digests[role]]]


def required_bump(previous: dict[str, Any], digests: dict[str, Any], changes: Changes) -> tuple[str, list[str]]:
    """The smallest version step the changes need, with the reasons."""
    roles = _changed_roles(previous, digests)
    major = [f"{r.replace('_', ' ')} changed" for r in ("label_schema", "document_schema") if r in roles]
    if major:
        return "major", major
    s = changes.summary()["documents"]
    minor = [f"{n} document(s) {what.replace('_', ' ')}" for what, n in s.items()
             if n and what in ("added", "removed", "moved", "newly_annotated")]
    minor += [f"{n} {layer} {label} span(s) added" for (layer, label, what), n in sorted(changes.spans.items())
              if what == "added" and n]
    if minor:
        return "minor", minor
    reasons = [f"{n} {layer} {label} span(s) {what}" for (layer, label, what), n in sorted(changes.spans.items())]
    reasons += [f"{len(changes.retexted)} document text(s) corrected"] if changes.retexted else []
    reasons += [f"{r.replace('_', ' ')} changed" for r in roles if r not in ("documents", "gold")]
    return "patch", reasons or ["inputs changed"]


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


# ---- build -------------------------------------------------------------------------------------------------


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
                  include_restricted: bool | None = None, progress: bool = False) -> BuildResult:
    """Build the next release (or `version`) from the project's inputs; see the module docstring for the rules."""
    rel = config["release"]
    restricted = bool(rel["include_restricted"] if include_restricted is None else include_restricted)
    inputs = collect_inputs(config, documents=documents, results=results, agreement=agreement)
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
        if read_manifest(latest).get("identity") == ident:
            return _existing(latest, ident, digests, config)

    work = config.stage_dir("build")
    try:
        return _build(config, inputs, digests, settings, ident, version, root, versions, restricted, work, progress)
    finally:
        shutil.rmtree(work / "parts", ignore_errors=True)  # the workers' batch tables


def _build(config: Config, inputs: ReleaseInputs, digests: dict[str, Any], settings: dict[str, Any], ident: str,
           version: str | None, root: Path, versions: list[str], restricted: bool, work: Path,
           progress: bool) -> BuildResult:
    """Rows, version, manifest and folder of a new release."""
    schema = label_schema_of(config)
    labels = release_labels(schema)
    features = release_features(labels)
    work.mkdir(parents=True, exist_ok=True)
    bar = _progress(progress)
    rows = read_release_rows(config, inputs, schema, labels, features, work, include_restricted=restricted,
                             progress=bar.update if bar is not None else None)
    if bar is not None:
        bar.close()
    tables = {c: {s: concat_table(rows.tables[c][s], features[c].arrow_schema) for s in split_order(rows.tables[c])}
              for c in CONFIGS if c in rows.tables}
    if "documents" not in tables:
        raise DataInvalidError("no document may go into the release", where=str(inputs.documents),
                               fix="see work/build/rejects.jsonl for why each was left out")

    previous = root / versions[-1] if versions else None
    changes, bump, reasons = Changes(), "major", ["first release"]
    if previous is not None:
        changes = compare(read_documents(previous), with_split(tables["documents"]), claim_label=labels.claim_label)
        bump, reasons = required_bump(read_manifest(previous), digests, changes)
    version = _choose_version(version, previous.name if previous else None, bump, reasons,
                              config["release"]["first_version"])
    manifest = {
        "name": config.get("project.name"),
        "version": version,
        "identity": ident,
        "public": not _restricted_sources(rows),
        "restricted_sources": _restricted_sources(rows),
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
    manifest["annotations_creators"] = annotations_creators(config, manifest["statistics"])
    path = _write(root, version, tables, features, manifest, inputs, config, schema, rows)
    return BuildResult(version, path, "built", read_manifest(path))


def _progress(show: bool):
    if not show:
        return None
    from tqdm import tqdm

    return tqdm(desc="build", unit=" docs", file=sys.stderr)


def _existing(path: Path, ident: str, digests: dict[str, Any], config: Config) -> BuildResult:
    manifest = verify_release(path)
    if manifest.get("identity") != ident:
        roles = _changed_roles(manifest, digests) or ["config"]
        raise ConfigError(
            f"release {path.name} exists and was built from other inputs (changed: {', '.join(roles)})",
            where=str(path), fix="a release never changes: build without --version to make the next one")
    write_repo_card(config, path)
    return BuildResult(path.name, path, "unchanged", manifest)


def _choose_version(asked: str | None, previous: str | None, bump: str, reasons: list[str], first: str) -> str:
    if previous is None:
        return asked or str(first)
    needed = bumped(previous, bump)
    if asked is None:
        return needed
    if parse_version(asked) < parse_version(needed):
        raise ConfigError(f"version {asked} is too small: the changes since {previous} need a {bump} step "
                          f"({'; '.join(reasons)})", fix=f"use {needed} or higher, or leave --version out")
    return asked


def _restricted_sources(rows: ReleaseRows) -> list[str]:
    """Sources in the release whose documents may not be redistributed (only with include_restricted)."""
    return sorted({str(name) for (name, _, ok, included), n in rows.sources.items() if included and not ok and n})


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
    from builder.release.card import CardContext, draw_charts, render_card

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
        with ThreadPoolExecutor(worker_count(int(config.get("release.workers", 0)))) as pool:
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
    target = config.get("release.repo_card")
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
