"""Real-data check of the check-worthiness baselines: sentences ranked within each document, cross-validated by
document, with 95% bootstrap intervals over documents.

    python scripts/realdata_checkworthy.py                          # the claims of the newest release
    python scripts/realdata_checkworthy.py --tsv debates/*.tsv --language en

`--tsv` reads files in the CLEF CheckThat! 2019 layout (one file per debate or speech: line number, speaker, text,
label 0/1, tab-separated); each file is one document, and its speaker column joins the text as "SPEAKER: text".
Both systems are trained as `newsbench baseline` trains them: on the training folds, with C (and for the context
model whether to read the neighbours and the cues) chosen on a held-out fifth of the training documents, the
threshold by F1 there. Printed per system: MAP, R-precision, P@1/3/5 and F1 of "yes" at the chosen threshold, the
chosen settings per fold and the training CPU seconds of one fold. The load average is printed: the machine may be
shared.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from builder.bench.baselines.claims import C_GRID, CONTEXTS, CheckworthyModel, points  # noqa: E402
from builder.bench.baselines.cues import Sentence  # noqa: E402
from builder.bench.evaluate.ranking import ranking_counts  # noqa: E402
from builder.release.layout import ReleaseFolder, list_versions  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
KS = (1, 3, 5)
SYSTEMS = {"checkworthy-tfidf-lr": (False, ((0.0, 0.0),)), "checkworthy-context-lr": (True, CONTEXTS)}


def release_sentences(release: ReleaseFolder) -> tuple[list[Sentence], np.ndarray]:
    sentences, labels = [], []
    for split in release.splits("claims"):
        for row in release.read("claims", split, ["document_id", "sentence_index", "text", "checkworthy"]).to_pylist():
            sentences.append(Sentence(row["text"], row["document_id"], row["sentence_index"]))
            labels.append(bool(row["checkworthy"]))
    return sentences, np.asarray(labels)


def tsv_sentences(paths: list[Path]) -> tuple[list[Sentence], np.ndarray]:
    sentences, labels = [], []
    for path in paths:
        with path.open(encoding="utf-8", newline="") as fh:
            for k, row in enumerate(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)):
                if len(row) < 4 or not row[-1].strip() in ("0", "1"):
                    continue  # a header or a malformed line
                speaker, text = row[1].strip(), "\t".join(row[2:-1]).strip()
                sentences.append(Sentence(f"{speaker}: {text}" if speaker else text, path.stem, k))
                labels.append(row[-1].strip() == "1")
    return sentences, np.asarray(labels)


def document_folds(docs: list[str], k: int, seed: int) -> list[np.ndarray]:
    names = sorted(set(docs))
    np.random.default_rng(seed).shuffle(names)
    fold = {d: i % k for i, d in enumerate(names)}
    return [np.asarray([i for i, d in enumerate(docs) if fold[d] == f]) for f in range(k)]


def interval(per_doc: np.ndarray, samples: int, seed: int) -> tuple[float, float, float]:
    """Mean over documents and its 95% bootstrap interval (documents resampled)."""
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(per_doc), size=(samples, len(per_doc)))
    means = per_doc[draws].mean(axis=1)
    return float(per_doc.mean()), float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--release", default=None, help="release folder (default: the newest under releases/)")
    ap.add_argument("--tsv", nargs="*", type=Path, default=None, help="CheckThat!-style files, one per document")
    ap.add_argument("--language", default="id", help="whose cue words the context model reads")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--samples", type=int, default=1000)
    args = ap.parse_args()
    if args.tsv:
        sentences, y = tsv_sentences(args.tsv)
        what = f"{len(args.tsv)} files"
    else:
        release = ReleaseFolder(args.release or REPO / "releases" / list_versions(REPO / "releases")[-1])
        sentences, y = release_sentences(release)
        what = f"release {release.version}, claims config"
    docs = [s.document or "" for s in sentences]
    print(f"{what}: {len(sentences)} sentences in {len(set(docs))} documents, {int(y.sum())} check-worthy "
          f"({100 * y.mean():.1f}%); {args.folds} folds by document, seed {args.seed}; "
          f"load average {os.getloadavg()[0]:.2f}")
    folds = document_folds(docs, args.folds, args.seed)
    doc_index = {d: i for i, d in enumerate(sorted(set(docs)))}
    doc = np.asarray([doc_index[d] for d in docs])
    position = np.asarray([s.index for s in sentences])
    print("\n| system | MAP | R-precision | P@1 | P@3 | P@5 | F1 yes | train CPU s (one fold) |\n"
          "|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, (calibrated, contexts) in SYSTEMS.items():
        scores, yes, cpu, chosen = np.zeros(len(y)), np.zeros(len(y), dtype=bool), 0.0, []
        for k, held in enumerate(folds):
            train = np.setdiff1d(np.arange(len(y)), held)
            inner = document_folds([docs[i] for i in train], 5, args.seed + k)[0]
            dev, fit = train[inner], np.setdiff1d(train, train[inner])
            started = time.process_time()
            model = CheckworthyModel(seed=args.seed, grid=points(C_GRID, contexts), calibrated=calibrated,
                                     language=args.language).fit([sentences[i] for i in fit], y[fit],
                                                                 [sentences[i] for i in dev], y[dev])
            cpu = cpu or time.process_time() - started
            chosen.append(model.point)
            scores[held] = model.score([sentences[i] for i in held])
            yes[held] = scores[held] >= model.threshold
        per_doc = ranking_counts(doc, position, scores, y, len(doc_index), KS)
        ranked = per_doc[per_doc[:, -1] > 0]
        cells = [interval(ranked[:, j], args.samples, args.seed) for j in range(2 + len(KS))]
        tp, pp, gp = (np.bincount(doc, weights=w.astype(float), minlength=len(doc_index))
                      for w in (y & yes, yes, y))
        draws = np.random.default_rng(args.seed).integers(0, len(doc_index), size=(args.samples, len(doc_index)))
        f1s = 2 * tp[draws].sum(1) / np.maximum(pp[draws].sum(1) + gp[draws].sum(1), 1)
        f1 = 2 * tp.sum() / max(pp.sum() + gp.sum(), 1)
        shown = [f"{100 * v:.1f} [{100 * lo:.1f}, {100 * hi:.1f}]" for v, lo, hi in cells]
        shown.append(f"{100 * f1:.1f} [{100 * np.percentile(f1s, 2.5):.1f}, {100 * np.percentile(f1s, 97.5):.1f}]")
        print(f"| {name} | {' | '.join(shown)} | {cpu:.1f} |", flush=True)
        print(f"|   (C, neighbours, cues) per fold: {', '.join(str(p) for p in chosen)} | | | | | | | |")


if __name__ == "__main__":
    main()
