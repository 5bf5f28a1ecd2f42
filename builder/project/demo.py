"""The whole job on the data that ships in the repository, as one call: what `newsbench demo` runs.

1. `prepare` the configured sources (ingest, clean, dedup, split, segment);
2. validate every annotation file under `annotations/` against the schemas, the label schema and the corpus
   (any error stops the demo: nothing unchecked reaches a release);
3. build the release: when the inputs are those of the newest committed release, that release is verified
   file by file instead of built again (a release never changes). When they differ (new annotations, a changed
   config), the demo never cuts a release nobody asked for: it builds the next version in a scratch folder,
   `work/demo/releases/`, beside a copy of the newest release, and says that `newsbench build` would cut it;
4. rebuild that version from scratch in `work/demo/rebuild/` and compare its data files with the release's,
   byte for byte, so a fresh clone proves the release is reproducible from the shipped inputs;
5. train and score the baselines on the release (train split, tuned on validation, scored on test with
   bootstrap confidence intervals) into `work/demo/models/`, and compare the scores with those in the card.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.annotate.labelstudio.validation import ANNOTATION_KINDS
from builder.config import Config, load_config
from builder.errors import DataInvalidError
from builder.stage import Progress

Say = Callable[[str], None]


@dataclass
class DemoResult:
    release: Path
    version: str
    status: str  # built | unchanged | scratch (built in work/demo/releases: the inputs differ from the newest)
    reproduced: bool
    differing: list[str]
    configs: list[str]
    results: dict[str, Any]
    seconds: dict[str, float]
    scores_match: bool | None = None  # None: the release's card shows no scores
    changed: list[str] | None = None  # the inputs that differ from the newest release (status scratch)


def _step(seconds: dict[str, float], name: str, say: Say, fn: Callable[[], Any]) -> Any:
    say(f"== {name}")
    start = time.perf_counter()
    out = fn()
    seconds[name] = round(time.perf_counter() - start, 1)
    say(f"   {name}: {seconds[name]} s")
    return out


def validate_annotations(config: Config, out_dir: Path) -> Any:
    from builder.labels import label_schema_of
    from builder.check.validate.corpus import Corpus
    from builder.corpus.assemble import corpus_path
    from builder.check.validate.run import annotation_files, validate_files

    annotations = config.resolve(config.project.annotations_dir)
    files = annotation_files(annotations)
    report = validate_files(files, label_schema_of(config), corpus=Corpus(corpus_path(config)), out_dir=out_dir,
                            workers=config.validate.workers, root=config.root, keep_valid=False,
                            kinds=ANNOTATION_KINDS)
    if report.exit_code != 0:
        raise DataInvalidError(f"the annotations under {annotations} do not validate",
                               where=str(out_dir / "report.txt"),
                               fix="read the report; fix or re-pull the export, then run the demo again")
    return report


def _rebuild(config: Config, version: str, release: Path, scratch: Path) -> tuple[bool, list[str]]:
    from builder.release.prove import rebuild

    differing = rebuild(config, version, release, scratch)
    return not differing, differing


def run_demo(config: Config, *, say: Say = print, progress: Progress | None = None) -> DemoResult:
    from builder.bench.baselines.run import BaselineOptions, run_baselines
    from builder.labels import label_schema_of
    from builder.corpus.imports.run import run_blocks
    from builder.corpus.prepare import run_prepare
    from builder.release.build import build_release, planned_release

    if config.path is None:
        raise DataInvalidError("the demo needs a project config file", fix="run it from the repository root")
    seconds: dict[str, float] = {}
    work = config.work_dir / "demo"
    _step(seconds, "prepare", say, lambda: run_prepare(config, progress=progress))
    if config.imports:  # the annotated corpora of the [[imports]] blocks join the corpus
        from builder.annotate.labelstudio.foreign import register

        register()
        imported = _step(seconds, "import", say, lambda: run_blocks(config))
        for r in imported:
            say(f"   {r.source}: {r.stats.get('documents', 0)} documents ({r.format}) -> {r.out}")
    report = _step(seconds, "validate", say, lambda: validate_annotations(config, work / "validate"))
    say(f"   {report.text(limit=0).splitlines()[0]}")
    newest, changed = planned_release(config)
    target = config
    if changed and newest is not None:
        target = _scratch_config(config, work / "releases", newest)
        say(f"   the inputs differ from release {newest} ({', '.join(changed)}): the demo builds the next version "
            f"in {work / 'releases'}, not in the repository (`newsbench build` cuts it)")
    built = _step(seconds, "build", say, lambda: build_release(target, progress=progress))
    say(f"   release {built.version}: {built.status} ({built.path})")
    same, differing = _step(seconds, "rebuild check", say,
                            lambda: _rebuild(target, built.version, built.path, work / "rebuild"))
    say(f"   data files identical to a rebuild from scratch: {'yes' if same else 'NO: ' + ', '.join(differing)}")
    options = BaselineOptions(split="test", seed=config.seed, samples=int(config.baselines.samples))
    results = _step(seconds, "baselines", say, lambda: run_baselines(built.path, work / "models",
                                                                      label_schema_of(config), options))
    configs = sorted(built.manifest.get("configs", {}))
    matches = scores_match_card(config, built.manifest, results)
    if matches is not None:
        say(f"   scores and intervals equal those in the release's card: {'yes' if matches else 'NO'}")
    status = "scratch" if target is not config else built.status
    return DemoResult(built.path, built.version, status, same, differing, configs, results, seconds, matches,
                      changed or None)


def _scratch_config(config: Config, scratch: Path, newest: str) -> Config:
    """The config with a scratch releases folder that holds a copy of the newest release (which the next
    version's number and changelog come from), and no repository card written."""
    import shutil

    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    shutil.copytree(config.resolve(config.project.releases_dir) / newest, scratch / newest)
    return load_config(config.path, {**config.overrides, "project.releases_dir": str(scratch),
                                     "release.repo_card": ""})


def _score_key(rows: list[dict[str, Any]]) -> dict[tuple[str, str, str], tuple]:
    return {(r["config"], r["system"], r["score"]): (r["value"], r["ci95_low"], r["ci95_high"]) for r in rows}


def scores_match_card(config: Config, manifest: dict[str, Any], results: dict[str, Any]) -> bool | None:
    """Do the scores just computed equal those the release's card shows (None: the card shows none)?"""
    import orjson

    shown = manifest["inputs"].get("results") or []
    if not shown:
        return None
    card = orjson.loads(config.resolve(shown[0]["path"]).read_bytes())
    return _score_key(card["scores"]) == _score_key(results["scores"])


def loading_snippet(result: DemoResult, root: Path) -> str:
    try:
        where = result.release.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        where = result.release.as_posix()
    lines = ["from datasets import load_dataset", ""]
    lines += [f'{name} = load_dataset("{where}", "{name}")' for name in result.configs]
    return "\n".join(lines)
