"""split: train/validation/test by duplicate cluster, kept stable by a ledger committed with the data.

A cluster (the `duplicates.cluster_id` dedup gives every document) goes to one split as a whole, so near
duplicates never straddle splits. Three ways to place a new cluster, from `[split]` in the config:
- by hash (default): sha256 of the seed and the cluster id, mapped onto the cumulative `ratios`;
- stratified (`stratify_by = "<label name>"`): within each value of that document label, clusters ordered by
  their hash each go to the split furthest below its ratio (counted in documents);
- temporal (`temporal = {validation_from = "YYYY-MM-DD", test_from = "YYYY-MM-DD"}`): by the cluster's earliest
  `published` date; a cluster without any date goes to the split without a cut-off (train), and is counted.

The ledger (`split.ledger`, JSONL of {id, cluster_id, split, added}) decides first: a document already in it
never moves, a new document joins the split of its cluster's ledgered members, and a new document whose cluster
holds ledgered documents of different splits is rejected (`split_bridge`) rather than placed.
The leakage report (`leakage.json`) counts near-duplicate pairs across splits; any makes the stage fail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple


from builder.config import Config
from builder.corpus.dedup import CLUSTERS
from builder.errors import ConfigError, DataInvalidError, InputError
from builder.jsonl import AtomicWriter, read_jsonl, write_json
from builder.stage import Progress, RejectSink, Stage, StageDir, file_digest

LEAKAGE = "leakage.json"
_MAX_LISTED = 100  # pairs and clusters listed by id in leakage.json (all are counted)


@dataclass(frozen=True)
class SplitOptions:
    names: tuple[str, ...]
    ratios: tuple[float, ...]
    seed: int
    stratify_by: str
    cutoffs: tuple[tuple[str, str], ...]  # (date, split), ascending by date; empty unless temporal
    ledger: Path | None
    update_ledger: bool

    @property
    def mode(self) -> str:
        return "temporal" if self.cutoffs else "stratified" if self.stratify_by else "hash"

    @property
    def undated_split(self) -> str:
        """Where clusters before every cut-off (and undated ones) go: the first split without a cut-off."""
        with_cutoff = {name for _, name in self.cutoffs}
        return next(name for name in self.names if name not in with_cutoff)

    @classmethod
    def from_config(cls, config: Config) -> SplitOptions:
        section = config.split  # types are checked by the config
        where = str(config.path or "config") + " [split]"
        ratios = section.ratios
        names = tuple(ratios)
        stratify_by = section.stratify_by
        temporal = section.temporal
        cutoffs = []
        for key, value in temporal.items():
            name = key.removesuffix("_from")
            if not key.endswith("_from") or name not in names:
                raise ConfigError(f"temporal key '{key}' does not name a split", where=where,
                                  fix=f"use <split>_from with a split of ratios: {', '.join(names)}")
            try:
                day = dt.date.fromisoformat(str(value)).isoformat()
            except ValueError as exc:
                raise ConfigError(f"temporal.{key} = '{value}' is not a date", where=where,
                                  fix="write the cut-off as YYYY-MM-DD") from exc
            cutoffs.append((day, name))
        if cutoffs and len(cutoffs) == len(names):
            raise ConfigError("every split has a temporal cut-off", where=where,
                              fix="leave the first split (e.g. train) without one: it takes the older documents")
        if cutoffs and stratify_by:
            raise ConfigError("stratify_by and temporal are both set", where=where,
                              fix='choose one: set stratify_by = "" for a temporal split')
        ledger = section.ledger
        update = section.update_ledger
        return cls(
            names=names,
            ratios=tuple(float(ratios[n]) for n in names),
            seed=config.seed,
            stratify_by=stratify_by,
            cutoffs=tuple(sorted(cutoffs)),
            ledger=config.resolve(ledger) if ledger else None,
            update_ledger=update,
        )


def cluster_hash(seed: int, cluster_id: str) -> float:
    """A stable number in [0, 1) for a cluster: the same on every machine and Python version."""
    digest = hashlib.sha256(f"{seed}\x00{cluster_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def split_by_hash(u: float, names: tuple[str, ...], ratios: tuple[float, ...]) -> str:
    """The split whose cumulative-ratio interval holds `u`."""
    total = 0.0
    for name, ratio in zip(names, ratios):
        total += ratio
        if u < total:
            return name
    return next(n for n, r in zip(reversed(names), reversed(ratios)) if r > 0)  # rounding at the top end


def split_by_date(day: str | None, cutoffs: tuple[tuple[str, str], ...], default: str) -> str:
    """The split of the latest cut-off on or before `day`; `default` before every cut-off or without a date."""
    chosen = default
    if day is not None:
        for start, name in cutoffs:
            if day >= start:
                chosen = name
    return chosen


def most_behind(counts: dict[str, int], size: int, names: tuple[str, ...], ratios: tuple[float, ...]) -> str:
    """The split furthest below its ratio once `size` more documents are placed (first in order on ties)."""
    total = sum(counts.values()) + size
    return max(names, key=lambda n: (ratios[names.index(n)] * total - counts.get(n, 0), -names.index(n)))


# ---------------------------------------------------------------------------------------------------------------
# The ledger


@dataclass
class LedgerEntry:
    id: str
    cluster_id: str
    split: str
    added: str

    def as_record(self) -> dict[str, str]:
        return {"id": self.id, "cluster_id": self.cluster_id, "split": self.split, "added": self.added}


def read_ledger(path: Path, names: tuple[str, ...]) -> dict[str, LedgerEntry]:
    """The ledger's entries by document id, in file order; an absent file is an empty ledger."""
    entries: dict[str, LedgerEntry] = {}
    if not path.is_file():
        return entries
    for lineno, record in enumerate(read_jsonl(path), 1):
        where = f"{path}: entry {lineno}"
        try:
            entry = LedgerEntry(str(record["id"]), str(record["cluster_id"]), str(record["split"]),
                                str(record.get("added", "")))
        except KeyError as exc:
            raise InputError(f"ledger entry has no '{exc.args[0]}'", where=where,
                             fix="each line needs id, cluster_id, split and added") from exc
        if entry.split not in names:
            raise InputError(f"ledger puts '{entry.id}' in split '{entry.split}', not one of {', '.join(names)}",
                             where=where, fix="rename the split in split.ratios or in the ledger")
        if entry.id in entries:
            raise InputError(f"document '{entry.id}' is in the ledger twice", where=where,
                             fix="keep one line per document")
        entries[entry.id] = entry
    return entries


def write_ledger(path: Path, entries: list[LedgerEntry]) -> None:
    with AtomicWriter(path) as out:
        for entry in entries:
            out.write(entry.as_record())


# ---------------------------------------------------------------------------------------------------------------
# Clusters and their placement


@dataclass
class _Cluster:
    members: list[int] = field(default_factory=list)
    earliest: str | None = None
    labels: Counter[str] = field(default_factory=Counter)
    rep_label: str | None = None

    @property
    def stratum(self) -> str:
        """The representative's label value, else the most frequent among members, else '' (unlabelled)."""
        if self.rep_label is not None:
            return self.rep_label
        if self.labels:
            return min(self.labels, key=lambda v: (-self.labels[v], v))
        return ""


def _label_value(record: dict[str, Any], name: str) -> str | None:
    for label in record.get("doc_labels") or ():
        if isinstance(label, dict) and label.get("name") == name:
            return str(label.get("value"))
    return None


@dataclass
class _Placement:
    split_of: dict[int, str]  # record index -> split
    bridges: dict[int, str]  # record index -> why it was not placed
    from_ledger: int = 0
    joined: int = 0
    conflicting_clusters: int = 0
    undated_clusters: int = 0
    undated_documents: int = 0
    unlabelled_clusters: int = 0


def place(
    clusters: dict[str, _Cluster],
    ids: list[str | None],
    ledger: dict[str, LedgerEntry],
    opts: SplitOptions,
) -> _Placement:
    """Decide every document's split: ledger first, then the configured method for new clusters."""
    result = _Placement({}, {})
    fresh: list[tuple[float, str]] = []
    for cid, cluster in clusters.items():
        known = {ids[i]: ledger[ids[i]].split for i in cluster.members if ids[i] in ledger}
        splits = sorted(set(known.values()))
        for i in cluster.members:
            if ids[i] in ledger:
                result.split_of[i] = ledger[ids[i]].split
                result.from_ledger += 1
        if len(splits) == 1:
            for i in cluster.members:
                if ids[i] not in ledger:
                    result.split_of[i] = splits[0]
                    result.joined += 1
        elif len(splits) > 1:
            result.conflicting_clusters += 1
            detail = "its duplicate cluster holds ledgered documents of different splits: " + ", ".join(
                f"{doc_id} ({split})" for doc_id, split in sorted(known.items())
            )
            for i in cluster.members:
                if ids[i] not in ledger:
                    result.bridges[i] = detail
        else:
            fresh.append((cluster_hash(opts.seed, cid), cid))
    fresh.sort()
    if opts.mode == "stratified":
        counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for cid, cluster in clusters.items():
            for i in cluster.members:
                if i in result.split_of:
                    counts[cluster.stratum][result.split_of[i]] += 1
    for u, cid in fresh:
        cluster = clusters[cid]
        if opts.mode == "temporal":
            split = split_by_date(cluster.earliest, opts.cutoffs, opts.undated_split)
            if cluster.earliest is None:
                result.undated_clusters += 1
                result.undated_documents += len(cluster.members)
        elif opts.mode == "stratified":
            stratum = cluster.stratum
            result.unlabelled_clusters += stratum == ""
            split = most_behind(counts[stratum], len(cluster.members), opts.names, opts.ratios)
            counts[stratum][split] += len(cluster.members)
        else:
            split = split_by_hash(u, opts.names, opts.ratios)
        for i in cluster.members:
            result.split_of[i] = split
    return result


# ---------------------------------------------------------------------------------------------------------------
# Leakage


def cross_split_pairs(report: Path | None, split_of_id: dict[str, str], cluster_of_id: dict[str, str]) -> tuple[
    list[dict[str, Any]], str
]:
    """Near-duplicate pairs (a, b) with both documents placed in different splits.

    From dedup's cluster report when there is one (its measured pairs and exact links); otherwise every pair of
    documents that share a cluster id, the coarser test.
    """
    leaks: list[dict[str, Any]] = []
    if report is not None and report.is_file():
        for entry in read_jsonl(report):
            links = [(p["a"], p["b"], p["jaccard"]) for p in entry.get("pairs", [])]
            links += [(m["id"], m["exact_of"], 1.0) for m in entry.get("members", []) if m.get("exact_of")]
            for a, b, value in links:
                sa, sb = split_of_id.get(a), split_of_id.get(b)
                if sa and sb and sa != sb:
                    leaks.append({"a": a, "b": b, "jaccard": value, "splits": [sa, sb]})
        return leaks, str(report.name)
    by_cluster: dict[str, list[str]] = defaultdict(list)
    for doc_id, cid in cluster_of_id.items():
        by_cluster[cid].append(doc_id)
    for members in by_cluster.values():
        for k, a in enumerate(members):
            for b in members[k + 1 :]:
                if split_of_id[a] != split_of_id[b]:
                    leaks.append({"a": a, "b": b, "jaccard": None, "splits": [split_of_id[a], split_of_id[b]]})
    return leaks, "cluster ids"


# ---------------------------------------------------------------------------------------------------------------
# The stage


def _record_problem(record: dict[str, Any]) -> str | None:
    if not isinstance(record.get("id"), str) or not record["id"]:
        return "field 'id' is missing or not a non-empty string"
    dup = record.get("duplicates")
    if not isinstance(dup, dict) or not isinstance(dup.get("cluster_id"), str):
        return "field 'duplicates.cluster_id' is missing: run `newsbench dedup` on these documents first"
    return None


class RecordFacts(NamedTuple):
    """What the placement needs of one document (pass 1 reads only these)."""

    problem: str | None
    id: str | None
    cluster_id: str | None
    day: str | None  # earliest-date candidate, temporal mode only
    label: str | None  # the stratify_by label value, stratified mode only
    representative: bool


def record_facts(record: dict[str, Any], opts: SplitOptions) -> RecordFacts:
    problem = _record_problem(record)
    if problem is not None:
        return RecordFacts(problem, None, None, None, None, False)
    day = record.get("published")
    day = day[:10] if opts.mode == "temporal" and isinstance(day, str) and len(day) >= 10 else None
    label = _label_value(record, opts.stratify_by) if opts.stratify_by else None
    dup = record["duplicates"]
    return RecordFacts(None, record["id"], dup["cluster_id"], day, label, bool(dup.get("representative")))


@dataclass
class Grouping:
    """Pass 1: documents grouped by cluster, in input order; duplicate ids are problems."""

    ids: list[str | None] = field(default_factory=list)
    problems: dict[int, str] = field(default_factory=dict)
    clusters: dict[str, _Cluster] = field(default_factory=lambda: defaultdict(_Cluster))
    seen: dict[str, int] = field(default_factory=dict)

    def add(self, facts: RecordFacts) -> None:
        index = len(self.ids)
        problem = facts.problem
        if problem is None and facts.id in self.seen:
            problem = f"id '{facts.id}' is also on record {self.seen[facts.id] + 1}"
        if problem is not None:
            self.problems[index] = problem
            self.ids.append(None)
            return
        assert facts.id is not None and facts.cluster_id is not None
        self.ids.append(facts.id)
        self.seen[facts.id] = index
        cluster = self.clusters[facts.cluster_id]
        cluster.members.append(index)
        if facts.day is not None:
            cluster.earliest = min(filter(None, (cluster.earliest, facts.day)))
        if facts.label is not None:
            cluster.labels[facts.label] += 1
            if facts.representative:
                cluster.rep_label = facts.label


@dataclass
class SplitTally:
    """Pass 2: writes each document with its split, or rejects it; partitions each keep one."""

    today: str
    dropped: Counter[str] = field(default_factory=Counter)
    sizes: Counter[str] = field(default_factory=Counter)
    labels: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (split, label name, value)
    split_of_id: dict[str, str] = field(default_factory=dict)
    cluster_of_id: dict[str, str] = field(default_factory=dict)
    added: list[LedgerEntry] = field(default_factory=list)

    def write(self, record: dict[str, Any], where: str, decision: tuple[str, str], ledgered: bool,
              writer: AtomicWriter, rejects: RejectSink) -> None:
        """`decision` from `record_split`: ("split", name) writes the record there, (reason, detail) rejects it."""
        reason, split = decision
        if reason != "split":
            self.dropped[reason] += 1
            doc_id = record.get("id") if isinstance(record.get("id"), str) else None
            rejects.reject(reason, doc_id=doc_id, where=where, detail=split, record=record)
            return
        record["split"] = split
        writer.write(record)
        self.sizes[split] += 1
        self.split_of_id[record["id"]] = split
        self.cluster_of_id[record["id"]] = record["duplicates"]["cluster_id"]
        for label in record.get("doc_labels") or ():
            self.labels[split, str(label.get("name")), str(label.get("value"))] += 1
        if not ledgered:
            self.added.append(LedgerEntry(record["id"], record["duplicates"]["cluster_id"], split, self.today))

    def merge(self, other: SplitTally) -> None:
        self.dropped.update(other.dropped)
        self.sizes.update(other.sizes)
        self.labels.update(other.labels)
        self.split_of_id.update(other.split_of_id)
        self.cluster_of_id.update(other.cluster_of_id)
        self.added.extend(other.added)


def record_split(index: int, grouping: Grouping, placement: _Placement) -> tuple[str, str]:
    """("split", name) for a placed record; (reason, detail) for one that is rejected."""
    if index in grouping.problems:
        return "invalid_record", grouping.problems[index]
    if index in placement.bridges:
        return "split_bridge", placement.bridges[index]
    return "split", placement.split_of[index]


def today() -> str:
    return dt.datetime.now(dt.timezone.utc).date().isoformat()


class Split(Stage):
    """The split stage: every duplicate cluster in one split, by the ledger, then by hash, label or date."""

    name = "split"
    previous = "dedup"
    sections = ("split",)

    def check(self) -> None:
        SplitOptions.from_config(self.config)

    def side_state(self) -> Any:
        """The ledger, as it is after the run (the stage reads and writes it)."""
        ledger = self.config.split.ledger
        path = self.config.resolve(ledger) if ledger else None
        return file_digest(path) if path is not None and path.is_file() else None

    def write(self, in_path: Path | None, out: StageDir, writer: AtomicWriter, rejects: RejectSink,
              progress: Progress | None) -> SplitResult:
        """Give every document a split; write documents, rejects, leakage.json and the ledger."""
        assert in_path is not None
        opts = SplitOptions.from_config(self.config)
        ledger = read_ledger(opts.ledger, opts.names) if opts.ledger else {}
        # Pass 1: a few facts per document, grouped by cluster.
        grouping = Grouping()
        for record in read_jsonl(in_path):
            grouping.add(record_facts(record, opts))
            if progress:
                progress("split: reading", 1, None)
        placement = place(grouping.clusters, grouping.ids, ledger, opts)
        # Pass 2: write the documents with their split; count sizes and labels.
        tally = SplitTally(today())
        for index, record in enumerate(read_jsonl(in_path)):
            tally.write(record, f"{in_path}: record {index + 1}", record_split(index, grouping, placement),
                        grouping.ids[index] in ledger, writer, rejects)
        return split_result(opts, in_path, out, ledger, grouping, placement, tally)

    def finish(self, tally: SplitResult, out: StageDir) -> None:
        if tally.leaks:
            first = tally.leaks[0]
            raise DataInvalidError(
                f"{len(tally.leaks)} near-duplicate pairs straddle splits, e.g. {first['a']} ({first['splits'][0]}) "
                f"and {first['b']} ({first['splits'][1]})",
                where=str(out.root / LEAKAGE),
                fix="the ledger pins these documents apart; remove one side's lines from the ledger and rerun split",
            )


@dataclass
class SplitResult:
    """What the split stage found: its stats and the near-duplicate pairs that straddle splits."""

    summary: dict[str, Any]
    leaks: list[dict[str, Any]]

    def stats(self) -> dict[str, Any]:
        return self.summary


def split_result(opts: SplitOptions, in_path: Path, out: StageDir, ledger: dict[str, LedgerEntry],
                 grouping: Grouping, placement: _Placement, tally: SplitTally) -> SplitResult:
    """After pass 2: leakage.json, the ledger and the stats (a single pass and the distributed engine alike)."""
    sizes, split_of_id, cluster_of_id = tally.sizes, tally.split_of_id, tally.cluster_of_id
    labels: dict[str, dict[str, dict[str, int]]] = {n: {} for n in opts.names}
    for (split, name, value), count in tally.labels.items():
        labels.setdefault(split, {}).setdefault(name, {})[value] = count
    leaks, leak_source = cross_split_pairs(in_path.parent / CLUSTERS, split_of_id, cluster_of_id)
    straddling = sorted({cluster_of_id[p["a"]] for p in leaks} | {cluster_of_id[p["b"]] for p in leaks})
    cluster_count = Counter(split_of_id[doc_id] for doc_id in _first_placed(grouping.clusters, grouping.ids,
                                                                             split_of_id))
    leakage = {
        "cross_split_pairs": len(leaks),
        "pairs": leaks[:_MAX_LISTED],
        "pairs_from": leak_source,
        "clusters_with_cross_split_pairs": len(straddling),
        "clusters": straddling[:_MAX_LISTED],
        "split_sizes": {n: {"documents": sizes[n], "clusters": cluster_count[n]} for n in opts.names},
        "label_balance": {n: {k: dict(sorted(v.items())) for k, v in sorted(labels[n].items())} for n in opts.names},
    }
    write_json(out.root / LEAKAGE, leakage)
    ledger_written = bool(opts.ledger and opts.update_ledger)
    if ledger_written and opts.ledger is not None:
        write_ledger(opts.ledger, [*ledger.values(), *tally.added])
    total = sum(sizes.values()) or 1
    stats = {
        "stage": "split",
        "documents_in": len(grouping.ids),
        "documents_out": sum(sizes.values()),
        "documents_dropped": dict(sorted(tally.dropped.items())),
        "mode": opts.mode,
        "splits": {n: {"documents": sizes[n], "share": round(sizes[n] / total, 4), "clusters": cluster_count[n]}
                   for n in opts.names},
        "clusters": len(grouping.clusters),
        "ledger": {
            "path": str(opts.ledger) if opts.ledger else None,
            "entries_before": len(ledger),
            "documents_kept_in_place": placement.from_ledger,
            "documents_joined_their_cluster": placement.joined,
            "documents_added": len(tally.added),
            "written": ledger_written,
            "split_bridges": len(placement.bridges),
            "clusters_with_conflicting_splits": placement.conflicting_clusters,
        },
        "cross_split_pairs": len(leaks),
    }
    if opts.mode == "temporal":
        stats["undated"] = {"clusters": placement.undated_clusters, "documents": placement.undated_documents,
                            "placed_in": opts.undated_split}
    if opts.mode == "stratified":
        stats["unlabelled_clusters"] = placement.unlabelled_clusters
    return SplitResult(stats, leaks)


def _first_placed(clusters: dict[str, _Cluster], ids: list[str | None], split_of_id: dict[str, str]) -> list[str]:
    """One placed document id per (cluster, split), to count clusters per split."""
    out = []
    for cluster in clusters.values():
        seen: set[str] = set()
        for i in cluster.members:
            doc_id = ids[i]
            if doc_id in split_of_id and split_of_id[doc_id] not in seen:
                seen.add(split_of_id[doc_id])
                out.append(doc_id)
    return out
