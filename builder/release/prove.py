"""Prove a release: build its version again from the project's inputs and compare the data files.

A release folder is checked against its own manifest by `ReleaseFolder.verify`, but a Parquet file and the
manifest edited together pass that check. A rebuild cannot be fooled that way: the inputs the manifest names
(by content, its `identity`) must be the project's inputs now, and the data files built from them must be
byte for byte those of the release. `publish` proves a release before it uploads anything; `demo` does the same.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.config import Config, load_config
from builder.release.inputs import collect_inputs, input_digests
from builder.release.layout import ReleaseFolder
from builder.release.version import changed_roles, identity, release_config


@dataclass
class Proof:
    version: str
    same_inputs: bool
    changed: list[str] = field(default_factory=list)  # input roles that differ from the release's
    differing: list[str] = field(default_factory=list)  # data files whose rebuild differs

    @property
    def ok(self) -> bool:
        return self.same_inputs and not self.differing


def data_digests(manifest: dict[str, Any]) -> dict[str, str]:
    """Path -> sha256 of the release's data files (the card names the build's commit, so it is not compared)."""
    return {path: f["sha256"] for path, f in manifest["files"].items() if path.startswith("data/")}


def rebuild(config: Config, version: str, release: Path, scratch: Path) -> list[str]:
    """Build `version` again in `scratch` (no card copied to the repository); the data files that differ."""
    from builder.release.build import build_release

    shutil.rmtree(scratch, ignore_errors=True)
    overrides = {**config.overrides, "project.releases_dir": str(scratch), "release.repo_card": ""}
    again = build_release(load_config(config.path, overrides), version=version)
    want, got = data_digests(ReleaseFolder(release).manifest), data_digests(again.manifest)
    return sorted(p for p in set(want) | set(got) if want.get(p) != got.get(p)) if want else ["(no data files)"]


def prove(config: Config, release: ReleaseFolder, scratch: Path) -> Proof:
    """Whether the release is what the project's inputs build (see the module docstring); the release has been
    checked against its manifest (`ReleaseFolder.verify`) first."""
    manifest = release.manifest
    restricted = not manifest.get("public", True)
    digests = input_digests(collect_inputs(config), config.root)
    if manifest.get("identity") != identity(digests, release_config(config, restricted)):
        return Proof(manifest["version"], False, changed_roles(manifest, digests) or ["config"])
    return Proof(manifest["version"], True, [], rebuild(config, manifest["version"], release.path, scratch))
