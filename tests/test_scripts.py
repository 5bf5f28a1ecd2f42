"""The benchmark scripts run, at a size that takes seconds: they import what the package has today, and print
their tables and their PASS/FAIL lines. (Their figures at full size are in README; a test never times them.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run_script(name: str, *args: str, tmp: Path) -> str:
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / name), *args], cwd=tmp, capture_output=True,
                          text=True, timeout=600, check=False)
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert proc.returncode in (0, 1), proc.stderr[-3000:]  # 1: a target of the full size failed at this size
    return proc.stdout


def test_bench_prepare_runs(tmp_path):
    out = run_script("bench_prepare.py", "--docs", "300", "--skip-datatrove", "--workers", "1", "--out",
                     str(tmp_path / "b"), tmp=tmp_path)
    assert "| **newsbench prepare (all stages)** |" in out and "| prepare within 35 s |" in out
    assert "| newsbench |" in out  # the near-duplicate row: planted pairs were scored


def test_bench_validate_runs(tmp_path):
    out = run_script("bench_validate.py", "--tasks", "300", "--runs", "1", "--jsonschema-tasks", "30", "--out",
                     str(tmp_path / "v"), tmp=tmp_path)
    assert "invalid records 3 (planted 3)" in out and "tasks/s through the CLI (target >= 30,000)" in out


def test_bench_build_runs(tmp_path):
    out = run_script("bench_build.py", "--docs", "200", "--sentences", "3", "--out", str(tmp_path / "r"),
                     tmp=tmp_path)
    assert "identical bytes across runs: True" in out and "peak RSS" in out and "(target <= 1536 MB)" in out


def test_bench_evaluate_runs(tmp_path):
    out = run_script("bench_evaluate.py", "--sentences", "2000", tmp=tmp_path)
    assert "largest difference from seqeval: default" in out and "(target >= 20x)" in out


def test_bench_langid_runs(tmp_path):
    out = run_script("bench_langid.py", tmp=tmp_path)
    assert "| Pratiwi articles | 850 | CLD2 (newsbench) |" in out
