"""The project config: defaults, dotted overrides, and errors that name the fix."""

from __future__ import annotations

import pytest

from builder.cli import split_overrides
from builder.config import load_config, parse_value
from builder.errors import ConfigError
from tests.helpers.projects import REPO, seed_project, write_project


def test_config_shipped_file_loads_with_its_sources():
    config = load_config(REPO / "newsbench.toml")
    names = [s.name for s in config.sources]
    assert names == ["kompastv-seed", "pratiwi2017-600", "pratiwi2017-250"]
    assert config.dedup.threshold == 0.8
    assert config.resolve(config.sources[0].path).is_dir()
    assert config.sources[0].redistributable is False and config.sources[0].outlet == "KompasTV"
    assert config.sources[1].outlet is None and config.sources[1].columns == {"text": "berita"}


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
    assert config.dedup.threshold == 0.7 and config.seed == 5


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[[sources]]\nname='a'\nformat='text'\npath='.'\nlicense='x'\n", r"\[\[sources\]\] #1 has no 'redistributable'"),
        ("[[sources]]\nname='a'\nformat='pdf'\npath='.'\nlicense='x'\nredistributable=true\n",
         r"\[\[sources\]\] #1 format is 'pdf'.*use one of text, csv, jsonl, html"),
        ("[[sources]]\nname='a'\nformat='text'\npath='.'\nredistributable=true\n", "has no 'license'"),
        ("[[sources]]\nname='a'\nformat='text'\npath='.'\nlicense='x'\nredistributable='no'\n",
         r"redistributable is the string 'no', not true or false.*redistributable = false \(no quotes\)"),
        ("[[sources]]\nname='a'\nformat='text'\npath='nowhere'\nlicense='x'\nredistributable=false\n",
         "names a missing path: nowhere"),
        ("[[sources]]\nname='a'\nformat='text'\npath='.'\nlicense='x'\nredistributable=false\nrule_set=['x']\n",
         r"unknown option 'rule_set' in \[\[sources\]\] #1.*did you mean 'rule_sets'"),
        ("[split]\nratios={train=0.5,test=0.1}\n", "add up to 0.6"),
        ("[split]\nratios={train=1.5,test=-0.5}\n", "negative share"),
        ("[dedup]\ndrop='some'\n", r"\[dedup\] drop is 'some'.*use one of none, exact, near"),
        ("[dedup]\nthreshold='high'\n", r"\[dedup\] threshold is the string 'high', not a number"),
        ("[dedup]\nthreshold=0\n", r"\[dedup\] threshold is 0.0.*> 0.0"),
        ("[clean]\nmin_words=-1\n", r"\[clean\] min_words is -1.*>= 0"),
        ("[clean]\nlanguages='id'\n", r"\[clean\] languages is the string 'id', not a list of strings"),
        ("[clean]\nmin_words='30'\n", r"min_words is the string '30', not an integer"),
        ("[project]\nname=3\n", r"\[project\] name is int 3, not a string"),
        ("[dedupe]\nthreshold=0.7\n", r"unknown section 'dedupe'.*did you mean 'dedup'"),
        ("[dedup\n", "not valid TOML"),
    ],
)
def test_config_errors_name_the_fix(tmp_path, toml, message):
    cfg = write_project(tmp_path, toml)
    with pytest.raises(ConfigError, match=message) as info:
        load_config(cfg)
    assert str(cfg) in info.value.message or "config" in info.value.message


def test_config_unknown_option_lists_the_known_ones(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown option 'treshold' in \[dedup\].*did you mean 'threshold'"):
        load_config(seed_project(tmp_path), {"dedup.treshold": 0.7})


def test_config_override_of_the_wrong_type_is_refused_before_any_work(tmp_path):
    with pytest.raises(ConfigError, match=r"\[release\] include_restricted is the string 'yes'"):
        load_config(seed_project(tmp_path), {"release.include_restricted": "yes"})
    with pytest.raises(ConfigError, match=r"unknown section 'relase'"):
        load_config(seed_project(tmp_path), {"relase.include_restricted": True})


def test_config_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")


@pytest.mark.parametrize("extra, message", [
    ('[split]\nstratify_by = "topic"\n', r"split.stratify_by is 'topic', a document label no source gives"),
    ('[project]\nwork_dir = "afile"\n', r'project.work_dir = "afile" is a file, not a folder'),
])
def test_config_refuses_a_stratify_label_no_source_gives_and_a_work_folder_that_is_a_file(tmp_path, extra, message):
    (tmp_path / "afile").write_text("x")
    (tmp_path / "raw").mkdir()
    path = tmp_path / "newsbench.toml"
    path.write_text("[[sources]]\nname='a'\nformat='text'\npath='raw'\nlicense='x'\nredistributable=false\n" + extra)
    with pytest.raises(ConfigError, match=message):
        load_config(path)



@pytest.mark.parametrize("body, line, message", [
    ("[clean]\n# a comment\nmin_wrds = 3\n", 3, r"unknown option 'min_wrds' in \[clean\]"),
    ("[project]\nname = 'x'\n\n[clen]\nmin_words = 5\n", 4, r"unknown section 'clen'.*did you mean 'clean'"),
    ("[dedup]\nngram = 3\nthreshold = 'high'\n", 3, "threshold is the string 'high', not a number"),
    ("[[sources]]\nname='a'\nformat='text'\npath='.'\nlicense='x'\nredistributable=false\n"
     "[[sources]]\nname='b'\nformat='text'\npath='.'\nlicense='x'\nredistributable='no'\n", 12,
     "redistributable is the string"),
    ("[[sources]]\nname='a'\nformat='text'\npath='.'\nlicense='x'\nredistributable=false\n"
     "[[sources]]\nname='b'\nformat='text'\npath='.'\n", 7, r"\[\[sources\]\] #2 has no 'license'"),
])
def test_config_errors_name_the_line(tmp_path, body, line, message):
    path = tmp_path / "newsbench.toml"
    path.write_text(body)
    with pytest.raises(ConfigError, match=message) as err:
        load_config(path)
    assert err.value.where == f"{path}:{line}"


def test_config_an_override_is_not_placed_on_a_line_of_the_file(tmp_path):
    path = tmp_path / "newsbench.toml"
    path.write_text("[dedup]\nngram = 3\n")
    with pytest.raises(ConfigError) as err:
        load_config(path, {"dedup.threshold": "high"})
    assert err.value.where == str(path)
