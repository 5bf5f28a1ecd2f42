"""What a release is built from, found from the project config and hashed for the manifest.

Inputs: the segmented corpus (`work/segment/documents.jsonl`), the gold layer (`annotations/gold/*.jsonl`,
canonical documents with entities, claims, relations and document labels), the canonical annotation records
(`annotations/canonical/*.jsonl`), the label and document schemas, and optionally baseline results, agreement
figures, the hand-written card sections and the prepare stages' statistics.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from builder.config import Config
from builder.corpus.assemble import corpus_path
from builder.corpus.prepare import STAGE_NAMES
from builder.document import SCHEMA_DIR
from builder.errors import InputError
from builder.stage import file_digest

@dataclass(frozen=True)
class ReleaseInputs:
    documents: Path
    gold: tuple[Path, ...]
    raw: tuple[Path, ...]
    label_schema: Path
    document_schema: Path
    results: Path | None = None
    agreement: Path | None = None
    card_sections: tuple[Path, ...] = ()
    stage_stats: tuple[Path, ...] = ()

    def files(self) -> dict[str, list[Path]]:
        """Role -> files, in a fixed order."""
        return {
            "documents": [self.documents],
            "gold": list(self.gold),
            "raw_annotations": list(self.raw),
            "label_schema": [self.label_schema],
            "document_schema": [self.document_schema],
            "results": [self.results] if self.results else [],
            "agreement": [self.agreement] if self.agreement else [],
            "card_sections": list(self.card_sections),
            "stage_stats": list(self.stage_stats),
        }


def _optional(config: Config, value: str | Path | None, what: str) -> Path | None:
    if not value:
        return None
    path = config.resolve(value)
    if not path.is_file():
        raise InputError(f"{what} file not found", where=str(path), fix=f"pass an existing {what} JSON or leave it empty")
    return path


def inherited_results(config: Config) -> Path | None:
    """The baseline results the newest release was built with, while that file is unchanged: results given once
    (`build --results FILE`) stay an input of the next builds, so that a plain `build` does not cut a version
    without them. A file that changed or went missing is not inherited (the build then says so)."""
    from builder.release.layout import ReleaseFolder, list_versions, releases_dir

    root = releases_dir(config)
    versions = list_versions(root) if root.is_dir() else []
    if not versions:
        return None
    shown = ReleaseFolder(root / versions[-1]).manifest.get("inputs", {}).get("results") or []
    if not shown:
        return None
    path = config.resolve(shown[0]["path"])
    return path if path.is_file() and file_digest(path) == shown[0]["sha256"] else None


def collect_inputs(config: Config, *, documents: str | Path | None = None, results: str | Path | None = None,
                   agreement: str | Path | None = None, inherit: bool = True) -> ReleaseInputs:
    """Find every input of a build from the config; missing required inputs raise a located InputError.
    Baseline results come from `results`, else `release.results`, else (with `inherit`) the newest release's."""
    rel = config.release
    annotations = config.resolve(config.project.annotations_dir)
    doc_path = config.resolve(documents or rel.documents or corpus_path(config))
    if not doc_path.is_file():
        raise InputError("corpus documents not found", where=str(doc_path),
                         fix="run `newsbench prepare` first, or set release.documents / pass --documents")
    gold_dir = config.resolve(rel.gold_dir or annotations / "gold")
    raw_dir = config.resolve(rel.raw_dir or annotations / "canonical")
    card_dir = config.resolve(rel.card_dir) if rel.card_dir else None
    label_schema = config.resolve(config.project.label_schema)
    stats = tuple(p for s in STAGE_NAMES if (p := config.stage_dir(s) / "stats.json").is_file())
    return ReleaseInputs(
        documents=doc_path,
        gold=tuple(sorted(gold_dir.glob("*.jsonl"))) if gold_dir.is_dir() else (),
        raw=tuple(sorted(raw_dir.glob("*.jsonl"))) if raw_dir.is_dir() else (),
        label_schema=label_schema,
        document_schema=SCHEMA_DIR / "document.schema.json",
        results=_optional(config, results or rel.results, "results") or (inherited_results(config) if inherit
                                                                            else None),
        agreement=_optional(config, agreement or rel.agreement, "agreement"),
        card_sections=tuple(sorted(card_dir.glob("*.md"))) if card_dir and card_dir.is_dir() else (),
        stage_stats=stats,
    )


def _relative(path: Path, root: Path) -> str:
    """The path inside the project; a file outside it is named by its file name only (a release never holds
    a local absolute path)."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return f"(outside the project)/{path.name}"


def input_digests(inputs: ReleaseInputs, root: Path) -> dict[str, list[dict[str, str]]]:
    """Role -> [{path (relative to the project), sha256}] for the manifest."""
    return {role: [{"path": _relative(p, root), "sha256": file_digest(p)} for p in paths]
            for role, paths in inputs.files().items()}
