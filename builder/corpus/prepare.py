"""prepare: ingest -> clean -> dedup -> split -> segment, resumable.

Each stage writes `work/<stage>/` and a `done.json` fingerprint of what it was run on (its config section, the
code, and its input). A rerun skips a stage whose fingerprint is unchanged, so editing one rule file reruns clean
and everything after it, but not ingest.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.config import Config
from builder.stage import StageDir, file_digest, fingerprint

PACKAGE_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class StageSpec:
    name: str
    function: str  # "module:function"
    sections: tuple[str, ...]  # config sections the stage reads

    def load(self) -> Callable[..., dict[str, Any]]:
        module, func = self.function.split(":")
        return getattr(importlib.import_module(module), func)


STAGES: tuple[StageSpec, ...] = (
    StageSpec("ingest", "builder.corpus.ingest:run_ingest", ("sources", "ingest")),
    StageSpec("clean", "builder.corpus.clean:run_clean", ("clean", "sources")),
    StageSpec("dedup", "builder.corpus.dedup:run_dedup", ("dedup",)),
    StageSpec("split", "builder.corpus.split:run_split", ("split",)),
    StageSpec("segment", "builder.corpus.segment:run_segment", ("segment",)),
)
STAGE_NAMES = tuple(s.name for s in STAGES)


def corpus_path(config: Config) -> Path:
    """The prepared corpus: the last stage's documents (`work/segment/documents.jsonl`)."""
    return StageDir(config.stage_dir(STAGE_NAMES[-1])).documents


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

    @property
    def output(self) -> Path | None:
        return None

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
    """Digest of the package's code and built-in rules: a code change reruns the stages."""
    files = sorted(p for p in PACKAGE_DIR.rglob("*") if p.suffix in (".py", ".toml", ".txt") and p.is_file())
    return fingerprint(*[(str(p.relative_to(PACKAGE_DIR)), file_digest(p)) for p in files])


def _input_state(config: Config, spec: StageSpec, previous: StageDir | None) -> Any:
    if previous is None:
        from builder.corpus.ingest import source_inputs

        return [(str(p), p.stat().st_size, file_digest(p)) for p in source_inputs(config)]
    done = previous.done.read_text() if previous.done.is_file() else ""
    return [done, previous.documents.stat().st_size if previous.documents.is_file() else -1]


def _side_state(config: Config, spec: StageSpec) -> Any:
    """Files a stage both reads and writes (the split ledger); fingerprinted as they are after the run."""
    if spec.name == "split":
        ledger = config.resolve(config["split"]["ledger"])
        return file_digest(ledger) if ledger.is_file() else None
    if spec.name == "clean" and config["clean"].get("rules_dir"):
        folder = config.resolve(config["clean"]["rules_dir"])
        return [(p.name, file_digest(p)) for p in sorted(folder.glob("*.toml"))]
    return None


def stage_fingerprint(config: Config, spec: StageSpec, previous: StageDir | None, code: str) -> str:
    sections = {s: config.data.get(s) for s in spec.sections}
    sections["project"] = config.data["project"]
    return fingerprint(spec.name, code, sections, _input_state(config, spec, previous), _side_state(config, spec))


def run_prepare(
    config: Config,
    *,
    progress: bool = True,
    force: bool = False,
    until: str | None = None,
    on_stage: Callable[[StageRun], None] | None = None,
    engine: Any = None,
) -> PrepareResult:
    """Run the stages in order, skipping those whose inputs and config did not change.

    `engine`: a started `builder.corpus.distributed.DaskEngine` runs the stages as its tasks; the outputs are the same
    bytes, so the fingerprints do not depend on it (a stage done on one engine is skipped on the other)."""
    if until is not None and until not in STAGE_NAMES:
        from builder.errors import ConfigError

        raise ConfigError(f"unknown stage '{until}'", fix=f"use one of {', '.join(STAGE_NAMES)}")
    if engine is not None:
        from builder.corpus.distributed import stage_function

        config.work_dir.mkdir(parents=True, exist_ok=True)
        engine.check_shared(config.work_dir)
    result = PrepareResult()
    code = code_version()
    previous: StageDir | None = None
    rerun = force
    for spec in STAGES:
        out = StageDir(config.stage_dir(spec.name))
        fp = stage_fingerprint(config, spec, previous, code)
        start = time.perf_counter()
        if not rerun and out.is_done(fp):
            import json

            stats = json.loads(out.stats.read_text()) if out.stats.is_file() else {}
            run = StageRun(spec.name, "skipped", 0.0, stats)
        else:
            rerun = True  # every later stage reruns too
            func = spec.load() if engine is None else stage_function(engine, spec.name)
            if previous is None:
                stats = func(config, out, progress=progress)
            else:
                stats = func(config, previous.documents, out, progress=progress)
            out.mark_done(stage_fingerprint(config, spec, previous, code))
            run = StageRun(spec.name, "ran", time.perf_counter() - start, stats)
        result.stages.append(run)
        if on_stage:
            on_stage(run)
        previous = out
        if spec.name == until:
            break
    return result
