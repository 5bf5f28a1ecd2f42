"""The gold side of an evaluation: one split of one config of a release, read from its Parquet files.

A release folder (`builder.release.layout.ReleaseFolder`) holds `data/<config>/<split>-*.parquet` and a
`manifest.json` with its version. ClassLabel names come from the Hugging Face features stored in the Parquet metadata, or else
from the label schema. Only the columns a score needs are read.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from builder.errors import InputError
from builder.release.layout import ReleaseFolder, class_names
from builder.tags import TagVocab

CONFIGS = ("ner", "claims", "documents")  # the configs a prediction can be scored on


def _factorize(column: pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
    """(code per row, distinct values in order of first appearance)."""
    encoded = column.combine_chunks().dictionary_encode()
    return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64), encoded.dictionary.to_pylist()


def _flat_list(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """(flat values, lengths) of a list column."""
    arr = column.combine_chunks()
    lengths = arr.value_lengths().to_numpy(zero_copy_only=False).astype(np.int64)
    return arr.flatten().to_numpy(zero_copy_only=False), lengths


@dataclass
class TokenGold:
    """Sentences of a split with their tokens and a tag layer (NER tags or claim tags) as codes."""

    ids: list[str]
    index: dict[str, int]
    doc: np.ndarray  # document index per sentence
    doc_ids: list[str]
    lengths: np.ndarray  # tokens per sentence
    first: np.ndarray  # index of each sentence's first token in the flat arrays
    codes: np.ndarray  # flat tag codes (into vocab)
    vocab: TagVocab
    allowed: frozenset[str]  # tag names a prediction may use
    token_start: np.ndarray  # flat character offsets into the document text
    token_end: np.ndarray
    labels: tuple[str, ...]  # span labels of the tag layer, in ClassLabel order

    @property
    def n_docs(self) -> int:
        return len(self.doc_ids)


def token_gold(release: ReleaseFolder, config: str, split: str, tag_column: str, fallback_names: list[str],
               extra: list[str] = (), *, offsets: bool = True) -> tuple[TokenGold, pa.Table]:
    """The sentences of `config`/`split` with the tags of `tag_column`; also the table with `extra` columns.

    Without `offsets` the character offsets of the tokens are not read (tag predictions do not need them)."""
    columns = ["id", "document_id", tag_column, *(["token_offsets"] if offsets else []), *extra]
    table = release.read(config, split, columns)
    names = class_names(table, tag_column) or list(fallback_names)
    vocab = TagVocab.of()
    to_code = np.array([vocab.add(n) for n in names], dtype=np.int64)
    tags, lengths = _flat_list(table[tag_column])
    pairs = np.zeros((0, 2), dtype=np.int64)
    if offsets:
        pairs = table["token_offsets"].combine_chunks().flatten().flatten().to_numpy(zero_copy_only=False)
        pairs = pairs.astype(np.int64).reshape(-1, 2)
    ids = table["id"].to_pylist()
    doc, doc_ids = _factorize(table["document_id"])
    first = np.cumsum(lengths) - lengths
    labels = tuple(dict.fromkeys(n.split("-", 1)[1] for n in names if n != "O" and "-" in n))
    gold = TokenGold(ids, dict(zip(ids, range(len(ids)))), doc, doc_ids, lengths, first,
                     to_code[tags.astype(np.int64)], vocab, frozenset(names), pairs[:, 0], pairs[:, 1], labels)
    if len(gold.index) != len(ids):
        raise InputError(f"sentence ids repeat in {config}/{split}", where=str(release.path),
                         fix="rebuild the release; sentence ids must be unique")
    return gold, table


def document_lengths(release: ReleaseFolder, split: str, gold: TokenGold) -> np.ndarray:
    """Text length of each gold document (from the documents config), else its last token's end."""
    ends = np.zeros(gold.n_docs, dtype=np.int64)
    np.maximum.at(ends, np.repeat(gold.doc, gold.lengths), gold.token_end)
    try:
        table = release.read("documents", split, ["id", "text"])
    except InputError:
        return ends
    length = {i: len(t) for i, t in zip(table["id"].to_pylist(), table["text"].to_pylist())}
    return np.array([length.get(d, e) for d, e in zip(gold.doc_ids, ends.tolist())], dtype=np.int64)


@dataclass
class DocumentGold:
    ids: list[str]
    index: dict[str, int]
    label_name: str
    values: tuple[str, ...]
    gold: np.ndarray  # value index per document, -1 where the document has no gold value


def document_gold(release: ReleaseFolder, split: str, label_name: str | None,
                  fallback: dict[str, tuple[str, ...]]) -> DocumentGold:
    """Documents of a split with the gold value of one document label (`labels.<name>` ClassLabel)."""
    table = release.read("documents", split, ["id", "labels", "doc_labels"])
    names = [f.name for f in table.schema.field("labels").type] if pa.types.is_struct(
        table.schema.field("labels").type) else []
    name = label_name or (names[0] if names else None)
    if name is None or name not in names:
        raise InputError(f"the documents config has no document label '{label_name}'", where=str(release.path),
                         fix=f"use one of: {', '.join(names) or '(none)'}")
    values = class_names(table, "labels", name) or list(fallback.get(name, ()))
    gold = np.asarray(table["labels"].combine_chunks().field(name).to_numpy(zero_copy_only=False), dtype=np.int64)
    ids = table["id"].to_pylist()
    return DocumentGold(ids, {d: i for i, d in enumerate(ids)}, name, tuple(values), gold)
