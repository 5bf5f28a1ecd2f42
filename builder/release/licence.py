"""The licence gate: which documents may go into a public release, and what may be published.

A document whose source may not be redistributed (or whose licence is unknown) is left out of a public release,
counted by source and written to `work/build/rejects.jsonl`; with `release.include_restricted = true` it stays
in and the release is private, which `publish` refuses.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from builder.config import Config
from builder.document import UNKNOWN_LICENCES
from builder.release.layout import ReleaseFolder



def source_terms(config: Config) -> dict[str, dict[str, Any]]:
    """Source name -> {license, redistributable} as the project config declares them ([[sources]] and
    [[imports]] blocks; an imported source without a block has its terms from the import's flags alone)."""
    return {s.name: {"license": s.license, "redistributable": s.redistributable}
            for s in (*config.sources, *config.imports)}


def how_to_declare(config: Config, name: str) -> str:
    """How the terms of one source are declared, so that a public release may hold its documents."""
    if config.source(name) is not None:
        return f"set license = \"<SPDX id>\" and redistributable = true in the [[sources]] block '{name}'"
    block = f"in the [[imports]] block '{name}'" if config.import_block(name) is not None else (
        f"in an [[imports]] block named '{name}'")
    return (f"re-import '{name}' with --license <SPDX id> --redistributable, or set license and redistributable "
            f"= true {block} and run `newsbench import`")


def may_redistribute(source: dict[str, Any], declared: dict[str, dict[str, Any]]) -> bool:
    """A document's source may be redistributed only if the record and the config both say so, under a known licence."""
    name = source.get("name")
    terms = declared.get(name, {})
    licences = {str(source.get("license") or "").strip().lower(), str(terms.get("license", source.get("license")) or "").strip().lower()}
    return (bool(source.get("redistributable")) and bool(terms.get("redistributable", True))
            and not licences & UNKNOWN_LICENCES)


def restricted_sources(sources: Counter) -> list[str]:
    """Sources in the release whose documents may not be redistributed (only with include_restricted);
    `sources` counts documents by (name, licence, may be redistributed, included)."""
    return sorted({str(name) for (name, _, ok, included), n in sources.items() if included and not ok and n})


def licence_problems(release: ReleaseFolder) -> list[str]:
    """Sources in the release that may not be redistributed, from the manifest and from the data itself."""
    manifest = release.manifest
    problems = []
    for name, s in sorted(manifest["statistics"]["sources"].items()):
        if s["included"] and not s["redistributable"]:
            problems.append(f"source '{name}' (licence {s['license']!r}) may not be redistributed")
    if not manifest["public"] and not problems:
        problems.append("the release was built as private (release.include_restricted)")
    unknown_values = pa.array(sorted(UNKNOWN_LICENCES), pa.string())
    for split in release.splits("documents"):
        for path in release.files("documents", split):
            sources = pq.read_table(path, columns=["source"]).column("source").combine_chunks()
            names = pc.struct_field(sources, "name")
            values = pc.utf8_lower(pc.fill_null(pc.struct_field(sources, "license"), ""))
            unknown = pc.is_in(pc.utf8_trim_whitespace(values), value_set=unknown_values)
            for name in sorted(set(pc.filter(names, unknown).to_pylist())):
                problems.append(f"{path.name}: documents of source '{name}' have no known licence")
    return problems
