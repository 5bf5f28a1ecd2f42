"""The project's corpus: the prepared articles and every imported corpus, as one JSONL file.

`newsbench import` writes each imported corpus to `work/import/<source>/`; `prepare` writes the articles to
`work/segment/`. Without imports the corpus is the prepared file itself. With imports it is
`work/corpus/documents.jsonl`: the prepared documents, then each import's, in source order, assembled again
whenever one of its parts changed (`corpus_path` checks; nothing else is needed). Every command that reads the
corpus (validate, annotate push, agreement, adjudicate, report, build) reads this one file, so an imported
corpus is part of every step as the prepared one is.

An imported document keeps the split its files gave it. One without a split gets one by the `[split]` rules: a
hash of its id onto the ratios, or by its date with `temporal` cut-offs (an imported document is its own duplicate
cluster: imports are not deduplicated against each other). These placements are not written to the split ledger:
they hold while the seed and ratios do. Two parts holding one document id are refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from builder.config import Config
from builder.corpus.split import SplitOptions, cluster_hash, split_by_date, split_by_hash
from builder.errors import DataInvalidError
from builder.jsonl import AtomicWriter, iter_lines
from builder.stage import StageDir, fingerprint

IMPORT_DIR = "import"
ASSEMBLED_DIR = "corpus"
PREPARED_STAGE = "segment"  # the last stage of prepare (builder.corpus.prepare.STAGES)


def prepared_path(config: Config) -> Path:
    """The prepared articles: the last prepare stage's documents."""
    return StageDir(config.stage_dir(PREPARED_STAGE)).documents


def import_dir(config: Config, source: str) -> Path:
    """Where `newsbench import` writes the documents of one imported source."""
    return config.stage_dir(IMPORT_DIR) / source


def import_parts(config: Config) -> list[Path]:
    """The imported corpora's documents files, by source name (hidden folders are never parts)."""
    root = config.stage_dir(IMPORT_DIR)
    if not root.is_dir():
        return []
    return sorted(p / "documents.jsonl" for p in root.iterdir()
                  if p.is_dir() and not p.name.startswith(".") and (p / "documents.jsonl").is_file())


def corpus_parts(config: Config) -> list[Path]:
    prepared = prepared_path(config)
    return ([prepared] if prepared.is_file() else []) + import_parts(config)


def corpus_path(config: Config) -> Path:
    """The corpus every command reads: the prepared file, or (with imports) the assembled one, brought up to date."""
    imports = import_parts(config)
    if not imports:
        return prepared_path(config)
    return assemble_corpus(config)


def _state(parts: list[Path], options: SplitOptions) -> str:
    stats = [(str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in parts]
    return fingerprint(stats, options.names, options.ratios, options.seed, options.cutoffs)


def assemble_corpus(config: Config) -> Path:
    """Write `work/corpus/documents.jsonl` from the parts unless it is up to date; its path."""
    out = StageDir(config.stage_dir(ASSEMBLED_DIR))
    parts = corpus_parts(config)
    options = SplitOptions.from_config(config)
    state = _state(parts, options)
    if out.documents.is_file() and out.is_done(state):
        return out.documents
    out.root.mkdir(parents=True, exist_ok=True)
    seen: dict[str, str] = {}
    counts: dict[str, Any] = {}
    with AtomicWriter(out.documents) as writer:
        for part in parts:
            n = given = 0
            placed: dict[str, int] = {}
            for lineno, raw in iter_lines(part):
                doc = orjson.loads(raw)
                doc_id = doc.get("id")
                if doc_id in seen:
                    raise DataInvalidError(f"document {doc_id} is in two parts of the corpus: {seen[doc_id]} and "
                                           f"{part}:{lineno}", where=str(part),
                                           fix="give the imported corpus another source name (--source), or "
                                           "remove one of its copies")
                seen[doc_id] = f"{part}:{lineno}"
                n += 1
                if doc.get("split"):
                    given += 1
                    writer.write_bytes(raw if raw.endswith(b"\n") else raw + b"\n")
                    continue
                split = place_imported(doc, options)
                placed[split] = placed.get(split, 0) + 1
                doc["split"] = split
                writer.write(doc)
            counts[str(part)] = {"documents": n, "split_given": given, "split_placed": dict(sorted(placed.items()))}
    out.write_stats({"parts": counts, "documents": len(seen)})
    out.mark_done(state)
    return out.documents


def place_imported(doc: dict[str, Any], options: SplitOptions) -> str:
    """The split of a document that came without one, by the [split] rules (hash of its id, or its date)."""
    if options.cutoffs:
        return split_by_date(doc.get("published"), options.cutoffs, options.undated_split)
    return split_by_hash(cluster_hash(options.seed, str(doc.get("id"))), options.names, options.ratios)
