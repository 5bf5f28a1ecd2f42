"""Real-data check of the NER CRF baseline: IndoNLU NERP and idner-news-2k, next to published numbers.

Run by hand (IndoNLU may not be copied into the repository, so its path is an argument):

    python scripts/realdata_ner.py --nerp /path/to/indonlu/dataset/nerp_ner-prosa \
                                   --idner data/raw/idner-news-2k

NERP is scored on its own five labels (PPL, PLC, IND, EVT, FNB) with IndoNLU's metric: the macro average over
entity types of conlleval's F1 (`utils/metrics.py::ner_metrics_fn`, `tm_f1`), types taken from gold and
predictions, which is seqeval's default-mode macro F1. idner-news-2k is scored by span micro F1. The CRF trains
on train and picks (c1, c2) on the validation split; wall and CPU seconds of training are printed (the machine
may be shared: CPU time is the steadier figure). The dictionary baseline is printed for reference.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from builder.bench.baselines.ner import GRID, CrfTagger, DictionaryTagger
from builder.corpus.imports.conll import conll_sentences
from builder.bench.evaluate.ner import tag_scores

# IndoNLU paper (Wilie et al., 2020), Table 5, NERP test F1 (type-macro), as transcribed in the data's SOURCE.md.
PUBLISHED_NERP = {"fastText-indo4b": 46.79, "mBERT": 69.27, "IndoBERT-large (p1)": 79.25}
FILES = {"nerp": ("train_preprocess.txt", "valid_preprocess.txt", "test_preprocess.txt"),
         "idner": ("train.txt", "dev.txt", "test.txt")}


def grid(text: str) -> tuple[tuple[float, float], ...]:
    """"0.05:0.1,0.2:0.01" -> ((0.05, 0.1), (0.2, 0.01))."""
    return tuple(tuple(float(v) for v in pair.split(":")) for pair in text.split(","))  # type: ignore[misc]


def run(name: str, folder: Path, args: argparse.Namespace) -> dict:
    train, dev, test = (conll_sentences(folder / f) for f in FILES[name])
    tokens = sum(map(len, train[0]))
    wall, cpu = time.perf_counter(), time.process_time()
    crf = CrfTagger(grid=grid(args.grid), max_iterations=args.iterations, language="id").fit(*train, *dev)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    labels, crf_scores, _ = tag_scores(test[1], crf.predict(test[0]))
    _, dict_scores, _ = tag_scores(test[1], DictionaryTagger().fit(*train).predict(test[0]))
    print(f"\n== {name}: {len(train[0]):,} training sentences ({tokens:,} tokens), {len(test[0]):,} test sentences")
    print(f"CRF training (grid of {len(crf.tuning)}, {args.iterations} iterations): wall {wall:.1f} s, cpu {cpu:.1f} s;"
          f" chosen {crf.params}")
    for t in crf.tuning:
        print(f"   c1={t['c1']} c2={t['c2']}: validation micro F1 {t['validation_f1']:.4f} ({t['seconds']} s)")
    print("per label F1: " + ", ".join(f"{label} {crf_scores['per_label.f1'][k] * 100:.2f}"
                                        for k, label in enumerate(labels)))
    for system, s in (("CRF", crf_scores), ("dictionary", dict_scores)):
        print(f"{system:<11} type-macro F1 {float(s['macro.f1']) * 100:6.2f}   micro F1 {float(s['micro.f1']) * 100:6.2f}")
    return {"macro": float(crf_scores["macro.f1"]) * 100, "micro": float(crf_scores["micro.f1"]) * 100,
            "wall": wall, "cpu": cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nerp", type=Path, default=None, help="folder with IndoNLU NERP *_preprocess.txt")
    parser.add_argument("--idner", type=Path, default=None, help="folder with idner-news-2k train/dev/test.txt")
    parser.add_argument("--grid", default=",".join(f"{a}:{b}" for a, b in GRID),
                        help="(c1:c2) pairs tried on validation (default: the baseline's)")
    parser.add_argument("--iterations", type=int, default=100, help="lbfgs iterations per fit")
    args = parser.parse_args()
    if not (args.nerp or args.idner):
        parser.error("give --nerp and/or --idner")
    if args.nerp:
        nerp = run("nerp", args.nerp, args)
        print("\nNERP test, type-macro F1 (IndoNLU metric):")
        for model, score in {**PUBLISHED_NERP, "newsbench CRF (this run)": round(nerp["macro"], 2)}.items():
            print(f"   {model:<26} {score:6.2f}")
        target = PUBLISHED_NERP["fastText-indo4b"]
        print(f"   {'beats fastText-indo4b' if nerp['macro'] > target else 'does NOT beat fastText-indo4b'}; "
              f"training {'within' if nerp['wall'] <= 120 else 'over'} 2 minutes wall ({nerp['cpu']:.0f} s CPU)")
    if args.idner:
        run("idner", args.idner, args)


if __name__ == "__main__":
    main()
