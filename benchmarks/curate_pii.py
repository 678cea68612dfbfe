"""Recall and precision of the ``pii`` step's finders on values planted in real news sentences.

Sentences come from MasakhaNEWS (``{eng,hau,swa,amh,yor,pcm}.dev.tsv``; Latin and Ethiopic script)
and, when given, XQuAD's Chinese contexts (no spaces: values are glued to Han text). Every sentence
is scanned first; those in which the finders already see something (real addresses such as
``haveyoursay@bbc.co.uk``, or mistakes) are set aside, not scored, and listed at the end with the
amount of text scanned, for a reader to judge.

Per language, 60 values of each kind (``curate_pii_values.py``: generated valid by ``phonenumbers``
and python-stdnum) go one into each sentence, between two words that are not numbers (in Chinese,
between two characters that are not ASCII letters or digits); half of them get a hard negative as
a clause before or after. 300 more sentences per language get only a hard negative. A fifth of
the phone, card and ID values are written in Arabic-Indic, Persian, Devanagari, Bengali or
fullwidth digits.

A found value is right when it has the planted kind and the same letters and digits as the planted
value (punctuation at its edges may differ); anything else found is wrong. Prints recall and
precision per kind and overall with their counts, what each kind of hard negative set off, recall
per digit script and language, the finders' speed, and the values found in the unplanted text.

    python benchmarks/curate_pii.py ../shared/data/masakhanews --zh ../shared/data/xquad/xquad.zh.json
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import NamedTuple

from curate_pii_values import DIGITS, NEGATIVES, PLANTED_KINDS, in_digits, negative, valid_value

from babelforge.curate.pii_find import KINDS, PiiFinder

LANGUAGES = {
    "eng": "eng_Latn", "hau": "hau_Latn", "swa": "swh_Latn", "amh": "amh_Ethi", "yor": "yor_Latn", "pcm": "pcm_Latn",
}  # fmt: skip
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[።。！？])\s*")  # a full stop ends a sentence before a space


class Sample(NamedTuple):
    """One sentence: planted values and hard negatives as ``(start, end, kind or name)``."""

    language: str
    text: str
    planted: list[tuple[int, int, str]]
    negatives: list[tuple[int, int, str]]
    script: str | None  # the digits the planted value is written in (None: ASCII)


def plant(sentence: str, value: str, rng: random.Random, glued: bool) -> tuple[str, int]:
    """``sentence`` with ``value`` inserted between two words that are not numbers, or, in text
    written without spaces (``glued``), between two characters that are not ASCII letters or digits."""
    if glued:
        spots = [
            i
            for i in range(1, len(sentence))
            if not (_alnum(sentence[:i].rstrip()[-1:]) or _alnum(sentence[i:].lstrip()[:1]))
        ]
        at = rng.choice(spots or [len(sentence)])
        before = "" if value[0].isascii() else "："
        after = "" if value[-1].isascii() else "，"
        return sentence[:at] + before + value + after + sentence[at:], at + len(before)
    words = sentence.split(" ")
    spots = [i for i in range(1, len(words)) if not any(ch.isdigit() for ch in words[i - 1] + words[i])]
    i = rng.choice(spots or [len(words)])
    before = " ".join(words[:i])
    return f"{before} {value} {' '.join(words[i:])}".rstrip(" "), len(before) + 1


def _alnum(ch: str) -> bool:
    return bool(ch) and (ch.isdigit() or (ch.isascii() and ch.isalnum()))


def core(text: str, start: int, end: int) -> frozenset[int]:
    return frozenset(i for i in range(start, end) if text[i].isalnum())


class Scanned:
    """The real sentences read before planting, and what the finders found in them (set aside)."""

    def __init__(self) -> None:
        self.sentences, self.chars, self.found = 0, 0, []

    def keep(self, sentence: str, language: str, finder: PiiFinder) -> bool:
        found = finder.find(sentence, language)
        self.sentences += 1
        self.chars += len(sentence)
        self.found.extend((language, f.kind, sentence[f.start : f.end]) for f in found)
        return not found

    def print(self) -> None:
        print(
            f"unplanted text: {self.sentences} sentences, {self.chars:,} characters; {len(self.found)} values found "
            "there (set aside, not scored; listed for judging):"
        )
        for (language, kind, value), n in sorted(Counter(self.found).items()):
            print(f"  {language} {kind} {value!r} x{n}")


def sentences(path: Path, lang: str, finder: PiiFinder, scanned: Scanned) -> list[str]:
    """Sentences of 40 to 300 characters from a MasakhaNEWS TSV (headline and text) in which nothing is found."""
    csv.field_size_limit(sys.maxsize)
    kept = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            for sentence in SENTENCE_END.split(f"{row['headline']}. {row['text']}"):
                sentence = " ".join(sentence.split())
                if 40 <= len(sentence) <= 300 and scanned.keep(sentence, lang, finder):
                    kept.append(sentence)
    return kept


def zh_sentences(path: Path, finder: PiiFinder, scanned: Scanned) -> list[str]:
    """Sentences of 20 to 200 characters from XQuAD's Chinese contexts in which nothing is found."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    contexts = sorted({p["context"] for article in data for p in article["paragraphs"]})
    pieces = (s for c in contexts for s in SENTENCE_END.split(c) if 20 <= len(s) <= 200)
    return [s for s in pieces if scanned.keep(s, "zho_Hans", finder)]


def build_samples(pools: dict[str, list[str]], per_kind: int, negatives: int, rng: random.Random) -> list[Sample]:
    """Per language: ``per_kind`` planted values of each kind (half with a hard negative as a clause
    before or after), and ``negatives`` sentences holding only a hard negative."""
    samples = []
    for lang, pool in pools.items():
        glued = lang == "zho_Hans"
        for kind in PLANTED_KINDS:
            for _ in range(per_kind):
                value = valid_value(kind, rng, lang)
                numeric = kind not in ("email", "ip", "iban")
                script = rng.choice(sorted(DIGITS)) if numeric and rng.random() < 0.2 else None
                value = in_digits(value, script) if script else value
                text, at = plant(rng.choice(pool), value, rng, glued)
                bad = []
                if rng.random() < 0.5:
                    name, other = negative(rng, lang)
                    first = rng.random() < 0.5
                    text = f"{other}; {text}" if first else f"{text}; {other}"  # a clause of its own
                    at += len(other) + 2 if first else 0
                    start = 0 if first else len(text) - len(other)
                    bad.append((start, start + len(other), name))
                samples.append(Sample(lang, text, [(at, at + len(value), kind)], bad, script))
        for _ in range(negatives):
            name, other = negative(rng, lang)
            text, at = plant(rng.choice(pool), other, rng, glued)
            samples.append(Sample(lang, text, [], [(at, at + len(other), name)], None))
    return samples


class Score:
    """Planted, found and right counts per kind; what set off each hard negative; misses and mistakes."""

    def __init__(self) -> None:
        self.planted, self.hits, self.found, self.right = Counter(), Counter(), Counter(), Counter()
        self.tripped, self.negatives = Counter(), Counter()
        self.by_script, self.by_lang = Counter(), Counter()  # (key, hit) -> count
        self.misses, self.wrong = [], []

    def add(self, sample: Sample, result: list) -> None:
        text = sample.text
        planted = {core(text, s, e): kind for s, e, kind in sample.planted}
        for s, e, kind in sample.planted:
            hit = any(f.kind == kind and core(text, f.start, f.end) == core(text, s, e) for f in result)
            self.planted[kind] += 1
            self.hits[kind] += hit
            self.by_script[sample.script or "ascii", hit] += 1
            self.by_lang[sample.language, hit] += 1
            if not hit:
                self.misses.append(
                    (sample.language, kind, text[s:e], [(f.kind, text[f.start : f.end]) for f in result])
                )
        for f in result:
            ok = planted.get(core(text, f.start, f.end)) == f.kind
            self.found[f.kind] += 1
            self.right[f.kind] += ok
            if not ok:
                self.wrong.append((sample.language, f.kind, text[f.start : f.end]))
                self.tripped.update(name for s, e, name in sample.negatives if f.start < e and s < f.end)
        self.negatives.update(name for *_, name in sample.negatives)

    def print(self) -> None:
        print(f"\n{'kind':8} {'planted':>8} {'found':>6} {'recall':>7} {'right':>6} {'precision':>9}")
        for kind in [*PLANTED_KINDS, "overall"]:
            counts = (self.planted, self.hits, self.found, self.right)
            p, h, n, ok = (sum(c.values()) if kind == "overall" else c[kind] for c in counts)
            print(f"{kind:8} {p:8d} {h:6d} {h / max(p, 1):7.4f} {ok:6d} {ok / max(n, 1):9.4f}  (found {n})")
        tripped = ", ".join(f"{k} {self.tripped[k]}/{self.negatives[k]}" for k in NEGATIVES)
        print(f"\nhard negatives (set off / planted): {tripped}")
        for label, table in (("digit script", self.by_script), ("language", self.by_lang)):
            keys = sorted({key for key, _ in table})
            print(
                f"recall by {label}:",
                ", ".join(f"{k} {table[k, True]}/{table[k, True] + table[k, False]}" for k in keys),
            )
        for label, rows in (("missed", self.misses), ("wrong", self.wrong)):
            for row in rows[:15]:
                print(f"{label}: {row}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("masakhanews", type=Path, help="folder of {eng,hau,swa,amh,yor,pcm}.dev.tsv")
    parser.add_argument("--zh", type=Path, help="XQuAD xquad.zh.json: Chinese contexts, values glued to Han text")
    parser.add_argument("--per-kind", type=int, default=60, help="values planted per kind and language")
    parser.add_argument("--negatives", type=int, default=300, help="sentences with only a hard negative, per language")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    finder = PiiFinder(KINDS)
    scanned = Scanned()
    pools = {
        lang: sentences(args.masakhanews / f"{code}.dev.tsv", lang, finder, scanned) for code, lang in LANGUAGES.items()
    }
    if args.zh:
        pools["zho_Hans"] = zh_sentences(args.zh, finder, scanned)
    samples = build_samples(pools, args.per_kind, args.negatives, random.Random(args.seed))
    started = time.perf_counter()
    results = [finder.find(sample.text, sample.language) for sample in samples]
    seconds = time.perf_counter() - started
    score = Score()
    for sample, result in zip(samples, results, strict=True):
        score.add(sample, result)
    chars = sum(len(sample.text) for sample in samples)
    print(f"{len(samples)} sentences, {chars:,} characters, seed {args.seed}")
    score.print()
    print(f"finders: {chars / seconds / 1e6:.2f} M characters/s ({seconds:.2f} s)")
    scanned.print()


if __name__ == "__main__":
    main()
