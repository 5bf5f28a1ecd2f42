"""Generate an Indonesian news-like JSONL corpus with planted near-duplicates and broken encodings.

Used by `scripts/bench_prepare.py`; usable on its own:

    python scripts/gen_corpus.py --docs 100000 --out /tmp/bench [--seed 13] [--workers 2]

It writes `corpus.jsonl` (one article per line: `id`, `title`, `date`, `outlet`, `text`) and `truth.json` (the
generator's parameters, what was planted where, and every planted pair with its true Jaccard similarity).
The output depends only on the seed, the number of documents, the parameters and the shipped articles, never
on the number of workers: each document is drawn from its own random stream, `default_rng([seed, index])`.

How an article is made
- Sentence model: the real articles shipped under `data/raw/pratiwi2017/` (CSV, cp1252, `;`) and `data/raw/seed/`
  are read at generation time, unwrapped and split into sentences (6-60 words, each kept once). Every word is put
  in a class: lower-case word, capitalised word, number, or other (punctuated tokens, which stay put).
- A body is a random run of real sentences, grouped 1-3 per paragraph, until a length drawn around
  `--chars` (log-normal, so article sizes vary). In each sentence a share `--substitute` (default 20%) of the
  classed words is replaced by a word of the same class drawn by its corpus frequency. Texts therefore read like
  the shipped news (same words, same sentence shapes, real punctuation) but two articles that drew the same
  sentence share few word 5-grams, so no unplanned pair comes near a duplicate threshold.
- Lead date: half the leads get "pada Rabu (19/6/2024)" before their final stop; 70% of records carry a `date`.
- Decorations a cleaner must remove (none of them count as body): a dateline ("JAKARTA, KOMPAS.TV - ",
  "Surabaya, ", "BANDUNG, KOMPAS.com – "), "Baca Juga: ..." lines, "ADVERTISEMENT", "SCROLL TO CONTINUE WITH
  CONTENT", "Editor: ..." / "Penulis: ...", "Sumber : <agency>" and the KompasTV WhatsApp promo line.
  A third of the articles use typographic quotes “...”.
- Quality-filter fodder: ~1% short articles (one or two sentences, under 30 words) and ~0.1% empty texts.

What is planted
- Near-duplicates: `--dup-rate` (default 5%) of the articles are copies of another article (each original is
  copied once and is no copy itself, so every planted cluster is a pair). A tenth of the copies keep the
  original's body word for word (only the decorations differ); the others get word substitutions, deletions
  and insertions at a rate chosen for a target Jaccard drawn uniformly from [0.5, 1.0). The copy gets its own
  decorations. The TRUE Jaccard of each pair is then computed on the two bodies (the text without decorations,
  as a cleaner should leave it): lower-cased `\\w+` words, sets of word 5-grams, |A & B| / |A | B|.
- Broken encodings: `--mojibake` (default 3%) of the articles get typographic quotes and dashes and then have
  their whole text's UTF-8 bytes decoded as Windows-1252 (bytes it leaves undefined as Latin-1), the usual
  mojibake: “ becomes â€œ, – becomes â€“. Copies in planted pairs can be broken too, so repair is part of recall.

`truth.json` holds: `params`, `generator_sha256`, `counts`, `pairs` (`a`, `b` ids; `jaccard`; `target`; `exact_body`), and the ids of
the `mojibake`, `short` and `empty` articles.
"""

from __future__ import annotations

import argparse
import codecs
import csv
import hashlib
import math
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson

REPO = Path(__file__).resolve().parent.parent
RAW = REPO / "data" / "raw"

# Word classes: 0 stays as it is; 1-3 may be replaced by a word of the same class.
_LOWER = re.compile(r"^[a-z]+(?:-[a-z]+)*$")
_CAPITAL = re.compile(r"^[A-Z][a-z]+$")
_NUMBER = re.compile(r"^\d+(?:[.,]\d+)?$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“‘(])")
_WORD = re.compile(r"\w+")
# Real sentences that hold boilerplate or start with a dateline are left out of the pool: a cleaner would
# remove them, and the body must be what a cleaner leaves.
_NOT_BODY = re.compile(
    r"baca\s+(juga|pula|selengkapnya)|simak|sumber\s*:|editor\s*:|penulis\s*:|reporter\s*:|foto\s*:|"
    r"ilustrasi\s*:|advertisement|scroll\s+to|whatsapp|telegram|copyright|hak\s+cipta|unduh|download|http|www\.",
    re.IGNORECASE,
)
_DATELINE_START = re.compile(r"^[A-Z][\w.]*(?:\s[A-Z][\w.]*){0,2}\s*(?:\([^)]{1,20}\)\s*)?(?:,[^,]{0,30}?)?\s[-–—]{1,2}\s")

PLACES = ["Jakarta", "Bandung", "Surabaya", "Semarang", "Yogyakarta", "Medan", "Makassar", "Palembang",
          "Denpasar", "Bogor", "Depok", "Malang", "Padang", "Pontianak", "Manado", "Kupang", "Jayapura",
          "Pyongyang", "Washington", "Beijing", "Singapura", "Kuala Lumpur", "Jenewa", "Moskow"]
# Dateline styles of Indonesian outlets, with their share of articles; the rest have no dateline.
DATELINES = [
    (0.30, "{PLACE}, {outlet} {dash} ", ["KOMPAS.TV", "KOMPAS.com", "Tribunnews.com", "Okezone"]),
    (0.10, "{Place}, {outlet} -- ", ["CNN Indonesia"]),
    (0.15, "{Place} {dash} ", ["detikNews"]),
    (0.15, "{Place}, ", [""]),
    (0.05, "{outlet}, {Place} {dash} ", ["Liputan6.com"]),
    (0.05, "{PLACE} ({outlet}) {dash} ", ["ANTARA"]),
]
AGENCIES = ["Associated Press", "Reuters", "AFP", "Antara", "Kompas.com", "BBC Indonesia", "Kompas TV"]
PLACE_COMMA = tuple(f"{name}, " for place in PLACES for name in (place, place.upper()))
WEEKDAYS = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]
# What a cleaner should have removed, line by line (the sentence pool holds none of it, see _NOT_BODY).
LEFTOVERS = {
    "dateline": re.compile(r"^(?:Liputan6\.com, )?(?:{})(?:,| \(| -| –)".format(
        "|".join(re.escape(n) for p in PLACES for n in (p, p.upper())))),
    "baca_juga": re.compile(r"^Baca Juga:"),
    "advertisement": re.compile(r"^(?:ADVERTISEMENT|SCROLL TO CONTINUE WITH CONTENT)$"),
    "attribution": re.compile(r"^Sumber : "),
    "editor_author": re.compile(r"^(?:Editor|Penulis): "),
    "whatsapp": re.compile(r"^Gabung ke Channel WhatsApp"),
}
WHATSAPP = "Gabung ke Channel WhatsApp KompasTV untuk update berita terbaru dan terpercaya."


@dataclass(frozen=True)
class Params:
    """Everything the output depends on besides the shipped articles."""

    docs: int = 100_000
    seed: int = 13
    chars: int = 2100  # median text length in characters
    substitute: float = 0.20  # share of classed words replaced in every sentence
    dup_rate: float = 0.05  # share of articles that are planted copies
    exact_share: float = 0.10  # share of copies whose body is unchanged
    mojibake: float = 0.03
    short: float = 0.01
    empty: float = 0.001
    ngram: int = 5


# --------------------------------------------------------------------------------------------------- model


def _shipped_texts(raw: Path) -> Iterator[str]:
    for path in sorted((raw / "pratiwi2017").glob("*.csv")):
        with open(path, encoding="cp1252", newline="") as fh:
            for row in csv.DictReader(fh, delimiter=";"):
                yield row.get("berita") or ""
    for path in sorted((raw / "seed").glob("*.txt")):
        yield path.read_text(encoding="utf-8")


class SentenceModel:
    """Real sentences as arrays of word ids, and per-class word pools weighted by corpus frequency."""

    def __init__(self, raw: Path = RAW, substitute: float = 0.2) -> None:
        self.substitute = substitute
        seen: set[str] = set()
        sentences: list[list[str]] = []
        for text in _shipped_texts(raw):
            for sent in _SENTENCE_END.split(" ".join(text.split())):
                words = sent.split()
                if (6 <= len(words) <= 60 and sent not in seen and not _NOT_BODY.search(sent)
                        and not _DATELINE_START.match(sent) and not sent.startswith(PLACE_COMMA)):
                    seen.add(sent)
                    sentences.append(words)
        if len(sentences) < 100:
            raise SystemExit(f"gen_corpus: only {len(sentences)} sentences found under {raw}; "
                             "run from a checkout that has data/raw/pratiwi2017 and data/raw/seed")
        vocab: dict[str, int] = {}
        flat: list[int] = []
        lens: list[int] = []
        for words in sentences:
            flat.extend(vocab.setdefault(w, len(vocab)) for w in words)
            lens.append(len(words))
        self.words = list(vocab)
        self.word_arr = np.array(self.words, dtype=object)
        self.flat = np.array(flat, dtype=np.int32)
        self.lens = np.array(lens, dtype=np.int64)
        self.starts = np.concatenate(([0], np.cumsum(self.lens)[:-1]))
        self.chars = np.array([sum(map(len, s)) + len(s) for s in sentences], dtype=np.int64)
        self.word_class = np.zeros(len(self.words), dtype=np.int8)
        for i, w in enumerate(self.words):
            self.word_class[i] = 1 if _LOWER.match(w) else 2 if _CAPITAL.match(w) else 3 if _NUMBER.match(w) else 0
        counts = np.bincount(self.flat, minlength=len(self.words)).astype(np.float64)
        self.pools: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for cls in (1, 2, 3):
            ids = np.flatnonzero(self.word_class == cls)
            cdf = np.cumsum(counts[ids])
            self.pools[cls] = (ids, cdf / cdf[-1])

    def draw(self, rng: np.random.Generator, cls: int, k: int) -> np.ndarray:
        ids, cdf = self.pools[cls]
        return ids[np.minimum(np.searchsorted(cdf, rng.random(k)), len(ids) - 1)]

    def replace(self, rng: np.random.Generator, tok: np.ndarray, rate: float) -> np.ndarray:
        """Replace a share `rate` of the classed words of `tok` by words of the same class."""
        cls = self.word_class[tok]
        hit = (rng.random(len(tok)) < rate) & (cls > 0)
        for c in (1, 2, 3):
            where = hit & (cls == c)
            k = int(where.sum())
            if k:
                tok[where] = self.draw(rng, c, k)
        return tok

    def sentences(self, rng: np.random.Generator, target_chars: int) -> list[list[str]]:
        """Real sentences, perturbed, until about `target_chars` characters."""
        pick = rng.integers(0, len(self.lens), size=64)
        n = int(np.searchsorted(np.cumsum(self.chars[pick]), target_chars)) + 1
        pick = pick[: max(1, min(n, len(pick)))]
        lens = self.lens[pick]
        ends = np.cumsum(lens)
        idx = np.repeat(self.starts[pick] - (ends - lens), lens) + np.arange(int(ends[-1]))
        tok = self.replace(rng, self.flat[idx].copy(), self.substitute)
        words = self.word_arr[tok].tolist()
        out, a = [], 0
        for b in ends.tolist():
            out.append(words[a:b])
            a = b
        return out


# --------------------------------------------------------------------------------------------------- articles


def _paragraphs(rng: np.random.Generator, sentences: list[list[str]]) -> list[list[list[str]]]:
    paras, i = [], 0
    sizes = rng.integers(1, 4, size=len(sentences))
    for size in sizes.tolist():
        if i >= len(sentences):
            break
        paras.append(sentences[i : i + size])
        i += size
    return paras


def _lead_date(rng: np.random.Generator, paras: list[list[list[str]]]) -> None:
    first = paras[0][0]
    last = first[-1]
    if last[-1:] not in ".!?":
        return
    y, m, d = int(rng.integers(2015, 2025)), int(rng.integers(1, 13)), int(rng.integers(1, 29))
    first[-1] = last[:-1]
    first.extend(["pada", WEEKDAYS[int(rng.integers(0, 7))], f"({d}/{m}/{y}){last[-1]}"])


def body_lines(paras: list[list[list[str]]]) -> list[str]:
    return [" ".join(" ".join(s) for s in para) for para in paras]


_OPENING_QUOTE = re.compile(r'(^|(?<=[\s(\[]))"')


def _curly(text: str) -> str:
    """Straight double quotes to typographic ones: opening after a space or line start, closing elsewhere."""
    return _OPENING_QUOTE.sub("“", text).replace('"', "”")


def _name(model: SentenceModel, rng: np.random.Generator) -> str:
    return " ".join(model.words[i] for i in model.draw(rng, 2, 2))


def decorate(model: SentenceModel, rng: np.random.Generator, lines: list[str], *, broken: bool) -> tuple[str, str]:
    """Add dateline and boilerplate lines around the body; return (text, outlet)."""
    lines = list(lines)
    place = PLACES[int(rng.integers(0, len(PLACES)))]
    dash = "–" if broken or rng.random() < 0.2 else "-"
    style, outlet = rng.random(), ""
    for share, form, outlets in DATELINES:
        if style < share:
            outlet = outlets[int(rng.integers(0, len(outlets)))]
            lines[0] = form.format(PLACE=place.upper(), Place=place, outlet=outlet, dash=dash) + lines[0]
            break
        style -= share
    r = rng.random(6)
    if r[0] < 0.5 and len(lines) > 2:
        head = model.sentences(rng, 60)[0][:10]
        lines.insert(int(rng.integers(1, len(lines))), "Baca Juga: " + " ".join(head).rstrip(".,"))
    if r[1] < 0.15 and len(lines) > 1:
        lines.insert(int(rng.integers(1, len(lines))), "ADVERTISEMENT")
    if r[2] < 0.1 and len(lines) > 1:
        lines.insert(1, "SCROLL TO CONTINUE WITH CONTENT")
    if r[3] < 0.3:
        lines.append(f"Sumber : {AGENCIES[int(rng.integers(0, len(AGENCIES)))]}")
    if r[4] < 0.3:
        lines.append(f"{'Editor' if rng.random() < 0.5 else 'Penulis'}: {_name(model, rng)}")
    if r[5] < 0.2 or outlet == "KOMPAS.TV" and r[5] < 0.6:
        lines.append(WHATSAPP)
    text = "\n".join(lines)
    if broken or rng.random() < 0.3:
        text = _curly(text)
    return text, outlet


def _latin1_fallback(err: UnicodeDecodeError) -> tuple[str, int]:
    return err.object[err.start : err.end].decode("latin-1"), err.end


codecs.register_error("gen_corpus.latin1", _latin1_fallback)


def mojibake(text: str) -> str:
    """UTF-8 bytes read as Windows-1252, with Latin-1 for the bytes cp1252 leaves undefined."""
    return text.encode("utf-8").decode("cp1252", errors="gen_corpus.latin1")


def shingles(text: str, n: int) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[i : i + n]) for i in range(max(len(words) - n + 1, 1))} if words else set()


def jaccard(a: str, b: str, n: int = 5) -> float:
    """The ground-truth similarity: Jaccard of the sets of lower-cased word n-grams."""
    sa, sb = shingles(a, n), shingles(b, n)
    union = len(sa | sb)
    return len(sa & sb) / union if union else 1.0


def _edit_rate(target: float, n: int) -> float:
    """Per-word edit rate after which about `target` of the n-gram union is shared.

    With a share s of one text's n-grams surviving, J = s / (2 - s); an edit breaks the n grams around it.
    """
    survive = 2 * target / (1 + target)
    return 1 - survive ** (1 / n)


def _edit(model: SentenceModel, rng: np.random.Generator, paras: list[list[list[str]]], rate: float) -> None:
    """Substitute (60%), delete (20%) or insert (20%) words at `rate` per word, in place."""
    for para in paras:
        for s, words in enumerate(para):
            hits = np.flatnonzero(rng.random(len(words)) < rate)
            if not len(hits):
                continue
            kinds = rng.random(len(hits))
            fresh = model.word_arr[model.draw(rng, 1, len(hits))].tolist()
            new = list(words)
            for pos, kind, word in sorted(zip(hits.tolist(), kinds.tolist(), fresh), reverse=True):
                if kind < 0.6:
                    new[pos] = word
                elif kind < 0.8 and len(new) > 3:
                    del new[pos]
                else:
                    new.insert(pos, word)
            para[s] = new


# --------------------------------------------------------------------------------------------------- plan


@dataclass
class Plan:
    """Which index is what; drawn once from the seed so that workers agree."""

    copy_of: dict[int, int]
    target: dict[int, float]
    broken: set[int]
    short: set[int]
    empty: set[int]


def make_plan(p: Params) -> Plan:
    rng = np.random.default_rng([p.seed, 0xD0C5])
    order = rng.permutation(p.docs)
    n_short, n_empty = round(p.docs * p.short), round(p.docs * p.empty)
    short = set(order[:n_short].tolist())
    empty = set(order[n_short : n_short + n_empty].tolist())
    rest = order[n_short + n_empty :]
    n_pairs = min(round(p.docs * p.dup_rate), len(rest) // 2)
    originals, copies = rest[:n_pairs].tolist(), rest[n_pairs : 2 * n_pairs].tolist()
    copy_of = dict(zip(copies, originals))
    targets = rng.uniform(0.5, 1.0, size=n_pairs)
    exact = rng.random(n_pairs) < p.exact_share
    target = {c: (1.0 if e else float(t)) for c, t, e in zip(copies, targets.tolist(), exact.tolist())}
    candidates = np.setdiff1d(np.arange(p.docs), np.array(sorted(short | empty), dtype=np.int64))
    n_broken = round(p.docs * p.mojibake)
    broken = set(rng.choice(candidates, size=min(n_broken, len(candidates)), replace=False).tolist())
    return Plan(copy_of, target, broken, short, empty)


# --------------------------------------------------------------------------------------------------- generation

_MODEL: SentenceModel | None = None
_PLAN: Plan | None = None
_PARAMS: Params | None = None


def _init(p: Params, raw: Path) -> None:
    global _MODEL, _PLAN, _PARAMS
    _PARAMS = p
    _MODEL = SentenceModel(raw, p.substitute)
    _PLAN = make_plan(p)


def doc_id(i: int) -> str:
    return f"gen-{i:07d}"


def _body(model: SentenceModel, p: Params, i: int) -> tuple[np.random.Generator, list[list[list[str]]], str | None]:
    """The random stream, paragraphs and metadata date of document i (a pure function of seed and i)."""
    rng = np.random.default_rng([p.seed, i])
    target = int(p.chars * math.exp(rng.normal(0, 0.35)))
    paras = _paragraphs(rng, model.sentences(rng, target))
    if rng.random() < 0.5:
        _lead_date(rng, paras)
    date = None
    if rng.random() < 0.7:
        date = f"{int(rng.integers(2015, 2025))}-{int(rng.integers(1, 13)):02d}-{int(rng.integers(1, 29)):02d}"
    return rng, paras, date


def generate_one(i: int) -> tuple[bytes, dict[str, Any] | None]:
    """One JSONL line and, for a planted copy, its pair record."""
    model, plan, p = _MODEL, _PLAN, _PARAMS
    assert model is not None and plan is not None and p is not None
    pair = None
    if i in plan.short or i in plan.empty:
        rng = np.random.default_rng([p.seed, i])
        sents = model.sentences(rng, 1)[:1] if i in plan.short else []
        text = " ".join(" ".join(s) for s in sents)[:160] if sents else " \n "[: int(rng.integers(0, 3))]
        title, date, outlet = None, None, ""
    else:
        if i in plan.copy_of:
            orig = plan.copy_of[i]
            rng = np.random.default_rng([p.seed, i])
            _, paras, date = _body(model, p, orig)
            before = "\n".join(body_lines(paras))
            target = plan.target[i]
            if target < 1.0:
                _edit(model, rng, paras, _edit_rate(target, p.ngram))
            after = "\n".join(body_lines(paras))
            pair = {"a": doc_id(orig), "b": doc_id(i), "jaccard": round(jaccard(before, after, p.ngram), 4),
                    "target": round(target, 4), "exact_body": target >= 1.0}
        else:
            rng, paras, date = _body(model, p, i)
        lines = body_lines(paras)
        title = " ".join(" ".join(paras[-1][-1]).split()[:10]).rstrip(".,;:") or None
        text, outlet = decorate(model, rng, lines, broken=i in plan.broken)
        if i in plan.broken:
            text = mojibake(text)
    record = {"id": doc_id(i), "title": title, "date": date, "outlet": outlet or None, "text": text}
    return orjson.dumps(record) + b"\n", pair


def _generate_range(bounds: tuple[int, int]) -> tuple[bytes, list[dict[str, Any]]]:
    lines, pairs = [], []
    for i in range(*bounds):
        line, pair = generate_one(i)
        lines.append(line)
        if pair is not None:
            pairs.append(pair)
    return b"".join(lines), pairs


def generator_digest() -> str:
    """sha256 of this file: a corpus made by another version of the generator is not reused."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def generate(p: Params, out: Path, *, workers: int = 1, raw: Path = RAW) -> dict[str, Any]:
    """Write `out/corpus.jsonl` and `out/truth.json`; return the truth summary (without the pair list)."""
    t0 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    _init(p, raw)
    assert _PLAN is not None
    step = 2000
    chunks = [(a, min(a + step, p.docs)) for a in range(0, p.docs, step)]
    pairs: list[dict[str, Any]] = []
    corpus = out / "corpus.jsonl"
    tmp = corpus.with_suffix(".jsonl.tmp")
    with open(tmp, "wb") as fh:
        if workers > 1:
            with ProcessPoolExecutor(workers, initializer=_init, initargs=(p, raw)) as pool:
                results: Iterator[tuple[bytes, list[dict[str, Any]]]] = pool.map(_generate_range, chunks)
                for data, chunk_pairs in results:
                    fh.write(data)
                    pairs.extend(chunk_pairs)
        else:
            for chunk in chunks:
                data, chunk_pairs = _generate_range(chunk)
                fh.write(data)
                pairs.extend(chunk_pairs)
    tmp.replace(corpus)
    pairs.sort(key=lambda r: r["b"])
    bands = Counter(band(r["jaccard"]) for r in pairs)
    truth = {
        "params": asdict(p),
        "generator_sha256": generator_digest(),
        "bytes": corpus.stat().st_size,
        "counts": {
            "docs": p.docs,
            "pairs": len(pairs),
            "pairs_by_jaccard": dict(sorted(bands.items())),
            "exact_body_pairs": sum(r["exact_body"] for r in pairs),
            "mojibake": len(_PLAN.broken),
            "short": len(_PLAN.short),
            "empty": len(_PLAN.empty),
        },
        "pairs": pairs,
        "mojibake": sorted(doc_id(i) for i in _PLAN.broken),
        "short": sorted(doc_id(i) for i in _PLAN.short),
        "empty": sorted(doc_id(i) for i in _PLAN.empty),
    }
    (out / "truth.json").write_bytes(orjson.dumps(truth, option=orjson.OPT_INDENT_2))
    summary = {k: v for k, v in truth.items() if k not in ("pairs", "mojibake", "short", "empty")}
    return {**summary, "corpus": str(corpus), "seconds": round(time.perf_counter() - t0, 2)}


BANDS = [(0.0, 0.5), (0.5, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.0), (1.0, 1.01)]


def band(j: float) -> str:
    """The Jaccard range a similarity falls in, e.g. '0.8-0.9'; '1.0' for identical bodies."""
    for lo, hi in BANDS:
        if lo <= j < hi:
            return "1.0" if lo == 1.0 else f"{lo:.1f}-{hi:.1f}"
    return "1.0"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=Params.docs)
    ap.add_argument("--out", type=Path, required=True, help="folder for corpus.jsonl and truth.json")
    ap.add_argument("--seed", type=int, default=Params.seed)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--chars", type=int, default=Params.chars, help="median text length")
    ap.add_argument("--dup-rate", type=float, default=Params.dup_rate)
    ap.add_argument("--mojibake", type=float, default=Params.mojibake)
    args = ap.parse_args(argv)
    if args.docs < 1:
        ap.error("--docs must be at least 1")
    p = Params(docs=args.docs, seed=args.seed, chars=args.chars, dup_rate=args.dup_rate, mojibake=args.mojibake)
    summary = generate(p, args.out, workers=args.workers)
    sys.stdout.write(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
