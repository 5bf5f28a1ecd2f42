"""The release configs' features, declared once, and the label names they are declared with.

Four configs, each a `datasets` config with train/validation/test splits:
- `documents`: one row per article with provenance, passages, entities, claims, relations and document labels;
  field names follow the BigBIO/SEACrowd `kb` schema (document_id, passages, entities, relations, offsets as
  [[start, end]] lists, text as a list). `annotation_status` says whether the spans were annotated at all.
- `ner`: one row per sentence of a document whose entities were annotated; `ner_tags` in IOB2.
- `claims`: one row per sentence of a document whose claims were annotated: whether it holds a claim, whether
  one of its claims is check-worthy, speakers, claim spans and `claim_tags` in IOB2.
- `raw_annotations`: every annotator's annotation and every pre-annotation, for agreement research.

Everything comes from the label schema (`builder.labels`), so a label is never typed twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from datasets import ClassLabel, Features, List, Value

from builder.labels import LabelSchema, class_label_names

CONFIGS = ("documents", "ner", "claims", "raw_annotations")
UNANNOTATED = "unannotated"
UNADJUDICATED = "unadjudicated"  # annotated, but left open by adjudication: its annotations are in raw_annotations
GOLD = "gold"
SILVER = "silver"
SPAN_STATUSES = (GOLD, SILVER)  # silver: spans made by a model, or not reviewed by a person

_S = Value("string")
_I32 = Value("int32")
_SPAN_LIST = List(List(_I32))  # kb offsets: [[start, end], ...]
_NORMALIZED = List({"db_name": _S, "db_id": _S})


@dataclass(frozen=True)
class ReleaseLabels:
    """Label names the release features are declared with, in ClassLabel order."""

    ner_tags: tuple[str, ...]
    claim_tags: tuple[str, ...]
    entity_types: tuple[str, ...]
    claim_label: str
    checkworthy_values: tuple[str, ...]
    positive_checkworthy: str | None
    doc_labels: dict[str, tuple[str, ...]]
    relation_types: tuple[str, ...]
    claim_attributes: dict[str, tuple[str, ...]]  # attribute name -> its values


def release_labels(schema: LabelSchema) -> ReleaseLabels:
    names = class_label_names(schema)
    return ReleaseLabels(
        ner_tags=tuple(names["ner_tags"]),
        claim_tags=tuple(names["claim_tags"]),
        entity_types=tuple(schema.entity_names),
        claim_label=schema.claim.name,
        checkworthy_values=schema.checkworthy_values,
        positive_checkworthy=schema.positive_checkworthy,
        doc_labels={d.name: tuple(d.values) for d in schema.doc_labels},
        relation_types=tuple(r.name for r in schema.relations),
        claim_attributes={a.name: tuple(a.values) for a in schema.claim_attributes},
    )


def tag_index(tags: tuple[str, ...]) -> dict[str, int]:
    """Tag name -> ClassLabel id."""
    return {t: i for i, t in enumerate(tags)}


def release_features(labels: ReleaseLabels) -> dict[str, Features]:
    """The features of every config, declared once; ClassLabel names come from the label schema."""
    claim_span = {"id": _S, "offsets": _SPAN_LIST, "text": List(_S), "checkworthy": _S, "kind": _S,
                  "speaker_id": _S}
    doc_labels = {name: ClassLabel(names=list(values)) for name, values in labels.doc_labels.items()}
    documents = {
        "id": _S,
        "document_id": _S,
        "annotation_status": _S,
        "annotated_layers": List(_S),
        "language": _S,
        "title": _S,
        "published": _S,
        "dateline_place": _S,
        "attribution": _S,
        "source": {"name": _S, "outlet": _S, "license": _S, "uri": _S, "key": _S, "raw_sha256": _S},
        "duplicate_cluster": _S,
        "text": _S,
        "text_sha256": _S,
        "passages": List({"id": _S, "type": _S, "text": List(_S), "offsets": _SPAN_LIST}),
        "entities": List({"id": _S, "type": _S, "text": List(_S), "offsets": _SPAN_LIST, "normalized": _NORMALIZED}),
        "claims": List(claim_span),
        "relations": List({"id": _S, "type": _S, "arg1_id": _S, "arg2_id": _S, "normalized": _NORMALIZED}),
        "doc_labels": List({"name": _S, "value": _S, "provenance": _S, "annotator": _S}),
        # how the spans were decided (null for a document without gold): review, ground_truth, majority or
        # preferred; by how many annotators; whether only accounts of programs (machine) decided them
        "adjudication": {"method": _S, "annotators": _I32, "reviewed": Value("bool"), "machine": Value("bool")},
    }
    if doc_labels:
        documents["labels"] = doc_labels
    sentence = {
        "id": _S,
        "document_id": _S,
        "sentence_index": _I32,
        "start": _I32,
        "end": _I32,
        "tokens": List(_S),
        "token_offsets": List(List(_I32, length=2)),
    }
    ner = {**sentence, "ner_tags": List(ClassLabel(names=list(labels.ner_tags)))}
    claims = {
        **sentence,
        "text": _S,
        "has_claim": Value("bool"),
        "checkworthy": Value("bool"),
        "speakers": List(_S),
        "claims": List({**claim_span, "speaker": _S}),
        "claim_tags": List(ClassLabel(names=list(labels.claim_tags))),
    }
    region = {"id": _S, "type": _S, "offsets": _SPAN_LIST, "text": List(_S), "offset_check": _S}
    raw = {
        "id": _S,
        "document_id": _S,
        "kind": _S,  # annotation | review (a reviewer's decision) | prediction
        "annotation_id": Value("int64"),
        "task_id": Value("int64"),
        "annotator": _S,
        "model_version": _S,
        "was_cancelled": Value("bool"),
        "ground_truth": Value("bool"),
        "lead_time": Value("float64"),
        "created_at": _S,
        "updated_at": _S,
        "project": _S,
        "export_sha256": _S,
        "entities": List(region),
        "claims": List({**region, "checkworthy": _S, "kind": _S}),
        "relations": List({"type": _S, "arg1_id": _S, "arg2_id": _S}),
        "doc_labels": List({"name": _S, "value": _S}),
        "unmapped": List(_S),
    }
    return {
        "documents": Features(documents),
        "ner": Features(ner),
        "claims": Features(claims),
        "raw_annotations": Features(raw),
    }
