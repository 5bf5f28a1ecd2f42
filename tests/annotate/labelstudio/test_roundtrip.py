"""The Label Studio round trip against a real server (marker `labelstudio`; the server is started by conftest).

Two annotators (the second a real user who signed up through the invite link, with its own token) annotate
through the API the way the web UI writes results; pull must give back exactly that.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from builder.cli import main
from builder.config import config_from_dict
from builder.document import make_doc_id, new_document
from builder.errors import DataInvalidError
from builder.jsonl import read_jsonl, write_jsonl
from builder.annotate.labelstudio.config import labelling_config
from builder.labels import load_label_schema, parse_label_map, parse_label_schema
from builder.annotate.labelstudio.client import AuthError, Client, Credentials, connect
from builder.annotate.annotators import AnnotatorMap
from builder.annotate.labelstudio.project import ProjectSettings, ensure_project
from builder.annotate.labelstudio.pull import pull
from builder.annotate.labelstudio.push import Selection, push, task_index
from builder.annotate.labelstudio.status import project_status
from builder.annotate.labelstudio.users import add_annotator
from builder.bench.baselines.rules import RulePreAnnotator
from builder.spans import confidence
from tests.helpers.projects import SEED, pratiwi_rows
from tests.helpers.results import annotate, choice, region, rid, said_by

pytestmark = pytest.mark.labelstudio

REPO = Path(__file__).resolve().parents[3]
SCHEMA = load_label_schema(REPO / "schema/labels.json")
RECORDS = Draft202012Validator(json.loads((REPO / "schema/annotation.schema.json").read_text()))
EMOJI_TEXT = ("Warga 🇮🇩 bersorak 😀 menyambut rombongan.\r\nPresiden Joko Widodo tiba di Surabaya pada "
              "Senin (1/7/2024).\r\n\"Ekonomi tumbuh 5 persen tahun ini,\" kata Joko Widodo.")


def _doc(source: str, key: str, text: str, split: str, title: str | None = None) -> dict:
    doc = new_document(doc_id=make_doc_id(source, key), language="id", text=text, title=title,
                       source={"name": source, "license": "CC-BY-4.0", "redistributable": True,
                               "retrieved_at": "2026-11-26", "key": key})
    doc["split"] = split
    return doc


def corpus(n: int, offset: int = 0) -> list[dict]:
    """The seed article, an emoji/CRLF article and n Pratiwi articles, spread over the splits."""
    docs = [_doc("seed", "000", SEED.read_text(encoding="utf-8"), "test", "Putin tiba di Korea Utara"),
            _doc("handmade", "emoji-crlf", EMOJI_TEXT, "validation")]
    rows = pratiwi_rows()[offset:offset + n]
    docs += [_doc("pratiwi2017", str(offset + i), text, ("train", "validation", "test")[i % 3])
             for i, (text, _) in enumerate(rows)]
    return docs


@pytest.fixture(scope="module")
def admin(labelstudio_server) -> Client:
    return connect(labelstudio_server.credentials(), retries=3)


def _title(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


def expected_layers(result: list) -> dict:
    """What a canonical annotation must hold for a result list written as above."""
    spans = {r["id"]: r for r in result if r["type"] == "labels"}
    attrs: dict = {}
    for r in result:
        if r["type"] == "choices" and r["id"] in spans:
            attrs.setdefault(r["id"], {})[r["from_name"]] = r["value"]["choices"][0]
    ents = sorted((r["id"], r["value"]["labels"][0], r["value"]["start"], r["value"]["end"])
                  for r in spans.values() if r["from_name"] == "entity")
    claims = sorted((r["id"], r["value"]["start"], r["value"]["end"], tuple(sorted(attrs.get(r["id"], {}).items())))
                    for r in spans.values() if r["from_name"] == "claim")
    rels = sorted((r["from_id"], r["to_id"], r["labels"][0]) for r in result if r["type"] == "relation")
    docs = {r["from_name"]: r["value"]["choices"] for r in result if r["type"] == "choices" and r["id"] not in spans}
    return {"entities": ents, "claims": claims, "relations": rels, "doc_labels": docs}


def actual_layers(ann: dict, text: str) -> dict:
    for r in ann["entities"] + ann["claims"]:
        assert r["text"] == text[r["start"]:r["end"]]
    return {
        "entities": sorted((e["id"], e["label"], e["start"], e["end"]) for e in ann["entities"]),
        "claims": sorted((c["id"], c["start"], c["end"], tuple(sorted(c["attributes"].items()))) for c in ann["claims"]),
        "relations": sorted((r["from_id"], r["to_id"], r["type"]) for r in ann["relations"]),
        "doc_labels": ann["doc_labels"],
    }


@pytest.fixture(scope="module")
def scenario(admin, labelstudio_server, tmp_path_factory):
    """Push, then two annotators annotate; returns everything the tests compare against."""
    tmp = tmp_path_factory.mktemp("roundtrip")
    docs = corpus(12)
    path = tmp / "documents.jsonl"
    write_jsonl(path, docs)
    title = _title("roundtrip")
    sync = ensure_project(admin, SCHEMA, ProjectSettings(title, overlap=2, instructions="<p>lihat pedoman</p>"))
    project = (sync.project, sync.changes)
    report = push(admin, SCHEMA, path, project=(project[0]["id"], project[1]), selection=Selection(),
                  preannotator=RulePreAnnotator(), batch_size=5)
    password = secrets.token_urlsafe(12)
    second_creds = add_annotator(admin, f"anotator-{secrets.token_hex(3)}@newsbench.local", password).credentials
    second = connect(second_creds, retries=3)
    ids = {d: refs[0].id for d, refs in task_index(admin, project[0]["id"])[0].items()}
    by_id = {d["id"]: d for d in docs}
    me, other = admin.whoami()["id"], second.whoami()["id"]
    sent: dict = {}

    seed = docs[0]
    t = seed["text"]
    putin_full = region(t, "Vladimir Putin", "entity", "PER")
    korea = region(t, "Korea Utara", "entity", "LOC")
    date = region(t, "Rabu (19/6/2024)", "entity", "DATE")
    putin_says = region(t, "Putin", "entity", "PER", nth=5)
    quote = region(t, "Kita akan terus dengan tegas menentang ambisi Barat", "claim", "CLAIM")
    result1 = [putin_full, korea, date, putin_says, quote, choice(quote, "checkworthy", "no"),
               choice(quote, "kind", "quote"), said_by(quote, putin_says)]
    sent[(seed["id"], me)] = (annotate(admin, ids[seed["id"]], result1, ground_truth=True), result1)
    visit = region(t, "Ini merupakan kunjungan pertama Putin ke Korea Utara dalam 24 tahun terakhir", "claim", "CLAIM")
    result2 = [region(t, "Vladimir Putin", "entity", "PER"), region(t, "KCNA", "entity", "ORG"), visit,
               choice(visit, "checkworthy", "yes"), choice(visit, "kind", "assertion"),
               {"id": rid(), "from_name": "veracity", "to_name": "text", "type": "choices",
                "value": {"choices": ["valid"]}}]
    sent[(seed["id"], other)] = (annotate(second, ids[seed["id"]], result2), result2)

    emoji = docs[1]
    t = emoji["text"]
    jokowi = region(t, "Joko Widodo", "entity", "PER", nth=1)
    growth = region(t, "Ekonomi tumbuh 5 persen tahun ini", "claim", "CLAIM")
    across = region(t, "rombongan.\r\nPresiden", "claim", "CLAIM")  # crosses a \r\n: value.text gets \n\n
    result3 = [region(t, "😀", "entity", "EVENT"), region(t, "Joko Widodo", "entity", "PER"), jokowi,
               region(t, "Surabaya", "entity", "LOC"), region(t, "Senin (1/7/2024)", "entity", "DATE"), growth,
               choice(growth, "checkworthy", "yes"), choice(growth, "kind", "quote"), said_by(growth, jokowi), across]
    sent[(emoji["id"], me)] = (annotate(admin, ids[emoji["id"]], result3), result3)
    skipped_doc = docs[2]
    sent[(skipped_doc["id"], other)] = (annotate(second, ids[skipped_doc["id"]], [], was_cancelled=True), [])
    t = docs[3]["text"]
    result4 = [region(t, t.split()[0], "entity", "LOC"),
               {"id": rid(), "from_name": "veracity", "to_name": "text", "type": "choices",
                "value": {"choices": ["hoax"]}}]
    sent[(docs[3]["id"], other)] = (annotate(second, ids[docs[3]["id"]], result4), result4)
    return {"docs": docs, "by_id": by_id, "path": path, "title": title, "project": project[0], "push": report,
            "sent": sent, "me": me, "other": other, "tmp": tmp, "keys": [admin.creds.key, second_creds.key],
            "ids": ids}


def test_roundtrip_push_created_one_task_per_document(scenario, admin):
    rep = scenario["push"]
    n = len(scenario["docs"])
    assert rep.counts["imported"] == n and rep.counts["tasks_after"] == n and not rep.refused
    project = admin.get(f"api/projects/{scenario['project']['id']}")
    assert project["maximum_annotations"] == 2 and project["label_config"].strip() == labelling_config(SCHEMA).strip()


def test_roundtrip_pull_equals_what_was_annotated(scenario, admin):
    out = scenario["tmp"] / "annotations"
    people = AnnotatorMap.load(out / "annotators.json")
    pulled = pull(admin, SCHEMA, scenario["title"], out, page_size=5, people=people)
    emails = admin.users()
    names = {user: AnnotatorMap.load(out / "annotators.json").by_email(emails[user]).id
             for user in (scenario["me"], scenario["other"])}
    assert sorted(names.values()) == ["annotator-1", "annotator-2"] == pulled["new_annotators"]
    assert "@" not in (out / "annotators.json").read_text()  # only hashes of the emails
    export = Path(pulled["export_dir"])
    manifest = json.loads((export / "manifest.json").read_text())
    tasks_bytes = (export / "tasks.jsonl").read_bytes()
    assert manifest["sha256"] == hashlib.sha256(tasks_bytes).hexdigest()
    assert manifest["counts"]["tasks"] == len(scenario["docs"])
    assert manifest["counts"]["annotations"] == len(scenario["sent"])
    assert manifest["counts"]["skipped"] == 1 and manifest["counts"]["ground_truth"] == 1
    assert manifest["server_version"] == "1.23.2" and manifest["project"]["title"] == scenario["title"]
    assert not os.access(export / "tasks.jsonl", os.W_OK) or os.geteuid() == 0
    assert (export / "tasks.jsonl").stat().st_mode & 0o222 == 0  # read-only, never rewritten

    records = {r["document_id"]: r for r in read_jsonl(out / "canonical" / f"{scenario['title']}.jsonl")}
    assert set(records) == set(scenario["by_id"])
    for rec in records.values():
        assert not list(RECORDS.iter_errors(rec)), rec["document_id"]
        assert rec["text_sha256"] == scenario["by_id"][rec["document_id"]]["text_sha256"]
        proposed = RulePreAnnotator().predict_one(scenario["by_id"][rec["document_id"]]).regions
        # a document without proposals has no prediction (uncertainty sampling would serve it first)
        assert [p["model_version"] for p in rec["predictions"]] == (["rules-id-1"] if proposed else [])
    got = {(r["document_id"], a["annotator"]): a for r in records.values() for a in r["annotations"]}
    assert set(got) == {(doc, names[user]) for doc, user in scenario["sent"]}
    for (doc_id, user), (created, result) in scenario["sent"].items():
        ann = got[(doc_id, names[user])]
        assert ann["id"] == created["id"] and ann["lead_time"] == created["lead_time"]
        assert ann["was_cancelled"] == (result == [] and created["was_cancelled"])
        assert ann["ground_truth"] == created["ground_truth"]
        assert actual_layers(ann, scenario["by_id"][doc_id]["text"]) == expected_layers(result)
    # the span across \r\n: value.text was rewritten by the frontend convention, offsets stay exact
    emoji_ann = got[(scenario["docs"][1]["id"], names[scenario["me"]])]
    checks = {c["text"]: c["offset_check"] for c in emoji_ann["claims"]}
    assert checks == {"rombongan.\r\nPresiden": "linebreak_rewrite", "Ekonomi tumbuh 5 persen tahun ini": "ok"}
    assert any(e["text"] == "😀" for e in emoji_ann["entities"])
    assert pulled["canonical"]["offsets"] == {}


def test_roundtrip_push_again_adds_nothing(scenario, admin):
    again = push(admin, SCHEMA, scenario["path"], project=(scenario["project"]["id"], []), selection=Selection(),
                 preannotator=RulePreAnnotator(), batch_size=5)
    n = len(scenario["docs"])
    assert again.counts.get("imported", 0) == 0 and again.counts["unchanged"] == n
    assert again.counts.get("predictions_added", 0) == 0 and again.counts["tasks_after"] == n
    index, _ = task_index(admin, scenario["project"]["id"])
    assert sorted(index) == sorted(scenario["by_id"]) and all(len(v) == 1 for v in index.values())


def test_roundtrip_status_counts(scenario, admin):
    people = AnnotatorMap(scenario["tmp"] / "status-annotators.json")
    admin_email = admin.whoami()["email"]
    people.add(admin_email, "Lead")
    st = project_status(admin, scenario["title"], people=people, page_size=4)
    # overlap 2: the seed has two submitted annotations, two documents one each, the skipped one none
    assert (st["tasks"], st["complete"], st["in_progress"], st["skipped"]) == (len(scenario["docs"]), 1, 2, 1)
    assert st["open"] == len(scenario["docs"]) - 3
    assert [t["document_id"] for t in st["complete_tasks"]] == [scenario["docs"][0]["id"]]
    assert sum(v["tasks"] for v in st["per_split"].values()) == st["tasks"]
    per = st["per_annotator"]
    assert per["annotator-1 (Lead)"] == {"submitted": 2, "ground_truth": 1}
    other = next(v for k, v in per.items() if k.endswith("(no pseudonym yet)"))
    assert other == {"submitted": 2, "skipped": 1, "ground_truth": 0}


def test_roundtrip_changed_text_refused_unless_unannotated(scenario, admin, tmp_path):
    docs = [dict(d) for d in scenario["docs"]]
    changed = {docs[0]["id"], docs[5]["id"]}  # the seed is annotated; docs[5] is not
    for d in docs:
        if d["id"] in changed:
            d["text"] = d["text"] + " Tambahan."  # the stated text_sha256 left stale: the text itself counts
    path = tmp_path / "changed.jsonl"
    write_jsonl(path, docs)
    rep = push(admin, SCHEMA, path, project=(scenario["project"]["id"], []), selection=Selection(),
               preannotator=RulePreAnnotator(), batch_size=5)
    assert [r["document_id"] for r in rep.refused] == [docs[0]["id"]]
    assert rep.refused[0]["annotations"] == 2 and rep.counts["updated_text"] == 1
    task = admin.get(f"api/tasks/{scenario['ids'][docs[5]['id']]}")
    assert task["data"]["text"].endswith(" Tambahan.")
    preds = admin.get("api/predictions/", task=task["id"])
    assert len(preds) == 1 and all(r["value"]["end"] <= len(task["data"]["text"]) for r in preds[0]["result"]
                                   if "value" in r and "end" in r["value"])
    seed_task = admin.get(f"api/tasks/{scenario['ids'][docs[0]['id']]}")
    assert not seed_task["data"]["text"].endswith(" Tambahan.")


def test_roundtrip_selection_by_split_sample_and_confidence(admin, tmp_path):
    docs = corpus(30, offset=100)
    path = tmp_path / "docs.jsonl"
    write_jsonl(path, docs)
    title = _title("selection")
    pre = RulePreAnnotator()
    project = ensure_project(admin, SCHEMA, ProjectSettings(title)).project
    rep = push(admin, SCHEMA, path, project=(project["id"], []), selection=Selection(("test",), 4, "input", 1),
               preannotator=pre)
    index, _ = task_index(admin, project["id"])
    assert len(index) == 4 and all(next(d for d in docs if d["id"] == i)["split"] == "test" for i in index)
    assert rep.counts["imported"] == 4

    title = _title("least-confident")
    project = ensure_project(admin, SCHEMA, ProjectSettings(title, sampling="least-confident",
                                                            model_version=pre.model_version)).project
    push(admin, SCHEMA, path, project=(project["id"], []), selection=Selection((), 5, "least-confident", 1),
         preannotator=pre)
    ranked = sorted((c, p.doc_id) for p in pre.predict(docs) if (c := confidence(p)) is not None)
    index, _ = task_index(admin, project["id"])
    assert set(index) == {d for _, d in ranked[:5]}  # the least sure, all with proposals
    settings = admin.get(f"api/projects/{project['id']}")
    assert settings["sampling"] == "Uncertainty sampling" and settings["model_version"] == pre.model_version
    # the label stream serves the least confident first: with k accounts in the organisation, one of the k + 1
    # least confident at random (Label Studio's way of keeping annotators off the same task)
    push(admin, SCHEMA, path, project=(project["id"], []), selection=Selection((), None, "least-confident", 1),
         preannotator=pre)
    served = admin.get(f"api/projects/{project['id']}/next")
    accounts = len(admin.users())
    assert len(ranked) > accounts + 1 and served["data"]["doc_id"] in {d for _, d in ranked[:accounts + 1]}


def test_roundtrip_pushing_the_corpus_leaves_out_imported_gold_unless_its_source_is_named(admin, tmp_path):
    docs = corpus(4, offset=200)
    imported = {**docs[0], "id": "idner:train.txt:1", "document_id": "idner:train.txt:1",
                "source": {**docs[0]["source"], "name": "idner"}, "entities": []}  # came with its (empty) gold
    path = tmp_path / "docs.jsonl"
    write_jsonl(path, [imported, *docs[1:]])
    project = ensure_project(admin, SCHEMA, ProjectSettings(_title("imported"))).project
    rep = push(admin, SCHEMA, path, project=(project["id"], []), selection=Selection(skip_annotated=True),
               preannotator=None)
    assert rep.counts["skipped_imported_with_gold"] == 1, rep.counts
    assert rep.counts["imported"] == len(docs) - 1, rep.counts
    rep = push(admin, SCHEMA, path, project=(project["id"], []),
               selection=Selection(sources=("idner",), skip_annotated=True), preannotator=None)
    index, _ = task_index(admin, project["id"])
    assert rep.counts["imported"] == 1 and "idner:train.txt:1" in index and len(index) == len(docs)


# ---- faults: SIGKILL during push and pull --------------------------------------------------------------------

DRIVER = r"""
import os, signal, sys, threading
import httpx
mode, at, path_part = os.environ["NB_KILL_MODE"], int(os.environ["NB_KILL_AT"]), os.environ["NB_KILL_PATH"]
count = 0
send = httpx.Client.send
def killing_send(self, request, **kw):
    global count
    hit = request.url.path.endswith(path_part) and request.method == os.environ["NB_KILL_METHOD"]
    if hit:
        count += 1
        if count == at and mode == "request":  # die while the request is in flight
            threading.Timer(float(os.environ.get("NB_KILL_DELAY", "0.02")), os.kill,
                            (os.getpid(), signal.SIGKILL)).start()
    response = send(self, request, **kw)
    if hit and count == at and mode == "response":  # die after the server applied it, before we record it
        os.kill(os.getpid(), signal.SIGKILL)
    return response
httpx.Client.send = killing_send
from builder.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _cli_env(server, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABEL_STUDIO_")}
    env.update(LABEL_STUDIO_URL=server.url, LABEL_STUDIO_API_KEY=server.credentials().key, **extra)
    return env


def _run_cli(args: list[str], env: dict, cwd: Path, kill_after: float | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.Popen([sys.executable, "-c", DRIVER, *args], env=env, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    if kill_after is not None:
        try:
            proc.wait(timeout=kill_after)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
    out, err = proc.communicate(timeout=300)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.fixture()
def project_dir(tmp_path) -> Path:
    (tmp_path / "newsbench.toml").write_text(f'[project]\nname = "cli"\nlabel_schema = "{REPO / "schema/labels.json"}"\n'
                                             f'[annotate]\nguidelines = "{REPO / "annotations/GUIDELINES.md"}"\n')
    return tmp_path


def test_push_killed_at_random_points_rerun_gives_each_document_once(labelstudio_server, admin, project_dir):
    docs = corpus(90, offset=300)
    write_jsonl(project_dir / "docs.jsonl", docs)
    title = _title("sigkill")
    args = ["annotate", "push", "--documents", "docs.jsonl", "--project", title, "--annotate.batch_size", "8"]
    rng = random.Random(20240619)
    kills = [  # (mode, at which import request, parent's kill delay)
        ("request", rng.randint(1, 3), None),  # during an import request: that batch may still land
        ("response", rng.randint(2, 4), None),  # the server applied the batch, the client never recorded it
        ("request", rng.randint(1, 2), None),
        ("none", 0, rng.uniform(1.5, 3.0)),  # a plain kill at a random time
    ]
    for mode, at, delay in kills:
        env = _cli_env(labelstudio_server, NB_KILL_MODE=mode, NB_KILL_AT=str(at), NB_KILL_PATH="/import",
                       NB_KILL_METHOD="POST")
        done = _run_cli(args, env, project_dir, kill_after=delay)
        assert done.returncode in (-signal.SIGKILL, 0), done.stderr
    final = _run_cli(args, _cli_env(labelstudio_server, NB_KILL_MODE="none", NB_KILL_AT="0", NB_KILL_PATH="/import",
                                    NB_KILL_METHOD="POST"), project_dir)
    assert final.returncode == 0, final.stderr
    project = admin.get("api/projects/", title=title)["results"][0]
    index, foreign = task_index(admin, project["id"], page_size=50)
    assert foreign == 0
    assert sorted(index) == sorted(d["id"] for d in docs)
    assert [d for d, refs in index.items() if len(refs) != 1] == []
    assert admin.get(f"api/projects/{project['id']}")["task_number"] == len(docs)
    # every task carries exactly one prediction of the pre-annotator
    for page in admin.iter_task_pages(project["id"], include="id,predictions_model_versions", page_size=100):
        assert all(t["predictions_model_versions"] == "rules-id-1" for t in page)


def test_pull_killed_leaves_no_export_and_rerun_completes(labelstudio_server, admin, project_dir):
    docs = corpus(40, offset=500)
    write_jsonl(project_dir / "docs.jsonl", docs)
    title = _title("pullkill")
    env = _cli_env(labelstudio_server, NB_KILL_MODE="response", NB_KILL_AT="3", NB_KILL_PATH="/api/tasks/",
                   NB_KILL_METHOD="GET")
    assert _run_cli(["annotate", "push", "--documents", "docs.jsonl", "--project", title], {
        **env, "NB_KILL_AT": "0"}, project_dir).returncode == 0
    killed = _run_cli(["annotate", "pull", "--project", title, "--out", "ann", "--annotate.page_size", "5"], env,
                      project_dir)
    assert killed.returncode == -signal.SIGKILL
    raw = project_dir / "ann" / "raw"
    assert [p.name for p in raw.iterdir() if not p.name.startswith(".")] == []
    assert not (project_dir / "ann" / "canonical").exists()
    done = _run_cli(["annotate", "pull", "--project", title, "--out", "ann"], {**env, "NB_KILL_AT": "0"}, project_dir)
    assert done.returncode == 0, done.stderr
    exports = [p for p in raw.iterdir()]
    assert len(exports) == 1 and not exports[0].name.startswith(".")
    manifest = json.loads((exports[0] / "manifest.json").read_text())
    assert manifest["counts"]["tasks"] == len(docs) and manifest["stale_temporaries_removed"] == 1


# ---- auth, key hygiene, CLI ----------------------------------------------------------------------------------


def test_auth_legacy_and_personal_access_tokens(labelstudio_server, admin):
    bad = "0123456789abcdef" * 2 + "deadbeef"
    with pytest.raises(AuthError) as err:
        connect(Credentials(labelstudio_server.url, bad), retries=0)
    assert "legacy token" in err.value.message and bad not in err.value.message and "401" in err.value.message
    pat = admin.request("POST", "api/token/")["token"]
    client = connect(Credentials(labelstudio_server.url, pat), retries=0)
    assert client.creds.kind == "personal access token"
    assert client.whoami()["email"] == admin.whoami()["email"]
    import jwt

    forged = jwt.encode({"token_type": "refresh", "exp": int(time.time()) + 3600, "user_id": 1, "jti": "x"},
                        "not-the-server-secret", algorithm="HS256")
    with pytest.raises(AuthError) as err:
        connect(Credentials(labelstudio_server.url, forged), retries=0)
    assert "personal access token" in err.value.message and forged not in err.value.message
    # legacy tokens switched off for the organisation: the message says so and how to fix it
    client.request("POST", "api/jwt/settings", json_body={"legacy_api_tokens_enabled": False,
                                                          "api_tokens_enabled": True})
    try:
        with pytest.raises(AuthError) as err:
            connect(labelstudio_server.credentials(), retries=0)
        assert "disabled" in err.value.message and "enable legacy tokens" in err.value.message
        assert labelstudio_server.credentials().key not in err.value.message
    finally:
        client.request("POST", "api/jwt/settings", json_body={"legacy_api_tokens_enabled": True,
                                                              "api_tokens_enabled": True})


def test_cli_round_trip_never_shows_the_key(labelstudio_server, admin, project_dir, monkeypatch, capsys):
    docs = corpus(6, offset=700)
    write_jsonl(project_dir / "docs.jsonl", docs)
    title = _title("cli")
    key = labelstudio_server.credentials().key
    monkeypatch.chdir(project_dir)
    monkeypatch.setenv("LABEL_STUDIO_URL", labelstudio_server.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", key)
    assert main(["annotate", "push", "--documents", "docs.jsonl", "--project", title, "--report", "push.json"]) == 0
    assert main(["annotate", "push", "--documents", "docs.jsonl", "--project", title]) == 0
    assert main(["annotate", "status", "--project", title, "--json"]) == 0
    assert main(["annotate", "pull", "--project", title, "--out", "ann"]) == 0
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", key[::-1])
    assert main(["annotate", "status", "--project", title]) == 2
    captured = capsys.readouterr()
    assert f"{len(docs) + 2} tasks" not in captured.out  # status with the wrong key printed nothing of the project
    assert "legacy token" in captured.err
    status = json.loads(captured.out[captured.out.index("{"):captured.out.rindex("}") + 1])
    assert status["tasks"] == len(docs) and status["open"] == len(docs)
    assert json.loads((project_dir / "push.json").read_text())["counts"]["imported"] == len(docs)
    for secret in (key, key[::-1]):
        assert secret not in captured.out and secret not in captured.err
        for f in project_dir.rglob("*"):
            if f.is_file():
                assert secret.encode() not in f.read_bytes(), f


def test_key_never_in_exports_of_the_scenario(scenario, admin):
    pull(admin, SCHEMA, scenario["title"], scenario["tmp"] / "again", page_size=50)
    files = [f for f in scenario["tmp"].rglob("*") if f.is_file()]
    assert any(f.name == "manifest.json" for f in files)
    for f in files:
        if f.is_file():
            data = f.read_bytes()
            for key in scenario["keys"]:
                assert key.encode() not in data, f


# ---- label schema changes ------------------------------------------------------------------------------------


def test_label_schema_change_refused_then_migrated_by_mapping(admin, tmp_path):
    docs = corpus(2, offset=800)
    write_jsonl(tmp_path / "docs.jsonl", docs)
    title = _title("schema")
    project = ensure_project(admin, SCHEMA, ProjectSettings(title)).project
    push(admin, SCHEMA, tmp_path / "docs.jsonl", project=(project["id"], []), selection=Selection(),
         preannotator=None)
    seed_task = task_index(admin, project["id"])[0][docs[0]["id"]][0].id
    ann = annotate(admin, seed_task, [region(docs[0]["text"], "Vladimir Putin", "entity", "PER")])

    raw = json.loads((REPO / "schema/labels.json").read_text())
    raw["entities"]["types"].append({"name": "LAW", "description": "Laws", "color": "#000075", "hotkey": "u"})
    grown = parse_label_schema(raw)
    changes = ensure_project(admin, grown, ProjectSettings(title)).changes
    assert "updated labelling config" in changes  # nothing removed: applied

    raw["entities"]["types"][0]["name"] = "PERSON"
    renamed = parse_label_schema(raw)
    with pytest.raises(DataInvalidError) as err:
        ensure_project(admin, renamed, ProjectSettings(title))
    assert f"annotation {ann['id']} uses entity:PER" in err.value.message and "--label-map" in err.value.message
    assert "PERSON" not in admin.get(f"api/projects/{project['id']}")["label_config"]

    changes = ensure_project(admin, renamed,
                             ProjectSettings(title, label_map=parse_label_map(["entity:PER=PERSON"]))).changes
    assert "migrated 1 annotations" in changes
    assert admin.get(f"api/annotations/{ann['id']}")["result"][0]["value"]["labels"] == ["PERSON"]
    assert 'value="PERSON"' in admin.get(f"api/projects/{project['id']}")["label_config"]


def test_server_cli_start_status_stop(tmp_path, capsys, monkeypatch):
    from builder.annotate.labelstudio import server

    settings = server.server_settings(config_from_dict({}, REPO))
    home = tmp_path / "home"
    home.mkdir()
    import shutil

    shutil.copytree(server.ensure_template(settings), home / settings.template.name)
    monkeypatch.chdir(REPO)
    port = server.free_port()
    over = ["--annotate.server_home", str(home)]
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    assert main(["annotate", "server", "start", "--port", str(port), *over]) == 0
    try:
        assert main(["annotate", "server", "start", "--port", str(port), *over]) == 2  # already running
        assert main(["annotate", "server", "status", *over]) == 0
        out = capsys.readouterr().out
        assert f"http://127.0.0.1:{port}" in out and "healthy: True" in out
        token = server.read_credentials(home / "data")["token"]
        pid = json.loads((home / "server.json").read_text())["pid"]
        assert token not in out
        # without LABEL_STUDIO_API_KEY the commands use the local server's token
        assert main(["annotate", "status", "--project", "none-such", *over]) == 2
        assert "no project titled 'none-such'" in capsys.readouterr().err
    finally:
        assert main(["annotate", "server", "stop", *over]) == 0
    assert "stopped" in capsys.readouterr().out
    assert server.port_free(port) and not Path(f"/proc/{pid}").exists()
    assert main(["annotate", "server", "stop", *over]) == 0
    assert "no server was running" in capsys.readouterr().out
