"""Versions: what decides a release's identity, and the smallest version step a change needs.

A version never changes. A label-schema or document-schema change is major; added documents or annotations (and
documents removed or moved between splits, which change what a split holds) minor; anything else (corrected
spans or texts, baseline scores, card text, config) patch. The identity is a hash of the inputs' contents and the
settings that change what a release holds or says: the same identity is the same release.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from builder.config import Config
from builder.errors import ConfigError
from builder.release.diff import Changes
from builder.release.layout import semver
from builder.stage import fingerprint

# [release] options that change what a release holds or says; the others (paths, workers) do not.
IDENTITY_OPTIONS = ("include_restricted", "pretty_name", "annotations_creators", "source_datasets", "repo_id",
                    "span_status")


def parse_version(text: str) -> tuple[int, int, int]:
    parsed = semver(text)
    if parsed is None:
        raise ConfigError(f"'{text}' is not a semantic version", fix="write MAJOR.MINOR.PATCH, e.g. 1.2.0")
    return parsed


def bumped(version: str, level: str) -> str:
    major, minor, patch = parse_version(version)
    if level == "major":
        return f"{major + 1}.0.0"
    if level == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


# What a release folder holds, as a number: a build that writes its files differently is a new version even when
# the inputs stay. 1: zstd Parquet, card, charts. 2: Parquet with a page index, content-defined chunking and row
# groups sized for the Hub's viewer, and preview.html. 3: croissant.json. 4: its Responsible-AI statements
# read from the release's records where the card has no section for them. 5: eval.yaml (the Hub's benchmark tasks).
RELEASE_FORMAT = 5
FORMAT_CHANGES = {2: "Parquet with a page index, content-defined chunking and viewer-sized row groups; preview.html",
                  3: "croissant.json (Croissant 1.0 with the Responsible-AI vocabulary)",
                  4: "croissant.json: every Responsible-AI property stated, from the card or the release's records",
                  5: "eval.yaml: the release declared to the Hub as a benchmark, one task per scored config"}


def release_config(config: Config, include_restricted: bool) -> dict[str, Any]:
    """The part of the config that decides what a release holds (recorded in the manifest)."""
    # As the project file states them (an option it leaves out stays out), so that the identity of a release does
    # not depend on newsbench's defaults.
    return {
        "project": {"name": config.project.name, "language": config.language},
        "sources": [{k: s.get(k) for k in ("name", "license", "redistributable", "outlet")}
                    for s in config.data["sources"]],
        "release": {**{k: config.data["release"].get(k) for k in IDENTITY_OPTIONS},
                    "include_restricted": include_restricted},
        "format": RELEASE_FORMAT,
    }


# Inputs recorded in the manifest but not part of a release's identity: the prepare statistics describe the
# corpus (whose own hash counts) and hold machine-specific values such as absolute paths.
INFORMATIONAL_INPUTS = ("stage_stats",)


def identity(digests: dict[str, list[dict[str, str]]], settings: dict[str, Any]) -> str:
    """A hash of input contents and settings; paths count only by file name (moving a file is no change)."""
    contents = {role: sorted((Path(f["path"]).name, f["sha256"]) for f in files) for role, files in digests.items()
                if role not in INFORMATIONAL_INPUTS}
    return fingerprint(contents, settings)


def changed_roles(old: dict[str, Any], digests: dict[str, Any]) -> list[str]:
    before = old.get("inputs", {})
    return [role for role in digests if [f["sha256"] for f in before.get(role, [])] != [f["sha256"] for f in digests[role]]]


def required_bump(previous: dict[str, Any], digests: dict[str, Any], changes: Changes) -> tuple[str, list[str]]:
    """The smallest version step the changes need, with the reasons."""
    roles = changed_roles(previous, digests)
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
    values = Counter()
    for (name, _), n in changes.claim_values.items():
        values[name] += n
    reasons += [f"{n} claim {name} value(s) changed" for name, n in sorted(values.items())]
    reasons += [f"{n} document(s) {step}" for step, n in sorted(changes.status.items())
                if not step.startswith("unannotated")]
    reasons += [f"{r.replace('_', ' ')} changed" for r in roles if r not in ("documents", "gold")]
    before = int((previous.get("config") or {}).get("format") or 1)
    if before != RELEASE_FORMAT:
        reasons.append(f"release format {before} -> {RELEASE_FORMAT} ({FORMAT_CHANGES.get(RELEASE_FORMAT, '')})")
    return "patch", reasons or ["inputs changed"]


def choose_version(asked: str | None, previous: str | None, bump: str, reasons: list[str], first: str) -> str:
    if previous is None:
        return asked or str(first)
    needed = bumped(previous, bump)
    if asked is None:
        return needed
    if parse_version(asked) < parse_version(needed):
        raise ConfigError(f"version {asked} is too small: the changes since {previous} need a {bump} step "
                          f"({'; '.join(reasons)})", fix=f"use {needed} or higher, or leave --version out")
    return asked
