"""`newsbench baseline`: train every baseline on a release, score it with `evaluate`, save models and results.

Into `models/<version>/` (one folder per release version, never inside the release, which never changes):
- `results.json` / `results.md`: one row per system and score (primary first) with its 95% bootstrap interval
  and training CPU time: the file `newsbench build --results` takes and the card shows;
- `systems.json`: per system what it is, the chosen parameters, validation tuning, wall and CPU training time,
  and the machine they were measured on (cores, load average);
- `predictions/<system>.jsonl` and `reports/<system>.{json,md}`: what was scored and the full reports;
- `*.joblib` and `models.json`: the trained models with the release version they came from (sha256 listed),
  which `BaselinePreAnnotator.load` turns into a Label Studio pre-annotator.
A baseline that cannot be trained (no such split, one class only) is listed under `skipped` with the reason.
"""

from __future__ import annotations

import os
import platform
import time
from functools import partial
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pyarrow as pa
from sklearn.metrics import average_precision_score, f1_score

from builder import __version__
from builder.bench.baselines.claims import (C_GRID, CONTEXTS, BaselineSkipped, CheckworthyModel, Point, best_threshold,
                                            points, rule_claims)
from builder.bench.baselines.cues import Sentence
from builder.bench.baselines.documents import GRID as DOCUMENT_GRID
from builder.bench.baselines.documents import DocumentClassifier, MajorityLabel
from builder.bench.baselines.ner import GRID, CrfTagger, DictionaryTagger, micro_f1
from builder.bench.baselines.preannotator import CHECKWORTHY_MODEL, NER_MODEL, OLDER_CHECKWORTHY
from builder.bench.baselines.systems import FOLDS, MIN_TUNING, folds
from builder.errors import InputError
from builder.bench.evaluate import EvalOptions, evaluate
from builder.release.layout import class_names
from builder.release.layout import ReleaseFolder, find_release
from builder.bench.evaluate.report import markdown, now, update_leaderboard
from builder.jsonl import AtomicWriter, write_json, write_jsonl
from builder.labels import LabelSchema, class_label_names
from builder.stage import file_digest

# check-worthiness systems: (may read context, description, model file); the pre-annotator takes the one that
# ranked validation better
CHECKWORTHY = {
    "checkworthy-tfidf-lr": (False, "TF-IDF word 1-2 and char 2-5-grams + logistic regression, classes reweighed",
                             OLDER_CHECKWORTHY),
    "checkworthy-context-lr": (True, "TF-IDF words of the sentence and, where validation prefers them, its "
                               "neighbours' words and cues (numbers, quantities, comparisons, superlatives, names, "
                               "quotes, reporting verbs, claim rules, position) + logistic regression, calibrated",
                               CHECKWORTHY_MODEL),
}
RESULTS = "results.json"
SYSTEMS = "systems.json"
# The scores each config's results list beside the primary one.
KEY_SCORES = {
    "ner": ("spans.micro.f1", "spans.macro.f1", "semeval.partial.micro.f1", "tokens.micro.f1"),
    "claims": ("ranking.map", "ranking.r_precision", "ranking.p@1", "ranking.p@3", "ranking.p@5", "checkworthy.f1",
               "has_claim.f1", "claim_spans.micro.f1", "speakers.f1"),
    "documents": ("labels.accuracy", "labels.macro.f1"),
}


@dataclass(frozen=True)
class BaselineOptions:
    split: str = "test"  # the split scored; models train on train and tune on validation
    seed: int = 13
    samples: int = 1000  # bootstrap samples of every report
    systems: tuple[str, ...] = ()  # the systems to run (builder.bench.baselines.systems); () = every one
    settings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # system -> option -> value

    def wants(self, system: str) -> bool:
        return not self.systems or system in self.systems

    def option(self, system: str, name: str, default: Any) -> Any:
        return self.settings.get(system, {}).get(name, default)


@dataclass
class Timing:
    wall: float = 0.0
    cpu: float = 0.0


def timed(fn: Callable[[], Any]) -> tuple[Any, Timing]:
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn()
    return value, Timing(round(time.perf_counter() - wall, 3), round(time.process_time() - cpu, 3))


def tune(grid: Sequence[Any], dev_units: int, dev_scorable: bool, groups: Sequence[str], seed: int,
         fold_score: Callable[[Any, list[int], list[int]], float]) -> tuple[Any | None, dict[str, Any]]:
    """(the grid point chosen by cross-validation on train, the tuning record) when validation cannot tune the
    grid; (None, {"method": "validation"}) when it can (the model then tunes on it)."""
    if dev_scorable and dev_units >= MIN_TUNING:
        return None, {"method": "validation", "units": dev_units}
    reason = ("no validation split" if not dev_units else f"validation holds {dev_units} unit(s) (< {MIN_TUNING})"
              if dev_units < MIN_TUNING else "validation cannot be scored (one class, or no entity)")
    splits = folds(groups, seed=seed)
    if len(grid) == 1 or not splits:
        return grid[0], {"method": "none", "reason": reason + (
            "; one grid point" if len(grid) == 1 else f"; fewer than {FOLDS} training documents to fold")}
    scores = [float(np.mean([fold_score(point, tr, te) for tr, te in splits])) for point in grid]
    best = grid[int(np.argmax(scores))]
    return best, {"method": "cross-validation", "folds": FOLDS, "by": "document", "reason": reason,
                  "grid": [{"value": list(p) if isinstance(p, tuple) else p, "score": round(v, 6)}
                           for p, v in zip(grid, scores)]}


def _read(rel: ReleaseFolder, config: str, split: str, columns: list[str]) -> pa.Table:
    try:
        return rel.read(config, split, columns)
    except InputError as exc:
        raise BaselineSkipped(exc.what) from None


def _pick(report: dict[str, Any], name: str) -> tuple[float | None, list[float] | None]:
    node: Any = report["metrics"]
    *path, metric = name.split(".")
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, dict) or metric not in node:
        return None, None
    return node[metric], (node.get("ci") or {}).get(metric)


@dataclass
class Runner:
    """Trains, predicts, scores and records; one instance per `run_baselines` call."""

    release: ReleaseFolder
    out: Path
    schema: LabelSchema
    options: BaselineOptions
    leaderboard: Path | None = None
    results: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    models: dict[str, dict[str, Any]] = field(default_factory=dict)

    def score(self, config: str, system: str, description: str, lines: list[dict[str, Any]], timing: Timing,
              params: dict[str, Any] | None = None) -> dict[str, Any]:
        path = self.out / "predictions" / f"{system}.jsonl"
        write_jsonl(path, lines)
        report = evaluate(self.release.path, config, path, EvalOptions(
            split=self.options.split, samples=self.options.samples, seed=self.options.seed), self.schema, system=system)
        write_json(self.out / "reports" / f"{system}.json", report)
        with AtomicWriter(self.out / "reports" / f"{system}.md") as fh:
            fh.write_bytes(markdown(report).encode("utf-8"))
        if self.leaderboard is not None:
            update_leaderboard(self.leaderboard, report)
        value, ci = _pick(report, report["primary"]["name"])
        entry = {
            "config": config, "system": system, "description": description,
            "primary": {"name": report["primary"]["name"], "value": value, "ci": ci},
            "scores": {name: {"value": v, "ci": c} for name in KEY_SCORES[config]
                       for v, c in [_pick(report, name)] if v is not None},
            "params": params or {}, "train_seconds": {"wall": timing.wall, "cpu": timing.cpu},
            "report": f"reports/{system}.json", "predictions": f"predictions/{system}.jsonl",
        }
        self.results.append(entry)
        return entry

    def save(self, name: str, kind: str, model: Any, params: dict[str, Any]) -> None:
        path = self.out / name
        joblib.dump({"kind": kind, "release": self.release.version, "dataset": self.release.name,
                     "newsbench": __version__, "params": params, "model": model}, path, compress=3)
        self.models[kind] = {"file": name, "sha256": file_digest(path), "params": params}

    def attempt(self, config: str, system: str, fn: Callable[[], None]) -> None:
        try:
            fn()
        except BaselineSkipped as exc:
            self.skipped.append({"config": config, "system": system, "reason": str(exc)})


# ---- ner ---------------------------------------------------------------------------------------------------


def ner_split(rel: ReleaseFolder, split: str, fallback: list[str]
              ) -> tuple[list[str], list[list[str]], list[list[str]], list[str]]:
    table = _read(rel, "ner", split, ["id", "document_id", "tokens", "ner_tags"])
    names = class_names(table, "ner_tags") or fallback
    tags = [[names[t] for t in row] for row in table["ner_tags"].to_pylist()]
    return table["id"].to_pylist(), table["tokens"].to_pylist(), tags, table["document_id"].to_pylist()


def ner_baselines(run: Runner) -> None:
    if not (run.options.wants("ner-dictionary") or run.options.wants("ner-crf")):
        return
    fallback = class_label_names(run.schema)["ner_tags"]
    _, words, tags, docs = ner_split(run.release, "train", fallback)
    if not words:
        raise BaselineSkipped("the ner training split is empty")
    try:
        _, dev_words, dev_tags, _ = ner_split(run.release, "validation", fallback)
    except BaselineSkipped:
        dev_words, dev_tags = [], []
    ids, test_words, _, _ = ner_split(run.release, run.options.split, fallback)

    def dictionary() -> None:
        model, t = timed(lambda: DictionaryTagger(min_share=run.options.option("ner-dictionary", "min_share", 0.5))
                         .fit(words, tags))
        run.score("ner", "ner-dictionary", "phrases seen as entities in training, longest match, majority type",
                  [{"sentence_id": i, "tags": p} for i, p in zip(ids, model.predict(test_words))], t,
                  {"min_share": model.min_share, "phrases": len(model.gazetteer.entries)})

    def crf_model() -> None:
        iterations = run.options.option("ner-crf", "iterations", 100)
        min_freq = run.options.option("ner-crf", "min_freq", 2)
        grid = tuple(run.options.option("ner-crf", "grid", GRID))

        def make(point: tuple[float, ...] | None = None) -> CrfTagger:
            return CrfTagger(max_iterations=iterations, min_freq=min_freq, grid=(point,) if point else grid,
                             language=run.release.language)

        def fold_f1(point: tuple[float, float], tr: list[int], te: list[int]) -> float:
            model = make(point).fit([words[i] for i in tr], [tags[i] for i in tr])
            return micro_f1([tags[i] for i in te], model.predict([words[i] for i in te]))

        def fit() -> CrfTagger:
            point, record = tune(grid, len(dev_words), any(t != "O" for s in dev_tags for t in s), docs,
                                 run.options.seed, fold_f1)
            model = make(point).fit(words, tags) if point else make().fit(words, tags, dev_words, dev_tags)
            model.params["tuning"] = record
            return model

        crf, t = timed(fit)
        params = {**crf.params, "grid_scores": crf.tuning, "gazetteer_phrases": len(crf.gazetteer.entries)}
        run.score("ner", "ner-crf", "CRF: word, shape, casing, affixes of the language, three words of context "
                  "either side with their bigrams, training gazetteer (out of fold)",
                  [{"sentence_id": i, "tags": p} for i, p in zip(ids, crf.predict(test_words))], t, params)
        run.save(NER_MODEL, "ner-crf", crf, params)

    for system, fn in (("ner-dictionary", dictionary), ("ner-crf", crf_model)):
        if run.options.wants(system):
            run.attempt("ner", system, fn)


# ---- claims ------------------------------------------------------------------------------------------------


def claims_split(rel: ReleaseFolder, split: str) -> pa.Table:
    return _read(rel, "claims", split, ["id", "document_id", "sentence_index", "start", "end", "text", "checkworthy"])


def claim_sentences(rows: pa.Table) -> list[Sentence]:
    return [Sentence(t, d, i) for t, d, i in zip(*(rows[c].to_pylist() for c in ("text", "document_id",
                                                                                "sentence_index")))]


def claims_baselines(run: Runner) -> None:
    if not any(run.options.wants(s) for s in ("claims-majority", *CHECKWORTHY, "claims-rules")):
        return
    train = claims_split(run.release, "train")
    test = claims_split(run.release, run.options.split)
    try:
        dev = claims_split(run.release, "validation")
    except BaselineSkipped:
        dev = None
    ids, texts = test["id"].to_pylist(), claim_sentences(test)
    labels = train["checkworthy"].to_pylist()

    def majority() -> None:
        yes = sum(labels) > len(labels) / 2
        run.score("claims", "claims-majority", "the majority check-worthiness class; ties ranked in sentence order",
                  [{"sentence_id": i, "score": 0.0, "checkworthy": "yes" if yes else "no"} for i in ids], Timing(),
                  {"checkworthy": yes})

    def checkworthy(system: str) -> None:
        context, description, model_file = CHECKWORTHY[system]
        grid = points(run.options.option(system, "C", C_GRID), CONTEXTS if context else ((0.0, 0.0),))
        train_texts = claim_sentences(train)
        dev_texts = claim_sentences(dev) if dev else []
        dev_labels = dev["checkworthy"].to_pylist() if dev else []
        out_of_fold: dict[Point, list[tuple[bool, float]]] = {}

        def make(grid: tuple[Point, ...]) -> CheckworthyModel:
            return CheckworthyModel(seed=run.options.seed, grid=grid, calibrated=context,
                                    language=run.release.language)

        def fold_ap(c: Point, tr: list[int], te: list[int]) -> float:
            y = [labels[i] for i in te]
            if all(y) or not any(y) or all(labels[i] for i in tr) or not any(labels[i] for i in tr):
                return 0.0
            model = make((c,)).fit([train_texts[i] for i in tr], [labels[i] for i in tr])
            scores = model.score([train_texts[i] for i in te])
            out_of_fold.setdefault(c, []).extend(zip(y, scores))
            return float(average_precision_score(y, scores))

        def fit() -> CheckworthyModel:
            point, record = tune(grid, len(dev_texts), any(dev_labels) and not all(dev_labels),
                                 train["document_id"].to_pylist(), run.options.seed, fold_ap)
            if point is None:
                model = make(grid).fit(train_texts, labels, dev_texts, dev_labels)
            else:
                model = make((point,)).fit(train_texts, labels)
                if out_of_fold.get(point):  # the threshold too, from the scores of the held-out folds
                    y, sc = zip(*out_of_fold[point])
                    model.threshold = best_threshold(np.asarray(y, dtype=bool), np.asarray(sc))
                    model.params["threshold"] = round(model.threshold, 6)
            model.params["tuning"] = record
            return model

        model, t = timed(fit)
        scores = model.score(texts)
        run.score("claims", system, description,
                  [{"sentence_id": i, "score": round(float(s), 6), "checkworthy": "yes" if s >= model.threshold
                    else "no"} for i, s in zip(ids, scores)], t, model.params)
        run.save(model_file, system, model, model.params)

    def rules() -> None:
        lines, t = timed(lambda: _rule_lines(run.release, run.options.split, test))
        run.score("claims", "claims-rules", "quotes, reporting verbs and hedges (builder.bench.baselines.rules)",
                  lines, t)

    for system, fn in (("claims-majority", majority), *((name, partial(checkworthy, name)) for name in CHECKWORTHY),
                       ("claims-rules", rules)):
        if run.options.wants(system):
            run.attempt("claims", system, fn)


def _rule_lines(rel: ReleaseFolder, split: str, rows: pa.Table) -> list[dict[str, Any]]:
    docs = _read(rel, "documents", split, ["id", "text"])
    text_of = dict(zip(docs["id"].to_pylist(), docs["text"].to_pylist()))
    by_doc: dict[str, list[tuple[str, int, int]]] = {}
    for sid, did, start, end in zip(*(rows[c].to_pylist() for c in ("id", "document_id", "start", "end"))):
        by_doc.setdefault(did, []).append((sid, start, end))
    found = {}
    for did, sentences in by_doc.items():
        if did in text_of:
            found.update(rule_claims(text_of[did], sentences))
    lines = []
    for sid in rows["id"].to_pylist():
        c = found.get(sid)
        lines.append({"sentence_id": sid, "score": round(c.score, 6) if c else 0.0,
                      "checkworthy": "yes" if c and c.checkworthy else "no", "has_claim": bool(c and c.spans),
                      "claims": c.spans if c else []})
    return lines


# ---- documents ---------------------------------------------------------------------------------------------


def documents_split(rel: ReleaseFolder, split: str, name: str) -> tuple[list[str], list[str], list[str | None]]:
    table = _read(rel, "documents", split, ["id", "text", "labels"])
    values = class_names(table, "labels", name)
    if values is None or name not in table.schema.field("labels").type.names:
        raise BaselineSkipped(f"the documents config has no label '{name}'")
    codes = np.asarray(table["labels"].combine_chunks().field(name).to_numpy(zero_copy_only=False))
    return table["id"].to_pylist(), table["text"].to_pylist(), [values[c] if c >= 0 else None for c in codes]


def document_baselines(run: Runner) -> None:
    if not any(run.options.wants(s) for s in ("documents-majority", "documents-tfidf-lr")):
        return
    if not run.schema.doc_labels:
        raise BaselineSkipped("the label schema declares no document label")
    name = run.schema.doc_labels[0].name
    _, texts, labels = documents_split(run.release, "train", name)
    pairs = [(t, v) for t, v in zip(texts, labels) if v is not None]
    try:
        _, dev_texts, dev_labels = documents_split(run.release, "validation", name)
        dev = [(t, v) for t, v in zip(dev_texts, dev_labels) if v is not None]
    except BaselineSkipped:
        dev = []
    ids, test_texts, _ = documents_split(run.release, run.options.split, name)

    def majority() -> None:
        model = MajorityLabel().fit([v for _, v in pairs])
        run.score("documents", "documents-majority", f"the most frequent {name} value in training",
                  [{"document_id": i, "label": model.label} for i in ids], Timing(), {"label": model.label})

    def tfidf() -> None:
        grid = tuple(run.options.option("documents-tfidf-lr", "C", DOCUMENT_GRID))
        xs, ys = [x for x, _ in pairs], [v for _, v in pairs]

        def fold_f1(c: float, tr: list[int], te: list[int]) -> float:
            if len({ys[i] for i in tr}) < 2:
                return 0.0
            model = DocumentClassifier(seed=run.options.seed, grid=(c,)).fit([xs[i] for i in tr], [ys[i] for i in tr])
            return float(f1_score([ys[i] for i in te], [v for v, _ in model.predict([xs[i] for i in te])],
                                  average="macro"))

        def fit() -> DocumentClassifier:
            point, record = tune(grid, len(dev), len({v for _, v in dev}) > 1,
                                 [f"doc{i}" for i in range(len(xs))], run.options.seed, fold_f1)
            model = (DocumentClassifier(seed=run.options.seed, grid=grid).fit(xs, ys, [x for x, _ in dev],
                                                                               [v for _, v in dev])
                     if point is None else DocumentClassifier(seed=run.options.seed, grid=(point,)).fit(xs, ys))
            model.params["tuning"] = record
            return model

        model, t = timed(fit)
        run.score("documents", "documents-tfidf-lr", "TF-IDF word 1-2 and char 2-5-grams + logistic regression",
                  [{"document_id": i, "label": v, "score": round(s, 6)} for i, (v, s) in
                   zip(ids, model.predict(test_texts))], t, model.params)
        run.save("documents-tfidf-lr.joblib", "documents-tfidf-lr", model, model.params)

    for system, fn in (("documents-majority", majority), ("documents-tfidf-lr", tfidf)):
        if run.options.wants(system):
            run.attempt("documents", system, fn)


# ---- the run -----------------------------------------------------------------------------------------------


def score_rows(systems: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One flat row per system and score (the primary first): what a card's table shows."""
    rows = []
    for r in systems:
        names = [r["primary"]["name"], *(n for n in r["scores"] if n != r["primary"]["name"])]
        for name in names:
            node = r["primary"] if name == r["primary"]["name"] else r["scores"][name]
            ci = node.get("ci") or [None, None]
            rows.append({"config": r["config"], "system": r["system"], "score": name, "value": node["value"],
                         "ci95_low": ci[0], "ci95_high": ci[1], "train_cpu_s": r["train_seconds"]["cpu"]})
    return rows


_NOT_CHOSEN = ("tuning", "grid_scores", "gazetteer_phrases", "phrases", "validation_f1", "validation_macro_f1",
               "validation_average_precision")


def how_tuned(params: dict[str, Any]) -> str:
    """One line: the settings a system ended with, and how they were chosen."""
    chosen = ", ".join(f"{k}={v}" for k, v in params.items() if k not in _NOT_CHOSEN)
    tuning = params.get("tuning") or {}
    method = tuning.get("method")
    if method == "validation":
        how = f"chosen on validation ({tuning.get('units')} units)"
    elif method == "cross-validation":
        how = f"chosen by {tuning.get('folds')}-fold cross-validation on train, folds by {tuning.get('by')} " \
              f"({tuning.get('reason')})"
    elif method == "none":
        how = f"not tuned ({tuning.get('reason')})"
    else:
        how = "nothing to tune"
    return f"{chosen}; {how}" if chosen else how


def system_rows(systems: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What each system is and how it was tuned: the card's table beside the scores."""
    return [{"config": r["config"], "system": r["system"], "description": r["description"],
             "tuned": how_tuned(r.get("params") or {})} for r in systems]


def results_markdown(results: dict[str, Any]) -> str:
    level = 95
    lines = [f"# Baselines on {results['dataset']} {results['version']} ({results['split']})", "",
             f"| config | system | primary score | value [{level}% CI] | train wall s | train CPU s |",
             "|---|---|---|---|---|---|"]
    for r in results["systems"]:
        ci, v = r["primary"]["ci"], r["primary"]["value"]
        value = "undefined" if v is None else f"{v:.4f}" + (f" [{ci[0]:.4f}, {ci[1]:.4f}]" if ci and None not in ci else "")
        lines.append(f"| {r['config']} | {r['system']} | {r['primary']['name']} | {value} | "
                     f"{r['train_seconds']['wall']} | {r['train_seconds']['cpu']} |")
    for s in results["skipped"]:
        lines.append(f"| {s['config']} | {s['system']} | skipped: {s['reason']} | | | |")
    lines += ["", "| system | what it is | how it was tuned |", "|---|---|---|"]
    lines += [f"| {a['system']} | {a['description']} | {a['tuned']} |".replace("\n", " ")
              for a in system_rows(results["systems"])]
    return "\n".join(lines) + "\n"


def run_baselines(release: ReleaseFolder | str | Path, out_dir: str | Path, schema: LabelSchema, options: BaselineOptions, *,
                  leaderboard: Path | None = None) -> dict[str, Any]:
    """Train and score every baseline on `release`; write everything under `out_dir`; return the results."""
    rel = release if isinstance(release, ReleaseFolder) else find_release(release)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    run = Runner(rel, out, schema, options, leaderboard)
    run.attempt("ner", "ner-*", lambda: ner_baselines(run))
    run.attempt("claims", "claims-*", lambda: claims_baselines(run))
    run.attempt("documents", "documents-*", lambda: document_baselines(run))
    results = {
        "dataset": rel.name, "version": rel.version, "split": options.split, "seed": options.seed,
        "bootstrap_samples": options.samples, "created_at": now(), "newsbench": __version__,
        "scores": score_rows(run.results), "about": system_rows(run.results), "skipped": run.skipped,
    }
    write_json(out / RESULTS, results)  # compact: the card shows it as tables
    # the machine beside the training times: they drift with the load of a shared machine
    machine = {"cpus": os.cpu_count(), "load_average": round(os.getloadavg()[0], 2), "platform": platform.platform()}
    write_json(out / SYSTEMS, {"dataset": rel.name, "version": rel.version, "machine": machine,
                               "systems": run.results})
    write_json(out / "models.json", {"release": rel.version, "dataset": rel.name, "newsbench": __version__,
                                     "models": run.models})
    results = {**results, "systems": run.results}
    with AtomicWriter(out / "results.md") as fh:
        fh.write_bytes(results_markdown(results).encode("utf-8"))
    return results
