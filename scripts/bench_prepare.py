"""Benchmark `prepare` stage by stage against datatrove on a generated corpus with planted near-duplicates.

    python scripts/bench_prepare.py [--docs 100000] [--workers 2] [--skip-datatrove] [--out DIR]

Needs the bench extra: `pip install -e '.[bench]'`. Not part of the tests or CI.

What it does
1. Generates the corpus with `scripts/gen_corpus.py` (reused when `DIR/corpus/truth.json` has the same parameters).
2. Runs each newsbench stage (ingest, clean, dedup, split, segment) in a fresh subprocess on the previous stage's
   output, then the whole of `prepare` once more in another fresh subprocess (force, fresh work folder). The
   config is the repository's `newsbench.toml` sections clean/dedup/split/segment with one generated JSONL source.
3. Runs datatrove on the same corpus, each in a fresh subprocess: JsonlReader -> FTFYFormatter -> boilerplate
   line formatter (the generic-id lines) -> min-words LambdaFilter -> language LambdaFilter (py3langid, as
   newsbench) -> JsonlWriter, the work comparable to newsbench ingest + clean; the same with its
   GopherQualityFilter (Indonesian stop words; spaCy words) with `--datatrove-gopher`; reader -> one LambdaFilter
   -> writer as the framework's floor; and its 4-stage MinHash dedup (defaults: 5-grams, 14 buckets x 8 hashes)
   on the output of the first, comparable to newsbench dedup, once with its default Indonesian word tokenizer
   (spaCy) and once with `\\w+` words (`--datatrove-words`). The corpus is cut into one shard per worker
   beforehand (datatrove parallelises over files), untimed. A throughput target compares with the fastest
   datatrove run of the comparable work.
4. Scores both dedups on the planted pairs: recall per true-Jaccard range, recall at or above the configured
   threshold, and precision = share of reported pairs (all pairs inside a reported cluster) whose true Jaccard is
   at or above the threshold (the planted value for planted pairs, else computed on the cleaned texts). It also
   counts the planted mojibake articles still broken after cleaning and the generated boilerplate lines left.

Figures per run: seconds inside the child (imports excluded), articles/s and MB/s of the stage's input, peak RSS
of the process tree (sum over its processes, sampled every 50 ms; an upper bound: a page shared by several
processes counts in each) and CPU seconds. Prints Markdown tables and PASS/FAIL against the targets of issue 2, and writes
everything to `DIR/bench.json`. `--profile STAGE` adds the top cProfile entries of that newsbench stage run with
one worker.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import json
import os
import pstats
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson
import psutil

SCRIPTS = Path(__file__).resolve().parent
REPO = SCRIPTS.parent
sys.path.insert(0, str(SCRIPTS))

import gen_corpus

from builder.corpus.prepare import STAGE_NAMES

# The targets of the performance issues (the second rung): at 100k generated articles on an idle 2-core machine.
TARGETS = {"prepare_seconds": 35.0, "peak_rss_mb": 600.0, "recall": 0.99, "precision": 1.0,
           "ingest_clean_ratio": 3.0, "dedup_ratio": 8.0}
ID_STOP_WORDS = ["yang", "dan", "di", "ke", "dari", "ini", "itu", "dengan", "untuk", "pada", "dalam", "tidak"]
MB = 1024 * 1024


# --------------------------------------------------------------------------------------------------- measuring


@dataclass
class Measure:
    """One child run: wall time seen from outside, time inside, memory and CPU."""

    name: str
    seconds: float = 0.0  # inside the child, around the measured call
    wall: float = 0.0  # from spawn to exit, interpreter start and imports included
    peak_rss_mb: float = 0.0  # process tree, sampled
    max_process_rss_mb: float = 0.0  # largest single process (kernel high-water mark)
    cpu_seconds: float = 0.0
    load: float = 0.0  # 1-minute load average of the machine when the run ended
    docs_in: int = 0
    bytes_in: int = 0
    result: dict[str, Any] = field(default_factory=dict)

    @property
    def docs_per_s(self) -> float:
        return self.docs_in / self.seconds if self.seconds else 0.0

    @property
    def mb_per_s(self) -> float:
        return self.bytes_in / MB / self.seconds if self.seconds else 0.0


def _sample_tree(proc: psutil.Process, cpu: dict[int, float]) -> int:
    """RSS of the process tree now; records each process's CPU seconds so far in `cpu`."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            with p.oneshot():
                total += p.memory_info().rss
                t = p.cpu_times()
            cpu[p.pid] = max(cpu.get(p.pid, 0.0), t.user + t.system)
        except psutil.Error:
            pass
    return total


def run_child(name: str, task: str, out: Path, log_dir: Path) -> Measure:
    """Run `task` in a fresh interpreter; sample its process tree's RSS until it exits."""
    log_dir.mkdir(parents=True, exist_ok=True)
    result_file = log_dir / f"{name}.result.json"
    result_file.unlink(missing_ok=True)
    argv = [sys.executable, str(Path(__file__).resolve()), "--child", task, "--out", str(out),
            "--child-result", str(result_file)]
    with open(log_dir / f"{name}.log", "wb") as log:
        start = time.perf_counter()
        child = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        proc = psutil.Process(child.pid)
        peak = 0
        cpu: dict[int, float] = {}
        stop = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not stop.is_set():
                try:
                    peak = max(peak, _sample_tree(proc, cpu))
                except psutil.Error:
                    pass
                stop.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        stop.set()
        sampler.join()
    if child.returncode != 0 or not result_file.is_file():
        tail = (log_dir / f"{name}.log").read_text(errors="replace")[-3000:]
        raise SystemExit(f"bench: {name} failed (exit {child.returncode}); log {log_dir / f'{name}.log'}:\n{tail}")
    res = json.loads(result_file.read_text())
    return Measure(
        name=name,
        seconds=res.pop("seconds"),
        wall=wall,
        peak_rss_mb=peak / MB,
        max_process_rss_mb=usage.ru_maxrss / 1024,
        # wait4 misses workers that are not the child's own (datatrove's forkserver); the samples see them
        cpu_seconds=max(usage.ru_utime + usage.ru_stime, sum(cpu.values())),
        load=os.getloadavg()[0],
        result=res,
    )


def count_lines(path: Path) -> int:
    n = 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 24), b""):
            n += chunk.count(b"\n")
    return n


def folder_bytes(folder: Path, pattern: str = "*.jsonl") -> int:
    return sum(p.stat().st_size for p in folder.glob(pattern))


# --------------------------------------------------------------------------------------------------- newsbench


def bench_config_raw(out: Path, work: Path, workers: int, overrides: list[str]) -> dict[str, Any]:
    """The repository's processing sections, one generated JSONL source, a work folder under `out`."""
    import tomllib

    from builder.config import apply_override, defaults, parse_value

    project = tomllib.loads((REPO / "newsbench.toml").read_text(encoding="utf-8"))
    raw: dict[str, Any] = {k: v for k, v in project.items() if k in ("clean", "dedup", "split", "segment")}
    raw["project"] = {"work_dir": str(work), "seed": project.get("project", {}).get("seed", 13)}
    raw["sources"] = [{
        "name": "bench",
        "format": "jsonl",
        "path": str(out / "corpus" / "corpus.jsonl"),
        "license": "generated",
        "redistributable": False,
        "columns": {"text": "text", "key": "id", "title": "title", "published": "date", "outlet": "outlet"},
    }]
    raw.setdefault("split", {})["ledger"] = str(work / "split-ledger.jsonl")
    raw["split"]["stratify_by"] = ""  # the generated articles carry no labels
    for section, options in defaults().items():
        if isinstance(options, dict) and "workers" in options:
            raw.setdefault(section, {})["workers"] = workers
    for item in overrides:
        dotted, _, value = item.partition("=")
        apply_override(raw, dotted.strip(), parse_value(value.strip()))
    return raw


def load_bench_config(out: Path, name: str) -> Any:
    from builder.config import config_from_dict

    return config_from_dict(json.loads((out / f"{name}.config.json").read_text()), root=out)


def child_stage(out: Path, stage: str, profile: bool) -> dict[str, Any]:
    from builder.corpus.prepare import STAGE_NAMES, stage_named
    from builder.stage import StageDir, run_stage

    config = load_bench_config(out, "profile" if profile else "stages")
    target = StageDir(config.stage_dir(stage))
    in_path = None
    if stage != STAGE_NAMES[0]:
        # the previous stage's output always comes from the per-stage run
        prev = StageDir(load_bench_config(out, "stages").stage_dir(STAGE_NAMES[STAGE_NAMES.index(stage) - 1]))
        in_path = prev.documents
    profiler = cProfile.Profile() if profile else None
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    stats = run_stage(stage_named(stage)(config), in_path, target)
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - start
    result: dict[str, Any] = {"seconds": seconds, "stats": stats}
    if profiler:
        buf = io.StringIO()
        pstats.Stats(profiler, stream=buf).sort_stats("tottime").print_stats(20)
        result["profile"] = buf.getvalue()
    return result


def child_prepare(out: Path) -> dict[str, Any]:
    from builder.corpus.prepare import run_prepare

    config = load_bench_config(out, "prepare")
    start = time.perf_counter()
    res = run_prepare(config, force=True)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "stages": {s.name: round(s.seconds, 2) for s in res.stages}, "table": res.table()}


# --------------------------------------------------------------------------------------------------- datatrove


def _boilerplate_formatter() -> Any:
    from datatrove.pipeline.formatters.base import BaseFormatter

    lines = re.compile(
        r"^\s*(baca\s+(juga|pula)\b.*|advertisement|scroll\s+to\s+continue.*|sumber\s*:.*|(editor|penulis)\s*:.*"
        r"|(gabung|ikuti)\b.*\b(channel|saluran)\s+whatsapp\b.*)$",
        re.IGNORECASE | re.MULTILINE,
    )

    class BoilerplateLines(BaseFormatter):
        """Drops the boilerplate lines newsbench's generic-id rules drop (one multiline regex)."""

        name = "boilerplate lines"

        def format(self, text: str) -> str:
            return "\n".join(line for line in lines.sub("", text).split("\n") if line.strip())

    return BoilerplateLines()


def _is_indonesian(doc: Any) -> bool:
    import py3langid

    return py3langid.classify(doc.text[:2000])[0] in ("id", "ms")


def _has_min_words(doc: Any) -> bool:
    return len(doc.text.split()) >= 30


def _executor(pipeline: list[Any], tasks: int, workers: int, logs: Path) -> Any:
    from datatrove.executor import LocalPipelineExecutor

    shutil.rmtree(logs, ignore_errors=True)
    return LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=workers, logging_dir=str(logs))


# The datatrove pipelines: name -> (output folder, what it stands for).
DT_FILTERS = {
    "filters": "reader → ftfy → boilerplate lines → min words → langid → writer",
    "gopher": "reader → ftfy → boilerplate lines → Gopher quality (spaCy words) → langid → writer",
    "floor": "reader → 1 LambdaFilter → writer",
}


def child_datatrove_filters(out: Path, workers: int, variant: str) -> dict[str, Any]:
    from datatrove.pipeline.filters import GopherQualityFilter, LambdaFilter
    from datatrove.pipeline.formatters import FTFYFormatter
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    dt = out / "datatrove"
    target = dt / variant
    shutil.rmtree(target, ignore_errors=True)
    reader = JsonlReader(str(dt / "input"), glob_pattern="*.jsonl", text_key="text", id_key="id")
    writer = JsonlWriter(str(target), output_filename="${rank}.jsonl", compression=None)
    if variant == "floor":
        steps = [reader, LambdaFilter(_has_min_words), writer]
    elif variant == "gopher":
        steps = [
            reader,
            FTFYFormatter(),
            _boilerplate_formatter(),
            # Gopher's "80% of words have a letter" check counts spaCy's punctuation tokens as words and drops
            # ~12% of these articles, so it is off; the other Gopher checks run with Indonesian stop words.
            GopherQualityFilter(min_doc_words=30, stop_words=ID_STOP_WORDS, max_non_alpha_words_ratio=None,
                                language="ind"),
            LambdaFilter(_is_indonesian),
            writer,
        ]
    else:
        steps = [reader, FTFYFormatter(), _boilerplate_formatter(), LambdaFilter(_has_min_words),
                 LambdaFilter(_is_indonesian), writer]
    start = time.perf_counter()
    _executor(steps, workers, workers, dt / f"logs-{variant}").run()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "docs_out": sum(count_lines(p) for p in target.glob("*.jsonl"))}


def regex_word_tokenizer() -> Any:
    """A datatrove word tokenizer of `\\w+` runs: the words newsbench and the ground truth shingle."""
    from datatrove.utils.word_tokenizers import WordTokenizer

    class RegexWords(WordTokenizer):
        def word_tokenize(self, text: str) -> list[str]:
            return re.findall(r"\w+", text)

        def sent_tokenize(self, text: str) -> list[str]:
            return [text]

        def span_tokenize(self, text: str) -> list[tuple[int, int]]:
            return [(0, len(text))]

    return RegexWords("ind")


def _xxhash64_text(data: str | bytes) -> int:
    import xxhash

    return xxhash.xxh64_intdigest(data.encode("utf-8") if isinstance(data, str) else data)


def child_datatrove_minhash(out: Path, workers: int, tokenizer: str) -> dict[str, Any]:
    import datatrove.utils.hashes.xxhash as dt_xxhash
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    # datatrove 0.10 passes str to xxhash, which xxhash >= 4 refuses (datatrove pins xxhash < 4, newsbench needs 4);
    # the same 64-bit xxhash of the UTF-8 bytes, so its default hash function is kept.
    dt_xxhash.xxhash64 = _xxhash64_text
    dt = out / "datatrove"
    mh = dt / f"minhash-{tokenizer}"
    shutil.rmtree(mh, ignore_errors=True)
    config = MinhashConfig()
    source = dt / "filters"
    language = "ind" if tokenizer == "spacy" else regex_word_tokenizer()
    tasks = len(list(source.glob("*.jsonl")))

    def reader() -> Any:
        return JsonlReader(str(source), glob_pattern="*.jsonl", text_key="text", id_key="id")

    steps = [
        ("signatures", [reader(), MinhashDedupSignature(str(mh / "signatures"), config=config, language=language)],
         tasks),
        ("buckets", [MinhashDedupBuckets(str(mh / "signatures"), str(mh / "buckets"), config=config)],
         config.num_buckets),
        ("cluster", [MinhashDedupCluster(str(mh / "buckets"), str(mh / "remove"), config=config,
                                         save_cluster_id=True)], 1),
        ("filter", [reader(),
                    MinhashDedupFilter(str(mh / "remove"), load_cluster_ids=True,
                                       exclusion_writer=JsonlWriter(str(mh / "removed"), compression=None,
                                                                    output_filename="${rank}.jsonl")),
                    JsonlWriter(str(mh / "kept"), compression=None, output_filename="${rank}.jsonl")], tasks),
    ]
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    for name, pipeline, n_tasks in steps:
        t0 = time.perf_counter()
        _executor(pipeline, n_tasks, min(workers, n_tasks), mh / f"logs-{name}").run()
        seconds[name] = round(time.perf_counter() - t0, 2)
    return {"seconds": time.perf_counter() - start, "steps": seconds}


def shard_corpus(corpus: Path, folder: Path, shards: int) -> None:
    """Cut the corpus into `shards` contiguous JSONL files (datatrove runs one task per file)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    total = count_lines(corpus)
    per = -(-total // shards)
    with open(corpus, "rb") as fh:
        for s in range(shards):
            with open(folder / f"{s:05d}.jsonl", "wb") as outf:
                outf.writelines(itertools.islice(fh, per))


# --------------------------------------------------------------------------------------------------- scoring


def _union_pairs(groups: dict[str, list[str]]) -> set[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    for members in groups.values():
        members = sorted(set(members))
        pairs.update(itertools.combinations(members, 2))
    return pairs


def newsbench_clusters(stage: Path) -> dict[str, list[str]]:
    """Generated ids grouped by dedup cluster, from the dedup output and its rejects (exact duplicates dropped)."""
    from builder.jsonl import read_jsonl

    groups: dict[str, list[str]] = {}

    def add(doc: dict[str, Any]) -> None:
        dup = doc.get("duplicates") or {}
        if dup.get("cluster_id") and int(dup.get("size") or 1) > 1:
            groups.setdefault(dup["cluster_id"], []).append(doc["source"]["key"])

    for doc in read_jsonl(stage / "documents.jsonl"):
        add(doc)
    if (stage / "rejects.jsonl").is_file():
        for entry in read_jsonl(stage / "rejects.jsonl"):
            if entry.get("kind") == "document" and isinstance(entry.get("record"), dict):
                add(entry["record"])
    return groups


def datatrove_clusters(folder: Path) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for path in sorted(folder.glob("*/*.jsonl")):
        with open(path, "rb") as fh:
            for line in fh:
                doc = orjson.loads(line)
                cid = doc.get("metadata", {}).get("minhash_cluster_id", -1)
                if cid != -1:
                    groups.setdefault(str(cid), []).append(doc["id"])
    return groups


def _texts(paths: list[Path], ids: set[str], key: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for path in paths:
        with open(path, "rb") as fh:
            for line in fh:
                doc = orjson.loads(line)
                ident = doc["source"]["key"] if key == "source" else doc["id"]
                if ident in ids:
                    out[ident] = doc["text"]
    return out


def score(groups: dict[str, list[str]], truth: dict[str, Any], threshold: float, text_files: list[Path],
          key: str) -> dict[str, Any]:
    """Recall of the planted pairs per Jaccard range and precision of the reported pairs."""
    planted = {(p["a"], p["b"]) if p["a"] < p["b"] else (p["b"], p["a"]): p["jaccard"] for p in truth["pairs"]}
    found = _union_pairs(groups)
    by_band: dict[str, list[int]] = {}
    for pair, j in planted.items():
        hit = by_band.setdefault(gen_corpus.band(j), [0, 0])
        hit[0] += pair in found
        hit[1] += 1
    above = [pair in found for pair, j in planted.items() if j >= threshold]
    unplanted = [pair for pair in found if pair not in planted]
    texts = _texts(text_files, {d for pair in unplanted for d in pair}, key) if unplanted else {}
    ngram = truth["params"]["ngram"]
    sims = {pair: gen_corpus.jaccard(texts.get(pair[0], ""), texts.get(pair[1], ""), ngram) for pair in unplanted}
    good = sum(planted[p] >= threshold for p in found if p in planted) + sum(s >= threshold for s in sims.values())
    return {
        "recall_by_jaccard": {b: {"found": h[0], "planted": h[1], "recall": h[0] / h[1]}
                              for b, h in sorted(by_band.items())},
        "recall_at_threshold": sum(above) / len(above) if above else 1.0,
        "pairs_reported": len(found),
        "pairs_planted_below_threshold_reported": sum(1 for p in found if p in planted and planted[p] < threshold),
        "pairs_unplanted_reported": len(unplanted),
        "precision": good / len(found) if found else 1.0,
        "largest_cluster": max((len(set(m)) for m in groups.values()), default=0),
    }


_MOJIBAKE = re.compile("[âÃ][\u0080-\u00bf\u0152-\u0192\u02c6-\u203a\u20ac\u2122]")


def clean_quality(files: list[Path], broken: set[str], key: str) -> dict[str, Any]:
    """What cleaning left: planted mojibake still broken, and decoration lines the generator added."""
    seen = left = docs = 0
    leftovers = dict.fromkeys(gen_corpus.LEFTOVERS, 0)
    for path in files:
        with open(path, "rb") as fh:
            for line in fh:
                doc = orjson.loads(line)
                docs += 1
                ident = doc["source"]["key"] if key == "source" else doc["id"]
                text = doc["text"]
                if ident in broken:
                    seen += 1
                    left += bool(_MOJIBAKE.search(text))
                for i, row in enumerate(text.split("\n")):
                    for kind, pattern in gen_corpus.LEFTOVERS.items():
                        if (i == 0 or kind != "dateline") and pattern.match(row):
                            leftovers[kind] += 1
    return {"docs": docs, "mojibake": {"planted": len(broken), "in_output": seen, "still_broken": left},
            "leftover_lines": leftovers}


# --------------------------------------------------------------------------------------------------- report


def _row(label: str, m: Measure, note: str = "") -> str:
    return (f"| {label} | {m.docs_per_s:,.0f} | {m.mb_per_s:.1f} | {m.seconds:.1f} | {m.peak_rss_mb:,.0f} | "
            f"{m.cpu_seconds:.0f} | {note} |")


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def report(res: dict[str, Any], runs: dict[str, Measure], workers: int) -> str:
    docs, mb = res["corpus"]["docs"], res["corpus"]["bytes"] / MB
    out = [f"### newsbench vs datatrove: {docs:,} generated articles ({mb:.0f} MB JSONL), {workers} workers", "",
           "| run | articles/s | MB/s | seconds | peak RSS MB | CPU s | note |",
           "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    rows = [(f"newsbench {stage}", stage, "") for stage in STAGE_NAMES]
    rows += [("newsbench ingest + clean", "ingest+clean", "sum of the two runs"),
             ("**newsbench prepare (all stages)**", "prepare", "one process tree, fresh work folder")]
    notes = {"filters": "comparable to ingest + clean", "gopher": "ingest + clean plus Gopher's statistics",
             "floor": "framework floor"}
    rows += [(f"datatrove {label}", f"dt-{key}", notes[key]) for key, label in DT_FILTERS.items()]
    for label, key, note in rows:
        if key in runs:
            out.append(_row(label, runs[key], note))
    for tok in ("spacy", "regex"):
        if f"dt-minhash-{tok}" in runs:
            m = runs[f"dt-minhash-{tok}"]
            steps = ", ".join(f"{k} {v:.0f}s" for k, v in m.result["steps"].items())
            words = "spaCy words, its default for Indonesian" if tok == "spacy" else "\\w+ words as newsbench"
            out.append(_row(f"datatrove MinHash, 4 stages ({words})", m, steps))
    out += ["", "| near-duplicates | " + " | ".join(res["bands"]) + " | recall ≥ threshold | precision | pairs reported |",
            "| --- |" + " ---: |" * (len(res["bands"]) + 3)]
    planted = res["truth_counts"]["pairs_by_jaccard"]
    out.append("| planted pairs | " + " | ".join(str(planted.get(b, 0)) for b in res["bands"]) + " | | | |")
    for name, sc in res["scores"].items():
        cells = [_pct(sc["recall_by_jaccard"][b]["recall"]) if b in sc["recall_by_jaccard"] else "–"
                 for b in res["bands"]]
        out.append(f"| {name} | " + " | ".join(cells) +
                   f" | {_pct(sc['recall_at_threshold'])} | {_pct(sc['precision'])} | {sc['pairs_reported']} |")
    out += ["", (f"Recall counts planted pairs whose true word-5-gram Jaccard is ≥ {res['threshold']}; precision is "
                 "the share of reported pairs whose true Jaccard is ≥ the threshold."), ""]
    for name, q in res.get("cleaning", {}).items():
        left = ", ".join(f"{k} {v}" for k, v in q["leftover_lines"].items() if v) or "none"
        out.append(f"After {name} cleaning: {q['docs']:,} articles kept; planted mojibake still broken "
                   f"{q['mojibake']['still_broken']} of {q['mojibake']['in_output']}; boilerplate lines left: {left}.")
    if res.get("cleaning"):
        out.append("")
    loads = [m.load for m in runs.values() if m.load]
    if loads:
        out += [(f"Machine: {res['cpus']} CPUs; 1-minute load average at the end of the runs {min(loads):.1f}-"
                 f"{max(loads):.1f} (above {res['cpus']} means other work shared the cores and slowed these runs)."),
                ""]
    out += ["| target | measured | result |", "| --- | --- | --- |"]
    for t in res["targets"]:
        out.append(f"| {t['target']} | {t['measured']} | {'PASS' if t['ok'] else 'FAIL'} |")
    return "\n".join(out)


def targets(runs: dict[str, Measure], scores: dict[str, Any]) -> list[dict[str, Any]]:
    """PASS/FAIL rows for the targets (TARGETS) that this run measured."""
    rows = []
    if "prepare" in runs:
        prep = runs["prepare"]
        rows.append({"target": f"prepare within {TARGETS['prepare_seconds']:.0f} s",
                     "measured": f"{prep.seconds:.1f} s", "ok": prep.seconds <= TARGETS["prepare_seconds"]})
    nb_runs = [runs[k] for k in (*STAGE_NAMES, "prepare") if k in runs]
    if nb_runs:
        peak = max(m.peak_rss_mb for m in nb_runs)
        rows.append({"target": f"peak RSS ≤ {TARGETS['peak_rss_mb']:.0f} MB", "measured": f"{peak:,.0f} MB",
                     "ok": peak <= TARGETS["peak_rss_mb"]})
    # against the fastest datatrove run of comparable work
    for ours, theirs, label, ratio in (
            ("ingest+clean", ["dt-filters"], "ingest + clean", TARGETS["ingest_clean_ratio"]),
            ("dedup", ["dt-minhash-spacy", "dt-minhash-regex"], "dedup", TARGETS["dedup_ratio"])):
        mine = [runs[k] for k in theirs if k in runs]
        if ours in runs and mine:
            best = max(mine, key=lambda m: m.docs_per_s)
            a, b = runs[ours].docs_per_s, best.docs_per_s
            rows.append({"target": f"{label} ≥ {ratio:g}x datatrove articles/s ({best.name})",
                         "measured": f"{a:,.0f} vs {b:,.0f} ({a / b:.2f}x)", "ok": a >= ratio * b})
    if "newsbench" in scores:
        sc = scores["newsbench"]
        rows.append({"target": f"recall ≥ {_pct(TARGETS['recall'])} at or above threshold",
                     "measured": _pct(sc["recall_at_threshold"]),
                     "ok": sc["recall_at_threshold"] >= TARGETS["recall"]})
        rows.append({"target": f"precision ≥ {_pct(TARGETS['precision'])}", "measured": _pct(sc["precision"]),
                     "ok": sc["precision"] >= TARGETS["precision"]})
    return rows


# --------------------------------------------------------------------------------------------------- main


def ensure_corpus(out: Path, docs: int, seed: int, workers: int) -> dict[str, Any]:
    folder = out / "corpus"
    params = gen_corpus.Params(docs=docs, seed=seed)
    truth_file = folder / "truth.json"
    if truth_file.is_file() and (folder / "corpus.jsonl").is_file():
        truth = orjson.loads(truth_file.read_bytes())
        if truth["params"] == asdict(params) and truth.get("generator_sha256") == gen_corpus.generator_digest():
            print(f"corpus: reusing {folder}", flush=True)
            return truth
    print(f"corpus: generating {docs:,} articles ...", flush=True)
    summary = gen_corpus.generate(params, folder, workers=workers)
    print(f"corpus: {summary['bytes'] / MB:.0f} MB in {summary['seconds']:.1f} s", flush=True)
    return orjson.loads(truth_file.read_bytes())


def run_child_task(task: str, out: Path, workers: int) -> dict[str, Any]:
    kind, _, arg = task.partition(":")
    if kind == "stage":
        return child_stage(out, arg, profile=False)
    if kind == "profile":
        return child_stage(out, arg, profile=True)
    if kind == "prepare":
        return child_prepare(out)
    if kind == "datatrove":
        return child_datatrove_filters(out, workers, arg)
    if kind == "datatrove-minhash":
        return child_datatrove_minhash(out, workers, arg)
    raise SystemExit(f"bench: unknown child task {task!r}")


def available_stages() -> list[str]:
    """The stages of the registry, in order."""
    from builder.corpus.prepare import STAGE_NAMES

    return list(STAGE_NAMES)


def _stage_docs(stats: dict[str, Any], fallback: int) -> int:
    n = stats.get("documents_in")
    return int(n) if isinstance(n, int) else fallback


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=100_000, help="articles to generate (default 100000)")
    ap.add_argument("--workers", type=int, default=2, help="processes for newsbench stages and datatrove")
    ap.add_argument("--skip-datatrove", action="store_true", help="run newsbench only")
    ap.add_argument("--datatrove-gopher", action="store_true",
                    help="also run datatrove's Gopher quality filter (spaCy words; slow)")
    ap.add_argument("--datatrove-words", choices=["spacy", "regex", "both"], default="both",
                    help="word tokenizer of datatrove's MinHash: spaCy (its default for Indonesian), \\w+ runs, or both")
    ap.add_argument("--out", type=Path, default=Path("/tmp/newsbench-bench"), help="work folder (default %(default)s)")
    ap.add_argument("--seed", type=int, default=13, help="generator seed")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a newsbench option, e.g. --set dedup.threshold=0.7 (repeatable)")
    ap.add_argument("--profile", action="append", default=[], metavar="STAGE",
                    help="also run STAGE with one worker under cProfile and print its top entries")
    ap.add_argument("--keep", action="store_true", help="keep stage outputs (default: delete them at the end)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--child-result", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    out: Path = args.out.resolve()

    if args.child:
        result = run_child_task(args.child, out, args.workers)
        args.child_result.write_text(json.dumps(result, default=str))
        return 0

    from builder.corpus.prepare import STAGE_NAMES

    if args.docs < 10:
        ap.error("--docs must be at least 10")
    out.mkdir(parents=True, exist_ok=True)
    truth = ensure_corpus(out, args.docs, args.seed, args.workers)
    corpus = out / "corpus" / "corpus.jsonl"
    logs = out / "logs"
    work, work_prepare = out / "work-stages", out / "work-prepare"
    for name, folder, w in (("stages", work, args.workers), ("prepare", work_prepare, args.workers),
                            ("profile", out / "work-profile", 1)):
        raw = bench_config_raw(out, folder, w, args.set)
        (out / f"{name}.config.json").write_text(json.dumps(raw, indent=1))
    threshold = float(load_bench_config(out, "stages").dedup.threshold)

    stages = available_stages()
    if len(stages) < len(STAGE_NAMES):
        print(f"newsbench: stages not in builder/ yet: {', '.join(STAGE_NAMES[len(stages):])}; "
              "measuring the others only", flush=True)
    runs: dict[str, Measure] = {}
    shutil.rmtree(work, ignore_errors=True)
    for i, stage in enumerate(stages):
        src = corpus if i == 0 else work / stages[i - 1] / "documents.jsonl"
        print(f"newsbench {stage} ...", flush=True)
        m = run_child(stage, f"stage:{stage}", out, logs)
        m.bytes_in = src.stat().st_size
        m.docs_in = _stage_docs(m.result.get("stats", {}), count_lines(src))
        runs[stage] = m
        print(f"  {m.seconds:.1f} s, {m.docs_per_s:,.0f} articles/s, peak {m.peak_rss_mb:,.0f} MB", flush=True)
    if "clean" in runs:
        runs["ingest+clean"] = Measure(
            "ingest+clean", seconds=runs["ingest"].seconds + runs["clean"].seconds,
            peak_rss_mb=max(runs["ingest"].peak_rss_mb, runs["clean"].peak_rss_mb),
            cpu_seconds=runs["ingest"].cpu_seconds + runs["clean"].cpu_seconds,
            docs_in=runs["ingest"].docs_in, bytes_in=runs["ingest"].bytes_in)

    if len(stages) == len(STAGE_NAMES):
        print("newsbench prepare (all stages, fresh work folder) ...", flush=True)
        shutil.rmtree(work_prepare, ignore_errors=True)
        m = run_child("prepare", "prepare", out, logs)
        m.docs_in, m.bytes_in = runs["ingest"].docs_in, runs["ingest"].bytes_in
        runs["prepare"] = m
        print(f"  {m.seconds:.1f} s, peak {m.peak_rss_mb:,.0f} MB\n{m.result['table']}", flush=True)
        shutil.rmtree(work_prepare, ignore_errors=True)

    profiles = {}
    for stage in args.profile:
        print(f"profiling newsbench {stage} (1 worker) ...", flush=True)
        shutil.rmtree(out / "work-profile", ignore_errors=True)
        profiles[stage] = run_child(f"profile-{stage}", f"profile:{stage}", out, logs).result["profile"]
        shutil.rmtree(out / "work-profile", ignore_errors=True)

    broken = set(truth["mojibake"])
    scores: dict[str, Any] = {}
    cleaning: dict[str, Any] = {}
    if "dedup" in runs:
        scores["newsbench"] = score(newsbench_clusters(work / "dedup"), truth, threshold,
                                    [work / "dedup" / "documents.jsonl"], "source")
    if "clean" in runs:
        cleaning["newsbench"] = clean_quality([work / "clean" / "documents.jsonl"], broken, "source")

    if not args.skip_datatrove:
        dt = out / "datatrove"
        shard_corpus(corpus, dt / "input", args.workers)
        variants = ["filters", *(["gopher"] if args.datatrove_gopher else []), "floor"]
        for variant in variants:
            name = f"dt-{variant}"
            print(f"datatrove {DT_FILTERS[variant]} ...", flush=True)
            m = run_child(name, f"datatrove:{variant}", out, logs)
            m.docs_in, m.bytes_in = count_lines(corpus), corpus.stat().st_size
            runs[name] = m
            print(f"  {m.seconds:.1f} s, {m.docs_per_s:,.0f} articles/s, peak {m.peak_rss_mb:,.0f} MB", flush=True)
        filtered = sorted((dt / "filters").glob("*.jsonl"))
        cleaning["datatrove"] = clean_quality(filtered, broken, "id")
        for tok in (["spacy", "regex"] if args.datatrove_words == "both" else [args.datatrove_words]):
            name = f"dt-minhash-{tok}"
            print(f"datatrove MinHash ({tok} words) ...", flush=True)
            m = run_child(name, f"datatrove-minhash:{tok}", out, logs)
            m.docs_in = runs["dt-filters"].result["docs_out"]
            m.bytes_in = sum(p.stat().st_size for p in filtered)
            runs[name] = m
            print(f"  {m.seconds:.1f} s ({m.result['steps']}), peak {m.peak_rss_mb:,.0f} MB", flush=True)
            scores[f"datatrove MinHash ({tok} words)"] = score(
                datatrove_clusters(dt / f"minhash-{tok}"), truth, threshold, filtered, "id")

    bands = sorted({b for sc in scores.values() for b in sc["recall_by_jaccard"]})
    res: dict[str, Any] = {
        "corpus": {"docs": args.docs, "bytes": corpus.stat().st_size, "seed": args.seed},
        "truth_counts": truth["counts"],
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "threshold": threshold,
        "overrides": args.set,
        "bands": bands,
        "runs": {k: {**asdict(v), "docs_per_s": v.docs_per_s, "mb_per_s": v.mb_per_s} for k, v in runs.items()},
        "scores": scores,
        "cleaning": cleaning,
        "profiles": profiles,
    }
    res["targets"] = targets(runs, scores)
    table = report(res, runs, args.workers)
    res["markdown"] = table
    (out / "bench.json").write_text(json.dumps(res, indent=1, default=str))
    print("\n" + table)
    for stage, text in profiles.items():
        print(f"\ncProfile of newsbench {stage} (1 worker), top entries by own time:\n{text}")
    print(f"\nfigures: {out / 'bench.json'}")
    if not args.keep:
        for folder in (work, out / "datatrove"):
            shutil.rmtree(folder, ignore_errors=True)
    return 0 if all(t["ok"] for t in res["targets"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
