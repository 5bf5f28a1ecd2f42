"""A release folder: its file names, its manifest, and the Parquet files of each config and split.

```
releases/<version>/
  README.md                      the card (YAML header with the configs, then Markdown)
  manifest.json                  inputs, config, code, statistics and the sha256 of every other file
  results.json                   baseline scores, when the build was given them
  *.png                          the card's charts
  data/<config>/<split>-NNNNN-of-NNNNN.parquet
```

`ReleaseFolder` reads one (build, card, diff, publish and evaluate all go through it); `find_release` is the one
way a command turns what the user typed (a folder, or a version under the project's releases) into one;
`write_split` writes a config's split. The same rows give the same bytes.
"""

from __future__ import annotations

import json
import math
import re
from functools import cached_property
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from builder.config import Config
from builder.errors import DataInvalidError, InputError
from builder.labels import CHECKWORTHY, Choice, EntityType, LabelSchema
from builder.stage import file_digest

MANIFEST = "manifest.json"
CARD = "README.md"
RESULTS = "results.json"
DATA = "data"
SHARD_BYTES = 256 << 20  # in-memory Arrow bytes per Parquet file
# What the Hub's dataset viewer reads well: row groups of at most ~100 MB in memory (it refuses groups above
# ~286 MiB and recommends 100-300 MB) and 100k rows, a page index so that it reads single pages, and
# content-defined chunking (pyarrow >= 21) so that a new version whose rows mostly stay re-uploads only the pages
# that changed (the Hub's Xet storage deduplicates by chunk). All deterministic: the same rows give the same bytes.
ROW_GROUP_BYTES = 100 << 20
ROW_GROUP_ROWS = 100_000
PARQUET_OPTIONS: dict[str, object] = {"compression": "zstd", "write_page_index": True}
CDC = tuple(int(x) for x in pa.__version__.split(".")[:2]) >= (21, 0)
if CDC:
    PARQUET_OPTIONS["use_content_defined_chunking"] = True


def row_group_rows(table: pa.Table) -> int:
    """Rows per row group: ROW_GROUP_ROWS, fewer when the rows are large (ROW_GROUP_BYTES in memory)."""
    if not table.num_rows:
        return ROW_GROUP_ROWS
    per_row = max(1, table.nbytes // table.num_rows)
    return max(1, min(ROW_GROUP_ROWS, ROW_GROUP_BYTES // per_row))
_SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


def semver(text: str) -> tuple[int, int, int] | None:
    m = _SEMVER.match(str(text))
    return (int(m[1]), int(m[2]), int(m[3])) if m else None


class ReleaseFolder:
    """One release folder (see the module docstring); nothing is read until asked for."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"ReleaseFolder({str(self.path)!r})"

    @property
    def manifest_path(self) -> Path:
        return self.path / MANIFEST

    @cached_property
    def manifest(self) -> dict[str, Any]:
        """The manifest; a release without one (written by hand) has an empty one."""
        if not self.manifest_path.is_file():
            return {}
        try:
            return json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read the manifest ({exc})", where=str(self.manifest_path),
                             fix="restore the release folder, or rebuild it with `newsbench build`") from exc

    @property
    def version(self) -> str:
        return str(self.manifest.get("version") or self.path.name)

    @property
    def name(self) -> str:
        return str(self.manifest.get("name") or "release")

    @property
    def language(self) -> str:
        """The project language the release was built with ("" when the manifest does not say)."""
        return str(((self.manifest.get("config") or {}).get("project") or {}).get("language") or "")

    def verify(self) -> dict[str, Any]:
        """The manifest, after checking that every file it lists is there with its sha256 and nothing else is."""
        if not self.manifest:
            raise InputError("the release has no manifest", where=str(self.manifest_path),
                             fix="rebuild the release with `newsbench build`")
        listed = self.manifest["files"]
        present = {p.relative_to(self.path).as_posix() for p in self.path.rglob("*") if p.is_file()} - {MANIFEST}
        problems = [f"{f} is missing" for f in sorted(set(listed) - present)]
        problems += [f"{f} is not in the manifest" for f in sorted(present - set(listed))]
        problems += [f"{f} was changed (sha256 differs)" for f in sorted(set(listed) & present)
                     if file_digest(self.path / f) != listed[f]["sha256"]]
        if problems:
            raise DataInvalidError(f"release {self.manifest['version']} does not match its manifest: "
                                   + "; ".join(problems), where=str(self.path),
                                   fix="restore the folder from version control; releases never change")
        return self.manifest

    # -- data --

    def arrow_schema(self, config: str) -> pa.Schema | None:
        """The schema of a config's Parquet files (their `datasets` features in its metadata), None without one."""
        splits = self.splits(config)
        return pq.read_schema(self.files(config, splits[0])[0]) if splits else None

    def label_schema(self) -> LabelSchema:
        """The labels the release was built with, read from its own data (ClassLabel names; the manifest's when a
        config is missing), so that predictions are scored without the project that built it. Descriptions,
        colours and relations are not part of the data and stay empty."""
        labels = self.manifest.get("labels", {})
        ner_schema, claims_schema, docs_schema = (self.arrow_schema(c) for c in ("ner", "claims", "documents"))
        ner = (class_names(ner_schema, "ner_tags") if ner_schema else None) or labels.get("ner_tags") or []
        claim_tags = (class_names(claims_schema, "claim_tags") if claims_schema else None) or labels.get(
            "claim_tags") or []
        entity_names = list(dict.fromkeys(t[2:] for t in ner if t[:2] in ("B-", "I-")))
        claim = next((t[2:] for t in claim_tags if t.startswith("B-")), labels.get("claim") or "CLAIM")
        doc_labels = (docs_schema.field("labels").type.names if docs_schema is not None
                      and "labels" in docs_schema.names else [])
        return LabelSchema(
            version=str(labels.get("schema_version", "")),
            entities=tuple(EntityType(n, "", "#999999", "") for n in entity_names),
            allow_nested=False,
            claim=EntityType(claim, "", "#999999", ""),
            # the claims config says per sentence whether a claim is check-worthy (a boolean): yes/no, as scored
            claim_attributes=(Choice(CHECKWORTHY, "", ("yes", "no"), True),) if claim_tags else (),
            relations=(),
            doc_labels=tuple(Choice(name, "", tuple(class_names(docs_schema, "labels", name) or ()), False)
                             for name in doc_labels),
            path=str(self.path),
        )

    def configs(self) -> list[str]:
        data = self.path / DATA
        return sorted(p.name for p in data.iterdir() if p.is_dir()) if data.is_dir() else []

    def splits(self, config: str) -> list[str]:
        folder = self.path / DATA / config
        return split_order({p.name.split("-", 1)[0] for p in folder.glob("*.parquet")}) if folder.is_dir() else []

    def files(self, config: str, split: str) -> list[Path]:
        """The Parquet files of one split of one config; a missing one names what there is."""
        folder = self.path / DATA / config
        files = sorted(folder.glob(f"{split}-*.parquet"))
        if not files:
            if not folder.is_dir():
                raise InputError(f"release {self.version} has no config '{config}'", where=str(self.path),
                                 fix=f"use one of: {', '.join(self.configs()) or '(none)'}")
            raise InputError(f"release {self.version} has no split '{split}' in config '{config}'",
                             where=str(folder), fix=f"use one of: {', '.join(self.splits(config)) or '(none)'}")
        return files

    def read(self, config: str, split: str, columns: list[str] | None = None) -> pa.Table:
        """One split of one config (only `columns` when given), with the stored Hugging Face features."""
        files = self.files(config, split)
        schema = pq.read_schema(files[0])
        missing = [c for c in columns or () if c not in schema.names]
        if missing:
            raise InputError(f"config '{config}' has no column(s) {', '.join(missing)}", where=str(files[0]),
                             fix=f"columns are: {', '.join(schema.names)}; rebuild the release with this newsbench")
        table = pa.concat_tables(pq.read_table(f, columns=columns) for f in files)
        return table.replace_schema_metadata(schema.metadata)

    def tables(self, config: str, columns: list[str] | None = None) -> dict[str, pa.Table]:
        """Every split of one config."""
        return {split: self.read(config, split, columns) for split in self.splits(config)}


def split_order(names: Any) -> list[str]:
    """Splits in the usual order (train, validation, test), any others after them by name."""
    order = {"train": 0, "validation": 1, "test": 2}
    return sorted(names, key=lambda s: (order.get(s, 9), s))


def releases_dir(config: Config) -> Path:
    """The project's releases folder (`project.releases_dir`)."""
    return config.resolve(config.project.releases_dir)


def list_versions(releases: Path) -> list[str]:
    """Versions with a manifest under `releases/`, oldest first."""
    if not releases.is_dir():
        return []
    found = [p.name for p in releases.iterdir() if semver(p.name) and (p / MANIFEST).is_file()]
    return sorted(found, key=semver)


def find_release(name: str | Path, releases: Path | None = None) -> ReleaseFolder:
    """A release from a folder, or from a version under `releases` (the project's releases folder, when there
    is a project); an unknown one names the versions there are."""
    path = Path(name)
    if (path / DATA).is_dir() or (path / MANIFEST).is_file():
        return ReleaseFolder(path)
    if releases is not None and ((releases / str(name) / DATA).is_dir() or (releases / str(name) / MANIFEST).is_file()):
        return ReleaseFolder(releases / str(name))
    versions = list_versions(releases) if releases is not None else []
    if path.is_dir():
        raise InputError("not a release folder (no data/ and no manifest.json inside)", where=str(path),
                         fix="pass releases/<version> as built by `newsbench build`, or a downloaded release")
    where = str(releases) if releases is not None else str(path)
    raise InputError(f"no release '{name}'", where=where,
                     fix=f"use one of: {', '.join(versions)}" if versions else
                     "pass a release folder, or run `newsbench build` first")


def class_names(table: pa.Table | pa.Schema, column: str, *path: str) -> list[str] | None:
    """ClassLabel names of a column (or of a field inside a struct column) from the stored HF features."""
    schema = table.schema if isinstance(table, pa.Table) else table
    meta = (schema.metadata or {}).get(b"huggingface")
    if not meta:
        return None
    node: Any = json.loads(meta).get("info", {}).get("features", {}).get(column)
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    while isinstance(node, dict) and node.get("_type") in ("List", "Sequence", "LargeList"):
        node = node.get("feature")
    if isinstance(node, dict) and node.get("_type") == "ClassLabel":
        return list(node["names"])
    return None


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
        part = table.slice(k * per, per)
        pq.write_table(part, path, row_group_size=row_group_rows(part), **PARQUET_OPTIONS)
        paths.append(path)
    return paths
