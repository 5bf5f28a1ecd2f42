"""The project config: defaults, dotted overrides, and errors that name the fix."""

from __future__ import annotations

import pytest

from builder.cli import split_overrides
from builder.config import load_config, parse_value
from builder.errors import ConfigError
from tests.corpus import REPO, seed_project, write_project


def test_config_shipped_file_loads_with_its_sources():
    config = load_config(REPO / "newsbench.toml")
    names = [s["name"] for s in config["sources"]]
    assert names == ["kompastv-seed", "pratiwi2017-600", "pratiwi2017-250"]
    assert config.get("dedup.threshold") == 0.8
    assert config.resolve(config["sources"][0]["path"]).is_dir()
    assert config["sources"][0]["redistributable"] is False


@pytest.mark.parametrize(
    ("text", "value"),
    [("0.7", 0.7), ("3", 3), ("true", True), ('["a", "b"]', ["a", "b"]), ("{train=1}", {"train": 1}),
     ("kompastv", "kompastv"), ("data/x y.csv", "data/x y.csv")],
)
def test_config_parse_value(text, value):
    assert parse_value(text) == value


def test_config_dotted_overrides_from_argv():
    rest, overrides = split_overrides(
        ["prepare", "--dedup.threshold", "0.7", "--clean.min_words=10", "--set", "split.seed=3", "--force"]
    )
    assert rest == ["prepare", "--force"]
    assert overrides == {"dedup.threshold": 0.7, "clean.min_words": 10, "split.seed": 3}


def test_config_override_is_applied(tmp_path):
    config = load_config(seed_project(tmp_path), {"dedup.threshold": 0.7, "project.seed": 5})
    assert config.get("dedup.threshold") == 0.7 and config.seed == 5


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[[sources]]\nname='a'\nformat='text'\npath='.'\nlicense='x'\n", "does not say whether it may be redistributed"),
        ("[[sources]]\nname='a'\nformat='pdf'\npath='.'\nlicense='x'\nredistributable=true\n", "unknown format 'pdf'"),
        ("[[sources]]\nname='a'\nformat='text'\npath='.'\nredistributable=true\n", "source has no 'license'"),
        ("[split]\nratios={train=0.5,test=0.1}\n", "add up to 0.6"),
        ("[dedup]\ndrop='some'\n", "dedup.drop is 'some'"),
        ("[dedup\n", "not valid TOML"),
    ],
)
def test_config_errors_name_the_fix(tmp_path, toml, message):
    cfg = write_project(tmp_path, toml)
    with pytest.raises(ConfigError, match=message) as info:
        load_config(cfg)
    assert str(cfg) in info.value.message or "config" in info.value.message


def test_config_unknown_option_lists_the_known_ones(tmp_path):
    with pytest.raises(ConfigError, match="unknown option 'dedup.treshold'.*threshold"):
        load_config(seed_project(tmp_path), {"dedup.treshold": 0.7})


def test_config_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")
