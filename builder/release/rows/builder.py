"""The rows of a batch of documents and raw annotation records, one accumulator per split.

Rows are built in batches (Python per document, then Arrow arrays from flat columns), so the work can run on
several processes; rows keep the corpus order (documents, then sentences in document order).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
from datasets import Features

from builder.release.features import GOLD, ReleaseLabels, tag_index
from builder.release.rows import claims as claim_rows
from builder.release.rows import ner as ner_rows
from builder.release.rows.documents import CLAIM_LAYER, ENTITY_LAYER, count_document, document_row
from builder.release.rows.raw_annotations import raw_rows
from builder.release.rows.sentences import TokenIndex


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

    def add_document(self, doc: dict[str, Any], split: str, layers: tuple[str, ...],
                     awaiting: bool = False) -> dict[str, Any]:
        """A corpus document (with its gold layers laid over it); `layers` are the span layers annotated,
        `awaiting` that it was annotated but left open by adjudication. Returns its `documents` row."""
        return self._part(split).add_document(doc, split, layers, awaiting)

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

    def add_document(self, doc: dict[str, Any], split: str, layers: tuple[str, ...],
                     awaiting: bool = False) -> dict[str, Any]:
        row = document_row(doc, layers, self.span_status, self.labels, awaiting)
        self.docs.append(row)
        count_document(self.stats.counts, row, split, self.labels.claim_label)
        n_tokens = sum(len(s["tokens"]) for s in doc.get("sentences") or [])
        self.stats.doc_tokens.setdefault(split, []).append(n_tokens)
        if layers:
            self._add_sentences(doc, split, layers, row["entities"], row["claims"])
        return row

    def _add_sentences(self, doc: dict[str, Any], split: str, layers: tuple[str, ...],
                       entities: list[dict[str, Any]], claims: list[dict[str, Any]]) -> None:
        text = doc["text"]
        sentences = doc.get("sentences") or []
        index = TokenIndex.of(sentences)
        in_ner = ENTITY_LAYER in layers
        in_claims = CLAIM_LAYER in layers
        if in_ner:
            tags, out = ner_rows.entity_tags(index, entities, self.ner_ids)
            self.stats.left_out.update(("ner", label, reason) for label, reason in out)
        else:
            tags = bytearray(len(index.starts))
        if in_claims:
            ctags, out = claim_rows.claim_tags(index, claims, self.labels.claim_label, self.claim_ids)
            self.stats.left_out.update(("claims", label, reason) for label, reason in out)
        else:
            ctags = bytearray(len(index.starts))
        self.ner_tags += tags
        self.claim_tags += ctags
        self.tok_starts.extend(index.starts)
        self.tok_ends.extend(index.ends)
        self.tok_strings.extend([text[a:b] for a, b in zip(index.starts, index.ends)])
        n = len(sentences)
        per_sentence = claim_rows.claims_by_sentence(sentences, claims, entities) if in_claims else {}
        has_claim, worthy, speakers, found = claim_rows.sentence_values(per_sentence, n,
                                                                        self.labels.positive_checkworthy)
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

    def add_raw(self, record: dict[str, Any], split: str) -> None:
        """One row per annotation and per pre-annotation of a canonical annotation record."""
        for row in raw_rows(record):
            self.raw.append(row)
            self.stats.counts[("raw", split, row["kind"], "")] += 1

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

        def tags(buf: bytearray) -> pa.Array:
            return pa.ListArray.from_arrays(offsets, pa.array(np.frombuffer(bytes(buf), dtype=np.uint8).astype(np.int64)))

        out: dict[str, pa.Table] = {}
        for name, mask_key, extra in (
            ("ner", "in_ner", lambda: ner_rows.columns(tags(self.ner_tags))),
            ("claims", "in_claims", lambda: claim_rows.columns(s, tags(self.claim_tags),
                                                               self.schemas["claims"].field("claims").type)),
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
