"""`croissant.json`: the release described in Croissant 1.0 JSON-LD, with the Responsible-AI vocabulary.

Generated from the manifest (name, version, licences, who annotated, statistics), the card's hand-written sections
(curation, limitations, citation ...) and the data: one FileObject per Parquet file with its sha256, one FileSet
and one RecordSet per config, whose fields follow the Arrow schema of its files (a struct column has one sub-field
per member, a list of structs is a repeated field with one sub-field per member, anything else is a leaf whose
values are the column's values, lists included) and a `split` field read from the file name. Deterministic: no
clock is read. The Hub's own Croissant export reads the card only, which states the same facts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from builder.stage import file_digest

CROISSANT = "croissant.json"
CONFORMS_TO = "http://mlcommons.org/croissant/1.0"
CONTEXT: dict[str, Any] = {
    "@language": "en", "@vocab": "https://schema.org/", "sc": "https://schema.org/",
    "cr": "http://mlcommons.org/croissant/", "rai": "http://mlcommons.org/croissant/RAI/",
    "dct": "http://purl.org/dc/terms/",
    "citeAs": "cr:citeAs", "column": "cr:column", "conformsTo": "dct:conformsTo",
    "data": {"@id": "cr:data", "@type": "@json"}, "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "examples": {"@id": "cr:examples", "@type": "@json"}, "extract": "cr:extract", "field": "cr:field",
    "fileProperty": "cr:fileProperty", "fileObject": "cr:fileObject", "fileSet": "cr:fileSet", "format": "cr:format",
    "includes": "cr:includes", "isLiveDataset": "cr:isLiveDataset", "jsonPath": "cr:jsonPath", "key": "cr:key",
    "md5": "cr:md5", "parentField": "cr:parentField", "path": "cr:path", "recordSet": "cr:recordSet",
    "references": "cr:references", "regex": "cr:regex", "repeated": "cr:repeated", "replace": "cr:replace",
    "samplingRate": "cr:samplingRate", "separator": "cr:separator", "source": "cr:source", "subField": "cr:subField",
    "transform": "cr:transform", "equivalentProperty": "cr:equivalentProperty",
}
PARQUET = "application/x-parquet"
# RAI property -> the card sections (card/<name>.md) that say it, first found wins; without one, what the
# release's own records say (rai_defaults)
RAI_SECTIONS = {"rai:dataCollection": ("data_collection", "curation", "data_statement"),
                "rai:dataLimitations": ("limitations",), "rai:dataBiases": ("biases",),
                "rai:personalSensitiveInformation": ("personal_information", "sensitive_information"),
                "rai:dataUseCases": ("uses", "use_cases"), "rai:dataReleaseMaintenancePlan": ("maintenance",)}


def _per_split(node: dict[str, Any]) -> str:
    return "; ".join(f"{split}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
                     for split, counts in sorted(node.items()) if isinstance(counts, dict))


def rai_defaults(manifest: dict[str, Any]) -> dict[str, str]:
    """The RAI statements the manifest supports, for a project whose card has no section saying them."""
    stats = manifest.get("statistics") or {}
    sources = stats.get("sources") or {}
    held = [f"{name} ({s.get('license')}, {s.get('included')} documents)" for name, s in sorted(sources.items())
            if s.get("included")]
    left = [name for name, s in sorted(sources.items()) if s.get("excluded") and not s.get("included")]
    per_doc: dict[str, int] = {}
    for counts in (stats.get("annotators_per_document") or {}).values():
        for n, docs in counts.items():
            per_doc[n] = per_doc.get(n, 0) + int(docs)
    labels = stats.get("doc_label") or {}
    return {
        "rai:dataCollection": "Documents from " + ", ".join(held) + (
            f"; left out by the licence gate: {', '.join(left)}" if left else "")
        + ". Ingested, repaired, cleaned, deduplicated (exact and near-duplicate clusters kept in one split) and "
          "segmented by newsbench.",
        "rai:annotationsPerItem": ", ".join(f"{docs} document(s) annotated by {n}" for n, docs in sorted(per_doc.items()))
        or "no document was annotated by people or models in this release",
        "rai:dataBiases": "Documents per split and annotation status: " + _per_split(stats.get("documents") or {})
        + ("; document labels per split: " + "; ".join(f"{split}: " + ", ".join(
            f"{name}={value} {n}" for name, values in sorted(v.items()) for value, n in sorted(values.items()))
            for split, v in sorted(labels.items())) if labels else "")
        + ". The sources decide the topics, period and outlets; see the card's limitations.",
        "rai:personalSensitiveInformation": "News text that names people in the news. Annotators appear only as "
                                            "stable pseudonyms (annotator-<n>); no annotator's name or email is "
                                            "released.",
        "rai:dataUseCases": "Benchmarking named-entity recognition, claim detection and check-worthiness ranking, "
                            "and document labels, on the configs and splits of the release; the card's baseline "
                            "scores and `newsbench evaluate` score any system's predictions.",
        "rai:dataLimitations": "The project wrote no limitations section for this release's card.",
        "rai:dataReleaseMaintenancePlan": "Versioned releases that never change once published: a change of data, "
                                          "annotations or card is a new version, with its changelog in the card.",
    }


def _scalar(t: pa.DataType) -> str:
    while pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        t = t.value_type
    if pa.types.is_boolean(t):
        return "sc:Boolean"
    if pa.types.is_integer(t):
        return "sc:Integer"
    if pa.types.is_floating(t):
        return "sc:Float"
    return "sc:Text"


def _leaf(fid: str, name: str, t: pa.DataType, column: str, file_set: str, member: str | None = None
          ) -> dict[str, Any]:
    source: dict[str, Any] = {"fileSet": {"@id": file_set}, "extract": {"column": column}}
    if member:
        source["transform"] = {"jsonPath": member}
    return {"@type": "cr:Field", "@id": fid, "name": name, "dataType": _scalar(t), "source": source}


def fields(record_set: str, schema: pa.Schema, file_set: str) -> list[dict[str, Any]]:
    """The RecordSet's fields for a Parquet schema (see the module docstring)."""
    out = []
    for col in schema:
        fid, t = f"{record_set}/{col.name}", col.type
        inner = t.value_type if pa.types.is_list(t) or pa.types.is_large_list(t) else None
        if pa.types.is_struct(t) or (inner is not None and pa.types.is_struct(inner)):
            struct = t if pa.types.is_struct(t) else inner
            field: dict[str, Any] = {"@type": "cr:Field", "@id": fid, "name": col.name,
                                     "subField": [_leaf(f"{fid}/{m.name}", m.name, m.type, col.name, file_set,
                                                        m.name) for m in struct]}
            if inner is not None:
                field["repeated"] = True
            out.append(field)
        else:
            out.append(_leaf(fid, col.name, t, col.name, file_set))
    out.append({"@type": "cr:Field", "@id": f"{record_set}/split", "name": "split", "dataType": "sc:Text",
                "description": "the split, from the file name",
                "source": {"fileSet": {"@id": file_set}, "extract": {"fileProperty": "filename"},
                           "transform": {"regex": "^([a-z_]+)-\\d+-of-\\d+\\.parquet$"}}})
    return out


def croissant(folder: Path, manifest: dict[str, Any], sections: dict[str, str], *, citation: str = "",
              url: str = "", description: str = "") -> dict[str, Any]:
    """The Croissant document of the release in `folder` (its data files already written)."""
    stats = manifest.get("statistics") or {}
    # the licences of the sources whose documents the release holds (as the card's YAML header states them)
    licences = sorted({str(s.get("license") or "unknown") for s in (stats.get("sources") or {}).values()
                       if s.get("included")})
    distribution: list[dict[str, Any]] = []
    record_sets: list[dict[str, Any]] = []
    for config, splits in sorted((manifest.get("configs") or {}).items()):
        files = [f for split in splits.values() for f in split["files"]]
        for f in files:
            distribution.append({"@type": "cr:FileObject", "@id": f, "name": f, "contentUrl": f,
                                 "encodingFormat": PARQUET, "sha256": file_digest(folder / f)})
        file_set = f"{config}-files"
        distribution.append({"@type": "cr:FileSet", "@id": file_set, "name": file_set, "encodingFormat": PARQUET,
                             "includes": f"data/{config}/*.parquet"})
        schema = pq.read_schema(folder / files[0])
        rows = sum(split["rows"] for split in splits.values())
        record_sets.append({"@type": "cr:RecordSet", "@id": config, "name": config,
                            "description": f"the {config} config: {rows} rows over {', '.join(sorted(splits))}",
                            "field": fields(config, schema, file_set)})
    annotators = stats.get("annotators") or {}
    doc: dict[str, Any] = {
        "@context": CONTEXT, "@type": "sc:Dataset", "name": manifest.get("name"),
        "description": description or f"{manifest.get('name')}: an annotated news NLP benchmark built by newsbench",
        "conformsTo": CONFORMS_TO, "version": manifest.get("version"), "citeAs": citation or manifest.get("name"),
        "license": licences[0] if len(licences) == 1 else licences,
        # where the release is published; a release built for no Hub repository points at its own card
        "url": url or "README.md",
        "inLanguage": ((manifest.get("config") or {}).get("project") or {}).get("language") or None,
        "distribution": distribution, "recordSet": record_sets,
        "rai:dataAnnotationProtocol": "annotations/GUIDELINES.md of the project that built the release; spans are "
                                      "adjudicated from the annotators' versions (the card's 'Who annotated')",
        "rai:dataAnnotationPlatform": "Label Studio",
        "rai:annotatorDemographics": "not recorded: annotators are known by pseudonym and kind (person or model) "
                                     f"only; {annotators.get('annotators', 0) if isinstance(annotators, dict) else 0} "
                                     "annotator account(s) made the released annotations",
        "rai:machineAnnotationTools": "rule and model pre-annotations corrected by annotators; documents decided "
                                      "only by accounts of kind 'model' are marked silver "
                                      f"(annotations_creators: {', '.join(manifest.get('annotations_creators') or [])})",
    }
    defaults = rai_defaults(manifest)
    for prop in dict.fromkeys([*RAI_SECTIONS, *defaults]):
        said = next((sections[n].strip() for n in RAI_SECTIONS.get(prop, ()) if sections.get(n, "").strip()), "")
        doc[prop] = said or defaults.get(prop, "")
    return {k: v for k, v in doc.items() if v not in (None, "", [])}


def write_croissant(folder: Path, manifest: dict[str, Any], sections: dict[str, str], **options: Any) -> Path:
    out = folder / CROISSANT
    out.write_bytes(orjson.dumps(croissant(folder, manifest, sections, **options),
                                 option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")
    return out
