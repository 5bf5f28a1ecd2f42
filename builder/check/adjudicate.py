"""Adjudication: the gold layer from several annotators' annotations, by a configurable policy.

Policy (`[adjudicate]` in the config):
- `ground_truth_wins`: when a document has an annotation marked ground truth in Label Studio, the gold is taken
  from it alone (from the majority of them when there are several, which are then listed for review).
- Otherwise an item is kept when MORE than `min_share` (default one half) of the document's annotators gave it:
  a span (same offsets and label), a claim attribute value (on a kept claim), a relation (same type and ends;
  its ends are kept spans), a document label value. With two annotators this means both.
- `min_annotators`: documents with fewer annotators (who did not skip) get no gold and are listed.
Items given by exactly `min_share` of the annotators are TIES; disagreements where most annotators marked
something but no candidate has the majority are CONFLICTS. Both stay out of the gold and are listed for review,
and `ReviewPreAnnotator` proposes all rival candidates of a document as a pre-annotation, which an annotation
tool's adapter turns into a review task. Items only a minority gave are dropped and counted. The gold records are canonical
documents (schema/document.schema.json: `entities`, `claims`, `relations`, `doc_labels`) with every raw
annotation of the document kept in their `annotations`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from builder.config import Config
from builder.errors import ConfigError
from builder.jsonl import AtomicWriter, write_json
from builder.labels import LabelSchema, speaker_relation
from builder.spans import CLAIM, ENTITY, PreAnnotation, Region, Relation
from builder.stage import RejectSink
from builder.check.validate.corpus import Corpus
from builder.check.validate.kinds import KINDS, RecordKind
from builder.check.validate.layers import DocAnnotations, Layer, SpanKey, collect, overlap_groups

REVIEW_MODEL = "adjudication-review"


@dataclass(frozen=True)
class Policy:
    ground_truth_wins: bool = True
    min_share: float = 0.5
    min_annotators: int = 1

    @classmethod
    def from_config(cls, config: Config) -> Policy:
        section = config.adjudicate
        policy = cls(section.ground_truth_wins, section.min_share, section.min_annotators)
        if not 0.0 <= policy.min_share < 1.0:
            raise ConfigError(f"adjudicate.min_share is {policy.min_share}", where=str(config.path or "config"),
                              fix="use a share in [0, 1): 0.5 keeps what more than half of the annotators gave")
        if policy.min_annotators < 1:
            raise ConfigError(f"adjudicate.min_annotators is {policy.min_annotators}",
                              where=str(config.path or "config"), fix="use 1 or more")
        return policy


@dataclass
class ReviewItem:
    document_id: str
    kind: str  # tie | conflict | ground-truth-disagreement | too-few-annotators | skipped
    layer: str  # entity | claim | attribute | relation | doc_label | document
    name: str | None  # attribute, relation or document label name
    annotators: int
    candidates: list[dict[str, Any]] = field(default_factory=list)  # value, votes, annotators

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Decision:
    """The gold of one document and what was left for review."""

    document_id: str
    method: str  # ground_truth | majority
    voters: list[str]
    entities: list[SpanKey] = field(default_factory=list)
    claims: list[SpanKey] = field(default_factory=list)
    attributes: dict[SpanKey, dict[str, str]] = field(default_factory=dict)
    relations: list[tuple[str, SpanKey, SpanKey]] = field(default_factory=list)
    doc_labels: dict[str, str] = field(default_factory=dict)
    review: list[ReviewItem] = field(default_factory=list)
    dropped: Counter = field(default_factory=Counter)


class _Vote:
    """Counts against a share of the voters, exactly (no float ties)."""

    def __init__(self, n: int, share: float) -> None:
        self.n = n
        self.bar = Fraction(str(share)) * n

    def kept(self, votes: int) -> bool:
        return votes > self.bar

    def tie(self, votes: int) -> bool:
        return votes == self.bar

    def decide(self, doc_id: str, layer: str, name: str | None, group: dict[Any, list[str]],
               decision: Decision, show: Any = lambda c: c) -> list[Any]:
        """Kept candidates of one group of rival candidates; ties and conflicts go to review."""
        kept = [c for c, who in group.items() if self.kept(len(who))]
        givers = {a for who in group.values() for a in who}
        kind = None
        if any(self.tie(len(who)) for who in group.values()):
            kind = "tie"
        elif not kept and self.kept(len(givers)):
            kind = "conflict"
        if kind:
            decision.review.append(ReviewItem(doc_id, kind, layer, name, self.n, [
                {"value": show(c), "votes": len(who), "annotators": sorted(who)}
                for c, who in sorted(group.items(), key=lambda x: (-len(x[1]), repr(x[0])))]))
        decision.dropped[layer] += len(group) - len(kept)
        return kept


def _span_groups(candidates: dict[SpanKey, list[str]]) -> Iterator[dict[SpanKey, list[str]]]:
    """Candidates that overlap each other (chained), as rival groups."""
    for group in overlap_groups(candidates, lambda k: (k[1], k[2])):
        yield {key: candidates[key] for key in sorted(group, key=lambda k: (k[1], k[2], k[3]))}


def _show_span(key: SpanKey) -> dict[str, Any]:
    return {"start": key[1], "end": key[2], "label": key[3]}


def adjudicate_document(doc: DocAnnotations, labels: LabelSchema, policy: Policy) -> Decision | None:
    """The gold of one document; None (with the reason in the returned review) when it gets none."""
    layers = doc.layers
    truth = [layer for layer in layers if layer.ground_truth] if policy.ground_truth_wins else []
    voters = truth or layers
    decision = Decision(doc.document_id, "ground_truth" if truth else "majority", [v.annotator for v in voters])
    if not layers:
        decision.review.append(ReviewItem(doc.document_id, "skipped", "document", None, 0,
                                          [{"value": "skipped", "votes": len(doc.skipped_by),
                                            "annotators": doc.skipped_by}]))
        return decision
    if len(voters) < policy.min_annotators:
        decision.review.append(ReviewItem(doc.document_id, "too-few-annotators", "document", None, len(voters)))
        return decision
    if len(truth) > 1 and any(_content(t) != _content(truth[0]) for t in truth[1:]):
        decision.review.append(ReviewItem(doc.document_id, "ground-truth-disagreement", "document", None, len(truth),
                                          [{"value": "ground truth", "votes": len(truth),
                                            "annotators": [t.annotator for t in truth]}]))
    vote = _Vote(len(voters), policy.min_share)
    doc_id = doc.document_id
    kept_spans: set[SpanKey] = set()
    for layer_name in (ENTITY, CLAIM):
        candidates: dict[SpanKey, list[str]] = defaultdict(list)
        for v in voters:
            for key in v.spans(layer_name):
                candidates[key].append(v.annotator)
        for group in _span_groups(candidates):
            kept_spans.update(vote.decide(doc_id, layer_name, None, group, decision, _show_span))
    decision.entities = sorted((k for k in kept_spans if k[0] == ENTITY), key=lambda k: (k[1], k[2], k[3]))
    decision.claims = sorted((k for k in kept_spans if k[0] == CLAIM), key=lambda k: (k[1], k[2], k[3]))
    for claim in decision.claims:
        for attr in labels.claim_attributes:
            group = _values(voters, lambda v, c=claim, a=attr.name: v.attributes.get(c, {}).get(a) if c in v.claims else None)
            kept = vote.decide(doc_id, "attribute", attr.name, group, decision) if group else []
            if kept:
                decision.attributes.setdefault(claim, {})[attr.name] = kept[0]
    decision.relations = _relations(voters, labels, vote, decision, kept_spans)
    for d in labels.doc_labels:
        group = _values(voters, lambda v, name=d.name: v.doc_labels.get(name))
        kept = vote.decide(doc_id, "doc_label", d.name, group, decision) if group else []
        if kept:
            decision.doc_labels[d.name] = kept[0]
    return decision


def _content(layer: Layer) -> tuple:
    return (layer.entities, layer.claims, layer.attributes, layer.relations, layer.doc_labels)


def _values(voters: list[Layer], value_of: Any) -> dict[str, list[str]]:
    group: dict[str, list[str]] = defaultdict(list)
    for v in voters:
        value = value_of(v)
        if value is not None:
            group[value].append(v.annotator)
    return group


def _relations(voters: list[Layer], labels: LabelSchema, vote: _Vote, decision: Decision,
               kept_spans: set[SpanKey]) -> list[tuple[str, SpanKey, SpanKey]]:
    """Relations by majority; rivals are the relations of one source when a source may have only one."""
    limits = {r.name: r.max_per_source for r in labels.relations}
    groups: dict[tuple, dict[tuple[str, SpanKey, SpanKey], list[str]]] = defaultdict(lambda: defaultdict(list))
    for v in voters:
        for rel in v.relations:
            key = rel[:2] if limits.get(rel[0]) == 1 else rel
            groups[key][rel].append(v.annotator)
    out = []
    for key in sorted(groups, key=repr):
        kept = vote.decide(decision.document_id, "relation", key[0], groups[key], decision,
                           lambda r: {"type": r[0], "from": _show_span(r[1]), "to": _show_span(r[2])})
        out += [r for r in kept if r[1] in kept_spans and r[2] in kept_spans]
    return sorted(out, key=repr)


# ---- gold records ---------------------------------------------------------------------------------------------

def gold_record(decision: Decision, document: dict[str, Any], raw: list[Any], labels: LabelSchema) -> dict[str, Any]:
    """The canonical document with the adjudicated layers and the raw annotations."""
    doc_id, text = decision.document_id, document["text"]
    ids: dict[SpanKey, str] = {}
    entities = []
    for i, key in enumerate(decision.entities):
        ids[key] = f"{doc_id}-e{i}"
        entities.append({"id": ids[key], "type": key[3], "offsets": [[key[1], key[2]]], "text": [text[key[1]:key[2]]],
                         "normalized": []})
    speaker = speaker_relation(labels)
    speakers = {r[1]: r[2] for r in decision.relations if speaker is not None and r[0] == speaker.name}
    claims = []
    for i, key in enumerate(decision.claims):
        ids[key] = f"{doc_id}-c{i}"
        attrs = decision.attributes.get(key, {})
        claims.append({"id": ids[key], "offsets": [[key[1], key[2]]], "text": [text[key[1]:key[2]]],
                       **{a.name: attrs.get(a.name) for a in labels.claim_attributes},
                       "speaker_id": None})
    for claim, key in zip(claims, decision.claims):
        if key in speakers:
            claim["speaker_id"] = ids[speakers[key]]
    relations = [{"id": f"{doc_id}-r{i}", "type": r[0], "arg1_id": ids[r[1]], "arg2_id": ids[r[2]], "normalized": []}
                 for i, r in enumerate(decision.relations)]
    provenance = f"annotation:{decision.method}"
    doc_labels = [d for d in document.get("doc_labels") or [] if d.get("name") not in decision.doc_labels]
    doc_labels += [{"name": k, "value": v, "provenance": provenance, "annotator": None}
                   for k, v in decision.doc_labels.items()]
    return {**document, "doc_labels": doc_labels, "entities": entities, "claims": claims, "relations": relations,
            "annotations": raw}


# ---- review tasks ---------------------------------------------------------------------------------------------

class ReviewPreAnnotator:
    """Proposes the candidates of each document's ties and conflicts, so that `annotate push` can send the
    documents to a review project with every rival candidate shown (the `PreAnnotator` interface)."""

    model_version = REVIEW_MODEL

    def __init__(self, items: Iterable[ReviewItem | dict[str, Any]], labels: LabelSchema) -> None:
        self.labels = labels
        self.items: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for item in items:
            d = item.to_dict() if isinstance(item, ReviewItem) else item
            self.items[d["document_id"]].append(d)

    def predict(self, docs: Iterable[dict[str, Any]]) -> Iterator[PreAnnotation]:
        for doc in docs:
            yield self.predict_one(doc)

    def summary(self, doc_id: str) -> str:
        """What a document's review is about, e.g. "1 x tie (entity); 2 x conflict (attribute/checkworthy)"."""
        kinds = Counter(f"{i['kind']} ({i['layer']}{'/' + i['name'] if i['name'] else ''})" for i in self.items[doc_id])
        return "; ".join(f"{n} x {k}" for k, n in sorted(kinds.items()))

    def predict_one(self, doc: dict[str, Any]) -> PreAnnotation:
        regions: dict[tuple, Region] = {}
        relations = []

        def region(span: dict[str, Any], layer: str) -> Region:
            key = (layer, span["start"], span["end"], span["label"])
            if key not in regions:
                regions[key] = Region(f"rv{len(regions)}", layer, span["label"], span["start"], span["end"], 0.5)
            return regions[key]

        for item in self.items.get(doc["id"], []):
            for cand in item["candidates"]:
                value = cand["value"]
                if item["layer"] in (ENTITY, CLAIM):
                    region(value, item["layer"])
                elif item["layer"] == "relation":
                    src, dst = region(value["from"], CLAIM), region(value["to"], ENTITY)
                    relations.append(Relation(value["type"], src.id, dst.id, 0.5))
        return PreAnnotation(doc["id"], REVIEW_MODEL, tuple(regions.values()), tuple(relations), 0.0)


# ---- the stage ------------------------------------------------------------------------------------------------

def run_adjudicate(paths: list[Path], labels: LabelSchema, corpus: Corpus, out_dir: Path, policy: Policy,
                   *, name: str = "gold", kinds: Sequence[RecordKind] = KINDS) -> dict[str, Any]:
    """Adjudicate every document of the records files; write gold, review items and documents, and stats."""
    review_dir = out_dir / "review"
    review_dir.mkdir(parents=True, exist_ok=True)
    stats: Counter[str] = Counter()
    rejects = RejectSink("adjudicate", review_dir / "rejects.jsonl")
    ok = False
    try:
        docs = collect(paths, labels, corpus, rejects, stats, kinds=kinds)
        items: list[ReviewItem] = []
        dropped: Counter[str] = Counter()
        review_docs: dict[str, dict[str, Any]] = {}
        with AtomicWriter(out_dir / f"{name}.jsonl") as gold:
            for doc_id in sorted(docs):
                decision = adjudicate_document(docs[doc_id], labels, policy)
                items += decision.review
                dropped.update(decision.dropped)
                document = corpus.document(doc_id)
                if decision.review and document is not None:
                    review_docs[doc_id] = document
                if not docs[doc_id].layers or len(decision.voters) < policy.min_annotators or document is None:
                    stats["documents_without_gold"] += 1
                    continue
                gold.write(gold_record(decision, document, docs[doc_id].raw, labels))
                stats[f"gold_{decision.method}"] += 1
        with AtomicWriter(review_dir / "items.jsonl") as out:
            for item in items:
                out.write(item.to_dict())
        with AtomicWriter(review_dir / "documents.jsonl") as out:
            for doc_id in sorted(review_docs):
                out.write(review_docs[doc_id])
        ok = True
    finally:
        rejects.close(ok)
    summary = {
        "policy": asdict(policy),
        "inputs": [str(p) for p in paths],
        "corpus": str(corpus.path),
        "documents": len(docs),
        "gold_documents": stats["gold_majority"] + stats["gold_ground_truth"],
        "counts": dict(sorted(stats.items())),
        "dropped_minority_items": dict(sorted(dropped.items())),
        "review": dict(sorted(Counter(f"{i.kind}:{i.layer}" for i in items).items())),
        "rejected_records": dict(sorted(rejects.counts.items())),
        "outputs": {"gold": str(out_dir / f"{name}.jsonl"), "review_items": str(review_dir / "items.jsonl"),
                    "review_documents": str(review_dir / "documents.jsonl"),
                    "rejects": str(review_dir / "rejects.jsonl")},
    }
    write_json(out_dir / "adjudication.json", summary)
    return summary
