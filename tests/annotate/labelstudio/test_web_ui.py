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

import json
import os
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from builder.annotate.labelstudio.client import connect
from builder.annotate.labelstudio.push import task_index
from builder.jsonl import read_jsonl
from tests.helpers.browser import Annotator, screenshots_on_failure
from tests.helpers.projects import REPO, cli, in_project, server_env, team_project

SHOTS = REPO / ".test-artifacts" / "web-ui"
ROWS = {"hoax": 5, "fish": 2, "jakarta": 0}  # rows of the Pratiwi CSV: the three articles
KEYS = {"hoax": "Heru menyebut", "fish": "penikmat kuliner", "jakarta": "banyak beredar informasi"}



@pytest.fixture(scope="module")
def team(labelstudio_server, tmp_path_factory):
    """The prepared and pushed project, the two annotators' passwords, and the documents by role."""
    root = tmp_path_factory.mktemp("web-ui")
    config = team_project(root, "web-ui", list(ROWS.values()))
    env = server_env(labelstudio_server)
    with in_project(root, env):
        cli("prepare", "--config", str(config))
        docs = {d["id"]: d for d in read_jsonl(root / "work/segment/documents.jsonl")}
        passwords = {}
        for email, name in (("sari@example.org", "Sari"), ("budi@example.org", "Budi")):
            said = cli("annotate", "annotators", "add", email, "--name", name, "--config", str(config))
            passwords[email] = re.search(r"with the password (\S+) ", said).group(1)
        cli("annotate", "push", "--config", str(config))
        admin = connect(labelstudio_server.credentials(), retries=3)
        project = admin.get("api/projects/", title="web-ui")["results"][0]
        tasks = {doc: refs[0].id for doc, refs in task_index(admin, project["id"])[0].items()}
        role = {r: next(d for d, doc in docs.items() if key in doc["text"]) for r, key in KEYS.items()}
        yield {"root": root, "config": config, "env": env, "docs": docs, "passwords": passwords, "admin": admin,
               "project": project["id"], "tasks": tasks, "role": role, "sessions": {}, "selected": {}}


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
                sari.claim(*claim, "yes", "reported", heru[0])
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
                budi.claim(*claim, "yes", "reported", heru[0])
                budi.check("hoax")
                sel["claims"].add((*claim, "yes", "reported"))
                sel["relations"].add(("said_by", claim, heru))
                sel["doc_labels"].add(("veracity", "hoax"))
            elif doc_id == role["fish"]:  # a claim and nothing else
                claim = _at(text, "ikan lele tidak menyebabkan sel kanker")
                budi.claim(*claim, "yes", "assertion")
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


def _run(team, *args: str) -> str:
    with in_project(team["root"], team["env"]):
        return cli(*args, "--config", str(team["config"]))


def _newest_release(team) -> Path:
    return max((team["root"] / "releases").iterdir(), key=lambda p: tuple(map(int, p.name.split("."))))


def test_web_ui_release_holds_exactly_what_was_selected(team):
    assert set(team["selected"]) == {"sari@example.org", "budi@example.org"}, "the browser tests did not finish"
    pulled = _run(team, "annotate", "pull")
    assert "annotators: annotator-1, annotator-2" in pulled or "annotators: annotator-2, annotator-1" in pulled
    _run(team, "validate")
    _run(team, "agreement")
    _run(team, "adjudicate")
    # the two disagreed on every document: all are left open for review, none gets gold
    summary = json.loads((team["root"] / "annotations/gold/adjudication.json").read_text())
    assert sorted(summary["open_documents"]) == sorted(team["role"].values()) and summary["gold_documents"] == 0
    _run(team, "build")
    people = {"sari@example.org": "annotator-1", "budi@example.org": "annotator-2"}
    release = _newest_release(team)
    raw = [r for r in _table(release, "raw_annotations") if r["kind"] == "annotation" and not r["was_cancelled"]]
    got = {(r["annotator"], r["document_id"]): _row_sets(r) for r in raw}
    want = {(people[email], doc): sel for email, by_doc in team["selected"].items() for doc, sel in by_doc.items()}
    assert got == want
    assert not any(os.sep in str(v) or "@" in str(v) for r in raw for v in (r["annotator"], r["project"]))
    docs = {r["document_id"]: r for r in _table(release, "documents")}
    assert {docs[d]["annotation_status"] for d in team["role"].values()} == {"unadjudicated"}
    assert all(docs[d]["entities"] == [] for d in team["role"].values())


def test_web_ui_review_in_label_studio_decides_the_gold(team, browser):
    """A third person reviews the open documents in the review project, taking one annotator's version over
    with one action and correcting it; the next release's gold is exactly the reviewer's."""
    said = _run(team, "annotate", "annotators", "add", "rina@example.org", "--name", "Rina")
    team["passwords"]["rina@example.org"] = re.search(r"with the password (\S+) ", said).group(1)
    pushed = _run(team, "annotate", "push", "--review")
    assert "imported 3" in pushed
    admin = team["admin"]
    review = admin.get("api/projects/", title="web-ui-review")["results"][0]
    rina = _person(team, browser, "rina@example.org")
    role, docs = team["role"], team["docs"]
    tasks = {doc: refs[0].id for doc, refs in task_index(admin, review["id"])[0].items()}
    with screenshots_on_failure([rina], "rina"):
        for doc_id, task_id in sorted(tasks.items()):
            # from the task list: the label stream shows no other versions
            rina.open_task(review["id"], task_id, docs[doc_id]["text"])
            assert rina.header().startswith(f"{doc_id} (review: ")
            assert {"annotator-1", "annotator-2", "agreed"} <= set(rina.version_tabs())
            text = docs[doc_id]["text"]
            # her annotation starts from what both gave alike
            both = {"hoax": {"Heru", "Jawa Timur", "China", "Jatim adalah produsen lele terbesar secara nasional"}}
            assert set(rina.highlights()) == both.get(next(r for r, d in role.items() if d == doc_id), set())
            if doc_id == role["hoax"]:
                rina.duplicate_version("annotator-2")  # Budi's, without his Kota Haikou
                rina.delete_region(_at(text, "Kota Haikou")[0])
            elif doc_id == role["fish"]:
                rina.duplicate_version("annotator-1")  # Sari's document label, and Budi's claim added
                claim = _at(text, "ikan lele tidak menyebabkan sel kanker")
                rina.claim(*claim, "yes", "assertion")
            else:
                rina.duplicate_version("annotator-2")
            rina.submit()
    rina.close()
    _run(team, "annotate", "pull", "--project", "web-ui-review")
    _run(team, "adjudicate")
    summary = json.loads((team["root"] / "annotations/gold/adjudication.json").read_text())
    assert summary["open_documents"] == [] and summary["counts"]["gold_review"] == 3
    _run(team, "build")
    release = _newest_release(team)
    rows = {r["document_id"]: r for r in _table(release, "documents")}
    hoax, text = rows[role["hoax"]], docs[role["hoax"]]["text"]
    heru, claim = _at(text, "Heru"), _at(text, "Jatim adalah produsen lele terbesar secara nasional")
    assert {(e["type"], *e["offsets"][0]) for e in hoax["entities"]} == {
        ("PER", *heru), ("LOC", *_at(text, "Jawa Timur")), ("LOC", *_at(text, "China"))}
    speakers = {e["id"]: tuple(e["offsets"][0]) for e in hoax["entities"]}
    assert [(tuple(c["offsets"][0]), c["checkworthy"], c["kind"], speakers[c["speaker_id"]])
            for c in hoax["claims"]] == [(claim, "yes", "reported", heru)]
    fish, text = rows[role["fish"]], docs[role["fish"]]["text"]
    assert [(tuple(c["offsets"][0]), c["checkworthy"], c["kind"]) for c in fish["claims"]] == [
        (_at(text, "ikan lele tidak menyebabkan sel kanker"), "yes", "assertion")]
    assert {(d["name"], d["value"], d["provenance"]) for d in fish["doc_labels"]} == {
        ("veracity", "valid", "annotation:review")}
    jakarta, text = rows[role["jakarta"]], docs[role["jakarta"]]["text"]
    assert {(e["type"], *e["offsets"][0]) for e in jakarta["entities"]} == {
        ("LOC", *_at(text, "Kota Haikou")), ("LOC", *_at(text, "China"))}
    assert {rows[d]["annotation_status"] for d in role.values()} == {"gold"}
    assert {(rows[d]["adjudication"]["method"], rows[d]["adjudication"]["reviewed"], rows[d]["adjudication"]["machine"],
             rows[d]["adjudication"]["annotators"]) for d in role.values()} == {("review", True, False, 2)}
    reviews = [r for r in _table(release, "raw_annotations") if r["kind"] == "review"]
    assert sorted(r["document_id"] for r in reviews) == sorted(role.values())
    assert {r["annotator"] for r in reviews} == {"annotator-3"}


def _at_path(body, key: str):
    for part in key.split("."):
        body = len(body) if part == "length" else body[int(part)] if isinstance(body, list) else body[part]
    return body


def test_web_ui_round_report_renders_and_shows_the_figures_of_its_json(team, browser):
    """`newsbench report` after the round: one self-contained HTML page whose every figure equals its JSON."""
    from PIL import Image, ImageStat

    out = team["root"] / "work/report-test"
    _run(team, "report", "--out", str(out))
    rep = json.loads((out / "report.json").read_text())
    page_html = (out / "report.html").read_text()
    assert not re.search(r"""(src|href)=["'](?!http://127\.0\.0\.1)""", page_html), "no external assets"
    assert "<svg" in page_html and "<script" not in page_html
    # what happened in the round: Sari and Budi on three documents, Rina's review left out of every figure
    assert {(r["annotator"], r["submitted"]) for r in rep["progress"]} == {("annotator-1", 3), ("annotator-2", 3)}
    assert rep["documents_with_two_or_more"] == 3
    assert [p["annotators"] for p in rep["agreement"]["pairs"]] == [["annotator-1", "annotator-2"]]
    kinds = {(d["document_id"], d["layer"]) for d in rep["disagreements"]}
    assert {(team["role"]["hoax"], "entity"), (team["role"]["fish"], "claim")} <= kinds
    assert {d["resolved"] for d in rep["disagreements"]} == {"review by annotator-3"}
    assert all(d["task_url"].startswith(team["env"]["LABEL_STUDIO_URL"]) for d in rep["disagreements"])
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    try:
        page.goto((out / "report.html").as_uri())
        shot = out / "report.png"
        page.screenshot(path=str(shot), full_page=True)
        image = Image.open(shot).convert("L")
        assert image.height > 900 and ImageStat.Stat(image).stddev[0] > 10, "the page renders blank"
        shown = page.eval_on_selector_all("[data-k]", "els => els.map(e => [e.dataset.k, e.textContent])")
        assert len(shown) > 50
        for key, text in shown:
            want = _at_path(rep, key) if key != "disagreements.open" else sum(
                1 for d in rep["disagreements"] if not d["resolved"])
            if want is None:
                assert text == "-", key
            elif isinstance(want, float):
                assert float(text) == pytest.approx(want, abs=5.01e-4), key  # shown to 3 decimals
            else:
                assert text == str(want), key
        assert page.locator("svg rect").count() >= 4
    finally:
        page.close()
