"""prepare: ingest -> clean -> dedup -> split -> segment, resumable; the one registry of the stages.

Each stage writes `work/<stage>/` and a `done.json` fingerprint of what it was run on (its config sections, the
code, its input and its side files). A rerun skips a stage whose fingerprint is unchanged, so editing one rule
file reruns clean and everything after it, but not ingest. The same registry drives the Dask engine
(`builder.corpus.distributed`), whose stages write the same bytes.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from builder.config import Config
from builder.corpus.clean import Clean
from builder.corpus.dedup import Dedup
from builder.corpus.ingest import Ingest
from builder.corpus.segment import Segment
from builder.corpus.split import Split
from builder.errors import ConfigError
from builder.stage import Progress, Stage, StageDir, file_digest, fingerprint, run_stage

PACKAGE_DIR = Path(__file__).resolve().parent.parent
STAGES: tuple[type[Stage], ...] = (Ingest, Clean, Dedup, Split, Segment)
STAGE_NAMES = tuple(s.name for s in STAGES)


def stage_named(name: str) -> type[Stage]:
    if name not in STAGE_NAMES:
        raise ConfigError(f"unknown stage '{name}'", fix=f"use one of {', '.join(STAGE_NAMES)}")
    return STAGES[STAGE_NAMES.index(name)]


@dataclass
class StageRun:
    name: str
    status: str  # ran | skipped
    seconds: float
    stats: dict[str, Any]


@dataclass
class PrepareResult:
    stages: list[StageRun] = field(default_factory=list)

    @property
    def input_errors(self) -> list[str]:
        return [e for s in self.stages for e in s.stats.get("input_errors", [])]

    def table(self) -> str:
        """The summary table printed at the end of `prepare`."""
        rows = [("stage", "status", "in", "out", "dropped", "seconds")]
        for s in self.stages:
            st = s.stats
            n_in = st.get("documents_in", "")
            n_out = st.get("documents_out", "")
            dropped = sum(_dropped(st).values())
            rows.append((s.name, s.status, str(n_in), str(n_out), str(dropped), f"{s.seconds:.1f}"))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = []
        for j, r in enumerate(rows):
            lines.append("  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
            if j == 0:
                lines.append("  ".join("-" * w for w in widths))
        return "\n".join(lines)


def _dropped(stats: dict[str, Any]) -> dict[str, int]:
    for key in ("documents_dropped", "rejected_documents"):
        if isinstance(stats.get(key), dict):
            return stats[key]
    if isinstance(stats.get("rejected"), dict):
        return {k: v for k, v in stats["rejected"].items() if not k.startswith("line:")}
    return {}


def code_version() -> str:
    """Digest of the package's code and built-in data: a code change reruns the stages."""
    files = sorted(p for p in PACKAGE_DIR.rglob("*") if p.suffix in (".py", ".toml", ".txt") and p.is_file())
    return fingerprint(*[(str(p.relative_to(PACKAGE_DIR)), file_digest(p)) for p in files])


def _file_state(path: Path) -> tuple[str, int, str]:
    """A file's part of the resume fingerprint; a file that cannot be read is ingest's to report, not a crash."""
    try:
        return str(path), path.stat().st_size, file_digest(path)
    except OSError as exc:
        return str(path), -1, f"unreadable: {exc.strerror or exc}"


def _input_state(stage: Stage, previous: StageDir | None) -> Any:
    if previous is None:
        assert isinstance(stage, Ingest)
        return [_file_state(p) for p in stage.input_files()]
    done = previous.done.read_text() if previous.done.is_file() else ""
    return [done, previous.documents.stat().st_size if previous.documents.is_file() else -1]


def stage_fingerprint(stage: Stage, previous: StageDir | None, code: str) -> str:
    config = stage.config
    sections = {s: config.data.get(s) for s in stage.sections}  # as merged from the file, the defaults and overrides
    sections["project"] = config.data["project"]
    return fingerprint(stage.name, code, sections, _input_state(stage, previous), stage.side_state())


def run_prepare(
    config: Config,
    *,
    progress: Progress | None = None,
    force: bool = False,
    until: str | None = None,
    on_stage: Callable[[StageRun], None] | None = None,
    engine: Any = None,
) -> PrepareResult:
    """Run the stages in order, skipping those whose inputs and config did not change.

    `engine`: a started `builder.corpus.distributed.DaskEngine` runs the stages as its tasks; the outputs are the
    same bytes, so the fingerprints do not depend on it (a stage done on one engine is skipped on the other)."""
    if until is not None:
        stage_named(until)
    runner: Callable[..., dict[str, Any]] = run_stage
    if engine is not None:
        from builder.corpus.distributed.runners import runner as engine_runner

        config.work_dir.mkdir(parents=True, exist_ok=True)
        engine.check_shared(config.work_dir)
        runner = engine_runner(engine)
    result = PrepareResult()
    code = code_version()
    previous: StageDir | None = None
    rerun = force
    for stage_class in STAGES:
        stage = stage_class(config)
        out = StageDir(config.stage_dir(stage.name))
        fp = stage_fingerprint(stage, previous, code)
        start = time.perf_counter()
        if not rerun and out.is_done(fp):
            stats = json.loads(out.stats.read_text()) if out.stats.is_file() else {}
            run = StageRun(stage.name, "skipped", 0.0, stats)
        else:
            rerun = True  # every later stage reruns too
            stats = runner(stage, previous.documents if previous else None, out, progress=progress)
            out.mark_done(stage_fingerprint(stage, previous, code))
            run = StageRun(stage.name, "ran", time.perf_counter() - start, stats)
        result.stages.append(run)
        if on_stage:
            on_stage(run)
        previous = out
        if stage.name == until:
            break
    return result
