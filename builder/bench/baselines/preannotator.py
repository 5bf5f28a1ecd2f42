"""The trained baselines as a Label Studio pre-annotator (`builder.spans.PreAnnotator`).

Entities come from the CRF (each span scored by the mean marginal probability of its tags), claims and their
speakers from the rules, with check-worthiness decided by the check-worthiness model when one was trained. A speaker the
rules found is linked to the CRF entity that covers it. Documents without `sentences` are segmented first.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import joblib

from builder.bench.baselines.claims import CheckworthyModel
from builder.bench.baselines.cues import Sentence
from builder.bench.baselines.ner import CrfTagger
from builder.errors import InputError
from builder.bench.baselines.rules import RulePreAnnotator
from builder.spans import PreAnnotation, Region, Relation
from builder.corpus.segment import segment_text

NER_MODEL = "ner-crf.joblib"
CHECKWORTHY_MODEL = "checkworthy-context-lr.joblib"
OLDER_CHECKWORTHY = "checkworthy-tfidf-lr.joblib"  # what models/<version>/ held before the context model


class BaselinePreAnnotator:
    """Documents in, entity and claim regions with scores out (see the module docstring)."""

    def __init__(self, ner: CrfTagger | None, checkworthy: CheckworthyModel | None, *, model_version: str,
                 claim_label: str = "CLAIM", relation: str = "said_by", language: str = "id") -> None:
        self.ner = ner
        self.checkworthy = checkworthy
        self.model_version = model_version
        self.claim_label = claim_label
        self.relation = relation
        self.language = language
        self.rules = RulePreAnnotator(claim_label=claim_label, model_version=model_version)

    @classmethod
    def load(cls, folder: str | Path, **options: Any) -> BaselinePreAnnotator:
        """The models `newsbench baseline` saved in `folder` (models/<release version>/)."""
        folder = Path(folder)
        saved = {name: _load(folder / name) for name in (NER_MODEL, CHECKWORTHY_MODEL, OLDER_CHECKWORTHY)
                 if (folder / name).is_file()}
        if not saved:
            raise InputError("no trained baseline models here", where=str(folder),
                             fix="run `newsbench baseline --release DIR` first, or point at models/<version>/")
        first = next(iter(saved.values()))
        # of two check-worthiness models, the one that ranked validation better (the context one on a tie)
        worthy = max((saved[n] for n in (CHECKWORTHY_MODEL, OLDER_CHECKWORTHY) if n in saved),
                     key=lambda m: float((m.get("params") or {}).get("validation_average_precision") or 0.0),
                     default={})
        return cls((saved.get(NER_MODEL) or {}).get("model"), worthy.get("model"),
                   model_version=f"newsbench-baselines-{first['release']}", **options)

    def predict(self, docs: Iterable[dict[str, Any]]) -> Iterator[PreAnnotation]:
        for doc in docs:
            yield self.predict_one(doc)

    def predict_one(self, doc: dict[str, Any]) -> PreAnnotation:
        text = doc["text"]
        sentences = doc.get("sentences") or segment_text(text, language=doc.get("language") or self.language)[1]
        regions: list[Region] = []
        if self.ner is not None:
            words = [[text[a:b] for a, b in s["tokens"]] for s in sentences]
            for s, spans in zip(sentences, self.ner.predict_with_scores(words)):
                for start, end, label, score in spans:
                    regions.append(Region(f"e{len(regions)}", "entity", label, s["tokens"][start][0],
                                          s["tokens"][end - 1][1], score))
        ruled = self.rules.predict_one({"id": doc["id"], "text": text, "sentences": sentences})
        claims = [r for r in ruled.regions if r.layer == "claim"]
        if self.checkworthy is not None and claims:
            # the claims in text order, as the sentences of one document: the context model reads their neighbours
            scores = self.checkworthy.score([Sentence(text[r.start:r.end], doc["id"], r.start) for r in claims])
            claims = [Region(r.id, r.layer, r.label, r.start, r.end, r.score,
                             {**r.attributes, "checkworthy": "yes" if s >= self.checkworthy.threshold else "no"})
                      for r, s in zip(claims, scores)]
        by_id = {r.id: r for r in ruled.regions}
        relations = []
        for rel in ruled.relations:
            who = by_id.get(rel.to_id)
            entity = next((e for e in regions if who and e.start <= who.start and who.end <= e.end), None)
            if entity is not None:
                relations.append(Relation(self.relation, rel.from_id, entity.id, rel.score))
        regions += claims
        score = sum(r.score for r in regions) / len(regions) if regions else 0.0
        return PreAnnotation(doc["id"], self.model_version, tuple(regions), tuple(relations), round(score, 4))


def _load(path: Path) -> dict[str, Any]:
    try:
        saved = joblib.load(path)
    except Exception as exc:  # joblib raises whatever unpickling raises
        raise InputError(f"cannot load the model ({exc})", where=str(path),
                         fix="retrain it with `newsbench baseline`") from exc
    if not isinstance(saved, dict) or "model" not in saved or "release" not in saved:
        raise InputError("not a newsbench baseline model", where=str(path), fix="retrain it with `newsbench baseline`")
    return saved


__all__ = ["CHECKWORTHY_MODEL", "NER_MODEL", "OLDER_CHECKWORTHY", "BaselinePreAnnotator"]
