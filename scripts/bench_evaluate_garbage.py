"""Memory and time of `newsbench evaluate --check` on a 1 GB predictions file of garbage, against reading it the
plain way (json.loads line by line, every problem collected), in the same run. Prints the load average: the
machine is shared, so absolute times drift.

    python scripts/bench_evaluate_garbage.py [--gb 1]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PLAIN = """
import json, sys
problems = []
with open(sys.argv[1], "rb") as fh:
    for n, line in enumerate(fh, 1):
        try:
            json.loads(line)
        except ValueError as exc:
            problems.append((n, str(exc)))
print(len(problems))
"""


def _peak(cmd: list[str]) -> tuple[float, int, int]:
    """Seconds, peak RSS (MB) and exit code of one child process run alone."""
    start = time.perf_counter()
    code = subprocess.run(cmd, capture_output=True, text=True).returncode
    seconds = time.perf_counter() - start
    return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024, code


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gb", type=float, default=1.0)
    args = ap.parse_args()
    release = sorted((REPO / "releases").iterdir(), key=lambda p: tuple(map(int, p.name.split("."))))[-1]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "garbage.jsonl"
        chunk = (b'{"sentence_id": "x", "tags": [' + b'"O",' * 50 + b"\n") * 2000  # lines that never close
        with open(path, "wb") as fh:
            while fh.tell() < args.gb * (1 << 30):
                fh.write(chunk)
        size = path.stat().st_size / (1 << 20)
        print(f"load average {os.getloadavg()[0]:.2f}; file {size:,.0f} MB of unparsable lines")
        # each measured in its own child: ru_maxrss of children is the largest so far, so newsbench goes first
        s, mb, code = _peak([str(Path(sys.executable).parent / "newsbench"), "evaluate", "--release", str(release),
                             "--subset", "ner", "--predictions", str(path), "--check",
                             "--config", str(REPO / "newsbench.toml")])
        print(f"newsbench evaluate --check (stops at --max-problems 1000): {s:.2f} s, peak {mb} MB, exit {code}")
        s, mb2, code = _peak([sys.executable, "-c", PLAIN, str(path)])
        print(f"plain json.loads per line, every problem kept: {s:.2f} s, peak {max(mb, mb2)} MB (at least), "
              f"exit {code}")


if __name__ == "__main__":
    main()
