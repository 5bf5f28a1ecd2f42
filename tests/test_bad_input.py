"""Properties over awkward inputs, through the commands: whatever the bytes, a reader or checker ends with exit
0, 1 or 2, never a traceback nor the last-resort message of a case nobody checked, and every input record is
accounted for (kept, or rejected with a reason). Bounded: a few dozen examples per reader."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builder.cli import main
from builder.jsonl import read_jsonl
from tests.helpers.projects import REPO, one_source_project

UNFORESEEN = "does not check yet"
# NEWSBENCH_PROPERTY_EXAMPLES=1000 for a wider run by hand; CI keeps the default, bounded in time
SETTINGS = settings(max_examples=int(os.environ.get("NEWSBENCH_PROPERTY_EXAMPLES", "60")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

# text that exercises the readers: quotes, delimiters, newlines of every kind, controls, BOMs, surrogates' bytes
PIECES = st.sampled_from(['"', ",", ";", "\t", "\n", "\r\n", "\r", "\x00", "\ufeff", "\u200b", "{", "}", "[", "]",
                          ":", "\\", "Berita", "banjir", " ", "é", "😀", "NaN", "null", "true", "<p>", "</p>",
                          "<script>", "&amp;", "text", "label"])
TEXTS = st.lists(PIECES, max_size=40).map("".join)
BYTES = st.one_of(TEXTS.map(lambda t: t.encode("utf-8")), st.binary(max_size=200),
                  TEXTS.map(lambda t: t.encode("utf-16")), TEXTS.map(lambda t: t.encode("cp1252", "replace")))


def _run(*args: str) -> tuple[int, str]:
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = main(list(args))
    return code, err.getvalue()


def _sane(code: int, err: str) -> None:
    assert code in (0, 1, 2), err
    assert "Traceback" not in err and UNFORESEEN not in err, err


def _project(fmt: str, files: dict[str, bytes], encoding: str = "auto") -> Path:
    root = Path(tempfile.mkdtemp(prefix="nb-bad-"))
    extra = f'encoding = "{encoding}"\n' + (
        'columns = { text = "text" }\nlabels = { veracity = "label" }' if fmt in ("csv", "jsonl") else "")
    one_source_project(root, fmt, {f"t/{name}": body for name, body in files.items()}, extra,
                       'language_check = false\n[split]\nledger = ""')
    return root


@SETTINGS
@given(fmt=st.sampled_from(["text", "csv", "jsonl", "html"]), bodies=st.lists(BYTES, min_size=1, max_size=3),
       encoding=st.sampled_from(["auto", "utf-8", "utf-16", "cp1252"]))
def test_bad_input_ingest_accounts_for_every_file_and_line(fmt, bodies, encoding):
    ext = {"text": "txt", "csv": "csv", "jsonl": "jsonl", "html": "html"}[fmt]
    files = {f"f{i}.{ext}": b for i, b in enumerate(bodies)}
    root = _project(fmt, files, encoding)
    try:
        code, err = _run("ingest", "--no-progress", "--config", str(root / "newsbench.toml"))
        _sane(code, err)
        docs = list(read_jsonl(root / "work/ingest/documents.jsonl")) if code != 2 or (
            root / "work/ingest/documents.jsonl").is_file() else []
        rejects = list(read_jsonl(root / "work/ingest/rejects.jsonl")) if (
            root / "work/ingest/rejects.jsonl").is_file() else []
        assert all(r.get("reason") for r in rejects)
        if fmt in ("text", "html"):  # one document per file, or a reject naming the file
            named = {Path(r["where"].split(":")[0]).name for r in rejects if r.get("where")}
            kept = {Path(d["source"]["uri"]).name for d in docs}
            assert set(files) <= named | kept, (files.keys(), named, kept)
        if fmt == "jsonl":  # one document per non-blank line, or a reject at that line
            for name, body in files.items():
                for n, line in enumerate(body.split(b"\n"), 1):
                    if line.strip():
                        at = f"{name}:{n}"
                        assert any(r.get("where", "").endswith(at) for r in rejects) or any(
                            d["source"].get("line") == n or d["source"].get("row") == n for d in docs) or any(
                            r.get("where", "").endswith(name) for r in rejects), (at, rejects, docs)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@SETTINGS
@given(rows=st.lists(st.tuples(TEXTS, st.sampled_from(["valid", "hoax", "", " "])), min_size=1, max_size=6),
       extra_field_at=st.one_of(st.none(), st.integers(min_value=0, max_value=6)),
       delimiter=st.sampled_from([",", ";", "\t"]))
def test_bad_input_csv_accounts_for_every_row(rows, extra_field_at, delimiter):
    import csv

    records = [list(r) for r in rows]
    if extra_field_at is not None:  # a row with one field too many, somewhere
        records.insert(min(extra_field_at, len(records)), ["Berita lebih", "valid", "x"])
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")  # RFC 4180: quotes any CR or LF
    writer.writerow(["text", "label"])
    writer.writerows(records)
    root = Path(tempfile.mkdtemp(prefix="nb-bad-"))
    one_source_project(root, "csv", {"t/a.csv": buf.getvalue().encode("utf-8")},
                       f'encoding = "utf-8"\ndelimiter = {json.dumps(delimiter)}\n'
                       'columns = { text = "text" }\nlabels = { veracity = "label" }',
                       'language_check = false\n[split]\nledger = ""')
    try:
        code, err = _run("ingest", "--no-progress", "--config", str(root / "newsbench.toml"))
        _sane(code, err)
        docs = {d["source"]["row"]: d for d in read_jsonl(root / "work/ingest/documents.jsonl")}
        rejects = {int(r["where"].split(":row ")[1].split(" ")[0]): r for r in read_jsonl(root / "work/ingest/rejects.jsonl")
                   if ":row " in r.get("where", "")}
        assert not set(docs) & set(rejects)
        for n, record in enumerate(records, 1):  # csv.writer writes no blank line: record n is row n
            if n in docs:
                assert docs[n]["text"] == record[0] and len(record) == 2
                assert [x["value"] for x in docs[n]["doc_labels"]] == ([record[1]] if record[1].strip() else [])
            else:
                assert n in rejects, (n, record, rejects)
                assert len(record) != 2 or not record[0].strip()
        assert code == (2 if any(r["reason"] != "empty_row" for r in rejects.values()) else 0)
    finally:
        shutil.rmtree(root, ignore_errors=True)


RECORDS = st.one_of(st.dictionaries(st.sampled_from(["id", "data", "annotations", "predictions", "document_id",
                                                     "text", "result"]),
                                    st.one_of(st.none(), st.integers(), TEXTS, st.lists(st.integers(), max_size=2),
                                              st.dictionaries(st.sampled_from(["text", "doc_id", "start"]), TEXTS,
                                                              max_size=2)), max_size=4).map(json.dumps),
                    TEXTS)


@SETTINGS
@given(lines=st.lists(RECORDS, min_size=1, max_size=6))
def test_bad_input_validate_counts_every_line(lines):
    root = Path(tempfile.mkdtemp(prefix="nb-bad-"))
    try:
        path = root / "x.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        code, err = _run("validate", str(path), "--out", str(root / "r"), "--config", str(REPO / "newsbench.toml"),
                         "--corpus", str(REPO / "tests/data/labelstudio/documents.jsonl"))
        _sane(code, err)
        report = json.loads((root / "r/report.json").read_text())
        (f,) = report["files"]
        if not f.get("error") and f.get("format") != "array":  # JSON Lines: one record per non-blank line
            assert f["valid"] + f["invalid"] == sum(1 for x in path.read_bytes().split(b"\n") if x.strip())
    finally:
        shutil.rmtree(root, ignore_errors=True)


@SETTINGS
@given(body=BYTES, extra=st.lists(st.sampled_from(["--subset", "ner", "--split", "test", "--split", "nope"]),
                                  max_size=2))
def test_bad_input_evaluate_never_crashes(body, extra):
    root = Path(tempfile.mkdtemp(prefix="nb-bad-"))
    try:
        path = root / "p.jsonl"
        path.write_bytes(body)
        release = sorted((REPO / "releases").iterdir())[-1]
        code, err = _run("evaluate", "--release", str(release), "--subset", "ner", "--predictions", str(path),
                         "--check", *extra)
        _sane(code, err)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@SETTINGS
@given(body=BYTES)
def test_bad_input_config_files_are_refused_in_one_line(body):
    root = Path(tempfile.mkdtemp(prefix="nb-bad-"))
    try:
        (root / "newsbench.toml").write_bytes(body)
        code, err = _run("validate", "--config", str(root / "newsbench.toml"))
        _sane(code, err)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@SETTINGS
@given(body=BYTES, scheme=st.sampled_from(["auto", "iob1", "iob2", "bioes"]),
       encoding=st.sampled_from(["utf-8", "cp1252", "utf-16", "nosuch"]))
def test_bad_input_import_conll_never_crashes(body, scheme, encoding):
    root = Path(tempfile.mkdtemp(prefix="nb-bad-"))
    try:
        path = root / "x.conll"
        path.write_bytes(body)
        code, err = _run("import", "conll", str(path), "--source", "x", "--scheme", scheme, "--encoding", encoding,
                         "--output-dir", str(root / "o"), "--config", str(REPO / "newsbench.toml"))
        _sane(code, err)
    finally:
        shutil.rmtree(root, ignore_errors=True)
