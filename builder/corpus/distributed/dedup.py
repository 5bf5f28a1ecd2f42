"""dedup on the engine: signatures per partition, LSH buckets per band across all partitions, exact Jaccard of the
candidate pairs, then every partition written with its `duplicates` record.

1. a task per partition: `sign_batch` (the stage's own hashing) -> band hashes saved beside the output, the
   few facts per document (id, length, exact hash) sent to the driver, which takes them in input order through
   `CorpusFacts.add`, as a single pass does (duplicate ids, exact copies, which documents LSH must see);
2. a task per LSH band: that band's hashes of every partition -> `lsh_pairs` -> candidate pairs across partitions;
3. a task per group of candidate pairs: their texts read by byte offset -> `shingle_sets` -> `check_pair`;
4. clusters built once on the driver (`build_clusters`, a few numbers per clustered document);
5. a task per partition: `DedupTally.write` with the clusters of its documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from builder.corpus.dedup import (
    CLUSTERS,
    CorpusFacts,
    Dedup,
    DedupOptions,
    DedupResult,
    DedupTally,
    Member,
    Signatures,
    build_clusters,
    check_pair,
    init_hashing,
    raise_parse_error,
    sign_batch,
    text_batches,
)
from builder.corpus.distributed.engine import DaskEngine
from builder.corpus.distributed.partitions import Partition, PartsDir, stage_partitions
from builder.jsonl import AtomicWriter
from builder.corpus.minhash import lsh_pairs, shingle_sets
from builder.stage import Progress, RejectSink, StageDir

PAIRS_PER_TASK = 4000  # candidate pairs verified per task: their shingle sets stay in memory together


@dataclass
class Signed:
    """What a signature task returns: a few facts per document (the band hashes stay on disk)."""

    parsed: Signatures
    offsets: np.ndarray  # byte offset in the file of each record
    lines: int  # physical lines of the partition


def sign_partition(opts: DedupOptions, parts: PartsDir, part: Partition) -> Signed:
    init_hashing(*opts.worker_args)
    offsets: list[int] = []

    def lines() -> Any:
        for lineno, offset, line in part.lines():
            offsets.append(offset)
            yield lineno, line

    batches = [sign_batch(batch) for batch in text_batches(lines(), opts.batch_size)]
    for parsed in batches:
        if parsed.error is not None:
            lineno, message = parsed.error
            parsed.error = (part.line_in_file(lineno), message)
            return Signed(parsed, np.zeros(0, np.int64), 0)
    bands = np.concatenate([p.bands for p in batches]) if batches else np.zeros((0, opts.lsh.bands), np.uint64)
    np.save(parts.file("bands", part.index, ".npy"), np.ascontiguousarray(bands.T))  # one row per band
    light = Signatures(
        ids=[i for p in batches for i in p.ids],
        text_len=np.concatenate([p.text_len for p in batches]) if batches else np.zeros(0, np.int64),
        exact=[e for p in batches for e in p.exact],
        problems=[q for p in batches for q in p.problems],
        bands=np.zeros((0, 0), np.uint64),
    )
    return Signed(light, np.asarray(offsets, dtype=np.int64), part.line_count())


def band_candidates(parts: PartsDir, partitions: list[tuple[int, int]], band: int) -> np.ndarray:
    """Candidate pairs of one LSH band over every partition: (index, base) of each partition with eligible rows."""
    values, index = [], []
    for p, base in partitions:
        eligible = np.load(parts.file("eligible", p, ".npy"))
        row = np.load(parts.file("bands", p, ".npy"), mmap_mode="r")[band]
        values.append(np.asarray(row[eligible]))
        index.append(eligible + base)
    if not values:
        return np.zeros((0, 2), np.int64)
    return lsh_pairs(np.concatenate(values)[:, None], np.concatenate(index))


def verify_pairs(opts: DedupOptions, in_path: Path, task: tuple[np.ndarray, np.ndarray, np.ndarray]
                 ) -> dict[tuple[int, int], float]:
    """Exact Jaccard of a group of candidate pairs; `task` is (pairs, document indices, their byte offsets)."""
    pairs, indices, offsets = task
    texts = []
    with open(in_path, "rb") as fh:
        for offset in offsets.tolist():
            fh.seek(offset)
            texts.append(orjson.loads(fh.readline())["text"])
    sets: dict[int, np.ndarray] = {}
    for batch in text_batches(zip(indices.tolist(), texts), opts.batch_size):
        sets.update(zip((i for i, _ in batch), shingle_sets([t for _, t in batch], opts.ngram)))
    near: dict[tuple[int, int], float] = {}
    for i, j in pairs.tolist():
        check_pair(i, j, sets[i], sets[j], opts.threshold, near)
    return near


def write_partition(opts: DedupOptions, in_path: Path, parts: PartsDir,
                    task: tuple[Partition, int, int, dict[int, tuple[str, str]], dict[int, Member]]) -> DedupTally:
    part, base, first_line, problems, members = task
    tally = DedupTally(opts.drop)

    def fill(writer: AtomicWriter, rejects: RejectSink) -> None:
        for k, (lineno, _, line) in enumerate(part.lines()):
            tally.write(base + k, orjson.loads(line), f"{in_path}:{first_line + lineno - 1}", problems, members,
                        writer, rejects)

    parts.write("dedup", part.index, fill)
    return tally


def run_dedup(engine: DaskEngine, stage: Dedup, in_path: Path, out: StageDir,
              progress: Progress | None) -> DedupResult:
    """The dedup stage as tasks; the same documents, clusters, rejects and stats."""
    opts = DedupOptions.from_config(stage.config)
    partitions, parts = stage_partitions(in_path, "clean", out, engine.partition_bytes)

    # 1. signatures, and the facts taken in input order
    signed = engine.map(partial(sign_partition, opts, parts), partitions, desc="dedup: hashing", progress=progress)
    corpus = CorpusFacts()
    bases, first_lines, with_eligible = [], [], []
    line = 1
    for part, result in zip(partitions, signed):
        raise_parse_error(result.parsed, in_path)
        bases.append(len(corpus.ids))
        first_lines.append(line)
        line += result.lines
        eligible = np.asarray(corpus.add(result.parsed), dtype=np.int64)
        np.save(parts.file("eligible", part.index, ".npy"), eligible)
        if len(eligible):
            with_eligible.append((part.index, bases[-1]))
    offsets = np.concatenate([r.offsets for r in signed]) if signed else np.zeros(0, np.int64)
    del signed

    # 2. LSH buckets across partitions, one band per task
    found = engine.map(partial(band_candidates, parts, with_eligible), range(opts.lsh.bands),
                       desc="dedup: buckets", progress=progress)
    found = [f for f in found if len(f)]
    candidates = np.unique(np.concatenate(found), axis=0).astype(np.int64) if found else np.zeros((0, 2), np.int64)

    # 3. exact Jaccard of the candidates
    groups = []
    for start in range(0, len(candidates), PAIRS_PER_TASK):
        pairs = candidates[start:start + PAIRS_PER_TASK]
        indices = np.unique(pairs)
        groups.append((pairs, indices, offsets[indices]))
    near: dict[tuple[int, int], float] = {}
    for result in engine.map(partial(verify_pairs, opts, in_path), groups, desc="dedup: verifying",
                             progress=progress):
        near.update(result)

    # 4. clusters, 5. the documents
    text_len = np.concatenate(corpus.text_len) if corpus.text_len else np.zeros(0, np.int64)
    members, report = build_clusters(corpus.ids, text_len, corpus.exact_head, near)
    ends = [*bases[1:], len(corpus.ids)]
    tasks = [
        (part, base, first, {i: corpus.problems[i] for i in range(base, end) if i in corpus.problems},
         {i: members[i] for i in range(base, end) if i in members})
        for part, base, end, first in zip(partitions, bases, ends, first_lines)
    ]
    tallies = engine.map(partial(write_partition, opts, in_path, parts), tasks, desc="dedup: writing",
                         progress=progress)
    with AtomicWriter(out.root / CLUSTERS) as clusters:
        for entry in report:
            clusters.write(entry)
    parts.gather(len(partitions))
    parts.remove()
    tally = DedupTally(opts.drop)
    for t in tallies:
        tally.merge(t)
    return DedupResult(opts, tally, corpus, near, len(candidates), len(candidates), report, len(members))
