"""A project made by `newsbench init` with its own entity set (PER and QTY, claims without speakers), annotated in
Label Studio's web UI in a real Chromium: the generated config shows the project's labels, the rule
pre-annotations hold only them, an annotator marks a QTY span and a claim with the mouse and submits, and `pull`,
`validate` and `adjudicate` carry the QTY entity into the gold layer at the offsets selected.
"""

from __future__ import annotations

import csv
import io
import re
import uuid


from builder.annotate.labelstudio.client import connect
from builder.annotate.labelstudio.push import task_index
from builder.jsonl import read_jsonl
from tests.helpers.browser import Annotator, screenshots_on_failure
from tests.helpers.projects import REPO, cli, in_project, pratiwi_rows, server_env

SHOTS = REPO / ".test-artifacts" / "web-ui-new-project"
ROW = 38  # a Pratiwi article (CC BY 4.0) with "100 persen" in it


def test_web_ui_a_new_project_with_its_own_entity_types(labelstudio_server, browser, tmp_path):
    # the server outlives a test run: a run of its own gets its own project and account
    run = uuid.uuid4().hex[:8]
    title, email = f"kuantitas-{run}", f"rina-{run}@example.org"
    root = tmp_path / "kuantitas"
    env = server_env(labelstudio_server)
    cli("init", str(root), "--entities", "PER,QTY", "--no-speakers")
    table = io.StringIO()
    csv.writer(table, delimiter=";").writerows([["berita", "tagging"], pratiwi_rows()[ROW]])
    (root / "data/raw/articles.csv").write_text(table.getvalue(), encoding="utf-8")
    with open(root / "newsbench.toml", "a", encoding="utf-8") as fh:
        fh.write('\n[[sources]]\nname = "pratiwi2017"\nformat = "csv"\npath = "data/raw/articles.csv"\n'
                 'delimiter = ";"\nlicense = "CC-BY-4.0"\nredistributable = true\nretrieved_at = "2026-11-26"\n'
                 f'columns = {{ text = "berita" }}\n\n[annotate]\nproject = "{title}"\n')
    config = str(root / "newsbench.toml")
    with in_project(root, env):
        cli("prepare", "--config", config)
        (doc,) = read_jsonl(root / "work/segment/documents.jsonl")
        said = cli("annotate", "annotators", "add", email, "--name", "Rina", "--config", config)
        password = re.search(r"with the password (\S+) ", said).group(1)
        cli("annotate", "push", "--config", config)
        admin = connect(labelstudio_server.credentials(), retries=3)
        project = admin.get("api/projects/", title=title)["results"][0]
        assert 'value="QTY"' in project["label_config"] and 'value="LOC"' not in project["label_config"]
        (task_id,) = [refs[0].id for refs in task_index(admin, project["id"])[0].values()]
        [prediction] = admin.get("api/predictions/", task=task_id)
        proposed = {r["value"]["labels"][0] for r in prediction["result"] if r["type"] == "labels"}
        assert proposed <= {"PER", "QTY", "CLAIM"}  # the rules know LOC, DATE, ...: kept to the schema
        assert not [r for r in prediction["result"] if r["type"] == "relation"]

        rina = Annotator(browser, env["LABEL_STUDIO_URL"], email, password, SHOTS)
        rina.login()
        text = doc["text"]
        qty = (text.index("100 persen"), text.index("100 persen") + len("100 persen"))
        sentence = next(s for s in doc["sentences"] if s["start"] <= qty[0] < s["end"])
        with screenshots_on_failure([rina], "rina"):
            assert rina.open_stream(project["id"], {doc["id"]: text}) == doc["id"]
            rina.delete_all_regions()
            rina.mark("QTY", *qty)
            rina.mark("CLAIM", sentence["start"], sentence["end"])
            rina.click_region(sentence["start"])
            rina.check("yes")
            rina.submit()
        rina.close()

        cli("annotate", "pull", "--config", config)
        cli("validate", "--config", config)
        cli("adjudicate", "--config", config)
        (gold,) = read_jsonl(root / "annotations/gold/gold.jsonl")
        assert [(e["type"], e["offsets"]) for e in gold["entities"]] == [("QTY", [list(qty)])]
        (claim,) = gold["claims"]
        assert claim["offsets"] == [[sentence["start"], sentence["end"]]] and claim["checkworthy"] == "yes"
