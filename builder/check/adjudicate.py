"""Adjudication: the gold layer from several annotators' annotations, by a configurable policy.

A document's gold comes, in this order, from:
1. a reviewer's decision (an annotation in a review project, `annotate push --review`): taken as it is;
2. with `ground_truth_wins`, the annotation(s) marked ground truth (`annotate ground-truth`);
3. the majority: an item is kept when MORE than `min_share` (default one half) of the document's annotators
   gave it: a span (same offsets and label), a claim attribute value (on a kept claim), a relation (same type and
   ends; its ends are kept spans), a document label value. With two annotators this means both.
Items given by exactly `min_share` of the annotators are TIES; disagreements where most annotators marked
something but no candidate has the majority are CONFLICTS; a kept claim without a value for a required
attribute is MISSING. A document with any of these is left OPEN: it gets no gold until a reviewer decides it, or
`prefer` names an annotator whose version then settles it. Open documents are counted and listed with their
review items (`review/items.jsonl`), and stay out of the gold (a release publishes their annotations in
`raw_annotations` only). Items only a minority gave are dropped and counted. Every gold record is checked by the
validator before it is written, so the gold layer is always one the build accepts; a record that fails is left
open with its problems. `min_annotators`: documents with fewer annotators (who did not skip) get no gold.
The gold records are canonical documents (schema/document.schema.json) with every raw annotation of the
document (and the reviewer's) kept in `annotations`, and `adjudication` saying how the gold was decided.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from builder.config import Config
from builder.errors import ConfigError
from builder.jsonl import AtomicWriter, write_json
from builder.labels import LabelSchema, speaker_relation
from builder.spans import CLAIM, ENTITY
from builder.stage import RejectSink
from builder.check.validate.corpus import Corpus
from builder.check.validate.kinds import KINDS, RecordKind
from builder.check.validate.layers import DocAnnotations, Layer, SpanKey, collect, overlap_groups
from builder.check.validate.problems import ERROR
from builder.check.validate.records import RecordValidator
from builder.check.validate.run import display_name

OPEN_KINDS = ("tie", "conflict", "missing", "invalid")  # review items that leave a document without gold
METHODS = ("review", "ground_truth", "majority", "preferred")


@dataclass(frozen=True)
class Policy:
    ground_truth_wins: bool = True
    min_share: float = 0.5
    min_annotators: int = 1
    prefer: tuple[str, ...] = ()  # annotators whose version settles an open document, first found wins
    machines: frozenset[str] = frozenset()  # pseudonyms of accounts a program annotates with

    @classmethod
    def from_config(cls, config: Config, prefer: Sequence[str] = (), machines: frozenset[str] = frozenset()) -> Policy:
        section = config.adjudicate
        policy = cls(section.ground_truth_wins, section.min_share, section.min_annotators, tuple(prefer),
                     frozenset(machines))
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
    kind: str  # tie | conflict | missing | invalid (OPEN_KINDS) | ground-truth-disagreement | too-few-annotators
    #            | skipped
    layer: str  # entity | claim | attribute | relation | doc_label | document
    name: str | None  # attribute, relation or document label name
    annotators: int
    candidates: list[dict[str, Any]] = field(default_factory=list)  # value, votes, annotators
    claim: dict[str, Any] | None = None  # the claim (start, end, label) an attribute item is about

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Decision:
    """The gold of one document and what was left for review."""

    document_id: str
    method: str  # one of METHODS
    voters: list[str]
    entities: list[SpanKey] = field(default_factory=list)
    claims: list[SpanKey] = field(default_factory=list)
    attributes: dict[SpanKey, dict[str, str]] = field(default_factory=dict)
    relations: list[tuple[str, SpanKey, SpanKey]] = field(default_factory=list)
    doc_labels: dict[str, str] = field(default_factory=dict)
    review: list[ReviewItem] = field(default_factory=list)
    dropped: Counter = field(default_factory=Counter)
    decided_by: str | None = None  # the reviewer, or the preferred annotator
    decided_at: Any = None

    @property
    def open(self) -> bool:
        """Left for review: no gold until a reviewer (or `prefer`) settles it."""
        return any(item.kind in OPEN_KINDS for item in self.review)

    def provenance(self, annotators: int, machines: frozenset[str] = frozenset()) -> dict[str, Any]:
        """The gold record's `adjudication`; `machine` when every voter is an account a program annotates with."""
        return {"method": self.method, "annotators": annotators, "voters": list(self.voters),
                "decided_by": self.decided_by, "decided_at": self.decided_at,
                "machine": bool(self.voters) and all(v in machines for v in self.voters)}


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
               decision: Decision, show: Any = lambda c: c, claim: dict[str, Any] | None = None) -> list[Any]:
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
                for c, who in sorted(group.items(), key=lambda x: (-len(x[1]), repr(x[0])))], claim))
        decision.dropped[layer] += len(group) - len(kept)
        return kept


def _span_groups(candidates: dict[SpanKey, list[str]]) -> Iterator[dict[SpanKey, list[str]]]:
    """Candidates that overlap each other (chained), as rival groups."""
    for group in overlap_groups(candidates, lambda k: (k[1], k[2])):
        yield {key: candidates[key] for key in sorted(group, key=lambda k: (k[1], k[2], k[3]))}


def _show_span(key: SpanKey) -> dict[str, Any]:
    return {"start": key[1], "end": key[2], "label": key[3]}


def from_layer(doc_id: str, layer: Layer, method: str) -> Decision:
    """The decision that takes one annotation (a reviewer's, or a preferred annotator's) as it is."""
    spans = layer.entities | layer.claims
    order = lambda k: (k[1], k[2], k[3])  # noqa: E731
    return Decision(doc_id, method, [layer.annotator], sorted(layer.entities, key=order),
                    sorted(layer.claims, key=order), {c: dict(a) for c, a in layer.attributes.items() if c in spans},
                    sorted((r for r in layer.relations if r[1] in spans and r[2] in spans), key=repr),
                    dict(layer.doc_labels), decided_by=layer.annotator, decided_at=layer.updated_at)


def adjudicate_document(doc: DocAnnotations, labels: LabelSchema, policy: Policy) -> Decision:
    """The decision on one document (see the module docstring); `open` when it is left for review."""
    if doc.review is not None:
        decision = from_layer(doc.document_id, doc.review, "review")
        _missing(decision, labels)
        return decision
    decision = _majority(doc, labels, policy)
    if decision.open and policy.prefer:
        preferred = next((x for name in policy.prefer for x in doc.layers if x.annotator == name), None)
        if preferred is not None:
            settled = from_layer(doc.document_id, preferred, "preferred")
            settled.review = [i for i in decision.review if i.kind not in OPEN_KINDS]
            _missing(settled, labels)
            return settled
    return decision


def _missing(decision: Decision, labels: LabelSchema) -> None:
    """A review item per kept claim that lacks a required attribute: such gold would not build."""
    disputed = {(i.name, repr(i.claim)) for i in decision.review if i.layer == "attribute"}
    for claim in decision.claims:
        for attr in labels.claim_attributes:
            if (attr.required and attr.name not in decision.attributes.get(claim, {})
                    and (attr.name, repr(_show_span(claim))) not in disputed):
                decision.review.append(ReviewItem(decision.document_id, "missing", "attribute", attr.name,
                                                  len(decision.voters), [], _show_span(claim)))


def _majority(doc: DocAnnotations, labels: LabelSchema, policy: Policy) -> Decision:
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
            kept = vote.decide(doc_id, "attribute", attr.name, group, decision,
                               claim=_show_span(claim)) if group else []
            if kept:
                decision.attributes.setdefault(claim, {})[attr.name] = kept[0]
    decision.relations = _relations(voters, labels, vote, decision, kept_spans)
    for d in labels.doc_labels:
        group = _values(voters, lambda v, name=d.name: v.doc_labels.get(name))
        kept = vote.decide(doc_id, "doc_label", d.name, group, decision) if group else []
        if kept:
            decision.doc_labels[d.name] = kept[0]
    _missing(decision, labels)
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

def gold_record(decision: Decision, document: dict[str, Any], raw: list[Any], labels: LabelSchema,
                annotators: int | None = None, machines: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The canonical document with the adjudicated layers, the raw annotations and how it was decided."""
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
            "annotations": raw,
            "adjudication": decision.provenance(len(decision.voters) if annotators is None else annotators, machines)}


# ---- the stage ------------------------------------------------------------------------------------------------

def run_adjudicate(paths: list[Path], labels: LabelSchema, corpus: Corpus, out_dir: Path, policy: Policy,
                   *, name: str = "gold", kinds: Sequence[RecordKind] = KINDS,
                   root: Path | None = None) -> dict[str, Any]:
    """Adjudicate every document of the records files; write gold, review items and documents, and stats.
    `adjudication.json` names files relative to `root` (the project) when they are inside it: it is committed."""

    review_dir = out_dir / "review"
    review_dir.mkdir(parents=True, exist_ok=True)
    stats: Counter[str] = Counter()
    rejects = RejectSink("adjudicate", review_dir / "rejects.jsonl")
    validator = RecordValidator(labels, None)
    opened: list[str] = []
    ok = False
    try:
        docs = collect(paths, labels, corpus, rejects, stats, kinds=kinds)
        items: list[ReviewItem] = []
        dropped: Counter[str] = Counter()
        review_docs: dict[str, dict[str, Any]] = {}
        with AtomicWriter(out_dir / f"{name}.jsonl") as gold:
            for doc_id in sorted(docs):
                doc = docs[doc_id]
                decision = adjudicate_document(doc, labels, policy)
                dropped.update(decision.dropped)
                document = corpus.document(doc_id)
                record = None
                if document is None:
                    stats["documents_not_in_corpus"] += 1
                elif decision.method == "review" or (doc.layers and len(decision.voters) >= policy.min_annotators):
                    if not decision.open:
                        raw = doc.raw + ([doc.review_raw] if doc.review_raw is not None else [])
                        record = gold_record(decision, document, raw, labels, len(doc.layers), policy.machines)
                        problems = [p for p in validator.check(record, {})[1] if p.severity == ERROR]
                        if problems:  # never write gold the build would refuse: the document waits instead
                            decision.review.append(ReviewItem(doc_id, "invalid", "document", None,
                                                              len(decision.voters),
                                                              [{"value": p.line(), "votes": 0, "annotators": []}
                                                               for p in problems[:20]]))
                            record = None
                items += decision.review
                if decision.review and document is not None:
                    review_docs[doc_id] = document
                if record is None:
                    stats["documents_without_gold"] += 1
                    if decision.open:
                        stats["documents_open"] += 1
                        opened.append(doc_id)
                    continue
                gold.write(record)
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
        "policy": {**asdict(policy), "machines": sorted(policy.machines)},
        "inputs": [display_name(p, root) for p in paths],
        "corpus": display_name(corpus.path, root),
        "documents": len(docs),
        "gold_documents": sum(stats[f"gold_{m}"] for m in METHODS),
        "open_documents": opened,
        "counts": dict(sorted(stats.items())),
        "dropped_minority_items": dict(sorted(dropped.items())),
        "review": dict(sorted(Counter(f"{i.kind}:{i.layer}" for i in items).items())),
        "rejected_records": dict(sorted(rejects.counts.items())),
        "outputs": {"gold": display_name(out_dir / f"{name}.jsonl", root),
                    "review_items": display_name(review_dir / "items.jsonl", root),
                    "review_documents": display_name(review_dir / "documents.jsonl", root),
                    "rejects": display_name(review_dir / "rejects.jsonl", root)},
    }
    write_json(out_dir / "adjudication.json", summary)
    return summary
