"""Publish a release folder to the Hugging Face Hub: the only module that talks to the Hub.

A thin layer over `huggingface_hub.HfApi`: `create_repo` (a dataset repo), `upload_folder` (the release folder
as it is, removing files of earlier versions so that the configs hold this version only), `create_tag`
(`v<version>`, so that `load_dataset(..., revision="v1.2.0")` pins it). Before any call it checks the release
against its manifest, proves it (given the project's config: the inputs its manifest names are the project's, and
a rebuild gives the same data files; `builder.release.prove`), refuses a release holding a source that may not be
redistributed (naming it), and refuses a version whose tag already exists (a published version never changes). The token comes from HF_TOKEN and is
never printed: any message from the Hub is scrubbed of it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.config import Config
from builder.errors import ConfigError, DataInvalidError, InputError
from builder.release.layout import CARD, ReleaseFolder
from builder.release.licence import licence_problems
from builder.release.prove import prove

TOKEN_ENV = "HF_TOKEN"


@dataclass
class PublishPlan:
    repo_id: str
    version: str
    tag: str
    release: Path
    files: list[tuple[str, int]]  # path in the repo, bytes
    card: str
    private: bool
    done: bool = False
    commit: str | None = None
    calls: list[str] = field(default_factory=list)


def plan(release: ReleaseFolder, repo_id: str, *, private: bool = False, config: Config | None = None) -> PublishPlan:
    """Check the release (and prove it, given the project's config) and list what would be uploaded; raises when
    it may not be published."""
    if "/" not in repo_id or repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise ConfigError(f"repo id '{repo_id}' is not ORG/NAME", fix="pass --repo-id ORG/NAME")
    manifest = release.verify()
    problems = licence_problems(release)
    if problems:
        raise DataInvalidError("release " + manifest["version"] + " may not be published: " + "; ".join(problems),
                               where=str(release.path),
                               fix="build a public release (leave release.include_restricted false) and publish that")
    if config is not None:
        proof = prove(config, release, config.stage_dir("publish") / "proof")
        if not proof.same_inputs:
            raise DataInvalidError(f"release {proof.version} cannot be proven: the project's inputs are not the ones "
                                   f"it was built from (changed: {', '.join(proof.changed)})", where=str(release.path),
                                   fix="publish from the commit that built it (its manifest names it), or build and "
                                       "publish the next version")
        if proof.differing:
            raise DataInvalidError(f"release {proof.version} is not what its inputs build: "
                                   f"{', '.join(proof.differing[:10])} differ from a rebuild",
                                   where=str(release.path),
                                   fix="the release folder was changed after it was built: restore it from version "
                                       "control (a release never changes)")
    folder = release.path
    files = sorted((p.relative_to(folder).as_posix(), p.stat().st_size) for p in folder.rglob("*") if p.is_file())
    return PublishPlan(repo_id=repo_id, version=manifest["version"], tag=f"v{manifest['version']}", release=folder,
                       files=files, card=(folder / CARD).read_text(encoding="utf-8"), private=private)


def _token() -> str:
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise ConfigError(f"{TOKEN_ENV} is not set", fix=f"export {TOKEN_ENV} with a write token of the Hub account")
    return token


def _scrub(message: str, token: str) -> str:
    return message.replace(token, "***") if token else message


def publish(release: ReleaseFolder, repo_id: str, *, private: bool = False, dry_run: bool = False,
            api: Any = None, config: Config | None = None) -> PublishPlan:
    """Upload the release folder to the dataset repo `repo_id` and tag it `v<version>`; dry-run only plans."""
    p = plan(release, repo_id, private=private, config=config)
    if dry_run:
        return p
    from huggingface_hub import HfApi

    token = _token()
    hub = api or HfApi(token=token)
    try:
        hub.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        p.calls.append("create_repo")
        tags = {t.name for t in hub.list_repo_refs(repo_id, repo_type="dataset").tags}
        p.calls.append("list_repo_refs")
        if p.tag in tags:
            raise InputError(f"{repo_id} already has tag {p.tag}", where=repo_id,
                             fix="a published version never changes: build and publish the next version")
        info = hub.upload_folder(repo_id=repo_id, folder_path=str(release.path), repo_type="dataset",
                                 commit_message=f"newsbench release {p.version}",
                                 delete_patterns=["*"])  # files of earlier versions go; .gitattributes stays
        p.calls.append("upload_folder")
        p.commit = getattr(info, "oid", None)
        hub.create_tag(repo_id, tag=p.tag, tag_message=f"newsbench release {p.version}", revision=p.commit,
                       repo_type="dataset")
        p.calls.append("create_tag")
    except InputError:
        raise
    except Exception as exc:  # the Hub's errors vary by version; report them located and without the token
        raise InputError(f"the Hub refused {p.calls and 'the step after ' + p.calls[-1] or 'create_repo'}: "
                         f"{_scrub(str(exc), token)}", where=repo_id,
                         fix="check the repo id, the token's write access and the network") from None
    p.done = True
    return p
