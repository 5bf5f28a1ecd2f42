"""Annotation sheets against a real Label Studio: written from the pushed pre-annotations, corrected, submitted
as a second user's annotations (created once, then updated in place or left alone), pulled back, and the
pre-annotation edits measured on what was pulled."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from builder.check.edit_rates import pre_annotation_edits
from builder.jsonl import read_jsonl, write_jsonl
from builder.labels import load_label_schema
from builder.annotate.labelstudio.client import connect
from builder.annotate.labelstudio.project import ProjectSettings, ensure_project
from builder.annotate.labelstudio.pull import pull
from builder.annotate.labelstudio.push import Selection, push
from builder.annotate.labelstudio.submit import sheet_name, submit_sheets, write_sheets
from builder.annotate.labelstudio.users import add_annotator
from builder.bench.baselines.rules import RulePreAnnotator
from tests.annotate.labelstudio.test_roundtrip import corpus

pytestmark = pytest.mark.labelstudio

REPO = Path(__file__).resolve().parents[3]
SCHEMA = load_label_schema(REPO / "schema/labels.json")


@pytest.fixture(scope="module")
def project(labelstudio_server, tmp_path_factory):
    admin = connect(labelstudio_server.credentials(), retries=3)
    tmp = tmp_path_factory.mktemp("submit")
    docs = corpus(3)
    write_jsonl(tmp / "documents.jsonl", docs)
    title = f"sheets-{secrets.token_hex(3)}"
    pid = ensure_project(admin, SCHEMA, ProjectSettings(title, overlap=1, instructions="<p>pedoman</p>")).project
    push(admin, SCHEMA, tmp / "documents.jsonl", project=(pid["id"], []), selection=Selection(),
         preannotator=RulePreAnnotator(), batch_size=10)
    annotator = connect(add_annotator(admin, f"sheet-{secrets.token_hex(3)}@newsbench.local",
                                      secrets.token_urlsafe(12)).credentials, retries=3)
    return {"admin": admin, "annotator": annotator, "id": pid["id"], "title": title, "docs": docs, "tmp": tmp}


def test_sheets_submit_pull_and_edit_rates(project) -> None:
    admin, annotator, pid, tmp = project["admin"], project["annotator"], project["id"], project["tmp"]
    counts = write_sheets(admin, SCHEMA, pid, tmp / "sheets")
    proposed = sum(bool(RulePreAnnotator().predict_one(d).regions) for d in project["docs"])
    assert counts == {"sheets": 5, "from_prediction": proposed, **({"empty": 5 - proposed} if proposed < 5 else {})}
    seed_id = project["docs"][0]["id"]
    path = tmp / "sheets" / f"{sheet_name(seed_id)}.json"
    sheet = json.loads(path.read_text())
    assert (tmp / "sheets" / f"{sheet_name(seed_id)}.txt").read_text() == project["docs"][0]["text"]
    proposed_claims = len(sheet["claims"])

    # the annotator adds a person and a claim with its speaker, and flips one check-worthiness answer
    sheet["entities"].append({"label": "PER", "text": "Kim Jong Un"})
    sheet["claims"][0]["checkworthy"] = "no" if sheet["claims"][0]["checkworthy"] == "yes" else "yes"
    sheet["claims"].append({"text": "Ini merupakan kunjungan pertama Putin ke Korea Utara dalam 24 tahun terakhir",
                            "kind": "assertion", "checkworthy": "yes"})
    path.write_text(json.dumps(sheet, ensure_ascii=False))
    paths = sorted((tmp / "sheets").glob("*.json"))
    first = submit_sheets(annotator, SCHEMA, pid, paths)
    assert first.counts["created"] == 5 and first.counts["refused"] == 0
    again = submit_sheets(annotator, SCHEMA, pid, paths)
    assert again.counts["unchanged"] == 5 and "created" not in again.counts

    sheet["claims"].pop()  # a second thought: updated in place, never a second annotation by the same user
    path.write_text(json.dumps(sheet, ensure_ascii=False))
    assert submit_sheets(annotator, SCHEMA, pid, [path]).counts["updated"] == 1

    stale = dict(sheet, text_sha256="0" * 64)
    (tmp / "stale.json").write_text(json.dumps(stale))
    bad = dict(sheet, entities=[{"label": "PER", "text": "Nobody Here"}])
    (tmp / "bad.json").write_text(json.dumps(bad))
    refused = submit_sheets(annotator, SCHEMA, pid, [tmp / "stale.json", tmp / "bad.json"])
    stale_reason, bad_reason = (r["reason"] for r in refused.refused)
    assert stale_reason.startswith("the task's text changed") and "'Nobody Here' does not occur" in bad_reason

    result = pull(admin, SCHEMA, project["title"], tmp / "annotations", page_size=2)
    records = list(read_jsonl(tmp / "annotations" / "canonical" / f"{project['title']}.jsonl"))
    assert result["manifest"]["counts"]["annotations"] == 5
    seed = next(r for r in records if r["document_id"] == seed_id)
    [ann] = seed["annotations"]
    assert ann["annotator"] == f"ls-user:{annotator.whoami()['id']}"
    assert any(e["text"] == "Kim Jong Un" and e["label"] == "PER" for e in ann["entities"])
    assert len(ann["claims"]) == proposed_claims

    edits = pre_annotation_edits(records, order=["PER", "CLAIM"])
    per = next(r for r in edits["spans"] if r["label"] == "PER")
    claim = next(r for r in edits["spans"] if r["label"] == "CLAIM")
    assert edits["annotations"] == proposed and per["added_or_changed"] == 1 and per["removed_or_changed"] == 0
    assert claim["edit_rate"] == 0.0  # the spans were kept; only an attribute changed
    cw = next(a for a in edits["attributes"] if a["attribute"] == "checkworthy")
    assert cw["changed"] == 1
