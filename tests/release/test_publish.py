"""Publish: everything up to the huggingface_hub calls runs for real; only HfApi's methods are replaced."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from huggingface_hub import HfApi

from builder.cli import main
from builder.config import load_config
from builder.errors import DataInvalidError, InputError
from builder.release.layout import ReleaseFolder
from builder.release.publish import publish
from builder.release.build import build_release
from tests.helpers.release_fixture import release_project

TOKEN = "hf_test_secret_token_0123456789"


class FakeHub:
    """Stands in for the Hub behind HfApi's methods; records what was sent."""

    def __init__(self, tags: tuple[str, ...] = ()) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.uploaded: dict[str, bytes] = {}
        self.tags = list(tags)
        self.fail_upload = False

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        hub = self

        def create_repo(self, repo_id, **kw):
            hub.calls.append(("create_repo", {"repo_id": repo_id, **kw}))
            return f"https://huggingface.co/datasets/{repo_id}"

        def list_repo_refs(self, repo_id, **kw):
            hub.calls.append(("list_repo_refs", {"repo_id": repo_id, **kw}))
            return SimpleNamespace(tags=[SimpleNamespace(name=t) for t in hub.tags], branches=[])

        def upload_folder(self, **kw):
            hub.calls.append(("upload_folder", kw))
            if hub.fail_upload:
                raise RuntimeError(f"401 Unauthorized for token {TOKEN}")
            folder = Path(kw["folder_path"])
            hub.uploaded = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
            return SimpleNamespace(oid="c0ffee")

        def create_tag(self, repo_id, **kw):
            hub.calls.append(("create_tag", {"repo_id": repo_id, **kw}))
            hub.tags.append(kw["tag"])

        for name, fn in (("create_repo", create_repo), ("list_repo_refs", list_repo_refs),
                         ("upload_folder", upload_folder), ("create_tag", create_tag)):
            monkeypatch.setattr(HfApi, name, fn)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("publish")
    config_path = release_project(root)
    result = build_release(load_config(config_path))
    return config_path, result


def test_publish_uploads_the_release_folder_and_tags_the_version(project, monkeypatch, capsys):
    config_path, result = project
    hub = FakeHub()
    hub.install(monkeypatch)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    assert main(["publish", "--repo-id", "org/newsbench-id", "--config", str(config_path)]) == 0
    out = capsys.readouterr()
    assert [c[0] for c in hub.calls] == ["create_repo", "list_repo_refs", "upload_folder", "create_tag"]
    files = {p.relative_to(result.path).as_posix(): p.read_bytes() for p in result.path.rglob("*") if p.is_file()}
    assert hub.uploaded == files
    assert hub.uploaded["README.md"] == (result.path / "README.md").read_bytes()
    upload = dict(hub.calls[2][1])
    assert upload["repo_type"] == "dataset" and upload["repo_id"] == "org/newsbench-id"
    assert hub.calls[3][1]["tag"] == "v1.0.0" and hub.calls[3][1]["revision"] == "c0ffee"
    assert TOKEN not in out.out + out.err and "tag v1.0.0" in out.out


def test_publish_refuses_a_published_version(project, monkeypatch):
    _, result = project
    FakeHub(tags=("v1.0.0",)).install(monkeypatch)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    with pytest.raises(InputError, match="already has tag v1.0.0"):
        publish(ReleaseFolder(result.path), "org/newsbench-id")


def test_publish_never_prints_the_token_in_hub_errors(project, monkeypatch, capsys):
    config_path, _ = project
    hub = FakeHub()
    hub.fail_upload = True
    hub.install(monkeypatch)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    assert main(["publish", "--repo-id", "org/newsbench-id", "--config", str(config_path)]) == 2
    err = capsys.readouterr().err
    assert "401 Unauthorized" in err and TOKEN not in err and "***" in err


def test_publish_dry_run_lists_files_and_card_without_calling_the_hub(project, monkeypatch, capsys):
    config_path, result = project
    hub = FakeHub()
    hub.install(monkeypatch)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    assert main(["publish", "1.0.0", "--repo-id", "org/x", "--dry-run", "--config", str(config_path)]) == 0
    out = capsys.readouterr().out
    assert hub.calls == []
    for p in result.path.rglob("*"):
        if p.is_file():
            assert f"  {p.relative_to(result.path).as_posix()}  (" in out
    assert (result.path / "README.md").read_text() in out


def test_publish_refuses_a_release_with_a_restricted_source(tmp_path, monkeypatch):
    config = load_config(release_project(tmp_path), {"release.include_restricted": True})
    result = build_release(config)
    hub = FakeHub()
    hub.install(monkeypatch)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    with pytest.raises(DataInvalidError, match="source 'kompastv-seed' \\(licence 'unknown'\\) may not be"):
        publish(ReleaseFolder(result.path), "org/x")
    with pytest.raises(DataInvalidError):
        publish(ReleaseFolder(result.path), "org/x", dry_run=True)
    assert hub.calls == []


def test_publish_needs_a_token(project, monkeypatch):
    _, result = project
    FakeHub().install(monkeypatch)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    with pytest.raises(Exception, match="HF_TOKEN is not set"):
        publish(ReleaseFolder(result.path), "org/newsbench-id")


def _tamper(release: Path) -> None:
    """Edit a document's text in a Parquet file and the manifest to match, as someone covering a change would."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    from builder.stage import file_digest

    path = next((release / "data/documents").glob("train-*.parquet"))
    table = pq.read_table(path)
    texts = table.column("text").to_pylist()
    texts[0] = texts[0] + " (edited)"
    pq.write_table(table.set_column(table.schema.get_field_index("text"), "text", pa.array(texts)), path)
    manifest = json.loads((release / "manifest.json").read_text())
    key = path.relative_to(release).as_posix()
    manifest["files"][key] = {"bytes": path.stat().st_size, "sha256": file_digest(path)}
    (release / "manifest.json").write_text(json.dumps(manifest, indent=2))


def test_publish_proves_the_release_and_refuses_one_edited_with_its_manifest(tmp_path, monkeypatch, capsys):
    config_path = release_project(tmp_path)
    result = build_release(load_config(config_path))
    hub = FakeHub()
    hub.install(monkeypatch)
    assert main(["publish", "--repo-id", "org/x", "--dry-run", "--config", str(config_path)]) == 0
    assert "release 1.0.0 proven: its inputs rebuild the same data files" in capsys.readouterr().out
    _tamper(result.path)
    ReleaseFolder(result.path).verify()  # the folder agrees with its manifest: only a rebuild shows the edit
    assert main(["publish", "--repo-id", "org/x", "--dry-run", "--config", str(config_path)]) == 1
    err = capsys.readouterr().err
    assert "release 1.0.0 is not what its inputs build: data/documents/train-" in err and "restore it" in err
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    assert main(["publish", "--repo-id", "org/x", "--config", str(config_path)]) == 1
    assert hub.calls == []


def test_publish_refuses_to_prove_a_release_from_other_inputs(tmp_path, capsys):
    config_path = release_project(tmp_path)
    build_release(load_config(config_path))
    (tmp_path / "card/summary.md").write_text("A different summary.", encoding="utf-8")
    assert main(["publish", "1.0.0", "--repo-id", "org/x", "--dry-run", "--config", str(config_path)]) == 1
    assert "release 1.0.0 cannot be proven: the project's inputs are not the ones it was built from" in (
        capsys.readouterr().err)
