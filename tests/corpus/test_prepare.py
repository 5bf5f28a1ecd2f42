"""End to end: `newsbench prepare` on the shipped corpus, its counters, its resume, every output valid."""

from __future__ import annotations

import shutil

import pytest

from builder.cli import main
from builder.document import document_errors
from builder.jsonl import read_jsonl
from tests.helpers.projects import REPO


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    shutil.copy(REPO / "newsbench.toml", root / "newsbench.toml")
    shutil.copytree(REPO / "data/raw", root / "data/raw")
    assert main(["prepare", "--config", str(root / "newsbench.toml"), "--no-progress"]) == 0
    return root


def stats(root, stage):
    import json

    return json.loads((root / f"work/{stage}/stats.json").read_text())


def test_prepare_counters_on_the_shipped_corpus(project):
    assert stats(project, "ingest")["per_source"] == {"kompastv-seed": 1, "pratiwi2017-600": 600, "pratiwi2017-250": 250}
    clean = stats(project, "clean")
    assert clean["documents_in"] == 851 and clean["documents_out"] == 851
    assert clean["lines_removed"]["kompastv_whatsapp_promo"] == 1
    assert clean["found"]["attribution"] == 1
    dedup = stats(project, "dedup")
    # every article of the 250 file is in the 600 file: 250 exact duplicates, plus repeats inside the 600 file
    assert dedup["documents_dropped"] == {"exact_duplicate": 257}
    assert dedup["documents_out"] == 594
    split = stats(project, "split")
    assert split["cross_split_pairs"] == 0
    assert sum(s["documents"] for s in split["splits"].values()) == 594
    assert stats(project, "segment")["documents_out"] == 594


def test_prepare_every_250_article_is_in_the_600_file(project):
    """Each article of the 250 file shares its duplicate cluster with an article of the 600 file."""
    clusters: dict[str, set[str]] = {}
    for line in read_jsonl(project / "work/dedup/clusters.jsonl"):
        members = {m["id"] for m in line["members"]}
        for member in members:
            clusters.setdefault(member, set()).update(members)
    ids_250 = [d["id"] for d in read_jsonl(project / "work/ingest/documents.jsonl")
               if d["source"]["name"] == "pratiwi2017-250"]
    assert len(ids_250) == 250
    for doc_id in ids_250:
        assert any(m.startswith("pratiwi2017-600:") for m in clusters.get(doc_id, ())), doc_id


def test_prepare_outputs_validate_and_offsets_slice(project):
    docs = list(read_jsonl(project / "work/segment/documents.jsonl"))
    splits = {}
    for doc in docs:
        assert document_errors(doc) == []
        text = doc["text"]
        for sent in doc["sentences"]:
            assert text[sent["start"]:sent["end"]].strip() == text[sent["start"]:sent["end"]]
            for s, e in sent["tokens"]:
                assert sent["start"] <= s < e <= sent["end"]
        cluster = doc["duplicates"]["cluster_id"]
        assert splits.setdefault(cluster, doc["split"]) == doc["split"]  # no cluster straddles two splits
    seed = next(d for d in docs if d["source"]["name"] == "kompastv-seed")
    assert seed["dateline"]["place"] == "PYONGYANG" and seed["attribution"] == "Associated Press"
    assert seed["published"] == "2024-06-19"


def test_prepare_rerun_skips_unchanged_stages_and_reruns_after_a_change(project, capsys):
    cfg = str(project / "newsbench.toml")
    capsys.readouterr()
    assert main(["prepare", "--config", cfg, "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert err.count("unchanged, skipped") == 5
    assert main(["prepare", "--config", cfg, "--no-progress", "--clean.min_words", "31"]) == 0
    err = capsys.readouterr().err
    assert "[ingest] unchanged, skipped" in err and "[clean] done" in err and "[segment] done" in err


def test_prepare_the_prepared_corpus_is_the_last_stage_s_output():
    from builder.corpus.assemble import PREPARED_STAGE
    from builder.corpus.prepare import STAGE_NAMES

    assert PREPARED_STAGE == STAGE_NAMES[-1]  # assemble names it without importing every stage
