"""Language identification: how often each identifier is right, and how fast, on the project's texts.

    python scripts/bench_langid.py [--generated CORPUS.jsonl] [--chars 600]

Runs CLD2 (pycld2, the clean stage's identifier, `builder/lang/identify.py`) and py3langid (its predecessor,
and what a user of datatrove without a downloaded fastText model would write) in the same process on:
- Indonesian: the shipped Pratiwi articles (`data/raw/pratiwi2017/`), the sentences of idner-news-2k's test file
  joined into passages, single sentences of it (harder: short), and, with `--generated`, 2,000 articles of
  `scripts/gen_corpus.py`'s output;
- Malay: the ten Malaysian news paragraphs of `scripts/data/malay-news.txt` and their single sentences;
- English: the prose paragraphs of README.md.
Every text goes through the clean stage's `normalise_text` first and is cut to `--chars` characters (the clean
stage's `language_sample_chars`), as the clean stage does. Prints, per identifier and set: how many texts are
identified as the set's language, as Indonesian-or-Malay (what an Indonesian project accepts), as nothing, and
microseconds per text; then the load average.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from builder.corpus.clean import normalise_text  # noqa: E402
from builder.lang.identify import UNDETERMINED, identify  # noqa: E402


def conll_sentences(path: Path) -> list[str]:
    sents, cur = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            if cur:
                sents.append(" ".join(cur))
            cur = []
        else:
            cur.append(line.split()[0])
    if cur:
        sents.append(" ".join(cur))
    return sents


def passages(sentences: list[str], chars: int) -> list[str]:
    out, cur = [], ""
    for s in sentences:
        cur = f"{cur} {s}".strip()
        if len(cur) >= chars:
            out.append(cur)
            cur = ""
    return out


def text_sets(chars: int, generated: Path | None) -> dict[str, tuple[str, list[str]]]:
    """name -> (expected language, texts)."""
    csv.field_size_limit(1 << 30)
    articles = []
    for path in sorted((REPO / "data/raw/pratiwi2017").glob("*.csv")):
        with open(path, encoding="cp1252", newline="") as fh:
            articles += [row[0] for row in list(csv.reader(fh, delimiter=";"))[1:] if row]
    idner = conll_sentences(REPO / "data/raw/idner-news-2k/test.txt")
    malay = [line for line in (REPO / "scripts/data/malay-news.txt").read_text(encoding="utf-8").splitlines() if line]
    readme = (REPO / "README.md").read_text(encoding="utf-8").split("\n\n")
    english = [p.replace("\n", " ") for p in readme if len(p) > 300 and not p.lstrip().startswith(("|", "`", "#", "-"))]
    sets = {
        "Pratiwi articles": ("id", [a for a in articles if len(a) >= 200]),
        "idner-news-2k passages": ("id", passages(idner, chars)),
        "idner-news-2k single sentences": ("id", [s for s in idner if len(s) >= 60]),
    }
    if generated:
        import orjson

        with open(generated, "rb") as fh:
            texts = [orjson.loads(line)["text"] for _, line in zip(range(2000), fh)]
        sets["generated articles"] = ("id", [t for t in texts if len(t) >= 200])
    sets["Malay news paragraphs"] = ("ms", malay)
    sets["Malay single sentences"] = ("ms", [s for p in malay for s in re.split(r"(?<=\.) ", p) if len(s) >= 60])
    sets["English README paragraphs"] = ("en", english)
    return {name: (lang, [normalise_text(t)[:chars] for t in texts]) for name, (lang, texts) in sets.items()}


def py3langid() -> Callable[[str], str]:
    from py3langid.langid import _get_identifier

    model = _get_identifier()
    return lambda text: model.classify(text)[0]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--generated", type=Path, help="a corpus.jsonl of scripts/gen_corpus.py (first 2,000 articles)")
    ap.add_argument("--chars", type=int, default=600, help="characters per text (clean.language_sample_chars)")
    args = ap.parse_args(argv)
    sets = text_sets(args.chars, args.generated)
    identifiers = {"CLD2 (newsbench)": identify, "py3langid": py3langid()}
    rows = ["| set | n | identifier | as its language | as id or ms | undetermined | other | µs per text |",
            "| --- | ---: | --- | ---: | ---: | ---: | --- | ---: |"]
    for name, (lang, texts) in sets.items():
        for ident_name, ident in identifiers.items():
            ident(texts[0])  # load the model outside the timing
            start = time.perf_counter()
            found = [ident(t) for t in texts]
            micros = 1e6 * (time.perf_counter() - start) / len(texts)
            c = Counter(found)
            other = ", ".join(f"{k} {v}" for k, v in c.most_common() if k not in (lang, "id", "ms", UNDETERMINED))
            rows.append(f"| {name} | {len(texts)} | {ident_name} | {c[lang] / len(texts):.1%} | "
                        f"{(c['id'] + c['ms']) / len(texts):.1%} | {c[UNDETERMINED]} | {other or '-'} | {micros:,.0f} |")
    print("\n".join(rows))
    print(f"\nload average (1, 5, 15 min) at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
