"""split on deduplicated Pratiwi articles; Hypothesis properties of placement and the ledger; bad inputs."""

from __future__ import annotations

import json
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builder.stage import run_stage
from builder.cli import main
from builder.config import config_from_dict
from builder.corpus.dedup import CLUSTERS, Dedup
from builder.document import document_errors
from builder.errors import ConfigError, DataInvalidError, InputError
from builder.jsonl import read_jsonl, write_jsonl
from builder.corpus.split import LEAKAGE, cluster_hash, Split, split_by_hash
from builder.stage import StageDir
from tests.corpus.test_dedup import doc, pratiwi_docs

FAST = settings(max_examples=30, deadline=None, derandomize=True)
NAMES = ("train", "validation", "test")


def clustered(doc_id: str, cluster: str, *, representative: bool = True, label: str | None = None,
              published: str | None = None) -> dict:
    """A document as dedup leaves it, with a hand-made cluster."""
    labels = [{"name": "veracity", "value": label, "provenance": "source"}] if label else None
    d = doc(doc_id, f"teks {doc_id}", doc_labels=labels, published=published)
    d["duplicates"] = {"cluster_id": cluster, "representative": representative, "size": 1, "exact_of": None,
                       "max_jaccard": None}
    return d


def split(root: Path, docs: list[dict], *, clusters: list[dict] | None = None, **options):
    """Run split on `docs` (and a dedup cluster report beside them); return stats, documents by id, rejects."""
    root.mkdir(parents=True, exist_ok=True)
    write_jsonl(root / "dedup" / "documents.jsonl", docs)
    if clusters is not None:
        write_jsonl(root / "dedup" / CLUSTERS, clusters)
    config = config_from_dict({"project": {"seed": 13}, "split": {"ledger": "ledger.jsonl", **options}}, root)
    out = StageDir(root / "split")
    stats = run_stage(Split(config), root / "dedup" / "documents.jsonl", out)
    return stats, {d["id"]: d for d in read_jsonl(out.documents)}, list(read_jsonl(out.rejects))


def ledger(root: Path) -> dict[str, dict]:
    return {e["id"]: e for e in read_jsonl(root / "ledger.jsonl")}


# ---- the shipped articles ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pratiwi_split(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("pratiwi")
    write_jsonl(root / "in.jsonl", pratiwi_docs())
    config = config_from_dict({"dedup": {"workers": 1, "drop": "none"}}, root)
    run_stage(Dedup(config), root / "in.jsonl", StageDir(root / "dedup"))
    docs = list(read_jsonl(root / "dedup" / "documents.jsonl"))
    stats, out, rejects = split(root, docs, clusters=list(read_jsonl(root / "dedup" / CLUSTERS)),
                                stratify_by="veracity")
    return root, docs, stats, out, rejects


def test_split_keeps_every_duplicate_cluster_in_one_split(pratiwi_split):
    root, docs, stats, out, rejects = pratiwi_split
    assert len(out) == len(docs) == 850 and rejects == []
    by_cluster = defaultdict(set)
    for d in out.values():
        by_cluster[d["duplicates"]["cluster_id"]].add(d["split"])
    assert all(len(s) == 1 for s in by_cluster.values())
    leakage = json.loads((root / "split" / LEAKAGE).read_text())
    assert leakage["cross_split_pairs"] == 0 and leakage["pairs_from"] == CLUSTERS
    assert sum(v["documents"] for v in leakage["split_sizes"].values()) == 850


def test_split_stratified_balances_each_label(pratiwi_split):
    root, _, stats, out, _ = pratiwi_split
    largest = max(d["duplicates"]["size"] for d in out.values())
    for value in ("valid", "hoax"):
        docs = [d for d in out.values() if d["doc_labels"][0]["value"] == value]
        counts = Counter(d["split"] for d in docs)
        for name, ratio in zip(NAMES, (0.8, 0.1, 0.1)):
            assert abs(counts[name] - ratio * len(docs)) <= largest
    balance = json.loads((root / "split" / LEAKAGE).read_text())["label_balance"]
    assert sum(balance[n]["veracity"].get("hoax", 0) for n in NAMES) == sum(
        d["doc_labels"][0]["value"] == "hoax" for d in out.values())
    assert stats["mode"] == "stratified" and stats["unlabelled_clusters"] == 0


def test_split_output_documents_validate_and_ledger_is_written(pratiwi_split):
    root, _, stats, out, _ = pratiwi_split
    assert [e for d in out.values() for e in document_errors(d)] == []
    entries = ledger(root)
    assert {i: e["split"] for i, e in entries.items()} == {i: d["split"] for i, d in out.items()}
    assert stats["ledger"]["documents_added"] == 850 and stats["ledger"]["written"]


# ---- properties ---------------------------------------------------------------------------------------------------

corpora = st.lists(st.tuples(st.integers(0, 40), st.sampled_from(["hoax", "valid", None])), min_size=1,
                   max_size=60)


def make_docs(spec: list[tuple[int, str | None]], prefix: str = "d") -> list[dict]:
    return [clustered(f"{prefix}:{k}", f"cl-{c}", label=label) for k, (c, label) in enumerate(spec)]


@FAST
@given(spec=corpora, stratify=st.booleans())
def test_split_is_deterministic_disjoint_and_by_cluster(spec, stratify):
    docs = make_docs(spec)
    options = {"stratify_by": "veracity" if stratify else "", "update_ledger": False}
    with tempfile.TemporaryDirectory() as tmp:
        _, first, _ = split(Path(tmp) / "a", docs, **options)
        _, second, _ = split(Path(tmp) / "b", list(reversed(docs)), **options)  # input order does not matter
        assert not (Path(tmp) / "a" / "ledger.jsonl").exists()
    assert {i: d["split"] for i, d in first.items()} == {i: d["split"] for i, d in second.items()}
    assert set(first) == {d["id"] for d in docs}  # each document exactly once
    by_cluster = defaultdict(set)
    for d in first.values():
        by_cluster[d["duplicates"]["cluster_id"]].add(d["split"])
    assert all(len(s) == 1 and s <= set(NAMES) for s in by_cluster.values())


@FAST
@given(old=corpora, new=corpora, stratify=st.booleans())
def test_split_never_moves_a_ledgered_document(old, new, stratify):
    """Documents added later (new clusters, or members of old ones) never move what the ledger holds."""
    first_docs = make_docs(old, "old")
    later = make_docs(new, "new")
    options = {"stratify_by": "veracity" if stratify else ""}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _, first, _ = split(root, first_docs, **options)
        stats, second, rejects = split(root, first_docs + later, **options)
        entries = ledger(root)
    assert rejects == []
    assert all(second[i]["split"] == first[i]["split"] for i in first)
    old_split = {d["duplicates"]["cluster_id"]: d["split"] for d in first.values()}
    for d in later:
        if d["duplicates"]["cluster_id"] in old_split:
            assert second[d["id"]]["split"] == old_split[d["duplicates"]["cluster_id"]]
    assert {i: e["split"] for i, e in entries.items()} == {i: d["split"] for i, d in second.items()}
    assert stats["ledger"]["documents_kept_in_place"] == len(first)


def test_split_hash_mode_follows_the_ratios_and_a_fixed_hash():
    assert cluster_hash(13, "cl-0123456789abcdef") == pytest.approx(0.76583, abs=1e-5)  # changing it moves splits
    counts = Counter(split_by_hash(cluster_hash(13, f"cl-{k}"), NAMES, (0.8, 0.1, 0.1)) for k in range(20000))
    assert counts["train"] / 20000 == pytest.approx(0.8, abs=0.01)
    assert counts["test"] / 20000 == pytest.approx(0.1, abs=0.01)
    assert split_by_hash(0.999999999, NAMES, (0.5, 0.5, 0.0)) == "validation"


def test_split_rejects_a_document_that_bridges_splits(tmp_path):
    docs = [clustered(f"a:{k}", f"cl-a{k}") for k in range(40)]
    _, first, _ = split(tmp_path, docs)
    by_split = defaultdict(list)
    for d in first.values():
        by_split[d["split"]].append(d["id"])
    one, other = by_split["train"][0], next(by_split[n][0] for n in ("validation", "test") if by_split[n])
    # Rerun: a new document joins both clusters (dedup would now give them one cluster id).
    merged = [dict(d, duplicates={**d["duplicates"], "cluster_id": "cl-merged"}) if d["id"] in (one, other) else d
              for d in docs]
    bridge = clustered("b:1", "cl-merged")
    report = [{"cluster_id": "cl-merged", "representative": one, "size": 3, "members": [],
               "pairs": [{"a": "b:1", "b": one, "jaccard": 0.85}, {"a": "b:1", "b": other, "jaccard": 0.83}]}]
    stats, second, rejects = split(tmp_path, merged + [bridge], clusters=report)
    assert "b:1" not in second and second[one]["split"] == first[one]["split"]
    assert [(r["reason"], r["id"]) for r in rejects] == [("split_bridge", "b:1")]
    assert first[one]["split"] in rejects[0]["detail"] and first[other]["split"] in rejects[0]["detail"]
    assert stats["documents_dropped"] == {"split_bridge": 1} and "b:1" not in ledger(tmp_path)


def test_split_fails_on_near_duplicates_the_ledger_pins_apart(tmp_path):
    docs = [clustered("a:1", "cl-x"), clustered("a:2", "cl-x", representative=False)]
    (tmp_path / "ledger.jsonl").write_text(
        '{"id": "a:1", "cluster_id": "cl-x", "split": "train", "added": "2026-01-01"}\n'
        '{"id": "a:2", "cluster_id": "cl-y", "split": "test", "added": "2026-01-01"}\n', encoding="utf-8")
    report = [{"cluster_id": "cl-x", "representative": "a:1", "size": 2, "members": [],
               "pairs": [{"a": "a:1", "b": "a:2", "jaccard": 0.91}]}]
    with pytest.raises(DataInvalidError, match="1 near-duplicate pairs straddle splits"):
        split(tmp_path, docs, clusters=report)
    leakage = json.loads((tmp_path / "split" / LEAKAGE).read_text())
    assert leakage["pairs"] == [{"a": "a:1", "b": "a:2", "jaccard": 0.91, "splits": ["train", "test"]}]


def test_split_temporal_by_earliest_date_and_undated_to_train(tmp_path):
    docs = [
        clustered("t:1", "cl-1", published="2023-05-01"),
        clustered("t:2", "cl-2", published="2024-03-01"),
        clustered("t:3", "cl-2", representative=False, published="2023-12-31"),  # makes cl-2 start in 2023
        clustered("t:4", "cl-3", published="2024-07-02T10:00:00"),
        clustered("t:5", "cl-4"),
        clustered("t:6", "cl-5", published="2024-06-01"),
    ]
    stats, out, _ = split(tmp_path, docs, temporal={"validation_from": "2024-01-01", "test_from": "2024-06-01"})
    assert {i: d["split"] for i, d in out.items()} == {
        "t:1": "train", "t:2": "train", "t:3": "train", "t:4": "test", "t:5": "train", "t:6": "test"}
    assert stats["undated"] == {"clusters": 1, "documents": 1, "placed_in": "train"}


def test_split_without_ledger_update_leaves_the_ledger_alone(tmp_path):
    docs = [clustered(f"a:{k}", f"cl-{k}") for k in range(5)]
    split(tmp_path, docs[:3])
    before = (tmp_path / "ledger.jsonl").read_bytes()
    stats, out, _ = split(tmp_path, docs, update_ledger=False)
    assert (tmp_path / "ledger.jsonl").read_bytes() == before and len(out) == 5
    assert stats["ledger"]["written"] is False and stats["ledger"]["documents_kept_in_place"] == 3


# ---- bad input ------------------------------------------------------------------------------------------------------


def test_split_missing_input_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="newsbench dedup"):
        run_stage(Split(config_from_dict({}, tmp_path)), tmp_path / "nope.jsonl", StageDir(tmp_path / "out"))


def test_split_rejects_documents_without_a_cluster(tmp_path):
    stats, out, rejects = split(tmp_path, [clustered("a:1", "cl-1"), doc("a:2", "belum dideduplikasi")])
    assert list(out) == ["a:1"] and stats["documents_dropped"] == {"invalid_record": 1}
    assert rejects[0]["id"] == "a:2" and "duplicates.cluster_id" in rejects[0]["detail"]


@pytest.mark.parametrize(("line", "message"), [
    ('{"id": "a:1", "cluster_id": "cl-1", "split": "dev", "added": "x"}', "split 'dev'"),
    ('{"id": "a:1", "split": "train"}', "no 'cluster_id'"),
    ('{"id": "a:1", "cluster_id": "c", "split": "train", "added": "x"}\n'
     '{"id": "a:1", "cluster_id": "c", "split": "test", "added": "x"}', "twice"),
])
def test_split_bad_ledger_names_the_entry(tmp_path, line, message):
    (tmp_path / "ledger.jsonl").write_text(line + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=message) as err:
        split(tmp_path, [clustered("a:1", "cl-1")])
    assert "ledger.jsonl: entry" in err.value.message


@pytest.mark.parametrize(("options", "message"), [
    ({"temporal": {"dev_from": "2024-01-01"}}, "does not name a split"),
    ({"temporal": {"test_from": "June 2024"}}, "not a date"),
    ({"temporal": {"test_from": "2024-06-01"}, "stratify_by": "veracity"}, "both set"),
    ({"update_ledger": "no"}, "update_ledger"),
])
def test_split_bad_options_are_config_errors(tmp_path, options, message):
    with pytest.raises(ConfigError, match=message):
        split(tmp_path, [clustered("a:1", "cl-1")], **options)


def test_split_command_no_ledger_and_exit_codes(tmp_path, capsys):
    (tmp_path / "newsbench.toml").write_text('[split]\nledger = "ledger.jsonl"\n', encoding="utf-8")
    write_jsonl(tmp_path / "in.jsonl", [clustered("a:1", "cl-1"), clustered("a:2", "cl-2")])
    args = ["split", "--config", str(tmp_path / "newsbench.toml"), "--output-dir", str(tmp_path / "out")]
    assert main([*args, "--input", str(tmp_path / "in.jsonl"), "--no-ledger", "--no-progress"]) == 0
    assert not (tmp_path / "ledger.jsonl").exists()
    assert main([*args, "--input", str(tmp_path / "in.jsonl")]) == 0 and (tmp_path / "ledger.jsonl").is_file()
    assert main([*args, "--input", str(tmp_path / "missing.jsonl")]) == 2
    assert "missing.jsonl" in capsys.readouterr().err
