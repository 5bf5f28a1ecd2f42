"""What `validate_files` found: per file and in all, as `report.json` and the readable `report.txt`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.errors import EXIT_INVALID_DATA, EXIT_OK, EXIT_USAGE
from builder.check.validate.problems import ERROR, Problem

REPORT_JSON = "report.json"
REPORT_TXT = "report.txt"


@dataclass
class FileReport:
    file: str
    format: str | None = None
    records: int = 0
    valid: int = 0
    invalid: int = 0
    by_check: Counter = field(default_factory=Counter)
    valid_out: str | None = None
    error: str | None = None  # the file could not be read or parsed

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "format": self.format, "records": self.records, "valid": self.valid,
                "invalid": self.invalid, "by_check": dict(sorted(self.by_check.items())),
                "valid_out": self.valid_out, "error": self.error}


@dataclass
class ValidationReport:
    files: list[FileReport]
    problems: list[Problem]
    corpus: str | None
    out_dir: Path
    seconds: float = 0.0

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.severity == ERROR)

    @property
    def exit_code(self) -> int:
        if any(f.error for f in self.files):
            return EXIT_USAGE
        return EXIT_INVALID_DATA if self.errors else EXIT_OK

    def summary(self) -> dict[str, Any]:
        by_check = Counter(p.check for p in self.problems)
        return {
            "files": len(self.files),
            "unreadable_files": sum(1 for f in self.files if f.error),
            "records": sum(f.records for f in self.files),
            "valid_records": sum(f.valid for f in self.files),
            "invalid_records": sum(f.invalid for f in self.files),
            "problems": len(self.problems),
            "errors": self.errors,
            "warnings": len(self.problems) - self.errors,
            "by_check": dict(sorted(by_check.items())),
            "corpus": self.corpus or "not checked (--no-corpus)",
            "seconds": round(self.seconds, 3),
            "exit_code": self.exit_code,
        }

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary(), "files": [f.to_dict() for f in self.files],
                "problems": [p.to_dict() for p in self.problems]}

    def text(self, limit: int | None = None) -> str:
        s = self.summary()
        lines = [(f"validated {s['records']} records in {s['files']} file(s): {s['valid_records']} valid, "
                 f"{s['invalid_records']} invalid; {s['errors']} error(s), {s['warnings']} warning(s); "
                 f"corpus: {s['corpus']}")]
        for f in self.files:
            state = f"UNREADABLE: {f.error}" if f.error else f"{f.records} records, {f.valid} valid, {f.invalid} invalid"
            lines.append(f"  {f.file} ({f.format or '?'}): {state}")
        if s["by_check"]:
            lines.append("problems by check: " + ", ".join(f"{k} {v}" for k, v in s["by_check"].items()))
        shown = self.problems if limit is None else self.problems[:limit]
        lines += [p.line() for p in shown]
        if len(shown) < len(self.problems):
            lines.append(f"... and {len(self.problems) - len(shown)} more in {self.out_dir / REPORT_TXT}")
        return "\n".join(lines)
