"""croissant.json of the newest committed release, read by mlcroissant: every record set's records equal the
Parquet rows, files carry their sha256, and the Responsible-AI properties come from the card's sections."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow.parquet as pq
import pytest

from builder.release.layout import list_versions
from builder.stage import file_digest

REPO = Path(__file__).resolve().parents[2]
RELEASE = REPO / "releases" / list_versions(REPO / "releases")[-1]


def plain(value: Any) -> Any:
    """An mlcroissant value as the Parquet row holds it: text decoded, arrays as lists, field ids as names."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        members = {k.rsplit("/", 1)[-1]: plain(v) for k, v in value.items()}
        # a null struct (a document nobody adjudicated) comes back as a struct of nulls
        return None if members and all(v is None for v in members.values()) else members
    if isinstance(value, np.generic):
        return value.item()
    return value


def key(row: dict[str, Any]) -> bytes:
    return orjson.dumps(row, option=orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY)


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return json.loads((RELEASE / "croissant.json").read_text())


def test_croissant_files_and_responsible_ai_fields(document):
    files = {d["@id"]: d for d in document["distribution"] if d["@type"] == "cr:FileObject"}
    parquet = sorted(p.relative_to(RELEASE).as_posix() for p in RELEASE.rglob("*.parquet"))
    assert sorted(files) == parquet
    assert all(files[f]["sha256"] == file_digest(RELEASE / f) for f in parquet)
    assert document["conformsTo"] == "http://mlcommons.org/croissant/1.0"
    assert document["version"] == RELEASE.name and document["inLanguage"] == "id"
    limitations = (REPO / "card" / "limitations.md").read_text().strip()
    assert document["rai:dataLimitations"] == limitations and document["rai:dataAnnotationPlatform"]
    assert "machine-generated" in document["rai:machineAnnotationTools"]
    # every Responsible-AI property the format lists is stated: from the card, else from the release's records
    for prop in ("dataCollection", "dataAnnotationProtocol", "dataAnnotationPlatform", "annotationsPerItem",
                 "annotatorDemographics", "machineAnnotationTools", "dataBiases", "dataLimitations",
                 "personalSensitiveInformation", "dataUseCases", "dataReleaseMaintenancePlan"):
        assert document.get(f"rai:{prop}"), prop
    assert document["rai:dataCollection"] == (REPO / "card" / "data_statement.md").read_text().strip()
    manifest = json.loads((RELEASE / "manifest.json").read_text())
    per_doc = sum(n for split in manifest["statistics"]["annotators_per_document"].values() for n in split.values())
    assert f"{per_doc} document(s) annotated by 1" in document["rai:annotationsPerItem"]
    assert {r["@id"] for r in document["recordSet"]} == {"documents", "ner", "claims", "raw_annotations"}


def test_mlcroissant_reads_every_record_set_as_the_parquet_rows(document):
    import mlcroissant as mlc
    dataset = mlc.Dataset(str(RELEASE / "croissant.json"))
    for record_set in document["recordSet"]:
        name = record_set["@id"]
        records = [plain(r) for r in dataset.records(name)]
        expected = []
        for path in sorted((RELEASE / "data" / name).glob("*.parquet")):
            split = path.name.split("-")[0]
            expected += [{**row, "split": split} for row in pq.read_table(path).to_pylist()]
        assert len(records) == len(expected), name
        assert sorted(map(key, records)) == sorted(map(key, expected)), name
