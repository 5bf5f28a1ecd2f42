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
    config_creators: list[str] = field(default_factory=list)  # what `release.annotations_creators` declares

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
            agreement=_load(inputs.agreement) if inputs.agreement else manifest["statistics"].get("agreement"),
            history=history,
            charts=charts,
            pretty_name=rel.pretty_name or str(config.project.name),
            repo_id=rel.repo_id,
            language=config.language,
            source_datasets=list(rel.source_datasets or ["original"]),
            annotations_creators=manifest["annotations_creators"],
            config_creators=list(rel.annotations_creators or []),
        )


def _load(path: Path) -> Any:
    return orjson.loads(Path(path).read_bytes())


def _n(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


PEOPLE_CREATORS = ("expert-generated", "crowdsourced", "other")  # how people annotated, as the Hub names it
DEFAULT_PEOPLE = "expert-generated"


def who_decided(stats: dict[str, Any]) -> dict[str, int]:
    """Released documents whose spans people decided, only accounts of programs decided (`machine`), and gold
    records that do not say (`undeclared`: made before adjudication recorded it, or by hand)."""
    decided = stats.get("decided", {})
    people = sum(v.get("people", 0) for split in decided.values() for v in split.values())
    machine = sum(v.get("machine", 0) for split in decided.values() for v in split.values())
    with_spans = sum(n for split in stats.get("documents", {}).values() for status, n in split.items()
                     if status in ("gold", "silver"))
    imported = sum(v.get("imported", 0) for split in decided.values() for v in split.values())
    return {"people": people, "machine": machine, "imported": imported,
            "undeclared": max(with_spans - people - machine - imported, 0)}


def annotations_creators(config: Config, stats: dict[str, Any]) -> list[str]:
    """How the labels were made, as the Hub's `annotations_creators` values, from the data: `machine-generated`
    when accounts of programs decided spans, `found` for document labels that came with a source, and for spans
    people decided, how they worked (`release.annotations_creators`: expert-generated, the default for a team
    working from the guidelines, or crowdsourced). Gold
    records that do not say who decided them need the whole statement in `release.annotations_creators`."""
    declared = list(config.release.annotations_creators or [])
    who = who_decided(stats)
    where = str(config.path or "config") + " [release]"
    out: list[str] = []
    if who["people"]:
        # people working from the project's guidelines: the Hub's expert-generated, unless the config says how
        out += [c for c in declared if c in PEOPLE_CREATORS] or [DEFAULT_PEOPLE]
    if who["undeclared"]:
        if not declared:
            raise ConfigError("the release holds span annotations but the config does not say how they were made",
                              where=where, fix='set annotations_creators = ["expert-generated"] (or crowdsourced, '
                                               'machine-generated, ...)')
        out += declared
    if who["machine"]:
        out.append("machine-generated")
    if who["imported"]:  # spans that came with an imported corpus: found, as document labels from a source are
        out.append("found")
    if any(n for split in stats.get("doc_label_origin", {}).values() for k, n in split.items() if k == "source"):
        out.append("found")
    return list(dict.fromkeys(out)) or ["no-annotation"]


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
        "tags": ["newsbench", "news", *(["claims", "check-worthiness"] if "claims" in configs else [])],
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
        # a value that was never given is counted under the name itself (no value level): shown as "(none)"
        node = {split: {name: (v if isinstance(v, dict) else {"(none)": v}) for name, v in per.items()}
                for split, per in st.get(kind, {}).items()}
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
    a = ctx.manifest["statistics"]["annotators"]
    g = ctx.agreement
    if not isinstance(g, dict) or not g.get("documents", {}).get("two_or_more_annotators"):
        if a["annotators"] == 0:
            return "No agreement figures: the release holds no annotator's annotations."
        return (f"No agreement figures: {a['annotators']} annotator(s), and no document was annotated by two or "
                "more of them.")
    d = g["documents"]
    parts = [f"Computed by the build from the raw annotations of the released documents: {d['two_or_more_annotators']}"
             f" of {d['annotated']} annotated documents have two or more annotators ({d['annotators']} annotators "
             f"in all). {g.get('method', {}).get('spans', '')}".strip()]
    parts.append("Span F1 between annotators, per label (strict: same offsets and label; partial: overlapping, "
                 "same label):\n\n" + table(["layer", "label", "spans (a)", "spans (b)", "strict F1", "partial F1"], [
                     [r["layer"], r["label"], r["spans_a"], r["spans_b"], _scalar(r["strict_f1"]),
                      _scalar(r["partial_f1"])] for r in g.get("per_label", []) if r["spans_a"] or r["spans_b"]]))
    if g.get("per_pair"):
        parts.append("Per pair of annotators (entities and claims):\n\n" + table(
            ["annotator", "annotator", "strict F1", "partial F1"],
            [[r["annotator_a"], r["annotator_b"], _scalar(r["strict_f1"]), _scalar(r["partial_f1"])]
             for r in g["per_pair"]]))
    parts.append("Krippendorff's alpha over tokens, and kappa of the claim attributes and document labels:\n\n"
                 + table(["what", "measure", "value", "units"],
                         [[r["layer"], "alpha", _scalar(r["alpha"]), f"{r['tokens']} tokens"]
                          for r in g.get("alpha", [])]
                         + [[r["what"], f"kappa ({r['method']})" if r.get("method") else "kappa",
                             "-" if r["kappa"] is None else _scalar(r["kappa"]), r["units"]]
                            for r in g.get("kappa", [])]))
    return "\n\n".join(parts)


def _who(ctx: CardContext) -> str:
    st = ctx.manifest["statistics"]
    splits = _splits(ctx.manifest)
    who = who_decided(st)
    rows = []
    for method in ("review", "ground_truth", "majority", "preferred", "imported"):
        for by in ("people", "machine", "imported"):
            counts = [st.get("decided", {}).get(s, {}).get(method, {}).get(by, 0) for s in splits]
            if any(counts):
                rows.append([METHOD_TEXT[method], {"machine": "accounts of programs", "people": "people",
                                                   "imported": "the imported corpus's annotators"}[by], *counts])
    counts = [st.get("documents", {}).get(s, {}).get("gold", 0) + st.get("documents", {}).get(s, {}).get("silver", 0)
              - sum(v for m in st.get("decided", {}).get(s, {}).values() for v in m.values()) for s in splits]
    if any(counts):
        rows.append(["gold records that do not say how they were decided", "as `release.annotations_creators` "
                     "states", *counts])
    waiting = [st.get("documents", {}).get(s, {}).get("unadjudicated", 0) for s in splits]
    if any(waiting):
        rows.append(["annotated, left open by adjudication (spans only in `raw_annotations`)", "", *waiting])
    if not rows:
        return "No document of this release has annotated spans."
    per_doc = st.get("annotators_per_document", {})
    sizes = sorted({k for s in per_doc.values() for k in s}, key=int)
    how = ""
    if who["people"]:
        stated = [c for c in ctx.config_creators if c in PEOPLE_CREATORS]
        how = (f" People's work is declared {', '.join(stated)} (`release.annotations_creators`)." if stated else
               f" People's work is listed as {DEFAULT_PEOPLE} (annotators working from the project's guidelines, "
               "the default; `release.annotations_creators` says otherwise, e.g. crowdsourced).")
    text = (f"From the gold records and the raw annotations: spans of {_n(who['people'], 'document')} were decided "
            f"by people, of {who['machine']} by accounts of programs only (`annotation_status` silver)"
            + (f", of {who['imported']} came with an imported corpus" if who["imported"] else "") + "; "
            f"{_n(st['annotators']['annotators'], 'account')} annotated. Each document's `adjudication` field says "
            f"how.{how}\n\n"
            + table(["how the spans were decided", "by", *splits], rows))
    if sizes:
        text += "\n\nAnnotators per document with spans:\n\n" + table(
            ["annotators", *splits], [[k, *(per_doc.get(s, {}).get(k, 0) for s in splits)] for k in sizes])
    return text


METHOD_TEXT = {"imported": "imported with the corpus (`source.name`; see Provenance)",
               "review": "a reviewer's decision (review project)", "ground_truth": "the ground-truth annotation",
               "majority": "what more than half of the annotators gave", "preferred": "a chosen annotator's version "
               "(`adjudicate --prefer`)"}


# sentences of hand-written sections that the data can contradict: (pattern, is it contradicted?, what is true)
CONTRADICTIONS = (
    (r"\bno agreement\b", lambda st: bool((st.get("agreement") or {}).get("documents", {}).get("two_or_more_annotators")),
     lambda st: f"{st['agreement']['documents']['two_or_more_annotators']} documents have two or more annotators "
                "and the card shows their agreement"),
    (r"\b(one|a single) annotator\b", lambda st: st["annotators"]["annotators"] > 1,
     lambda st: f"{st['annotators']['annotators']} accounts annotated"),
    (r"\b(language model|no person|machine-generated)\b", lambda st: who_decided(st)["people"] > 0,
     lambda st: f"people decided the spans of {who_decided(st)['people']} documents"),
)


def contradictions(hand: dict[str, str], stats: dict[str, Any]) -> list[dict[str, str]]:
    """Sentences of the hand-written card sections that say what the data contradicts (the build warns)."""
    import re

    found = []
    for name, text in sorted(hand.items()):
        for sentence in re.split(r"(?<=[.!?])\s+", " ".join(text.split())):
            for pattern, contradicted, truth in CONTRADICTIONS:
                if re.search(pattern, sentence, re.I) and contradicted(stats):
                    found.append({"section": f"card/{name}.md", "sentence": sentence, "data": truth(stats)})
    return found


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
    about = [[a.get("config"), a.get("system"), a.get("description"), a.get("tuned")]
             for a in results.get("about") or [] if isinstance(a, dict)]
    return (f"Trained on `train` (tuned on `validation`) of version {results.get('version')} and scored on "
            f"`{results.get('split')}`, seed {results.get('seed')}; 95% intervals from "
            f"{results.get('bootstrap_samples')} bootstrap samples over documents. Score your own predictions "
            "with `newsbench evaluate`.\n\n"
            + table(["config", "system", "score", "value [95% CI]", "train CPU s"], rows)
            + ("\n\nWhat each system is and how it was tuned (the full record is `systems.json` beside the models):"
               "\n\n" + table(["config", "system", "what it is", "how it was tuned"], about) if about else "")
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
        "## Who annotated\n\n" + _who(ctx),
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
