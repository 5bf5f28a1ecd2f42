"""The dataset card: generated from a release's manifest and the data, merged with hand-written sections.

Hand-written sections live in `card/` (release.card_dir), one Markdown file each, and survive rebuilds:
`summary.md`, `data_statement.md`, `limitations.md`, `citation.md` go to their fixed places; any other file is
added under "Additional information" with its file name as the title. Everything else (YAML header with
configs and features, loading snippet pinned to the version, sources and licences, curation statistics, label
counts per split, spans left out of IOB2, agreement, baseline scores, charts, changelog, provenance) is
generated, so the card always says what the release holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import yaml
from datasets import DatasetInfo, Features

from builder.config import Config
from builder.corpus.prepare import STAGE_NAMES
from builder.errors import ConfigError
from builder.labels import LabelSchema, label_table
from builder.release.diff import changes_markdown
from builder.release.features import CONFIGS
from builder.release.layout import ReleaseFolder, list_versions, split_order
from builder.release.version import parse_version

KNOWN_SECTIONS = ("summary", "data_statement", "limitations", "citation")
SIZE_CATEGORIES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                   (10_000_000, "1M<n<10M"))
CONFIG_TEXT = {
    "documents": "one row per article: text, provenance, passages, entities, claims, relations, document labels "
                 "(BigBIO/SEACrowd `kb` field names); `annotation_status` says whether its spans were annotated "
                 "(`gold`: annotated and adjudicated by people; `silver`: made by a model or not reviewed by a "
                 "person; `unannotated`)",
    "ner": "one row per sentence of an annotated article: `tokens`, `ner_tags` (IOB2), offsets",
    "claims": "one row per sentence of an annotated article: claim or not, check-worthy or not, speakers, claim "
              "spans, `claim_tags` (IOB2)",
    "raw_annotations": "every annotator's annotation and every pre-annotation, for agreement research",
}


@dataclass
class CardContext:
    manifest: dict[str, Any]
    features: dict[str, Features]
    label_rows: list[dict[str, str]]
    hand: dict[str, str]
    stage_stats: dict[str, Any]
    results: Any
    agreement: Any
    history: list[dict[str, Any]]
    charts: list[str]
    pretty_name: str
    repo_id: str
    language: str
    source_datasets: list[str]
    annotations_creators: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, config: Config, manifest: dict[str, Any], features: dict[str, Features], schema: LabelSchema,
           inputs: Any, charts: list[str], releases: Path) -> CardContext:
        version = parse_version(manifest["version"])
        history = [ReleaseFolder(releases / v).manifest for v in list_versions(releases) if parse_version(v) < version]
        rel = config.release
        return cls(
            manifest=manifest,
            features=features,
            label_rows=label_table(schema),
            hand={p.stem: p.read_text(encoding="utf-8").strip() for p in inputs.card_sections},
            stage_stats={p.parent.name: _load(p) for p in inputs.stage_stats},
            results=_load(inputs.results) if inputs.results else None,
            agreement=_load(inputs.agreement) if inputs.agreement else None,
            history=history,
            charts=charts,
            pretty_name=rel.pretty_name or str(config.project.name),
            repo_id=rel.repo_id,
            language=config.language,
            source_datasets=list(rel.source_datasets or ["original"]),
            annotations_creators=manifest["annotations_creators"],
        )


def _load(path: Path) -> Any:
    return orjson.loads(Path(path).read_bytes())


def annotations_creators(config: Config, stats: dict[str, Any]) -> list[str]:
    """How the labels were made, as the Hub's `annotations_creators` values.

    Span annotations need a truthful statement in `release.annotations_creators`; without spans, document
    labels that came with a source are "found" and a corpus without labels is "no-annotation".
    """
    declared = list(config.release.annotations_creators or [])
    if declared:
        return declared
    if stats.get("gold_documents"):
        raise ConfigError("the release holds span annotations but the config does not say how they were made",
                          where=str(config.path or "config") + " [release]",
                          fix='set annotations_creators = ["expert-generated"] (or crowdsourced, machine-generated, ...)')
    has_doc_labels = any(stats.get("doc_label", {}).values())
    return ["found"] if has_doc_labels else ["no-annotation"]


# ---- YAML header -------------------------------------------------------------------------------------------


def _licence_ids(manifest: dict[str, Any]) -> str | list[str]:
    ids = sorted({str(s["license"] or "unknown").lower() for s in manifest["statistics"]["sources"].values()
                  if s["included"]})
    return ids[0] if len(ids) == 1 else (ids or "unknown")


def _size_category(n: int) -> str:
    return next((name for limit, name in SIZE_CATEGORIES if n < limit), "n>10M")


def yaml_header(ctx: CardContext) -> dict[str, Any]:
    m = ctx.manifest
    configs = m["configs"]
    n_docs = sum(m["statistics"]["rows"]["documents"].values())
    tasks, task_ids = [], []
    if "ner" in configs:
        tasks.append("token-classification")
        task_ids.append("named-entity-recognition")
    if "claims" in configs or any(m["statistics"].get("doc_label", {}).values()):
        tasks.append("text-classification")
        task_ids.append("fact-checking")
    header: dict[str, Any] = {
        "pretty_name": ctx.pretty_name,
        "language": [ctx.language],
        "license": _licence_ids(m),
        "multilinguality": "monolingual",
        "size_categories": [_size_category(n_docs)],
        "source_datasets": ctx.source_datasets,
        "task_categories": tasks,
        "task_ids": task_ids,
        "annotations_creators": ctx.annotations_creators,
        "language_creators": ["found"],
        "tags": ["newsbench", "news", "claims", "check-worthiness"],
        "configs": [
            {"config_name": name, **({"default": True} if name == "documents" else {}),
             "data_files": [{"split": split, "path": f"data/{name}/{split}-*.parquet"}
                            for split in split_order(configs[name])]}
            for name in _configs(m)
        ],
        "dataset_info": [],
    }
    for name in _configs(m):
        splits = {split: configs[name][split] for split in split_order(configs[name])}
        info = DatasetInfo(features=ctx.features[name])._to_yaml_dict()
        size = sum(s["num_bytes"] for s in splits.values())
        header["dataset_info"].append({
            "config_name": name, "features": info["features"],
            "splits": [{"name": split, "num_bytes": s["num_bytes"], "num_examples": s["rows"]}
                       for split, s in splits.items()],
            "download_size": sum(s["download_bytes"] for s in splits.values()),
            "dataset_size": size})
    return header


# ---- Markdown pieces ---------------------------------------------------------------------------------------


def table(headers: list[str], rows: list[list[Any]]) -> str:
    def cell(v: Any) -> str:
        return "" if v is None else str(v).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def json_markdown(obj: Any, depth: int = 0) -> str:
    """Any JSON report (baseline results, agreement) as Markdown: lists of objects become tables."""
    if isinstance(obj, list) and obj and all(isinstance(x, dict) for x in obj):
        headers: list[str] = []
        for row in obj:
            headers += [k for k in row if k not in headers]
        return table(headers, [[_scalar(row.get(h)) for h in headers] for row in obj])
    if isinstance(obj, dict):
        scalars = [[k, _scalar(v)] for k, v in obj.items() if not isinstance(v, (dict, list))]
        parts = [table(["key", "value"], scalars)] if scalars else []
        for k, v in obj.items():
            if isinstance(v, (dict, list)):
                body = json_markdown(v, depth + 1) if depth < 3 else f"`{orjson.dumps(v).decode()[:200]}`"
                parts.append(f"**{k}**\n\n{body}")
        return "\n\n".join(parts)
    return f"`{orjson.dumps(obj).decode()}`"


def _scalar(v: Any) -> Any:
    if isinstance(v, float):
        return f"{v:.4f}".rstrip("0").rstrip(".")
    if isinstance(v, (dict, list)):
        return orjson.dumps(v).decode()
    return v


def _per_split(node: dict[str, dict[str, Any]], splits: list[str]) -> list[list[Any]]:
    names: list[str] = []
    for split in splits:
        names += [n for n in node.get(split, {}) if n not in names]
    return [[n, *(_count(node.get(s, {}).get(n)) for s in splits)] for n in names]


def _count(v: Any) -> Any:
    return sum(v.values()) if isinstance(v, dict) else (v or 0)


def _configs(m: dict[str, Any]) -> list[str]:
    return [c for c in CONFIGS if c in m["configs"]]


def _splits(m: dict[str, Any]) -> list[str]:
    return split_order(m["statistics"]["rows"]["documents"])


def _loading(ctx: CardContext) -> str:
    m = ctx.manifest
    first = next((c for c in ("ner", "claims") if c in m["configs"]), "documents")
    lines = ["```python", "from datasets import load_dataset", ""]
    if ctx.repo_id:
        lines.append(f'ds = load_dataset("{ctx.repo_id}", "{first}", revision="v{m["version"]}")')
    lines.append(f'ds = load_dataset("releases/{m["version"]}", "{first}")  # a local copy of this release')
    lines.append("```")
    return "\n".join(lines)


def _sources(m: dict[str, Any]) -> str:
    s = m["statistics"]["sources"]
    rows = [[name, v["license"], "yes" if v["redistributable"] else "no", v["included"], v["excluded"]]
            for name, v in sorted(s.items())]
    out = table(["source", "licence", "may be redistributed", "documents in release", "documents left out"], rows)
    left = [name for name, v in sorted(s.items()) if v["excluded"]]
    if left:
        out += ("\n\nLeft out by the licence gate: " + ", ".join(left) + ". Their licence is unknown or forbids "
                "redistribution, so no text, span or annotation of theirs is in this release.")
    if not m["public"]:
        out += ("\n\n**This is a private release**: it holds sources that may not be redistributed ("
                + ", ".join(m.get("restricted_sources", [])) + "). `newsbench publish` refuses it.")
    return out


def _data_statement(ctx: CardContext) -> str:
    m = ctx.manifest
    names = ", ".join(sorted(n for n, v in m["statistics"]["sources"].items() if v["included"]))
    text = (f"The texts are third-party news articles in `{ctx.language}` from {names}, redistributed under the "
            "licences listed above; copyright stays with their publishers. They name real people, and "
            "document labels such as hoax/valid and check-worthiness judgements concern statements by or about "
            "real people: they describe the articles, not the people, and must not be used to judge individuals.")
    if "data_statement" in ctx.hand:
        text += "\n\n" + ctx.hand["data_statement"]
    return text


# Figures of the prepare stages shown in the card (dotted keys of their stats.json; a prefix takes a subtree).
CURATION_FIGURES = ("documents_in", "documents_out", "per_source", "rejected", "repairs", "documents_dropped",
                    "lines_removed", "exact_duplicates", "near_duplicate_pairs", "clusters", "largest_cluster",
                    "mode", "cross_split_pairs", "sentences", "tokens", "paragraphs")


def _curation(stats: dict[str, Any]) -> str:
    rows = []
    for stage in STAGE_NAMES:
        for key, value in _flatten(stats.get(stage, {})):
            if key.split(".")[0] in CURATION_FIGURES or (key.startswith("splits.") and key.endswith(".documents")):
                rows.append([stage, key, value])
    return table(["stage", "figure", "value"], rows) if rows else "No prepare statistics were found."


def _flatten(obj: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out = []
    for k, v in obj.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and len(prefix.split(".")) < 3:
            out += _flatten(v, key + ".")
        elif not isinstance(v, (list, dict)) and v is not None:
            out.append((key, _scalar(v)))
    return out


def _labels(ctx: CardContext) -> str:
    m = ctx.manifest
    st = m["statistics"]
    splits = _splits(m)
    parts = [table(["kind", "name", "values", "description"],
                   [[r["kind"], r["name"], r["values"], r["description"]] for r in ctx.label_rows])]
    parts.append("Documents per split and annotation status:\n\n" + table(["status", *splits], _per_split(st.get("documents", {}), splits)))
    for kind, title in (("entity", "Entities"), ("claim", "Claims"), ("relation", "Relations")):
        if st.get(kind):
            parts.append(f"{title} per split:\n\n" + table(["label", *splits], _per_split(st[kind], splits)))
    for kind, title in (("claim_attribute", "Claim attributes"), ("doc_label", "Document labels")):
        node = st.get(kind, {})
        rows = []
        for name in sorted({n for s in node.values() for n in s}):
            values = sorted({v for s in node.values() for v in s.get(name, {})})
            rows += [[name, v, *(node.get(s, {}).get(name, {}).get(v, 0) for s in splits)] for v in values]
        if rows:
            parts.append(f"{title} per split:\n\n" + table(["name", "value", *splits], rows))
    return "\n\n".join(parts)


def _left_out(m: dict[str, Any]) -> str:
    left = m["statistics"].get("left_out", {})
    rows = [[config, label, reason, n] for config, per in left.items() for label, reasons in per.items()
            for reason, n in reasons.items()]
    if not rows:
        return "Every annotated span is in the IOB2 configs."
    return ("Spans that IOB2 cannot hold stay in `documents` and are left out of the tag sequences:\n\n"
            + table(["config", "label", "reason", "spans"], rows))


def _agreement(ctx: CardContext) -> str:
    if ctx.agreement is not None:
        return json_markdown(ctx.agreement)
    a = ctx.manifest["statistics"]["annotators"]
    if a["annotators"] == 0:
        return "No agreement figures: the release holds no annotator's annotations."
    if a["documents_with_two_or_more"] == 0:
        return (f"No agreement figures: {a['annotators']} annotator(s), and no document was annotated by two or "
                "more people.")
    return (f"{a['documents_with_two_or_more']} documents have two or more annotators, but no agreement report "
            "was given to the build (run `newsbench agreement` and set release.agreement).")


def _edits(m: dict[str, Any]) -> str:
    e = m["statistics"].get("pre_annotation_edits") or {}
    if not e.get("annotations"):
        return "No annotation of this release was made on top of a pre-annotation."
    spans = [[r["label"], r["proposed"], r["final"], r["unchanged"], r["removed_or_changed"], r["added_or_changed"],
              f"{r['edit_rate']:.1%}"] for r in e["spans"] + e["relations"]]
    attrs = [[a["attribute"], a["compared"], a["changed"], f"{a['change_rate']:.1%}"] for a in e["attributes"]]
    return (f"{e['annotations']} annotations of {e['documents']} released documents were made on top of a "
            "pre-annotation (the newest prediction of the task, shown in Label Studio). Edit rate = 1 - unchanged / "
            "(proposed + final - unchanged): the share of a label's spans that the annotator did not accept as "
            "proposed. Every pre-annotation is in the `raw_annotations` config, beside the annotations.\n\n"
            + table(["label", "proposed", "final", "unchanged", "removed or changed", "added or changed",
                     "edit rate"], spans)
            + ("\n\nClaim attributes, on the claims kept with their span:\n\n"
               + table(["attribute", "compared", "changed", "change rate"], attrs) if attrs else ""))


def _results(results: Any) -> str:
    """Baseline scores from `newsbench baseline` as one table; any other JSON report as generic Markdown."""
    keys = {"config", "system", "score", "value"}
    if not isinstance(results, dict) or not isinstance(results.get("scores"), list) or not all(
            isinstance(r, dict) and keys <= r.keys() for r in results["scores"]):
        return json_markdown(results) + "\n\nThe scores are also in `results.json`."

    def value(r: dict[str, Any]) -> str:
        if r["value"] is None:
            return "undefined"
        ci = "" if r.get("ci95_low") is None else f" [{r['ci95_low']:.4f}, {r['ci95_high']:.4f}]"
        return f"{r['value']:.4f}{ci}"

    rows = [[r["config"], r["system"], r["score"], value(r), r.get("train_cpu_s")] for r in results["scores"]]
    skipped = [[s["config"], s["system"], s["reason"]] for s in results.get("skipped") or []]
    return (f"Trained on `train` (tuned on `validation`) of version {results.get('version')} and scored on "
            f"`{results.get('split')}`, seed {results.get('seed')}; 95% intervals from "
            f"{results.get('bootstrap_samples')} bootstrap samples over documents. Score your own predictions "
            "with `newsbench evaluate`.\n\n"
            + table(["config", "system", "score", "value [95% CI]", "train CPU s"], rows)
            + ("\n\nNot trained:\n\n" + table(["config", "system", "why"], skipped) if skipped else ""))


def _changelog(ctx: CardContext) -> str:
    entries = []
    for m in [ctx.manifest, *reversed(ctx.history)]:
        if m.get("previous"):
            entries.append(changes_markdown(m["changes"], m["previous"], m["version"])
                           + f"\nVersion step: {m['bump']} ({'; '.join(m['bump_reasons'])}).\n")
        else:
            entries.append(f"### {m['version']}\n\nFirst release.\n")
    return "\n".join(entries)


def _provenance(m: dict[str, Any]) -> str:
    rows = [[role, f["path"], f["sha256"][:16]] for role, files in m["inputs"].items() for f in files]
    code = m["code"]
    return (table(["input", "file", "sha256 (first 16)"], rows)
            + f"\n\nBuilt by newsbench {code['newsbench']} (commit {code['git_commit'] or 'unknown'}), datasets "
            f"{code['datasets']}, pyarrow {code['pyarrow']}. `manifest.json` holds the full hashes, the config "
            "and the sha256 of every file of this release.")


def render_card(ctx: CardContext) -> str:
    m = ctx.manifest
    header = yaml.safe_dump(yaml_header(ctx), sort_keys=False, allow_unicode=True, width=1000)
    rows = [[c, s, m["configs"][c][s]["rows"]] for c in _configs(m) for s in split_order(m["configs"][c])]
    summary = ctx.hand.get("summary") or (
        f"{ctx.pretty_name} is a benchmark of news articles in `{ctx.language}` for named entities, claims, "
        "their speakers and check-worthiness, built with newsbench.")
    sections = [
        f"# {ctx.pretty_name}\n\nVersion {m['version']}" + ("" if m["public"] else " (private)") + ".",
        summary,
        "## Loading\n\n" + _loading(ctx),
        "## Configs\n\n" + "\n".join(f"- `{c}`: {CONFIG_TEXT[c]}" for c in _configs(m)) + "\n\n"
        + table(["config", "split", "rows"], rows),
        "## Sources and licences\n\n" + _sources(m),
        "## Data statement\n\n" + _data_statement(ctx),
        "## Curation\n\nFigures of `newsbench prepare` (ingest, clean, dedup, split, segment) on the corpus this "
        "release was built from:\n\n" + _curation(ctx.stage_stats),
        "## Labels\n\nThe label schema (version " + m["labels"]["schema_version"] + "):\n\n" + _labels(ctx),
        "### Spans left out of `ner` and `claims`\n\n" + _left_out(m),
        "## Charts\n\n" + "\n\n".join(f"![{c.removesuffix('.png').replace('_', ' ')}]({c})" for c in ctx.charts)
        if ctx.charts else "",
        "## Agreement\n\n" + _agreement(ctx),
        "## Pre-annotation edits\n\n" + _edits(m),
        "## Baseline scores\n\n" + (_results(ctx.results) if ctx.results is not None
                                    else "No baseline scores were given to this build."),
        "## Limitations\n\n" + ctx.hand["limitations"] if "limitations" in ctx.hand else "",
        "## Changelog\n\n" + _changelog(ctx),
        "## Citation\n\n" + ctx.hand["citation"] if "citation" in ctx.hand else "",
        *(f"## {name.replace('_', ' ').capitalize()}\n\n{text}" for name, text in sorted(ctx.hand.items())
          if name not in KNOWN_SECTIONS),
        "## Provenance\n\n" + _provenance(m),
    ]
    return "---\n" + header + "---\n\n" + "\n\n".join(s.strip() for s in sections if s) + "\n"
