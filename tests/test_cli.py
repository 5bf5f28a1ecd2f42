"""The face: a case no check foresaw still ends in one located line and exit 2, never a traceback."""

from __future__ import annotations

import pytest

from builder import cli
from builder.commands import validate as validate_command


def test_cli_an_unforeseen_error_is_one_line_naming_where_and_how_to_report_it(monkeypatch, capsys):
    def broken(args):
        raise ValueError("a case nobody checked")

    monkeypatch.setattr(validate_command, "run", broken)
    monkeypatch.delenv(cli.DEBUG_ENV, raising=False)
    assert cli.main(["validate"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "ValueError: a case nobody checked (in cli.py:" in err
    assert "ValueError: a case nobody checked" in err and f"rerun with {cli.DEBUG_ENV}=1" in err


def test_cli_the_traceback_when_asked_for(monkeypatch):
    def broken(args):
        raise ValueError("a case nobody checked")

    monkeypatch.setattr(validate_command, "run", broken)
    monkeypatch.setenv(cli.DEBUG_ENV, "1")
    with pytest.raises(ValueError):
        cli.main(["validate"])
