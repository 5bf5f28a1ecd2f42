"""Two annotators in Label Studio's web UI, from `annotators add` to a release holding exactly what they selected.

A project of three real articles (Pratiwi 2017, CC BY 4.0) is prepared and pushed with the CLI, with the rule
pre-annotations. Two people get accounts with `newsbench annotate annotators add` and sign in with the printed
password; in a real Chromium they open tasks from the label stream, see the pre-annotations, correct them with
the mouse, make a claim with its check-worthiness, kind and `said_by` speaker, choose the document label, skip a
task and cancel the skip, and submit every kind of task (a mix, a claim only, entities only, a document label
only, nothing). Then `pull`, `validate`, `agreement`, `adjudicate` and `build` run as commands, and the release's
raw annotations must hold exactly the spans, labels, attributes and speakers selected in the browser, and its
gold exactly what both agreed on. On failure each page's screenshot is saved (its path is printed).
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from builder.annotate.labelstudio.client import connect
from builder.annotate.labelstudio.push import task_index
from builder.cli import main
from builder.jsonl import read_jsonl
from tests.helpers.browser import Annotator, launch, screenshots_on_failure
from tests.helpers.projects import REPO, pratiwi_rows, write_project

SHOTS = REPO / ".test-artifacts" / "web-ui"
ROWS = {"hoax": 5, "fish": 2, "jakarta": 0}  # rows of the Pratiwi CSV: the three articles
KEYS = {"hoax": "Heru menyebut", "fish": "penikmat kuliner", "jakarta": "banyak beredar informasi"}


def _cli(*args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(args))
    assert code == 0, f"newsbench {' '.join(args)} exited {code}: {out.getvalue()}"
    return out.getvalue()


@pytest.fixture(scope="module")
def team(labelstudio_server, tmp_path_factory):
    """The prepared and pushed project, the two annotators' passwords, and the documents by role."""
    root = tmp_path_factory.mktemp("web-ui")
    rows = pratiwi_rows()
    table = io.StringIO()
    writer = csv.writer(table, delimiter=";")
    writer.writerow(["berita", "tagging"])
    for k in ROWS.values():
        writer.writerow(rows[k])
    config = write_project(root, """
        [project]
        name = "web-ui"
        [[sources]]
        name = "pratiwi2017"
        format = "csv"
        path = "pratiwi.csv"
        delimiter = ";"
        license = "CC-BY-4.0"
        redistributable = true
        retrieved_at = "2026-11-26"
        columns = { text = "berita" }
        labels = { veracity = "tagging" }
        label_values = { Valid = "valid", Hoax = "hoax" }
        [annotate]
        overlap = 2
        [adjudicate]
        min_annotators = 1
        [release]
        annotations_creators = ["expert-generated"]
        """, {"pratiwi.csv": table.getvalue(),
              **{name: (REPO / name).read_text(encoding="utf-8") for name in ("annotations/GUIDELINES.md",
                                                                              "schema/labels.json")}})
    env = {"LABEL_STUDIO_URL": labelstudio_server.url, "LABEL_STUDIO_API_KEY": labelstudio_server.credentials().key}
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        mp.chdir(root)
        _cli("prepare", "--config", str(config))
        docs = {d["id"]: d for d in read_jsonl(root / "work/segment/documents.jsonl")}
        passwords = {}
        for email, name in (("sari@example.org", "Sari"), ("budi@example.org", "Budi")):
            said = _cli("annotate", "annotators", "add", email, "--name", name, "--config", str(config))
            passwords[email] = re.search(r"with the password (\S+) ", said).group(1)
        _cli("annotate", "push", "--config", str(config))
        admin = connect(labelstudio_server.credentials(), retries=3)
        project = admin.get("api/projects/", title="web-ui")["results"][0]
        tasks = {doc: refs[0].id for doc, refs in task_index(admin, project["id"])[0].items()}
        role = {r: next(d for d, doc in docs.items() if key in doc["text"]) for r, key in KEYS.items()}
        yield {"root": root, "config": config, "env": env, "docs": docs, "passwords": passwords, "admin": admin,
               "project": project["id"], "tasks": tasks, "role": role, "sessions": {}, "selected": {}}


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = launch(p)
        yield chromium
        chromium.close()


def _at(text: str, quote: str, nth: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(quote, start + 1)
    return start, start + len(quote)


def _person(team, browser, email: str) -> Annotator:
    who = Annotator(browser, team["env"]["LABEL_STUDIO_URL"], email, team["passwords"][email], SHOTS)
    who.login()
    return who


def _texts(team) -> dict[str, str]:
    return {doc_id: d["text"] for doc_id, d in team["docs"].items()}


def test_web_ui_first_annotator_corrects_pre_annotations_skips_and_cancels_the_skip(team, browser):
    sari = _person(team, browser, "sari@example.org")
    role, docs = team["role"], team["docs"]
    hoax = docs[role["hoax"]]["text"]
    # what the annotator starts from: the task's prediction, as the server holds it
    [prediction] = team["admin"].get("api/predictions/", task=team["tasks"][role["hoax"]])
    spans = {r["id"]: r["value"] for r in prediction["result"] if r["type"] == "labels"}
    attrs: dict = {}
    for r in prediction["result"]:
        if r["type"] == "choices":
            attrs.setdefault(r["id"], {})[r["from_name"]] = r["value"]["choices"][0]
    predicted = [(v["labels"][0], v["start"], v["end"]) for v in spans.values()]
    sel: dict = {
        "entities": {(lab, s, e) for lab, s, e in predicted if lab != "CLAIM"},
        "claims": {(v["start"], v["end"], attrs[i]["checkworthy"], attrs[i]["kind"]) for i, v in spans.items()
                   if v["labels"] == ["CLAIM"]},
        "relations": {("said_by", (spans[r["from_id"]]["start"], spans[r["from_id"]]["end"]),
                       (spans[r["to_id"]]["start"], spans[r["to_id"]]["end"])) for r in prediction["result"]
                      if r["type"] == "relation"},
        "doc_labels": set()}
    seen = []
    with screenshots_on_failure([sari], "sari"):
        for _ in range(3):
            doc_id = sari.open_stream(team["project"], _texts(team))
            seen.append(doc_id)
            if doc_id == role["fish"]:
                sari.skip()  # later: cancel the skip and give the document label only
            elif doc_id == role["jakarta"]:
                sari.delete_all_regions()  # the proposals are all wrong: nothing to mark
                assert sari.highlights() == []
                sari.submit()
            else:
                # the pre-annotations are shown as highlights
                shown = sari.highlights()
                assert len(shown) >= len(predicted)
                assert {hoax[s:e].replace("\n", "") for _, s, e in predicted} <= set(shown)
                nomor = next((lab, s, e) for lab, s, e in predicted if hoax[s:e] == "Nomor")
                sari.delete_region(nomor[1])
                sel["entities"].discard(nomor)
                heru = _at(hoax, "Heru")
                sari.mark("PER", *heru)
                claim = _at(hoax, "Jatim adalah produsen lele terbesar secara nasional")
                sari.mark("CLAIM", *claim)
                sari.click_region(claim[0])
                sari.check("yes")
                sari.check("reported")
                sari.relate(heru[0], "said_by")
                sari.page.keyboard.press("Escape")
                sari.check("hoax")
                sari.submit()
                sel["entities"].add(("PER", *heru))
                sel["claims"].add((*claim, "yes", "reported"))
                sel["relations"].add(("said_by", claim, heru))
                sel["doc_labels"].add(("veracity", "hoax"))
        assert sorted(seen) == sorted(role.values())  # the stream served each task once

        fish_task = team["tasks"][role["fish"]]
        state = team["admin"].get(f"api/tasks/{fish_task}")
        assert [a["was_cancelled"] for a in state["annotations"]] == [True]
        sari.open_task(team["project"], fish_task, docs[role["fish"]]["text"])
        sari.cancel_skip()
        assert team["admin"].get(f"api/tasks/{fish_task}")["annotations"] == []  # the skip is gone
        sari.check("valid")
        sari.submit()
    sari.close()
    team["selected"]["sari@example.org"] = {
        role["hoax"]: sel,
        role["fish"]: {"entities": set(), "claims": set(), "relations": set(), "doc_labels": {("veracity", "valid")}},
        role["jakarta"]: {"entities": set(), "claims": set(), "relations": set(), "doc_labels": set()},
    }


def test_web_ui_second_annotator_annotates_the_same_tasks_differently(team, browser):
    budi = _person(team, browser, "budi@example.org")
    role, docs = team["role"], team["docs"]
    selected = {}
    with screenshots_on_failure([budi], "budi"):
        for _ in range(3):
            doc_id = budi.open_stream(team["project"], _texts(team))
            text = docs[doc_id]["text"]
            sel = {"entities": set(), "claims": set(), "relations": set(), "doc_labels": set()}
            budi.delete_all_regions()  # he starts from nothing
            if doc_id == role["hoax"]:
                heru, jatim, china = _at(text, "Heru"), _at(text, "Jawa Timur"), _at(text, "China")
                haikou = _at(text, "Kota Haikou")
                for label, span in (("PER", heru), ("LOC", jatim), ("LOC", china), ("LOC", haikou)):
                    budi.mark(label, *span)
                    sel["entities"].add((label, *span))
                claim = _at(text, "Jatim adalah produsen lele terbesar secara nasional")
                budi.mark("CLAIM", *claim)
                budi.click_region(claim[0])
                budi.check("yes")
                budi.check("reported")
                budi.relate(heru[0], "said_by")
                budi.page.keyboard.press("Escape")
                budi.check("hoax")
                sel["claims"].add((*claim, "yes", "reported"))
                sel["relations"].add(("said_by", claim, heru))
                sel["doc_labels"].add(("veracity", "hoax"))
            elif doc_id == role["fish"]:  # a claim and nothing else
                claim = _at(text, "ikan lele tidak menyebabkan sel kanker")
                budi.mark("CLAIM", *claim)
                budi.click_region(claim[0])
                budi.check("yes")
                budi.check("assertion")
                sel["claims"].add((*claim, "yes", "assertion"))
            else:  # entities and nothing else: the task the shipped config could not submit
                for label, quote in (("LOC", "Kota Haikou"), ("LOC", "China")):
                    span = _at(text, quote)
                    budi.mark(label, *span)
                    sel["entities"].add((label, *span))
            budi.submit()
            selected[doc_id] = sel
    budi.close()
    assert set(selected) == set(role.values())
    team["selected"]["budi@example.org"] = selected


def _row_sets(row: dict) -> dict:
    spans = {e["id"]: tuple(e["offsets"][0]) for e in row["entities"] + row["claims"]}
    return {
        "entities": {(e["type"], *e["offsets"][0]) for e in row["entities"]},
        "claims": {(*c["offsets"][0], c["checkworthy"], c["kind"]) for c in row["claims"]},
        "relations": {(r["type"], spans[r["arg1_id"]], spans[r["arg2_id"]]) for r in row["relations"]},
        "doc_labels": {(d["name"], d["value"]) for d in row["doc_labels"]},
    }


def _table(release: Path, config: str) -> list[dict]:
    rows = []
    for f in sorted((release / "data" / config).glob("*.parquet")):
        rows += pq.read_table(f).to_pylist()
    return rows


def test_web_ui_release_holds_exactly_what_was_selected(team):
    assert set(team["selected"]) == {"sari@example.org", "budi@example.org"}, "the browser tests did not finish"
    cfg = str(team["config"])
    with pytest.MonkeyPatch.context() as mp:
        for k, v in team["env"].items():
            mp.setenv(k, v)
        mp.chdir(team["root"])
        pulled = _cli("annotate", "pull", "--config", cfg)
        assert "annotators: annotator-1, annotator-2" in pulled or "annotators: annotator-2, annotator-1" in pulled
        _cli("validate", "--config", cfg)
        _cli("agreement", "--config", cfg)
        _cli("adjudicate", "--config", cfg)
        _cli("build", "--config", cfg)
    people = {"sari@example.org": "annotator-1", "budi@example.org": "annotator-2"}
    release = next((team["root"] / "releases").iterdir())
    raw = [r for r in _table(release, "raw_annotations") if r["kind"] == "annotation" and not r["was_cancelled"]]
    got = {(r["annotator"], r["document_id"]): _row_sets(r) for r in raw}
    want = {(people[email], doc): sel for email, by_doc in team["selected"].items() for doc, sel in by_doc.items()}
    assert got == want
    assert not any(os.sep in str(v) or "@" in str(v) for r in raw for v in (r["annotator"], r["project"]))

    # gold: what both gave
    role = team["role"]
    docs = {r["document_id"]: r for r in _table(release, "documents")}
    hoax, text = docs[role["hoax"]], team["docs"][role["hoax"]]["text"]
    heru, claim = _at(text, "Heru"), _at(text, "Jatim adalah produsen lele terbesar secara nasional")
    assert {(e["type"], *e["offsets"][0]) for e in hoax["entities"]} == {
        ("PER", *heru), ("LOC", *_at(text, "Jawa Timur")), ("LOC", *_at(text, "China"))}
    speakers = {e["id"]: tuple(e["offsets"][0]) for e in hoax["entities"]}
    assert [(tuple(c["offsets"][0]), c["checkworthy"], c["kind"], speakers[c["speaker_id"]])
            for c in hoax["claims"]] == [(claim, "yes", "reported", heru)]
    # one marked two places, the other nothing: no gold span
    assert docs[role["jakarta"]]["entities"] == [] and hoax["annotation_status"] == "gold"
