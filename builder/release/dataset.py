"""The release configs: features declared once, rows built per document, IOB2 tags, Parquet written.

Four configs, each a `datasets` config with train/validation/test splits:
- `documents`: one row per article with provenance, passages, entities, claims, relations and document labels;
  field names follow the BigBIO/SEACrowd `kb` schema (document_id, passages, entities, relations, offsets as
  [[start, end]] lists, text as a list). `annotation_status` says whether the spans were annotated at all.
- `ner`: one row per sentence of a document whose entities were annotated; `ner_tags` in IOB2.
- `claims`: one row per sentence of a document whose claims were annotated: whether it holds a claim, whether
  one of its claims is check-worthy, speakers, claim spans and `claim_tags` in IOB2.
- `raw_annotations`: every annotator's annotation and every pre-annotation, for agreement research.

Spans that IOB2 cannot hold (discontinuous, not on token boundaries, crossing a sentence, nested or
overlapping) stay in `documents` and are counted per config, label and reason.
Rows are built in batches (Python per document, then Arrow arrays from flat columns), so the work can run on
several processes; rows keep the corpus order (documents, then sentences in document order).
"""

from __future__ import annotations

import json
import math
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from datasets import ClassLabel, Features, List, Value

from builder.release.labels import ReleaseLabels, tag_index

CONFIGS = ("documents", "ner", "claims", "raw_annotations")
UNANNOTATED = "unannotated"
GOLD = "gold"
SPAN_STATUSES = (GOLD, "silver")  # silver: spans made by a model, or not reviewed by a person
ENTITY_LAYER = "entities"
CLAIM_LAYER = "claims"
SHARD_BYTES = 256 << 20  # in-memory Arrow bytes per Parquet file
PARQUET_OPTIONS = {"compression": "zstd", "row_group_size": 100_000}

_S = Value("string")
_I32 = Value("int32")
_SPAN_LIST = List(List(_I32))  # kb offsets: [[start, end], ...]
_NORMALIZED = List({"db_name": _S, "db_id": _S})


# ---- features ----------------------------------------------------------------------------------------------


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
        "kind": _S,  # annotation | prediction
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


def split_order(names: Any) -> list[str]:
    """Splits in the usual order (train, validation, test), any others after them by name."""
    order = {"train": 0, "validation": 1, "test": 2}
    return sorted(names, key=lambda s: (order.get(s, 9), s))


# ---- IOB2 --------------------------------------------------------------------------------------------------


@dataclass
class TokenIndex:
    """A document's tokens as flat start/end lists with the sentence each belongs to."""

    starts: list[int]
    ends: list[int]
    bounds: list[tuple[int, int]]  # per sentence: [first token, last token + 1)
    sentence_of: list[int]

    @classmethod
    def of(cls, sentences: list[dict[str, Any]]) -> TokenIndex:
        starts: list[int] = []
        ends: list[int] = []
        bounds = []
        sentence_of: list[int] = []
        for k, s in enumerate(sentences):
            first = len(starts)
            toks = s["tokens"]
            if toks:
                st, en = zip(*toks)
                starts.extend(st)
                ends.extend(en)
            bounds.append((first, len(starts)))
            sentence_of.extend([k] * len(toks))
        return cls(starts, ends, bounds, sentence_of)


def iob2_tags(
    index: TokenIndex,
    spans: list[tuple[int, int, str]],
    tag_ids: dict[str, int],
    *,
    split_at_sentences: bool = False,
) -> tuple[bytearray, list[tuple[str, str]]]:
    """IOB2 tag ids for one document's tokens, and the (label, reason) of every span left out.

    `spans` are (start, end, label), one contiguous piece each. A span is kept only if it starts on a token
    start and ends on a token end; outer spans are placed before the spans nested in them (longest first at
    the same start), and a span touching a token already tagged is left out as `nested_or_overlapping`.
    Entities may not cross a sentence (`crosses_sentence`); with `split_at_sentences` (claims), a span that
    does is tagged in each sentence, starting with B- in each.
    """
    tags = bytearray(len(index.starts))
    left_out: list[tuple[str, str]] = []
    for start, end, label in sorted(spans, key=lambda s: (s[0], -s[1], s[2])):
        i = bisect_left(index.starts, start)
        j = bisect_right(index.ends, end) - 1
        if i >= len(index.starts) or index.starts[i] != start or j < i or index.ends[j] != end:
            left_out.append((label, "not_on_token_boundary"))
            continue
        if not split_at_sentences and index.sentence_of[i] != index.sentence_of[j]:
            left_out.append((label, "crosses_sentence"))
            continue
        if any(tags[i : j + 1]):
            left_out.append((label, "nested_or_overlapping"))
            continue
        b, inside = tag_ids[f"B-{label}"], tag_ids[f"I-{label}"]
        tags[i] = b
        for k in range(i + 1, j + 1):
            tags[k] = b if index.sentence_of[k] != index.sentence_of[k - 1] else inside
    return tags, left_out


def contiguous(offsets: list[list[int]], label: str, left_out: list[tuple[str, str]]) -> tuple[int, int] | None:
    """The one [start, end] of a span, or None (counted as `discontinuous`) when it has several pieces."""
    if len(offsets) != 1:
        left_out.append((label, "discontinuous"))
        return None
    return offsets[0][0], offsets[0][1]


# ---- rows --------------------------------------------------------------------------------------------------


@dataclass
class BatchStats:
    """What one batch contributes to the card and the manifest."""

    counts: Counter = field(default_factory=Counter)  # (kind, split, name, value) -> n
    left_out: Counter = field(default_factory=Counter)  # (config, label, reason) -> n
    doc_tokens: dict[str, list[int]] = field(default_factory=dict)  # split -> tokens per document

    def update(self, other: BatchStats) -> None:
        self.counts.update(other.counts)
        self.left_out.update(other.left_out)
        for split, values in other.doc_tokens.items():
            self.doc_tokens.setdefault(split, []).extend(values)


def _spans_kb(text: str, offsets: list[list[int]]) -> tuple[list[list[int]], list[str]]:
    offs = [[int(a), int(b)] for a, b in offsets]
    return offs, [text[a:b] for a, b in offs]


def _normalized(value: Any) -> list[dict[str, str]]:
    out = []
    for n in value or []:
        if isinstance(n, dict):
            out.append({"db_name": str(n.get("db_name", "")), "db_id": str(n.get("db_id", ""))})
    return out


class RowBuilder:
    """Collects the rows of a batch of documents and raw annotation records, one accumulator per split."""

    def __init__(self, labels: ReleaseLabels, features: dict[str, Features], span_status: str = GOLD) -> None:
        self.labels = labels
        self.features = features
        self.span_status = span_status
        self.stats = BatchStats()
        self.parts: dict[str, _SplitRows] = {}

    def _part(self, split: str) -> _SplitRows:
        if split not in self.parts:
            self.parts[split] = _SplitRows(self.labels, self.features, self.stats, self.span_status)
        return self.parts[split]

    def add_document(self, doc: dict[str, Any], split: str, layers: tuple[str, ...]) -> None:
        """A corpus document (with its gold layers laid over it); `layers` are the span layers annotated."""
        self._part(split).add_document(doc, split, layers)

    def add_raw(self, record: dict[str, Any], split: str) -> None:
        """A canonical annotation record of a document in `split`."""
        self._part(split).add_raw(record, split)

    def tables(self) -> dict[str, dict[str, pa.Table]]:
        """config -> split -> table of this batch (configs without rows are absent)."""
        out: dict[str, dict[str, pa.Table]] = {}
        for split, part in self.parts.items():
            for config, table in part.tables().items():
                out.setdefault(config, {})[split] = table
        return out


_EMPTY: list[Any] = []  # shared by rows without claims or speakers; never mutated


class _SplitRows:
    """The rows of one split of a batch, as flat columns that become Arrow arrays in one step."""

    def __init__(self, labels: ReleaseLabels, features: dict[str, Features], stats: BatchStats,
                 span_status: str = GOLD) -> None:
        self.labels = labels
        self.span_status = span_status
        self.schemas = {name: f.arrow_schema for name, f in features.items()}
        self.ner_ids = tag_index(labels.ner_tags)
        self.claim_ids = tag_index(labels.claim_tags)
        self.docs: list[dict[str, Any]] = []
        self.raw: list[dict[str, Any]] = []
        self.sent: dict[str, list[Any]] = {k: [] for k in (
            "id", "document_id", "sentence_index", "start", "end", "text", "has_claim", "checkworthy", "speakers",
            "claims", "in_ner", "in_claims")}
        self.tok_strings: list[str] = []
        self.tok_starts: list[int] = []
        self.tok_ends: list[int] = []
        self.ner_tags = bytearray()
        self.claim_tags = bytearray()
        self.sent_offsets: list[int] = [0]
        self.stats = stats

    # -- documents --

    def add_document(self, doc: dict[str, Any], split: str, layers: tuple[str, ...]) -> None:
        text = doc["text"]
        status = self.span_status if layers else UNANNOTATED
        entities = [self._entity(text, e) for e in doc.get("entities") or []] if ENTITY_LAYER in layers else []
        claims = [self._claim(text, c) for c in doc.get("claims") or []] if CLAIM_LAYER in layers else []
        relations = [
            {"id": str(r["id"]), "type": r["type"], "arg1_id": r["arg1_id"], "arg2_id": r["arg2_id"],
             "normalized": _normalized(r.get("normalized"))}
            for r in (doc.get("relations") or [] if layers else [])
        ]
        doc_labels = [
            {"name": d["name"], "value": d["value"], "provenance": d.get("provenance"), "annotator": d.get("annotator")}
            for d in doc.get("doc_labels") or []
        ]
        row = {
            "id": doc["id"],
            "document_id": doc["id"],
            "annotation_status": status,
            "annotated_layers": list(layers),
            "language": doc.get("language"),
            "title": doc.get("title"),
            "published": doc.get("published"),
            "dateline_place": (doc.get("dateline") or {}).get("place"),
            "attribution": doc.get("attribution"),
            "source": {k: (doc.get("source") or {}).get(k) for k in ("name", "outlet", "license", "uri", "key",
                                                                       "raw_sha256")},
            "duplicate_cluster": (doc.get("duplicates") or {}).get("cluster_id"),
            "text": text,
            "text_sha256": doc["text_sha256"],
            "passages": [
                {"id": p["id"], "type": p.get("type", "paragraph"), **dict(zip(("offsets", "text"),
                                                                            _spans_kb(text, p["offsets"])))}
                for p in doc.get("passages") or []
            ],
            "entities": entities,
            "claims": claims,
            "relations": relations,
            "doc_labels": doc_labels,
        }
        if self.labels.doc_labels:
            given = {d["name"]: d["value"] for d in doc_labels}
            row["labels"] = {
                name: (values.index(given[name]) if given.get(name) in values else -1)
                for name, values in self.labels.doc_labels.items()
            }
        self.docs.append(row)
        self._count_document(row, split, layers, doc)
        if layers:
            self._add_sentences(doc, split, layers, entities, claims)

    def _entity(self, text: str, e: dict[str, Any]) -> dict[str, Any]:
        offsets, pieces = _spans_kb(text, e["offsets"])
        return {"id": str(e["id"]), "type": e["type"], "text": pieces, "offsets": offsets,
                "normalized": _normalized(e.get("normalized"))}

    def _claim(self, text: str, c: dict[str, Any]) -> dict[str, Any]:
        offsets, pieces = _spans_kb(text, c["offsets"])
        return {"id": str(c["id"]), "offsets": offsets, "text": pieces, "checkworthy": c.get("checkworthy"),
                "kind": c.get("kind"), "speaker_id": c.get("speaker_id")}

    def _count_document(self, row: dict[str, Any], split: str, layers: tuple[str, ...], doc: dict[str, Any]) -> None:
        c = self.stats.counts
        c[("documents", split, row["annotation_status"], "")] += 1
        c[("source", split, row["source"]["name"] or "", row["source"]["license"] or "")] += 1
        for e in row["entities"]:
            c[("entity", split, e["type"], "")] += 1
        for cl in row["claims"]:
            c[("claim", split, self.labels.claim_label, "")] += 1
            c[("claim_attribute", split, "checkworthy", cl["checkworthy"] or "")] += 1
            c[("claim_attribute", split, "kind", cl["kind"] or "")] += 1
            c[("claim_attribute", split, "speaker", "given" if cl["speaker_id"] else "none")] += 1
        for r in row["relations"]:
            c[("relation", split, r["type"], "")] += 1
        for d in row["doc_labels"]:
            c[("doc_label", split, d["name"], d["value"])] += 1
        n_tokens = sum(len(s["tokens"]) for s in doc.get("sentences") or [])
        self.stats.doc_tokens.setdefault(split, []).append(n_tokens)

    def _add_sentences(self, doc: dict[str, Any], split: str, layers: tuple[str, ...],
                       entities: list[dict[str, Any]], claims: list[dict[str, Any]]) -> None:
        text = doc["text"]
        sentences = doc.get("sentences") or []
        index = TokenIndex.of(sentences)
        left: list[tuple[str, str]] = []
        in_ner = ENTITY_LAYER in layers
        in_claims = CLAIM_LAYER in layers
        if in_ner:
            spans = [(*se, e["type"]) for e in entities if (se := contiguous(e["offsets"], e["type"], left))]
            tags, out = iob2_tags(index, spans, self.ner_ids)
            self.stats.left_out.update(("ner", label, reason) for label, reason in left + out)
        else:
            tags = bytearray(len(index.starts))
        left = []
        claim_label = self.labels.claim_label
        if in_claims:
            pieces = [(a, b, claim_label) for c in claims for a, b in c["offsets"]]
            ctags, out = iob2_tags(index, pieces, self.claim_ids, split_at_sentences=True)
            self.stats.left_out.update(("claims", label, reason) for label, reason in out)
        else:
            ctags = bytearray(len(index.starts))
        self.ner_tags += tags
        self.claim_tags += ctags
        self.tok_starts.extend(index.starts)
        self.tok_ends.extend(index.ends)
        self.tok_strings.extend([text[a:b] for a, b in zip(index.starts, index.ends)])
        per_sentence = self._claims_by_sentence(sentences, claims, entities) if in_claims else {}
        positive = self.labels.positive_checkworthy
        n = len(sentences)
        s_ = self.sent
        starts = [s["start"] for s in sentences]
        ends = [s["end"] for s in sentences]
        s_["id"].extend([s["id"] for s in sentences])
        s_["document_id"].extend([doc["id"]] * n)
        s_["sentence_index"].extend(range(n))
        s_["start"].extend(starts)
        s_["end"].extend(ends)
        s_["text"].extend([text[a:b] for a, b in zip(starts, ends)])
        s_["in_ner"].extend([in_ner] * n)
        s_["in_claims"].extend([in_claims] * n)
        has_claim, worthy, speakers, found = [False] * n, [False] * n, [_EMPTY] * n, [_EMPTY] * n
        for k, items in per_sentence.items():
            has_claim[k] = True
            worthy[k] = any(c["checkworthy"] == positive for c in items)
            speakers[k] = [c["speaker"] for c in items if c["speaker"]]
            found[k] = items
        s_["has_claim"].extend(has_claim)
        s_["checkworthy"].extend(worthy)
        s_["speakers"].extend(speakers)
        s_["claims"].extend(found)
        base = self.sent_offsets[-1]
        self.sent_offsets.extend([base + b for _, b in index.bounds])
        for config, present in (("ner", in_ner), ("claims", in_claims)):
            if present:
                self.stats.counts[("sentences", split, config, "")] += len(sentences)
                self.stats.counts[("tokens", split, config, "")] += len(index.starts)

    @staticmethod
    def _claims_by_sentence(sentences: list[dict[str, Any]], claims: list[dict[str, Any]],
                            entities: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
        """Sentence index -> the claims overlapping it, each with its speaker's text."""
        names = {e["id"]: " ".join(e["text"]) for e in entities}
        starts = [s["start"] for s in sentences]
        out: dict[int, list[dict[str, Any]]] = {}
        for c in claims:
            item = {**c, "speaker": names.get(c["speaker_id"]) if c["speaker_id"] else None}
            hit: set[int] = set()
            for a, b in c["offsets"]:
                k = max(bisect_right(starts, a) - 1, 0)
                while k < len(sentences) and sentences[k]["start"] < b:
                    if sentences[k]["end"] > a:
                        hit.add(k)
                    k += 1
            for k in sorted(hit):
                out.setdefault(k, []).append(item)
        return out

    # -- raw annotations --

    def add_raw(self, record: dict[str, Any], split: str) -> None:
        """One row per annotation and per pre-annotation of a canonical annotation record."""
        doc_id = record["document_id"]
        base = {"document_id": doc_id, "project": (record.get("project") or {}).get("title"),
                "export_sha256": (record.get("export") or {}).get("sha256")}
        for kind, items in (("annotation", record.get("annotations") or []),
                            ("prediction", record.get("predictions") or [])):
            for a in items:
                row = {
                    **base,
                    "id": f"{doc_id}/{kind}/{a.get('id')}",
                    "kind": kind,
                    "annotation_id": a.get("id"),
                    "task_id": a.get("task_id"),
                    "annotator": a.get("annotator") if kind == "annotation" else None,
                    "model_version": a.get("model_version") if kind == "prediction" else None,
                    "was_cancelled": bool(a.get("was_cancelled", False)),
                    "ground_truth": bool(a.get("ground_truth", False)),
                    "lead_time": a.get("lead_time"),
                    "created_at": a.get("created_at"),
                    "updated_at": a.get("updated_at"),
                    "entities": [_region(r) for r in a.get("entities") or []],
                    "claims": [{**_region(r), **{k: _choice((r.get("attributes") or {}).get(k))
                                                 for k in ("checkworthy", "kind")}}
                               for r in a.get("claims") or []],
                    "relations": [{"type": r.get("type"), "arg1_id": r.get("from_id"), "arg2_id": r.get("to_id")}
                                  for r in a.get("relations") or []],
                    "doc_labels": [{"name": name, "value": v}
                                   for name, values in sorted((a.get("doc_labels") or {}).items()) for v in values],
                    "unmapped": [json.dumps(u, sort_keys=True, ensure_ascii=False) for u in a.get("unmapped") or []],
                }
                self.raw.append(row)
                self.stats.counts[("raw", split, kind, "")] += 1

    # -- Arrow --

    def tables(self) -> dict[str, pa.Table]:
        out: dict[str, pa.Table] = {}
        if self.docs:
            out["documents"] = pa.Table.from_pylist(self.docs, schema=self.schemas["documents"])
        if self.raw:
            out["raw_annotations"] = pa.Table.from_pylist(self.raw, schema=self.schemas["raw_annotations"])
        if self.sent["id"]:
            out.update(self._sentence_tables())
        return out

    def _sentence_tables(self) -> dict[str, pa.Table]:
        s = self.sent
        offsets = pa.array(np.asarray(self.sent_offsets, dtype=np.int32))
        tokens = pa.ListArray.from_arrays(offsets, pa.array(self.tok_strings, type=pa.string()))
        pairs = np.empty(2 * len(self.tok_starts), dtype=np.int32)
        pairs[0::2] = self.tok_starts
        pairs[1::2] = self.tok_ends
        token_offsets = pa.ListArray.from_arrays(offsets, pa.FixedSizeListArray.from_arrays(pa.array(pairs), 2))
        common = {
            "id": pa.array(s["id"], pa.string()),
            "document_id": pa.array(s["document_id"], pa.string()),
            "sentence_index": pa.array(s["sentence_index"], pa.int32()),
            "start": pa.array(s["start"], pa.int32()),
            "end": pa.array(s["end"], pa.int32()),
            "tokens": tokens,
            "token_offsets": token_offsets,
        }
        tags = lambda buf: pa.ListArray.from_arrays(  # noqa: E731
            offsets, pa.array(np.frombuffer(bytes(buf), dtype=np.uint8).astype(np.int64)))
        out: dict[str, pa.Table] = {}
        for name, mask_key, extra in (
            ("ner", "in_ner", lambda: {"ner_tags": tags(self.ner_tags)}),
            ("claims", "in_claims", lambda: {
                "text": pa.array(s["text"], pa.string()),
                "has_claim": pa.array(s["has_claim"], pa.bool_()),
                "checkworthy": pa.array(s["checkworthy"], pa.bool_()),
                "speakers": pa.array(s["speakers"], pa.list_(pa.string())),
                "claims": pa.array(s["claims"], self.schemas["claims"].field("claims").type),
                "claim_tags": tags(self.claim_tags)}),
        ):
            mask = s[mask_key]
            if not any(mask):
                continue
            schema = self.schemas[name]
            columns = {**common, **extra()}
            table = pa.Table.from_arrays([columns[f.name] for f in schema], schema=schema)
            # a document with only one layer annotated gives rows to that layer's config only
            out[name] = table if all(mask) else table.filter(pa.array(mask))
        return out


def _region(r: dict[str, Any]) -> dict[str, Any]:
    start, end = r.get("start"), r.get("end")
    return {"id": r.get("id"), "type": r.get("label"), "offsets": [[start, end]], "text": [r.get("text")],
            "offset_check": r.get("offset_check")}


def _choice(value: Any) -> str | None:
    """A per-region choice as one string; several chosen values are joined with '|'."""
    if isinstance(value, list):
        return "|".join(str(v) for v in value)
    return value


# ---- writing -----------------------------------------------------------------------------------------------


def concat_table(batches: list[pa.Table], schema: pa.Schema) -> pa.Table:
    """One contiguous table from the batch tables, rows in corpus order (the batches come back in order).

    The order follows the corpus file, which is an input of the build, so the same inputs give the same rows
    in the same order; contiguous chunks make the Parquet pages independent of the batch size.
    """
    table = pa.concat_tables(batches) if batches else schema.empty_table()
    return table.combine_chunks()


def write_split(table: pa.Table, folder: Path, split: str) -> list[Path]:
    """`<split>-NNNNN-of-NNNNN.parquet` files of at most ~SHARD_BYTES each; bytes depend only on the rows."""
    folder.mkdir(parents=True, exist_ok=True)
    shards = max(1, math.ceil(table.nbytes / SHARD_BYTES))
    per = math.ceil(table.num_rows / shards) if table.num_rows else 0
    paths = []
    for k in range(shards):
        path = folder / f"{split}-{k:05d}-of-{shards:05d}.parquet"
        pq.write_table(table.slice(k * per, per), path, **PARQUET_OPTIONS)
        paths.append(path)
    return paths
