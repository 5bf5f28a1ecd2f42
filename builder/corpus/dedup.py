"""dedup: exact and near-duplicate clusters, each with one deterministic representative.

Exact duplicates share the xxh3-128 hash of their normalised text (lower case, `\\w+` words joined by one
space). Near duplicates are pairs whose sets of word n-grams (default 5) have a Jaccard similarity at or above
`dedup.threshold`. MinHash LSH proposes candidate pairs and every candidate is then checked with the exact
Jaccard of the two shingle sets, so the LSH bands are set for high recall (a pair exactly at the threshold
becomes a candidate with probability `dedup.lsh_recall`) and the exact check removes every false pair.

Three streaming passes keep memory bounded by a few numbers per document, never by the text:
1. every document -> exact hash and LSH band hashes (on `dedup.workers` processes);
2. only the documents of candidate pairs -> shingle sets -> exact Jaccard of each candidate pair;
3. every document -> written with its `duplicates` record, or rejected under `dedup.drop`.

The representative of a cluster is the member with the longest text (characters), ties broken by the smallest
id: when near duplicates are dropped, the fullest version stays. Within an exact group, the document the others
are `exact_of` is chosen by the same rule, so the cluster representative always heads its own exact group.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import xxhash

from builder.config import Config
from builder.errors import ConfigError
from builder.jsonl import AtomicWriter, dumps, iter_lines, line_error, parse_object
from builder.corpus.minhash import (
    LshParams,
    MinHasher,
    band_hashes,
    choose_lsh,
    jaccard,
    lsh_pairs,
    shingle_batch,
    shingle_sets,
)
from builder.parallel import map_batches, worker_count
from builder.stage import Progress, RejectSink, Stage, StageDir

CLUSTERS = "clusters.jsonl"
# Hashing a batch takes ~60 bytes of numpy arrays per byte of text: cap batches by size as well as by count.
BATCH_BYTES = 1 << 21


# ---------------------------------------------------------------------------------------------------------------
# Workers: pass 1 (hashes and bands) and pass 2 (shingle sets)

_WORKER: dict[str, Any] = {}


def init_hashing(ngram: int, num_perm: int, seed: int, bands: int, rows: int) -> None:
    _WORKER.update(ngram=ngram, minhasher=MinHasher(num_perm, seed), bands=bands, rows=rows)


@dataclass
class Signatures:
    """What pass 1 keeps of a batch of records."""

    ids: list[str | None]
    text_len: np.ndarray  # int64
    exact: list[bytes | None]  # xxh3-128 of the normalised text; None for a text without words or a bad record
    problems: list[str | None]  # why a record cannot be deduplicated (it will be rejected)
    bands: np.ndarray  # (records, bands) uint64
    error: tuple[int, str] | None = None  # (line number, message) of a line that is not a JSON object
    # per record: the line is exactly orjson's form of it and holds no `duplicates` yet, so that pass 3 may append
    # the field to the line's bytes instead of parsing and serialising the document again
    canonical: list[bool] = field(default_factory=list)


def _record_problem(record: dict[str, Any]) -> str | None:
    if not isinstance(record.get("id"), str) or not record["id"]:
        return "field 'id' is missing or not a non-empty string"
    if not isinstance(record.get("text"), str):
        return "field 'text' is missing or not a string"
    return None


def sign_batch(batch: list[tuple[int, bytes]]) -> Signatures:
    ids: list[str | None] = []
    texts: list[str] = []
    problems: list[str | None] = []
    canonical: list[bool] = []
    for lineno, line in batch:
        record, error = parse_object(line)
        if record is None:
            return Signatures([], np.zeros(0, np.int64), [], [], np.zeros((0, 0), np.uint64), (lineno, str(error)))
        problem = _record_problem(record)
        problems.append(problem)
        canonical.append(problem is None and "duplicates" not in record and dumps(record) == line)
        ids.append(record.get("id") if problem is None else None)
        texts.append(record["text"] if problem is None else "")
    sh = shingle_batch(texts, _WORKER["ngram"])
    sig = _WORKER["minhasher"].signatures(sh.hashes, sh.offsets)
    exact = [
        xxhash.xxh3_128_digest(norm) if words and problem is None else None
        for norm, words, problem in zip(sh.normalized, sh.words, problems)
    ]
    text_len = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    return Signatures(ids, text_len, exact, problems, band_hashes(sig, _WORKER["bands"], _WORKER["rows"]),
                      canonical=canonical)


def _shingle_set_batch(batch: list[tuple[int, str]]) -> list[tuple[int, np.ndarray]]:
    sets = shingle_sets([text for _, text in batch], _WORKER["ngram"])
    return [(index, s) for (index, _), s in zip(batch, sets)]


# ---------------------------------------------------------------------------------------------------------------
# Clustering


class UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        root = x
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while self.parent.get(x, x) != root:  # path compression
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def cluster_id_of(representative_id: str) -> str:
    """A cluster is named after its representative, hashed so that it never reads as a document id."""
    return "cl-" + hashlib.sha256(representative_id.encode("utf-8")).hexdigest()[:16]


@dataclass
class Member:
    cluster_id: str
    representative: bool
    size: int
    exact_of: str | None
    max_jaccard: float | None
    rep_id: str


@dataclass
class CorpusFacts:
    """Per-record facts from pass 1: a few numbers per document, never its text."""

    ids: list[str | None] = field(default_factory=list)
    text_len: list[np.ndarray] = field(default_factory=list)
    problems: dict[int, tuple[str, str]] = field(default_factory=dict)  # record index -> (reason, detail)
    exact_head: dict[int, int] = field(default_factory=dict)  # record index -> first record with its text
    lsh_index: list[np.ndarray] = field(default_factory=list)
    lsh_bands: list[np.ndarray] = field(default_factory=list)
    no_words: int = 0
    seen_exact: dict[bytes, int] = field(default_factory=dict)
    seen_ids: dict[str, int] = field(default_factory=dict)
    canonical: list[bool] = field(default_factory=list)  # per record (Signatures.canonical); empty when not known

    def add(self, parsed: Signatures) -> list[int]:
        """Take in the facts of the next batch, in input order; return the positions in the batch of the documents
        that LSH must see (valid, with words, and not an exact copy of an earlier document)."""
        base = len(self.ids)
        eligible = []
        for k, (doc_id, key, problem) in enumerate(zip(parsed.ids, parsed.exact, parsed.problems)):
            index = base + k
            if problem is None and doc_id in self.seen_ids:
                self.problems[index] = ("duplicate_id", f"id '{doc_id}' is also on record {self.seen_ids[doc_id] + 1}")
                doc_id = None
            elif problem is not None:
                self.problems[index] = ("invalid_record", problem)
            self.ids.append(doc_id)
            if index in self.problems:
                continue
            self.seen_ids[doc_id] = index
            if key is None:
                self.no_words += 1
            elif key in self.seen_exact:
                self.exact_head[index] = self.seen_exact[key]
            else:
                self.seen_exact[key] = index
                eligible.append(k)
        self.text_len.append(parsed.text_len)
        self.canonical.extend(parsed.canonical)
        return eligible


def _sort_key(index: int, ids: list[str | None], text_len: np.ndarray) -> tuple[int, str]:
    return (-int(text_len[index]), ids[index] or "")


def build_clusters(
    ids: list[str | None],
    text_len: np.ndarray,
    exact_head: dict[int, int],
    near_pairs: dict[tuple[int, int], float],
) -> tuple[dict[int, Member], list[dict[str, Any]]]:
    """Members of every cluster of two or more documents, and the cluster report (one entry per cluster)."""
    uf = UnionFind()
    for i, head in exact_head.items():
        uf.union(i, head)
    for i, j in near_pairs:
        uf.union(i, j)
    groups: dict[int, set[int]] = defaultdict(set)
    for x in [*exact_head, *exact_head.values(), *(i for pair in near_pairs for i in pair)]:
        groups[uf.find(x)].add(x)
    pairs_of: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for i, j in near_pairs:
        pairs_of[uf.find(i)].append((i, j))
    exact_groups: dict[int, list[int]] = defaultdict(list)
    for i, head in exact_head.items():
        exact_groups[head].append(i)
    best_near: dict[int, float] = defaultdict(float)
    for (i, j), value in near_pairs.items():
        best_near[i] = max(best_near[i], value)
        best_near[j] = max(best_near[j], value)
    members: dict[int, Member] = {}
    report = []
    for root in sorted(groups):
        cluster = sorted(groups[root])
        rep = min(cluster, key=lambda x: _sort_key(x, ids, text_len))
        rep_id = str(ids[rep])
        cid = cluster_id_of(rep_id)
        # Each exact group is led by its best member; near pairs were measured between group heads.
        leader: dict[int, int] = {}
        for head in {exact_head.get(x, x) for x in cluster}:
            group = [head] + exact_groups.get(head, [])
            best = min(group, key=lambda x: _sort_key(x, ids, text_len))
            for x in group:
                leader[x] = best
        for x in cluster:
            head = exact_head.get(x, x)
            in_exact = len(exact_groups.get(head, [])) > 0
            near = best_near.get(head)
            max_j = 1.0 if in_exact else near
            members[x] = Member(
                cid, x == rep, len(cluster), None if leader[x] == x else str(ids[leader[x]]), max_j, rep_id
            )
        pairs = sorted(
            (str(ids[leader[i]]), str(ids[leader[j]]), round(near_pairs[i, j], 6)) for i, j in pairs_of[root]
        )
        report.append({
            "cluster_id": cid,
            "representative": rep_id,
            "size": len(cluster),
            "members": [
                {"id": ids[x], "exact_of": members[x].exact_of, "max_jaccard": members[x].max_jaccard}
                for x in cluster
            ],
            "pairs": [{"a": a, "b": b, "jaccard": v} for a, b, v in pairs],
        })
    return members, report


# ---------------------------------------------------------------------------------------------------------------
# The stage


@dataclass(frozen=True)
class DedupOptions:
    ngram: int
    threshold: float
    num_perm: int
    lsh: LshParams
    drop: str
    workers: int
    batch_size: int
    seed: int

    @property
    def worker_args(self) -> tuple[int, int, int, int, int]:
        """The `init_hashing` arguments of the signature pass."""
        return (self.ngram, self.lsh.num_perm, self.seed, self.lsh.bands, self.lsh.rows)

    @classmethod
    def from_config(cls, config: Config) -> DedupOptions:
        d = config.dedup  # types and ranges are checked by the config
        where = str(config.path or "config") + " [dedup]"
        for ok, message in ((d.lsh_threshold < 1.0, "lsh_threshold must be in [0, 1) (0 = chosen from threshold)"),
                            (0.0 < d.lsh_recall < 1.0, "lsh_recall must be in (0, 1)")):
            if not ok:
                raise ConfigError(message, where=where, fix="correct the value in the config or the override")
        lsh = choose_lsh(d.threshold, d.num_perm, min_recall=d.lsh_recall, lsh_threshold=d.lsh_threshold)
        return cls(d.ngram, d.threshold, d.num_perm, lsh, d.drop, worker_count(d.workers), d.batch_size, config.seed)


def text_batches(items: Iterable[tuple[int, Any]], max_items: int) -> Iterator[list[tuple[int, Any]]]:
    """Lists of (key, str | bytes) items, at most `max_items` long and about BATCH_BYTES of text."""
    batch: list[tuple[int, Any]] = []
    size = 0
    for item in items:
        batch.append(item)
        size += len(item[1])
        if len(batch) >= max_items or size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def raise_parse_error(parsed: Signatures, in_path: Path, first_line: int = 1) -> None:
    """The located InputError for a batch that holds a line which is not a JSON object."""
    if parsed.error is not None:
        lineno, message = parsed.error
        raise line_error(message, in_path, lineno + first_line - 1)


def _pass_signatures(in_path: Path, opts: DedupOptions, progress: Progress | None) -> CorpusFacts:
    corpus = CorpusFacts()
    for parsed in map_batches(sign_batch, text_batches(iter_lines(in_path), opts.batch_size),
                              workers=opts.workers, initializer=init_hashing, initargs=opts.worker_args):
        raise_parse_error(parsed, in_path)
        base = len(corpus.ids)
        eligible = corpus.add(parsed)
        if eligible:
            corpus.lsh_index.append(np.asarray(eligible, dtype=np.int64) + base)
            corpus.lsh_bands.append(parsed.bands[eligible])
        if progress:
            progress("dedup: hashing", len(parsed.ids), None)
    return corpus


def _pass_verify(
    in_path: Path, opts: DedupOptions, candidates: np.ndarray, progress: Progress | None
) -> tuple[dict[tuple[int, int], float], int]:
    """Exact Jaccard of every candidate pair, reading only the candidate documents; keeps those >= threshold."""
    if len(candidates) == 0:
        return {}, 0
    partners: dict[int, list[int]] = defaultdict(list)  # later doc -> earlier docs it is paired with
    last_use: dict[int, int] = {}
    for i, j in candidates.tolist():
        partners[j].append(i)
        last_use[i] = max(last_use.get(i, -1), j)
        last_use[j] = max(last_use.get(j, -1), j)
    wanted = set(last_use)

    def texts() -> Iterator[tuple[int, str]]:
        index = 0
        for _, line in iter_lines(in_path):
            if index in wanted:
                yield index, orjson.loads(line)["text"]
            index += 1

    sets: dict[int, np.ndarray] = {}
    near: dict[tuple[int, int], float] = {}
    checked = 0
    init = (opts.ngram, 1, opts.seed, 1, 1)
    for results in map_batches(_shingle_set_batch, text_batches(texts(), opts.batch_size), workers=opts.workers,
                               initializer=init_hashing, initargs=init):
        for index, shingles in results:
            sets[index] = shingles
            for i in partners.get(index, ()):
                checked += 1
                check_pair(i, index, sets[i], shingles, opts.threshold, near)
            for i in [*partners.get(index, ()), index]:
                if last_use.get(i) == index:
                    sets.pop(i, None)  # no later partner needs it
        if progress:
            progress("dedup: verifying", len(results), len(wanted))
    return near, checked


def check_pair(i: int, j: int, a: np.ndarray, b: np.ndarray, threshold: float,
               near: dict[tuple[int, int], float]) -> None:
    """Keep candidate pair (i, j) in `near` when the exact Jaccard of its shingle sets reaches the threshold."""
    value = jaccard(a, b)
    if value >= threshold:
        near[(i, j)] = value


class Dedup(Stage):
    """The dedup stage: clusters of exact and near duplicates, every document written with its cluster."""

    name = "dedup"
    previous = "clean"
    sections = ("dedup",)

    def check(self) -> None:
        DedupOptions.from_config(self.config)

    def write(self, in_path: Path | None, out: StageDir, writer: AtomicWriter, rejects: RejectSink,
              progress: Progress | None) -> DedupResult:
        """Find the clusters of `in_path` (passes 1 and 2), then write every document (pass 3) and the clusters."""
        assert in_path is not None
        opts = DedupOptions.from_config(self.config)
        corpus = _pass_signatures(in_path, opts, progress)
        text_len = np.concatenate(corpus.text_len) if corpus.text_len else np.zeros(0, np.int64)
        if corpus.lsh_bands:
            candidates = lsh_pairs(np.concatenate(corpus.lsh_bands), np.concatenate(corpus.lsh_index))
        else:
            candidates = np.zeros((0, 2), dtype=np.int64)
        near, checked = _pass_verify(in_path, opts, candidates, progress)
        members, report = build_clusters(corpus.ids, text_len, corpus.exact_head, near)
        tally = DedupTally(opts.drop)
        with AtomicWriter(out.root / CLUSTERS) as clusters:
            for entry in report:
                clusters.write(entry)
            canonical = corpus.canonical if len(corpus.canonical) == len(corpus.ids) else None
            for index, (lineno, line) in enumerate(iter_lines(in_path)):
                if canonical and canonical[index] and index not in corpus.problems and tally.write_line(
                        index, line, corpus.ids[index], members, writer):
                    continue
                tally.write(index, orjson.loads(line), f"{in_path}:{lineno}", corpus.problems, members, writer,
                            rejects)
                if progress:
                    progress("dedup: writing", 1, len(corpus.ids))
        return DedupResult(opts, tally, corpus, near, checked, len(candidates), report, len(members))


def _duplicates(doc_id: str, m: Member | None) -> dict[str, Any]:
    """The `duplicates` field of a document: its cluster, or a cluster of its own."""
    if m is None:
        return {"cluster_id": cluster_id_of(doc_id), "representative": True, "size": 1, "exact_of": None,
                "max_jaccard": None}
    return {"cluster_id": m.cluster_id, "representative": m.representative, "size": m.size, "exact_of": m.exact_of,
            "max_jaccard": m.max_jaccard}


@dataclass
class DedupTally:
    """Writes each document with its `duplicates` record, or rejects it; partitions each keep one."""

    drop: str
    n_in: int = 0
    n_out: int = 0
    dropped: Counter[str] = field(default_factory=Counter)

    def write(self, index: int, record: dict[str, Any], where: str, problems: dict[int, tuple[str, str]],
              members: dict[int, Member], writer: AtomicWriter, rejects: RejectSink) -> None:
        self.n_in += 1
        if index in problems:
            reason, detail = problems[index]
            self.dropped[reason] += 1
            doc_id = record.get("id") if isinstance(record.get("id"), str) else None
            rejects.reject(reason, doc_id=doc_id, where=where, detail=detail, record=record)
            return
        m = members.get(index)
        record["duplicates"] = _duplicates(record["id"], m)
        if m is not None:
            reason, of = _drop_reason(m, self.drop)
            if reason:
                self.dropped[reason] += 1
                rejects.reject(reason, doc_id=record["id"], where=where, detail=f"duplicate of {of}", record=record)
                return
        writer.write(record)
        self.n_out += 1

    def write_line(self, index: int, line: bytes, doc_id: str, members: dict[int, Member],
                   writer: AtomicWriter) -> bool:
        """`write` for a kept document whose line is orjson's form of it: the `duplicates` field appended to the
        line's bytes, which gives the same bytes as parsing, setting the field and serialising. False (nothing
        written) for a document that is dropped: `write` rejects it with its record."""
        m = members.get(index)
        if m is not None and _drop_reason(m, self.drop)[0]:
            return False
        self.n_in += 1
        writer.write_bytes(line[:-2] + b',"duplicates":' + orjson.dumps(_duplicates(doc_id, m)) + b"}\n")
        self.n_out += 1
        return True

    def merge(self, other: DedupTally) -> None:
        self.n_in += other.n_in
        self.n_out += other.n_out
        self.dropped.update(other.dropped)


@dataclass
class DedupResult:
    """What the dedup stage found and wrote (a single pass and the distributed engine alike)."""

    opts: DedupOptions
    tally: DedupTally
    corpus: CorpusFacts
    near: dict[tuple[int, int], float]
    checked: int
    candidates: int
    report: list[dict[str, Any]]
    clustered: int

    def stats(self) -> dict[str, Any]:
        return dedup_stats(self.opts, self.tally, self.corpus, self.near, self.checked, self.candidates,
                           self.report, self.clustered)


def dedup_stats(opts: DedupOptions, tally: DedupTally, corpus: CorpusFacts, near: dict[tuple[int, int], float],
                checked: int, candidates: int, report: list[dict[str, Any]], clustered: int) -> dict[str, Any]:
    lsh = opts.lsh
    stats: dict[str, Any] = {
        "stage": "dedup",
        "documents_in": tally.n_in,
        "documents_out": tally.n_out,
        "documents_dropped": dict(sorted(tally.dropped.items())),
        "drop": opts.drop,
        "exact_duplicates": len(corpus.exact_head),
        "near_duplicate_pairs": len(near),
        "candidate_pairs": int(candidates),
        "candidate_pairs_checked": checked,
        "candidate_pairs_below_threshold": checked - len(near),
        "clusters": len(report),
        "documents_in_clusters": clustered,
        "largest_cluster": max((e["size"] for e in report), default=1),
        "documents_without_words": corpus.no_words,
        "lsh": {
            "ngram": opts.ngram,
            "threshold": opts.threshold,
            "num_perm": lsh.num_perm,
            "bands": lsh.bands,
            "rows": lsh.rows,
            "lsh_threshold": round(lsh.midpoint, 4),
            "recall_at_threshold": round(lsh.recall_at_threshold, 6),
        },
    }
    if lsh.recall_at_threshold < 0.95:
        stats["warnings"] = [
            f"LSH bands={lsh.bands} rows={lsh.rows} find a pair at Jaccard {opts.threshold} only "
            f"{lsh.recall_at_threshold:.0%} of the time; lower dedup.lsh_threshold or set it to 0"
        ]
    return stats


def _drop_reason(m: Member, policy: str) -> tuple[str | None, str | None]:
    """(reason, id of the kept document it duplicates) when `policy` drops this member."""
    if m.representative or policy == "none":
        return None, None
    if policy == "exact":
        return ("exact_duplicate", m.exact_of) if m.exact_of else (None, None)
    return ("exact_duplicate" if m.exact_of == m.rep_id else "near_duplicate"), m.rep_id
