"""The labelling config: its marker, telling generated from hand-edited configs, configs from files, guidelines;
and against the real server: Label Studio's own validation, a hand edit kept by push, `--replace-config`."""

from __future__ import annotations

import secrets

import pytest

from builder.annotate.labelstudio.client import connect
from builder.annotate.labelstudio.config import (EDITED, GENERATED, SAME, config_diff, config_from_file,
                                                 config_origin, labelling_config)
from builder.annotate.labelstudio.project import (ProjectSettings, check_config, ensure_project,
                                                  markdown_to_html)
from builder.errors import ConfigError, DataInvalidError
from builder.labels import load_label_schema, parse_label_schema
from tests.helpers.projects import REPO

SCHEMA = load_label_schema(REPO / "schema/labels.json")


def _grown():
    raw = __import__("json").loads((REPO / "schema/labels.json").read_text(encoding="utf-8"))
    raw["entities"]["types"].append({"name": "PRODUCT", "description": "A product.", "color": "#000000"})
    return parse_label_schema(raw)


def test_config_origin_tells_generated_from_edited():
    xml = labelling_config(SCHEMA)
    assert config_origin(xml, xml) == SAME
    assert config_origin(xml.replace("\n  ", "\n"), xml) == SAME  # reformatted by a server: no change
    assert config_origin(xml, labelling_config(_grown())) == GENERATED  # an older schema's untouched output
    edited = xml.replace('showInline="true"', 'showInline="false"', 1)
    assert config_origin(edited, labelling_config(_grown())) == EDITED
    assert config_origin(xml.split("-->", 1)[1], labelling_config(_grown())) == EDITED  # marker removed
    assert config_origin("", xml) == GENERATED
    diff = config_diff(edited, xml)
    assert '-  <Labels name="entity" toName="text" showInline="false">' in diff
    assert '+  <Labels name="entity" toName="text" showInline="true">' in diff


def test_config_from_file_is_marked_and_must_offer_the_schema_labels():
    plain = labelling_config(SCHEMA).split("-->", 1)[1]
    marked = config_from_file(plain, SCHEMA, "ls/config.xml")
    assert marked.startswith("<!-- newsbench labelling config, from ls/config.xml.")
    assert config_origin(marked, marked) == SAME
    assert config_origin(marked, labelling_config(_grown())) == GENERATED
    with pytest.raises(ConfigError) as err:
        config_from_file(plain.replace('<Label value="LOC"', '<Label value="PLACE"'), SCHEMA, "ls/config.xml")
    assert "entity:LOC" in err.value.message and err.value.where == "ls/config.xml"
    with pytest.raises(ConfigError) as err:
        config_from_file("<View><Text", SCHEMA, "ls/config.xml")
    assert "not valid XML" in err.value.message


def test_config_guidelines_render_bullets_numbers_and_emphasis():
    got = markdown_to_html("# Pedoman\n\nTandai:\n\n- **PER** orang\n- ORG\n  lanjutan\n\n1. pilih\n2) kirim\n\n"
                           "*catatan* a < b")
    assert got == ("<h1>Pedoman</h1>\n<p>Tandai:</p>\n<ul>\n<li><b>PER</b> orang</li>\n<li>ORG lanjutan</li>\n"
                   "</ul>\n<ol>\n<li>pilih</li>\n<li>kirim</li>\n</ol>\n<p><i>catatan</i> a &lt; b</p>")
    guidelines = markdown_to_html((REPO / "annotations/GUIDELINES.md").read_text(encoding="utf-8"))
    assert guidelines.count("<li>") >= 10 and "<ol>" in guidelines


# ---- against the real server ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def admin(labelstudio_server):
    return connect(labelstudio_server.credentials(), retries=3)


def test_config_passes_label_studios_own_validation(admin):
    check_config(admin, labelling_config(SCHEMA))
    check_config(admin, labelling_config(_grown()))
    with pytest.raises(DataInvalidError) as err:
        check_config(admin, labelling_config(SCHEMA).replace('toName="text"', 'toName="body"', 1))
    assert "toName=\"body\" not found" in err.value.message


def test_config_edited_on_the_server_is_kept_unless_replaced(admin):
    title = f"config-{secrets.token_hex(3)}"
    project = ensure_project(admin, SCHEMA, ProjectSettings(title, overlap=2)).project
    edited = project["label_config"].replace('showInline="true"', 'showInline="false"', 1)
    admin.request("PATCH", f"api/projects/{project['id']}", json_body={"label_config": edited})
    admin.request("PATCH", f"api/projects/{project['id']}", json_body={"maximum_annotations": 3})

    sync = ensure_project(admin, _grown(), ProjectSettings(title, overlap=2))
    assert sync.kept_config_diff and 'showInline="false"' in sync.kept_config_diff
    assert 'value="PRODUCT"' in sync.kept_config_diff
    now = admin.get(f"api/projects/{project['id']}")
    assert now["label_config"].strip() == edited.strip() and now["maximum_annotations"] == 2
    assert sync.changes == ["set maximum_annotations", "kept the labelling config edited on the server"]

    sync = ensure_project(admin, _grown(), ProjectSettings(title, overlap=2, replace_config=True))
    assert sync.kept_config_diff is None and "replaced the hand-edited labelling config" in sync.changes
    assert config_origin(admin.get(f"api/projects/{project['id']}")["label_config"],
                         labelling_config(_grown())) == SAME
    # an untouched generated config follows the label schema without asking
    sync = ensure_project(admin, SCHEMA, ProjectSettings(title, overlap=2))
    assert sync.changes == ["updated labelling config"]


def test_config_command_prints_and_checks_the_config(labelstudio_server, tmp_path, monkeypatch, capsys):
    from builder.cli import main
    from tests.helpers.projects import write_project

    config = write_project(tmp_path / "p", "[project]\nname = 'cfg'\n", {
        "schema/labels.json": (REPO / "schema/labels.json").read_text(encoding="utf-8")})
    monkeypatch.setenv("LABEL_STUDIO_URL", labelstudio_server.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", labelstudio_server.credentials().key)
    assert main(["annotate", "config", "--check", "--config", str(config)]) == 0
    out, err = capsys.readouterr()
    assert out == labelling_config(SCHEMA) and "accepts the labelling config" in err

    (tmp_path / "p" / "mine.xml").write_text(out.replace('toName="text"', 'toName="body"', 1))
    (tmp_path / "p" / "newsbench.toml").write_text("[project]\nname = 'cfg'\n[annotate]\nlabel_config = 'mine.xml'\n")
    assert main(["annotate", "config", "--check", "--config", str(config)]) == 1
    assert 'Label Studio refuses the labelling config: toName="body" not found' in capsys.readouterr().err
