"""Error types and exit codes shared by every stage and the CLI.

Exit codes: 0 ok, 1 the data is invalid (validation found problems), 2 bad usage or unreadable input.
Every message says what went wrong, where (file, row, field) and how to fix it.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_INVALID_DATA = 1
EXIT_USAGE = 2


class NewsbenchError(Exception):
    """Base error: carries an exit code and a one-line, located, actionable message."""

    exit_code = EXIT_USAGE

    def __init__(self, what: str, *, where: str | None = None, fix: str | None = None) -> None:
        self.what = what
        self.where = where
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        parts = []
        if self.where:
            parts.append(f"{self.where}: ")
        parts.append(self.what)
        if self.fix:
            parts.append(f" (fix: {self.fix})")
        return "".join(parts)


class ConfigError(NewsbenchError):
    """The project config is missing, malformed or names something that does not exist."""


class InputError(NewsbenchError):
    """An input file or record cannot be read (missing, unreadable, wrong encoding, missing column)."""


class DataInvalidError(NewsbenchError):
    """The data was read but failed validation."""

    exit_code = EXIT_INVALID_DATA
