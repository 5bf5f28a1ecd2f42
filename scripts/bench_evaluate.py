"""Benchmark: the per-label span report of `newsbench evaluate` against seqeval's classification_report.

Writes a release with a `ner` test split of N generated sentences (default 100,000, ~15 tokens each) and a
predictions file with realistic errors (missed, spurious, shifted and mislabelled spans, stray I- tags), then
times, from the predictions file on disk:
  seqeval  read the JSONL, gold tags to strings, classification_report (default mode, then strict IOB2)
  newsbench  read and check the JSONL against the gold split, the same per-label report
  newsbench  the whole `evaluate` (seqeval-style, SemEval schemes and token scores), without and with the
             1000-sample bootstrap
Prints wall and CPU seconds (the machine may be shared: CPU time is the steadier figure), checks that both
give the same numbers, and prints the speed-up (each report the fastest of --repeat runs, default 3).
Usage: python scripts/bench_evaluate.py [--sentences N] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from builder.config import config_from_dict
from builder.bench.evaluate import EvalOptions, evaluate
from builder.bench.evaluate.gold import token_gold
from builder.release.layout import ReleaseFolder
from builder.bench.evaluate.ner import token_spans
from builder.bench.evaluate.predictions import read_ner
from builder.bench.evaluate.spans import seqeval_counts, seqeval_scores
from builder.jsonl import paused_gc
from builder.labels import class_label_names, label_schema_of

REPO = Path(__file__).resolve().parent.parent
SCHEMA = label_schema_of(config_from_dict({}, REPO))
TAGS = class_label_names(SCHEMA)["ner_tags"]
TYPES = SCHEMA.entity_names


def generate(n: int, seed: int) -> tuple[list[list[str]], list[list[str]]]:
    """Gold IOB2 sentences and noisy predictions."""
    rng = random.Random(seed)
    gold, pred = [], []
    for _ in range(n):
        length = rng.randint(5, 25)
        g = ["O"] * length
        i = 0
        while i < length:
            if rng.random() < 0.12:
                span = min(rng.choice((1, 1, 2, 2, 3, 4)), length - i)
                t = rng.choice(TYPES)
                g[i:i + span] = [f"B-{t}"] + [f"I-{t}"] * (span - 1)
                i += span + 1
            else:
                i += 1
        p = list(g)
        for k in range(length):
            r = rng.random()
            if r < 0.03:
                p[k] = "O"  # missed or cut spans
            elif r < 0.05:
                p[k] = f"{rng.choice('BI')}-{rng.choice(TYPES)}"  # spurious, mislabelled, stray I-
        gold.append(g)
        pred.append(p)
    return gold, pred


def write_release(root: Path, gold: list[list[str]]) -> Path:
    from datasets import ClassLabel, Features, List, Value

    features = Features({"id": Value("string"), "document_id": Value("string"), "tokens": List(Value("string")),
                         "token_offsets": List(List(Value("int32"), length=2)),
                         "ner_tags": List(ClassLabel(names=TAGS))})
    index = {t: k for k, t in enumerate(TAGS)}
    lengths = np.array([len(s) for s in gold], dtype=np.int32)
    offsets = pa.array(np.concatenate(([0], np.cumsum(lengths))).astype(np.int32))
    total = int(lengths.sum())
    tokens = pa.ListArray.from_arrays(offsets, pa.array(["kata"] * total))
    starts = np.concatenate([np.arange(n, dtype=np.int32) * 5 for n in lengths])
    pairs = np.stack([starts, starts + 4], axis=1).ravel()
    token_offsets = pa.ListArray.from_arrays(offsets, pa.FixedSizeListArray.from_arrays(pa.array(pairs), 2))
    tags = pa.ListArray.from_arrays(offsets, pa.array([index[t] for s in gold for t in s], pa.int64()))
    ids = [f"gen:{k // 10:07d}-s{k % 10}" for k in range(len(gold))]  # ten sentences per document
    table = pa.Table.from_arrays([pa.array(ids), pa.array([i.split("-s")[0] for i in ids]), tokens, token_offsets,
                                  tags], schema=features.arrow_schema)
    folder = root / "1.0.0"
    (folder / "data" / "ner").mkdir(parents=True)
    pq.write_table(table, folder / "data" / "ner" / "test-00000-of-00001.parquet")
    (folder / "manifest.json").write_text(json.dumps({"name": "bench", "version": "1.0.0"}))
    return folder


# The performance issues' second rung: the per-label report against seqeval's, CPU time, same files.
TARGETS = {"default": 20.0, "strict": 15.0}


class Timer:
    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> Timer:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu
        print(f"{self.name:<58} wall {self.wall:7.3f} s   cpu {self.cpu:7.3f} s")


def best(repeat: int, name: str, run: Any) -> tuple[Timer, Any]:
    """The fastest of `repeat` timed runs (by CPU time) and its result; every run is printed."""
    runs = []
    for _ in range(max(1, repeat)):
        with Timer(name) as t:
            result = run()
        runs.append((t, result))
    return min(runs, key=lambda r: r[0].cpu)


def seqeval_report(release: Path, predictions: Path, strict: bool) -> dict:
    """seqeval from the same files; the garbage collector is paused here too, so that the comparison is fair."""
    from seqeval.metrics import classification_report
    from seqeval.scheme import IOB2

    with paused_gc():
        return _seqeval_report(release, predictions, strict, classification_report, IOB2)


def _seqeval_report(release, predictions, strict, classification_report, IOB2) -> dict:
    pred = [orjson.loads(line)["tags"] for line in predictions.open("rb")]
    table = pq.read_table(next((release / "data" / "ner").glob("test-*.parquet")), columns=["ner_tags"])
    gold = [[TAGS[t] for t in s] for s in table["ner_tags"].to_pylist()]
    kw = {"mode": "strict", "scheme": IOB2} if strict else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return classification_report(gold, pred, output_dict=True, zero_division=0, **kw)


def newsbench_report(release: Path, predictions: Path, mode: str) -> dict:
    """The per-label span report as `evaluate` computes it (garbage collector paused, as there)."""
    with paused_gc():
        return _newsbench_report(release, predictions, mode)


def _newsbench_report(release: Path, predictions: Path, mode: str) -> dict:
    gold, _ = token_gold(ReleaseFolder(release), "ner", "test", "ner_tags", TAGS, offsets=False)
    preds = read_ner(predictions, gold, gold.labels)
    g = token_spans(gold, gold.codes, gold.labels, mode)
    p = token_spans(gold, preds.codes, gold.labels, mode).unique()
    scores = seqeval_scores(seqeval_counts(g, p, gold.n_docs, len(gold.labels)).sum(axis=0))
    return {"labels": gold.labels, **scores}


def same(ours: dict, ref: dict) -> float:
    """Largest difference between the two reports (per label and averages)."""
    diff = 0.0
    for k, label in enumerate(ours["labels"]):
        if label in ref:
            for a, b in (("precision", "precision"), ("recall", "recall"), ("f1", "f1-score")):
                diff = max(diff, abs(float(ours[f"per_label.{a}"][k]) - ref[label][b]))
    for avg in ("micro", "macro", "weighted"):
        for a, b in (("precision", "precision"), ("recall", "recall"), ("f1", "f1-score")):
            diff = max(diff, abs(float(ours[f"{avg}.{a}"]) - ref[f"{avg} avg"][b]))
    return diff


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sentences", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each report; the fastest counts")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        gold, pred = generate(args.sentences, args.seed)
        release = write_release(root / "releases", gold)
        predictions = root / "predictions.jsonl"
        ids = pq.read_table(next((release / "data" / "ner").glob("*.parquet")), columns=["id"])["id"].to_pylist()
        predictions.write_bytes(b"".join(orjson.dumps({"sentence_id": i, "tags": p}) + b"\n"
                                         for i, p in zip(ids, pred)))
        n_tags = sum(map(len, gold))
        print(f"{args.sentences:,} sentences, {n_tags:,} tags; predictions {predictions.stat().st_size / 1e6:.1f} MB")
        # Each report is timed --repeat times and the fastest run kept, for both tools alike: the first run of
        # each pays for imports and a cold page cache, which is not what the comparison is about.
        t_seq, ref = best(args.repeat, "seqeval classification_report, default mode",
                          lambda: seqeval_report(release, predictions, strict=False))
        t_seq_strict, ref_strict = best(args.repeat, "seqeval classification_report, strict IOB2 mode",
                                        lambda: seqeval_report(release, predictions, strict=True))
        t_ours, ours = best(args.repeat, "newsbench per-label report, conlleval decoding",
                            lambda: newsbench_report(release, predictions, "conlleval"))
        t_ours_strict, ours_strict = best(args.repeat, "newsbench per-label report, strict IOB2 decoding",
                                          lambda: newsbench_report(release, predictions, "iob2"))
        with Timer("newsbench evaluate (all span and token scores), no CIs"):
            evaluate(release, "ner", predictions, EvalOptions(samples=0), SCHEMA)
        with Timer("newsbench evaluate with 1000 bootstrap samples"):
            report = evaluate(release, "ner", predictions, EvalOptions(samples=1000), SCHEMA)
        print(f"largest difference from seqeval: default {same(ours, ref):.2e}, strict {same(ours_strict, ref_strict):.2e}")
        print(f"micro F1: default {ref['micro avg']['f1-score']:.6f}, strict {ref_strict['micro avg']['f1-score']:.6f}; "
              f"CI {report['metrics']['spans']['micro']['ci']['f1']}")
        print(f"speed-up, default mode: wall {t_seq.wall / t_ours.wall:.1f}x, cpu {t_seq.cpu / t_ours.cpu:.1f}x; "
              f"strict: wall {t_seq_strict.wall / t_ours_strict.wall:.1f}x, cpu {t_seq_strict.cpu / t_ours_strict.cpu:.1f}x")
        for mode, ratio, target in (("default", t_seq.cpu / t_ours.cpu, TARGETS["default"]),
                                    ("strict", t_seq_strict.cpu / t_ours_strict.cpu, TARGETS["strict"])):
            print(f"{'PASS' if ratio >= target else 'FAIL'}: {mode} mode {ratio:.1f}x seqeval in CPU time "
                  f"(target >= {target:g}x)")
        print(f"load average (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
