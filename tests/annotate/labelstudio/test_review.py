"""The review loop against a real Label Studio, through the commands: two annotators who disagree on spans, a
claim's check-worthiness and its speaker; adjudication leaves that document open (and the build still works);
`annotate push --review` sends it with both versions; a reviewer's decision, pulled back, is its gold; a ground
truth set with `annotate ground-truth` settles another document; `report` lists what was disputed and how it was
resolved. The browser side of the review is in test_web_ui.py.
"""

from __future__ import annotations

import json
import re

import pytest

from builder.annotate.labelstudio.client import connect
from builder.annotate.labelstudio.push import task_index
from builder.annotate.labelstudio.users import add_annotator
from builder.jsonl import read_jsonl
from tests.helpers.projects import cli, in_project, server_env, team_project
from tests.helpers.results import annotate, choice, doc_label, region, said_by

pytestmark = pytest.mark.labelstudio

ROWS = {"hoax": 5, "fish": 2, "jakarta": 0}
KEYS = {"hoax": "Heru menyebut", "fish": "penikmat kuliner", "jakarta": "banyak beredar informasi"}
CLAIM = "Jatim adalah produsen lele terbesar secara nasional"



@pytest.fixture(scope="module")
def round_(labelstudio_server, tmp_path_factory):
    root = tmp_path_factory.mktemp("review")
    config = team_project(root, "review-api", list(ROWS.values()))
    env = server_env(labelstudio_server)
    with in_project(root, env):

        def run(*args: str) -> str:
            return cli(*args, "--config", str(config))

        run("prepare")
        docs = {d["id"]: d for d in read_jsonl(root / "work/segment/documents.jsonl")}
        role = {r: next(d for d, doc in docs.items() if key in doc["text"]) for r, key in KEYS.items()}
        admin = connect(labelstudio_server.credentials(), retries=3)
        people = {}
        for email in ("ani@example.org", "bayu@example.org", "citra@example.org"):
            password = re.search(r"with the password (\S+) ", run("annotate", "annotators", "add", email)).group(1)
            people[email] = connect(add_annotator(admin, email, password).credentials, retries=3)
        run("annotate", "push", "--preannotator", "none")
        project = admin.get("api/projects/", title="review-api")["results"][0]["id"]
        tasks = {doc: refs[0].id for doc, refs in task_index(admin, project)[0].items()}
        ani, bayu = people["ani@example.org"], people["bayu@example.org"]

        t = docs[role["hoax"]]["text"]
        heru1, heru2 = region(t, "Heru", "entity", "PER"), region(t, "Heru", "entity", "PER", nth=1)
        jatim, claim = region(t, "Jawa Timur", "entity", "LOC"), region(t, CLAIM, "claim", "CLAIM")
        annotate(ani, tasks[role["hoax"]], [heru1, heru2, jatim, claim, choice(claim, "checkworthy", "yes"),
                                            choice(claim, "kind", "reported"), said_by(claim, heru1)])
        heru1b, heru2b = region(t, "Heru", "entity", "PER"), region(t, "Heru", "entity", "PER", nth=1)
        claimb = region(t, CLAIM, "claim", "CLAIM")
        annotate(bayu, tasks[role["hoax"]], [heru1b, heru2b, region(t, "Jawa Timur", "entity", "LOC"),
                                             region(t, "Kota Haikou", "entity", "LOC"), claimb,
                                             choice(claimb, "checkworthy", "no"), choice(claimb, "kind", "reported"),
                                             said_by(claimb, heru2b)])
        t = docs[role["jakarta"]]["text"]
        for who in (ani, bayu):
            annotate(who, tasks[role["jakarta"]], [region(t, "Kota Haikou", "entity", "LOC"),
                                                    region(t, "China", "entity", "LOC")])
        t = docs[role["fish"]]["text"]
        annotate(ani, tasks[role["fish"]], [region(t, "lele", "entity", "ORG"), doc_label("veracity", "valid")])
        annotate(bayu, tasks[role["fish"]], [doc_label("veracity", "valid")])
        run("annotate", "pull")
        yield {"root": root, "run": run, "docs": docs, "role": role, "admin": admin, "people": people,
               "project": project, "tasks": tasks}


def _predictions(admin, task: int) -> list[dict]:
    body = admin.get("api/predictions/", task=task)
    return sorted(body.get("results", []) if isinstance(body, dict) else body, key=lambda p: p["id"])


def _summary(r) -> dict:
    return json.loads((r["root"] / "annotations/gold/adjudication.json").read_text())


def _gold(r) -> dict:
    return {g["document_id"]: g for g in read_jsonl(r["root"] / "annotations/gold/gold.jsonl")}


def test_review_disagreement_leaves_the_document_open_and_the_build_works(round_):
    r, role = round_, round_["role"]
    assert json.loads(r["run"]("adjudicate"))["open_documents"] == 2
    summary = _summary(r)
    assert sorted(summary["open_documents"]) == sorted([role["hoax"], role["fish"]])
    assert summary["counts"]["gold_majority"] == 1 and set(_gold(r)) == {role["jakarta"]}
    items = [i for i in read_jsonl(r["root"] / "annotations/gold/review/items.jsonl") if i["document_id"] == role["hoax"]]
    assert {(i["kind"], i["layer"], i["name"]) for i in items} >= {
        ("tie", "entity", None), ("tie", "attribute", "checkworthy"), ("tie", "relation", "said_by")}
    r["run"]("build")  # never refused: the open documents are published as unadjudicated


def test_review_push_sends_both_versions_and_what_they_agreed_on(round_):
    r, role, admin = round_, round_["role"], round_["admin"]
    assert "imported 2" in r["run"]("annotate", "push", "--review")
    review = admin.get("api/projects/", title="review-api-review")["results"][0]
    assert review["maximum_annotations"] == 1
    tasks = {doc: refs[0].id for doc, refs in task_index(admin, review["id"])[0].items()}
    assert set(tasks) == {role["hoax"], role["fish"]}
    task = admin.get(f"api/tasks/{tasks[role['hoax']]}")
    assert "attribute/checkworthy" in task["data"]["review"] and "relation/said_by" in task["data"]["review"]
    preds = _predictions(admin, task["id"])
    assert [p["model_version"] for p in preds] == ["annotator-1", "annotator-2", "agreed"]
    text = r["docs"][role["hoax"]]["text"]
    agreed = preds[-1]["result"]
    shown = {text[x["value"]["start"]:x["value"]["end"]] for x in agreed if x["type"] == "labels"}
    assert shown == {"Heru", "Jawa Timur", CLAIM}  # both Heru spans, never Bayu's Kota Haikou
    assert {(x["from_name"], x["value"]["choices"][0]) for x in agreed if x["type"] == "choices"} == {("kind", "reported")}
    assert not [x for x in agreed if x["type"] == "relation"]
    assert "unchanged 2" in r["run"]("annotate", "push", "--review")  # idempotent
    r["review"] = review["id"]
    r["review_tasks"] = tasks


def test_review_decision_pulled_back_is_the_gold_with_reviewer_and_time(round_):
    r, role = round_, round_["role"]
    citra = r["people"]["citra@example.org"]
    task = r["review_tasks"][role["hoax"]]
    ani_version = next(p for p in _predictions(r["admin"], task) if p["model_version"] == "annotator-1")
    text = r["docs"][role["hoax"]]["text"]
    annotate(citra, task, ani_version["result"] + [region(text, "Kota Haikou", "entity", "LOC")])
    r["run"]("annotate", "pull", "--project", "review-api-review")
    r["run"]("adjudicate")
    assert _summary(r)["open_documents"] == [role["fish"]]
    gold = _gold(r)[role["hoax"]]
    assert gold["adjudication"]["method"] == "review" and gold["adjudication"]["decided_by"] == "annotator-3"
    assert gold["adjudication"]["decided_at"] and gold["adjudication"]["annotators"] == 2
    assert {(e["text"][0], e["offsets"][0][0]) for e in gold["entities"]} == {
        ("Heru", text.index("Heru")), ("Heru", text.index("Heru", text.index("Heru") + 1)),
        ("Jawa Timur", text.index("Jawa Timur")), ("Kota Haikou", text.index("Kota Haikou"))}
    (claim,) = gold["claims"]
    assert (claim["text"], claim["checkworthy"], claim["kind"]) == ([CLAIM], "yes", "reported")
    speaker = next(e for e in gold["entities"] if e["id"] == claim["speaker_id"])
    assert speaker["offsets"][0][0] == text.index("Heru")  # Ani's speaker, the first Heru


def test_review_ground_truth_through_the_api_settles_a_document(round_):
    r, role, admin = round_, round_["role"], round_["admin"]
    said = r["run"]("annotate", "ground-truth", role["fish"], "--annotator", "annotator-2")
    assert "ground truth" in said
    anns = admin.get(f"api/tasks/{r['tasks'][role['fish']]}")["annotations"]
    assert sorted(a["ground_truth"] for a in anns) == [False, True]
    r["run"]("annotate", "pull")
    r["run"]("adjudicate")
    assert _summary(r)["open_documents"] == []
    gold = _gold(r)[role["fish"]]
    assert gold["adjudication"]["method"] == "ground_truth" and gold["entities"] == []
    r["run"]("build")
    report = r["root"] / "work/report-api"
    r["run"]("report", "--out", str(report))
    rep = json.loads((report / "report.json").read_text())
    resolved = {(d["document_id"], d["layer"], d["name"]): d["resolved"] for d in rep["disagreements"]}
    assert resolved[(role["hoax"], "attribute", "checkworthy")] == "review by annotator-3"
    assert resolved[(role["fish"], "entity", None)].startswith("ground_truth")
    assert {p["annotator"] for p in rep["progress"]} == {"annotator-1", "annotator-2"}
