"""The leaderboard page: paired bootstrap between neighbours, on systems scored by `evaluate` on idner-news-2k
sentences, and the page as Chromium renders it."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from builder.bench.evaluate.board import leaderboard_html, paired
from builder.cli import main
from builder.corpus.imports.conll import conll_sentences
from builder.tags import sentence_spans
from tests.helpers.handmade_release import sentence_doc, write_release

DEV = Path(__file__).resolve().parents[2] / "data" / "raw" / "idner-news-2k" / "dev.txt"


def entry(system: str, value: float, reps: list[float | None], seed: int = 13) -> dict:
    return {"system": system, "value": value, "ci": [min(r for r in reps if r is not None), max(r for r in reps if r is not None)],
            "primary": "spans.micro.f1", "bootstrap": {"seed": seed, "samples": len(reps), "documents": 50,
                                                       "replicates": reps}}


def test_paired_bootstrap_calls_a_steady_lead_real_and_a_noisy_one_not():
    rng = random.Random(1)
    base = [0.7 + rng.uniform(-0.05, 0.05) for _ in range(400)]
    ahead = entry("a", 0.72, [b + 0.02 + rng.uniform(-0.005, 0.005) for b in base])  # same draws, always ahead
    noisy = entry("n", 0.705, [b + rng.uniform(-0.04, 0.05) for b in base])
    lower = entry("b", 0.70, base)
    test = paired(ahead, lower)
    assert test["real"] and test["ci"][0] > 0 and test["p"] == pytest.approx(1 / 401, abs=1e-4)
    assert test["difference"] == pytest.approx(0.02)
    assert not paired(noisy, lower)["real"] and paired(noisy, lower)["p"] > 0.05
    assert "different bootstrap draws" in paired(ahead, entry("b", 0.7, base, seed=14))["reason"]
    assert "evaluate it again" in paired(ahead, {"system": "old", "value": 0.6})["reason"]
    with_undefined = entry("u", 0.69, [None] * 10 + base[10:])
    assert paired(ahead, with_undefined)["samples"] == 390  # samples where a score is undefined are left out


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    """Three systems evaluated on 120 real sentences: gold, gold with a fifth of the sentences' entities dropped,
    and the same with one more sentence dropped (as good as the second, for a paired test to say so)."""
    root = tmp_path_factory.mktemp("board")
    words, tags = conll_sentences(DEV)
    words, tags = words[:120], tags[:120]
    docs = [sentence_doc(f"idner:s{k}", "test", w, sentence_spans([t])[0]) for k, (w, t) in enumerate(zip(words, tags))]
    docs.append(sentence_doc("idner:t", "train", words[0], sentence_spans([tags[0]])[0]))
    release = write_release(root / "rel", docs)
    dropped = {k for k in range(120) if k % 5 == 0}
    systems = {"gold": set(), "drop-fifth": dropped, "drop-fifth-and-one": dropped | {1}}
    path = root / "leaderboard.json"
    for name, drop in systems.items():
        lines = [{"sentence_id": f"idner:s{k}-s0", "tags": ["O"] * len(t) if k in drop else t}
                 for k, t in enumerate(tags)]
        predictions = root / f"{name}.jsonl"
        predictions.write_text("".join(json.dumps(x) + "\n" for x in lines))
        assert main(["evaluate", "--release", str(release), "--subset", "ner", "--predictions", str(predictions),
                     "--samples", "300", "--leaderboard", str(path)]) == 0
    return path


def test_leaderboard_entries_carry_the_bootstrap_samples_and_the_page_the_tests(board):
    entries = json.loads(board.read_text())["0.1.0"]["ner"]["test"]
    assert [e["system"] for e in entries] == ["gold", "drop-fifth", "drop-fifth-and-one"]
    assert all(len(e["bootstrap"]["replicates"]) == 300 and e["bootstrap"]["documents"] == 120 for e in entries)
    first, second = paired(entries[0], entries[1]), paired(entries[1], entries[2])
    assert first["real"] and first["difference"] > 0.05
    assert not second["real"]  # one sentence apart: the paired interval reaches zero
    page = board.with_suffix(".html").read_text()
    assert page == leaderboard_html(json.loads(board.read_text()))
    assert "Paired bootstrap over documents" in page and page.count("<tr") == 4


def test_leaderboard_page_in_chromium(board, browser, tmp_path):
    page = browser.new_page()
    page.goto(board.with_suffix(".html").as_uri())
    rows = page.locator("table tr")
    assert rows.count() == 4
    cells = [rows.nth(k).locator("td").all_inner_texts() for k in (1, 2, 3)]
    assert [c[1] for c in cells] == ["gold", "drop-fifth", "drop-fifth-and-one"]
    assert cells[0][7] == "real" and cells[1][7] == "within chance" and cells[2][7] == ""
    assert cells[0][2] == "1.0000"
    shot = tmp_path / "board.png"
    page.screenshot(path=str(shot), full_page=True)
    from PIL import Image

    image = Image.open(shot).convert("L")
    assert image.getextrema()[0] < 100  # text was drawn: not a blank page
    page.close()
