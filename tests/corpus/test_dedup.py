"""dedup on the shipped Pratiwi articles, planted near duplicates, the shingling, the LSH setting and bad inputs."""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builder.stage import run_stage
from builder.cli import main
from builder.config import config_from_dict
from builder.corpus.dedup import CLUSTERS, Dedup
from builder.corpus.minhash import (
    candidate_probability,
    choose_lsh,
    jaccard,
    normalize_text,
    shingle_batch,
    shingle_sets,
)
from builder.document import document_errors, make_doc_id, new_document
from builder.errors import ConfigError, InputError
from builder.jsonl import read_jsonl, write_jsonl
from builder.stage import StageDir
from tests.helpers.projects import PRATIWI_250, PRATIWI_600, pratiwi_rows

FAST = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def doc(doc_id: str, text: str, **extra) -> dict:
    source = {"name": doc_id.split(":")[0], "license": "CC-BY-4.0", "redistributable": True,
              "retrieved_at": "2026-11-26T00:00:00Z", "key": doc_id}
    return new_document(doc_id=doc_id, source=source, language="id", text=text, **extra)


def pratiwi_docs() -> list[dict]:
    """Both shipped Pratiwi files, one document per row, ids from the file and row number."""
    docs = []
    for name, path in (("p600", PRATIWI_600), ("p250", PRATIWI_250)):
        for row, (text, tag) in enumerate(pratiwi_rows(path), 1):
            docs.append(doc(make_doc_id(name, str(row)), text,
                            doc_labels=[{"name": "veracity", "value": tag.lower(), "provenance": "source"}]))
    return docs


def dedup(tmp_path: Path, docs: list[dict], **options) -> tuple[dict, list[dict], list[dict], list[dict]]:
    """Run dedup on `docs`; return stats, documents, rejects and the cluster report."""
    in_path = tmp_path / "in.jsonl"
    write_jsonl(in_path, docs)
    config = config_from_dict({"dedup": {"workers": 1, **options}}, tmp_path)
    out = StageDir(tmp_path / "dedup")
    stats = run_stage(Dedup(config), in_path, out)
    return (stats, list(read_jsonl(out.documents)), list(read_jsonl(out.rejects)),
            list(read_jsonl(out.root / CLUSTERS)))


def ref_shingles(text: str, n: int = 5) -> set[tuple[str, ...]]:
    words = normalize_text(text).split()
    if not words:
        return set()
    return {tuple(words[i : i + n]) for i in range(max(len(words) - n + 1, 1))}


def ref_jaccard(a: str, b: str) -> float:
    sa, sb = ref_shingles(a), ref_shingles(b)
    return len(sa & sb) / len(sa | sb) if sa | sb else 0.0


# ---- the shipped articles ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pratiwi(tmp_path_factory: pytest.TempPathFactory):
    docs = pratiwi_docs()
    return docs, dedup(tmp_path_factory.mktemp("pratiwi"), docs, drop="none")


def test_dedup_every_article_of_the_250_file_is_in_the_600_file(pratiwi):
    _, (stats, out, _, _) = pratiwi
    clusters: dict[str, set[str]] = {}
    for d in out:
        clusters.setdefault(d["duplicates"]["cluster_id"], set()).add(d["id"].split(":")[0])
    from_250 = [d for d in out if d["id"].startswith("p250:")]
    assert len(from_250) == 250
    assert all("p600" in clusters[d["duplicates"]["cluster_id"]] for d in from_250)
    assert stats["documents_in"] == stats["documents_out"] == 850


def test_dedup_finds_the_one_250_article_that_is_only_a_near_copy(pratiwi):
    """Row 24 of the 250 file differs from its 600 twin by a joined sentence and a capital: Jaccard ~0.98."""
    docs, (_, out, _, _) = pratiwi
    norm_600 = {normalize_text(d["text"]) for d in docs if d["id"].startswith("p600:")}
    near_only = [d for d in out if d["id"].startswith("p250:") and normalize_text(d["text"]) not in norm_600]
    assert [d["id"] for d in near_only] == [make_doc_id("p250", "24")]
    dup = near_only[0]["duplicates"]
    assert dup["size"] >= 2 and dup["exact_of"] is None and 0.95 < dup["max_jaccard"] < 1.0


def test_dedup_exact_groups_match_normalised_text(pratiwi):
    docs, (stats, out, _, report) = pratiwi
    distinct = {normalize_text(d["text"]) for d in docs}
    assert stats["exact_duplicates"] == len(docs) - len(distinct)
    by_id = {d["id"]: d for d in out}
    for d in out:
        if d["duplicates"]["exact_of"]:
            twin = by_id[d["duplicates"]["exact_of"]]
            assert normalize_text(twin["text"]) == normalize_text(d["text"])
            assert twin["duplicates"]["exact_of"] is None
            assert twin["duplicates"]["cluster_id"] == d["duplicates"]["cluster_id"]


def test_dedup_reports_no_false_pair_and_exact_jaccard(pratiwi):
    docs, (_, _, _, report) = pratiwi
    text = {d["id"]: d["text"] for d in docs}
    pairs = [p for c in report for p in c["pairs"]]
    assert pairs
    for p in pairs:
        assert p["jaccard"] >= 0.8
        assert p["jaccard"] == pytest.approx(ref_jaccard(text[p["a"]], text[p["b"]]), abs=1e-6)


def test_dedup_clusters_have_the_longest_text_as_representative(pratiwi):
    docs, (_, out, _, report) = pratiwi
    by_id = {d["id"]: d for d in out}
    assert all(sum(m["duplicates"]["representative"] for m in out if m["duplicates"]["cluster_id"] == c["cluster_id"])
               == 1 for c in report)
    for c in report:
        members = [by_id[m["id"]] for m in c["members"]]
        best = min(members, key=lambda d: (-len(d["text"]), d["id"]))
        assert c["representative"] == best["id"] and by_id[best["id"]]["duplicates"]["representative"]
        assert all(m["duplicates"]["size"] == c["size"] == len(members) for m in members)


def test_dedup_output_documents_validate(pratiwi):
    _, (_, out, _, _) = pratiwi
    assert [e for d in out for e in document_errors(d)] == []


@pytest.mark.parametrize("drop", ["exact", "near"])
def test_dedup_drop_policy_keeps_the_named_document(tmp_path, drop):
    docs = pratiwi_docs()
    stats, out, rejects, report = dedup(tmp_path, docs, drop=drop)
    kept = {d["id"]: d for d in out}
    assert stats["documents_out"] + sum(stats["documents_dropped"].values()) == len(docs)
    assert len(rejects) == sum(stats["documents_dropped"].values()) > 0
    for r in rejects:
        kept_id = r["detail"].removeprefix("duplicate of ")
        assert kept_id in kept
        assert kept[kept_id]["duplicates"]["cluster_id"] == r["record"]["duplicates"]["cluster_id"]
        if r["reason"] == "exact_duplicate":
            assert normalize_text(kept[kept_id]["text"]) == normalize_text(r["record"]["text"])
    if drop == "exact":
        assert len(out) == len({normalize_text(d["text"]) for d in docs})
        assert set(stats["documents_dropped"]) == {"exact_duplicate"}
    else:
        assert len(out) == len({d["duplicates"]["cluster_id"] for d in out}) == len(report) + sum(
            1 for d in out if d["duplicates"]["size"] == 1)
        assert all(d["duplicates"]["representative"] for d in out)


# ---- planted near duplicates -----------------------------------------------------------------------------------


def plant(text: str, rate: float, rng: random.Random, vocabulary: list[str]) -> str:
    """Replace a share `rate` of the words of `text` with other words."""
    words = text.split()
    for i in rng.sample(range(len(words)), int(rate * len(words))):
        words[i] = rng.choice(vocabulary)
    return " ".join(words)


def test_dedup_finds_planted_pairs_above_the_threshold_and_no_others(tmp_path):
    rng = random.Random(7)
    rows = [t for t, _ in pratiwi_rows(PRATIWI_600)]
    originals: list[str] = []
    owner: dict[tuple[str, ...], int] = {}  # shingle -> chosen article
    for text in rows:  # distinct articles only: the file has near duplicates of its own
        shingles = ref_shingles(text)
        shared = Counter(owner[s] for s in shingles if s in owner)
        if len(text.split()) >= 150 and (not shared or max(shared.values()) < 0.3 * len(shingles)):
            owner.update({s: len(originals) for s in shingles})
            originals.append(text)
    originals = originals[:160]
    vocabulary = sorted({w for t in originals for w in normalize_text(t).split()})
    docs, planted = [], []
    for k, text in enumerate(originals):
        copy = plant(text, rng.uniform(0.0, 0.05), rng, vocabulary)
        a, b = f"orig:{k:04d}", f"copy:{k:04d}"
        docs += [doc(a, text), doc(b, copy)]
        planted.append((a, b, ref_jaccard(text, copy)))
    stats, out, _, report = dedup(tmp_path, docs, drop="none")
    cluster = {d["id"]: d["duplicates"]["cluster_id"] for d in out}
    found = {(a, b) for a, b, _ in planted if cluster[a] == cluster[b]}
    above = [(a, b) for a, b, j in planted if j >= 0.8]
    below = [(a, b) for a, b, j in planted if j < 0.8]
    assert len(above) > 50 and len(below) > 50  # the edit rates span the threshold
    assert all(pair in found for pair in above)
    assert not any(pair in found for pair in below)
    planted_ids = {frozenset(p[:2]) for p in planted}
    assert all(c["size"] == 2 for c in report)  # unrelated articles are never paired
    assert all(frozenset((p["a"], p["b"])) in planted_ids for c in report for p in c["pairs"])
    assert stats["candidate_pairs_below_threshold"] == stats["candidate_pairs_checked"] - stats["near_duplicate_pairs"]


@FAST
@given(rate=st.floats(0.0, 0.3), seed=st.integers(0, 10_000))
def test_dedup_reports_a_planted_pair_iff_it_reaches_the_threshold(tmp_path, rate, seed):
    rng = random.Random(seed)
    rows = [t for t, _ in pratiwi_rows(PRATIWI_250)]
    text = rows[rng.randrange(len(rows))]
    vocabulary = normalize_text(" ".join(rows[:20])).split()
    copy = plant(text, rate, rng, vocabulary)
    true_j = ref_jaccard(text, copy)
    stats, out, _, report = dedup(tmp_path / str(seed), [doc("a:1", text), doc("b:1", copy)], drop="none")
    same = out[0]["duplicates"]["cluster_id"] == out[1]["duplicates"]["cluster_id"]
    if true_j < 0.8:
        assert not same
    elif true_j >= 0.85 or normalize_text(text) == normalize_text(copy):
        assert same  # a miss above 0.85 has probability < 1e-4 with the default bands
    if same and normalize_text(text) != normalize_text(copy):
        assert report[0]["pairs"][0]["jaccard"] == pytest.approx(true_j, abs=1e-6)


def test_dedup_same_result_with_one_or_two_workers(tmp_path):
    docs = pratiwi_docs()[:300]
    write_jsonl(tmp_path / "in.jsonl", docs)
    outputs = []
    for workers in (1, 2):
        config = config_from_dict({"dedup": {"workers": workers, "batch_size": 64, "drop": "none"}}, tmp_path)
        out = StageDir(tmp_path / f"w{workers}")
        run_stage(Dedup(config), tmp_path / "in.jsonl", out)
        outputs.append((out.documents.read_bytes(), (out.root / CLUSTERS).read_bytes()))
    assert outputs[0] == outputs[1]


# ---- representatives and small texts ---------------------------------------------------------------------------


def test_dedup_representative_is_longest_then_smallest_id(tmp_path):
    base = " ".join(normalize_text(pratiwi_rows(PRATIWI_250)[3][0]).split()[:120])
    docs = [
        doc("s:b", base),
        doc("s:a", base.upper() + " !!"),  # same words: exact duplicate of s:b, one character longer
        doc("s:c", base + " dan satu kalimat lagi di akhir berita ini"),  # near duplicate, longest
        doc("s:d", "teks lain sama sekali tanpa hubungan dengan berita di atas " * 3),
    ]
    stats, out, _, report = dedup(tmp_path, docs, drop="none")
    dup = {d["id"]: d["duplicates"] for d in out}
    assert dup["s:c"]["representative"] and not dup["s:a"]["representative"] and not dup["s:b"]["representative"]
    assert dup["s:b"]["exact_of"] == "s:a"  # s:a has the longer text of the two identical ones
    assert dup["s:a"]["exact_of"] is None and dup["s:a"]["max_jaccard"] == 1.0
    assert dup["s:c"]["exact_of"] is None and 0.8 <= dup["s:c"]["max_jaccard"] < 1.0
    assert {dup[i]["cluster_id"] for i in ("s:a", "s:b", "s:c")} == {report[0]["cluster_id"]}
    assert dup["s:d"] == {"cluster_id": dup["s:d"]["cluster_id"], "representative": True, "size": 1,
                          "exact_of": None, "max_jaccard": None}
    assert report[0]["size"] == 3 and stats["clusters"] == 1


def test_dedup_texts_without_words_are_not_duplicates_of_each_other(tmp_path):
    docs = [doc("e:1", ""), doc("e:2", "... !!"), doc("e:3", "satu dua"), doc("e:4", "Satu, dua."), doc("e:5", "satu tiga")]
    stats, out, _, _ = dedup(tmp_path, docs, drop="exact")
    assert stats["documents_without_words"] == 2
    assert stats["documents_dropped"] == {"exact_duplicate": 1}
    assert [d["id"] for d in out] == ["e:1", "e:2", "e:4", "e:5"]  # e:3 and e:4 read "satu dua"; e:4 is longer


# ---- shingling and LSH ------------------------------------------------------------------------------------------


@FAST
@given(texts=st.lists(st.text(max_size=80), min_size=1, max_size=6))
def test_dedup_normalised_text_matches_the_reference(texts):
    sh = shingle_batch(texts, 5)
    assert [n.decode("utf-8", "surrogatepass") for n in sh.normalized] == [normalize_text(t) for t in texts]
    assert sh.words.tolist() == [len(normalize_text(t).split()) for t in texts]


@FAST
@given(texts=st.lists(st.text(alphabet=st.sampled_from(list("ab cdé.,\n")), max_size=60), min_size=2, max_size=6),
       n=st.integers(1, 5))
def test_dedup_shingle_sets_match_the_reference_and_ignore_batching(texts, n):
    together = shingle_sets(texts, n)
    alone = [shingle_sets([t], n)[0] for t in texts]
    assert all(np.array_equal(a, b) for a, b in zip(together, alone))
    assert [len(s) for s in together] == [len(ref_shingles(t, n)) for t in texts]
    for a, b, sa, sb in zip(texts, texts[1:], together, together[1:]):
        ra, rb = ref_shingles(a, n), ref_shingles(b, n)
        expected = len(ra & rb) / len(ra | rb) if ra | rb else 0.0
        assert jaccard(sa, sb) == pytest.approx(expected)


def test_dedup_shingles_are_word_ngrams():
    assert ref_shingles("Satu, dua TIGA empat lima enam") == {
        ("satu", "dua", "tiga", "empat", "lima"), ("dua", "tiga", "empat", "lima", "enam")}
    a, b = shingle_sets(["Satu, dua TIGA empat lima enam", "satu dua tiga empat lima tujuh"], 5)
    assert len(a) == len(b) == 2 and jaccard(a, b) == pytest.approx(1 / 3)


@pytest.mark.parametrize("threshold", [0.5, 0.7, 0.8, 0.9, 0.95])
@pytest.mark.parametrize("num_perm", [32, 128, 256])
def test_dedup_default_bands_reach_the_recall_at_the_threshold(threshold, num_perm):
    lsh = choose_lsh(threshold, num_perm, min_recall=0.99)
    assert lsh.num_perm <= num_perm
    assert lsh.recall_at_threshold >= 0.99
    # one more row per band would fall below the recall: the setting is the most selective one that qualifies
    r = lsh.rows + 1
    assert r > num_perm or candidate_probability(threshold, num_perm // r, r) < 0.99
    assert lsh.midpoint < threshold


@pytest.mark.parametrize(("lsh_threshold", "num_perm", "expected"), [
    (0.8, 128, (9, 13)), (0.7, 128, (14, 9)), (0.5, 64, (14, 4)), (0.9, 128, (5, 25)),
])
def test_dedup_lsh_threshold_chooses_like_datasketch(lsh_threshold, num_perm, expected):
    """Oracle: datasketch's MinHashLSH picks these (bands, rows) for the same threshold."""
    lsh = choose_lsh(0.8, num_perm, lsh_threshold=lsh_threshold)
    assert (lsh.bands, lsh.rows) == expected


def test_dedup_warns_when_the_lsh_threshold_loses_recall(tmp_path):
    stats, *_ = dedup(tmp_path, [doc("x:1", "satu dua tiga empat lima enam")], lsh_threshold=0.8)
    assert stats["lsh"]["recall_at_threshold"] < 0.95
    assert "lsh_threshold" in stats["warnings"][0]


# ---- bad input --------------------------------------------------------------------------------------------------


def test_dedup_missing_input_is_an_input_error(tmp_path):
    config = config_from_dict({}, tmp_path)
    with pytest.raises(InputError, match="not found"):
        run_stage(Dedup(config), tmp_path / "nope.jsonl", StageDir(tmp_path / "out"))


def test_dedup_line_that_is_not_json_names_file_and_line(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"id": "a:1", "text": "x"}\n\n{"id": "a:2", "text": \n')
    config = config_from_dict({"dedup": {"workers": 1}}, tmp_path)
    with pytest.raises(InputError, match=re.escape(f"{path}:3")):
        run_stage(Dedup(config), path, StageDir(tmp_path / "out"))


def test_dedup_rejects_records_without_text_or_with_a_repeated_id(tmp_path):
    docs = [doc("a:1", "satu dua tiga"), {"id": "a:2", "title": "no text"}, doc("a:1", "empat lima")]
    stats, out, rejects, _ = dedup(tmp_path, docs)
    assert [d["id"] for d in out] == ["a:1"]
    assert stats["documents_dropped"] == {"duplicate_id": 1, "invalid_record": 1}
    assert {(r["reason"], r["id"]) for r in rejects} == {("invalid_record", "a:2"), ("duplicate_id", "a:1")}
    assert "'text'" in next(r["detail"] for r in rejects if r["reason"] == "invalid_record")


@pytest.mark.parametrize(("option", "value"), [("ngram", 0), ("num_perm", 0), ("lsh_threshold", 1.5),
                                                ("workers", -1), ("ngram", "five")])
def test_dedup_bad_option_is_a_config_error(tmp_path, option, value):
    path = tmp_path / "in.jsonl"
    write_jsonl(path, [doc("a:1", "satu")])
    with pytest.raises(ConfigError, match=rf"\[dedup\] {option} is"):
        run_stage(Dedup(config_from_dict({"dedup": {option: value}}, tmp_path)), path, StageDir(tmp_path / "out"))


def test_dedup_command_exit_codes(tmp_path, capsys):
    (tmp_path / "newsbench.toml").write_text("[dedup]\nworkers = 1\n", encoding="utf-8")
    write_jsonl(tmp_path / "in.jsonl", [doc("a:1", "satu dua tiga"), doc("a:2", "Satu dua tiga!")])
    args = ["dedup", "--config", str(tmp_path / "newsbench.toml"), "--output-dir", str(tmp_path / "out")]
    assert main([*args, "--input", str(tmp_path / "in.jsonl"), "--no-progress"]) == 0
    assert len(list(read_jsonl(tmp_path / "out" / "documents.jsonl"))) == 1
    assert main([*args, "--input", str(tmp_path / "missing.jsonl")]) == 2
    assert "missing.jsonl" in capsys.readouterr().err


@pytest.mark.parametrize("keep", ["near", "none"])
def test_dedup_writes_the_same_bytes_whether_its_input_lines_are_orjson_or_not(tmp_path, keep):
    """Pass 3 appends `duplicates` to a line that is orjson's form of its record; any other line is parsed and
    serialised again. Both give the same output, kept and rejected documents alike."""
    import json

    docs = pratiwi_docs()[:300]
    docs[5] = {**docs[5], "duplicates": {"cluster_id": "cl-stale"}}  # an earlier run's field: replaced in place
    outs = []
    for name, dump in (("orjson", None), ("spaced", lambda d: json.dumps(d, ensure_ascii=False))):
        path = tmp_path / f"{name}.jsonl"
        if dump is None:
            write_jsonl(path, docs)
        else:
            path.write_text("".join(dump(d) + "\n" for d in docs), encoding="utf-8")
        config = config_from_dict({"dedup": {"workers": 1, "drop": keep}}, tmp_path)
        out = StageDir(tmp_path / f"out-{name}")
        run_stage(Dedup(config), path, out)
        rejects = [{**r, "where": r["where"].rsplit(":", 1)[-1]} for r in read_jsonl(out.rejects)]
        outs.append((out.documents.read_bytes(), rejects))
    assert outs[0] == outs[1]
    assert any(r["reason"] != "invalid_record" for r in outs[0][1]) == (keep == "near")
