"""The evaluation suite of ``benchmarks/curate_decontaminate.py``: benchmarks, planted leaks and clean records.

Built from real public data (``../shared/data``), each set split in two halves by a stable hash: half A
is the benchmark's test set, half B stays clean. See ``curate_decontaminate.py`` for what each set
contributes.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path

XQUAD = {"ru": "rus_Cyrl", "tr": "tur_Latn", "vi": "vie_Latn", "zh": "zho_Hans"}
TATOEBA = {"deu": "deu_Latn", "fra": "fra_Latn", "spa": "spa_Latn", "swh": "swh_Latn", "xho": "xho_Latn",
           "amh": "amh_Ethi"}  # fmt: skip
NEWS = {"eng": "eng_Latn", "hau": "hau_Latn", "swa": "swh_Latn", "amh": "amh_Ethi", "yor": "yor_Latn",
        "pcm": "pcm_Latn"}  # fmt: skip


@dataclass
class Record:
    id: str
    text: str
    language: str
    kind: str | None  # verbatim, edited, translated; None: clean
    benchmark: str = ""
    item: str = ""


@dataclass
class Suite:
    benchmarks: dict[str, tuple[str, list[tuple[str, str]]]]  # name -> (language, [(id, text)])
    records: list[Record]


def half(key: str) -> str:
    """A or B, by a stable hash of ``key``."""
    return "A" if hashlib.sha256(key.encode()).digest()[0] % 2 == 0 else "B"


def xquad_pairs(data: Path) -> dict[str, list[tuple[str, str, str]]]:
    """Per language (en too): ``(id, paragraph key, text)`` for each question and each context."""
    found = {}
    for lang in ["en", *XQUAD]:
        rows = []
        for article in json.loads((data / "xquad" / f"xquad.{lang}.json").read_text())["data"]:
            for number, paragraph in enumerate(article["paragraphs"]):
                key = f"{article['title']}/{number}"
                rows.append((f"{key}:context", key, paragraph["context"]))
                rows += [(f"{qa['id']}:question", key, qa["question"]) for qa in paragraph["qas"]]
        found[lang] = rows
    return found


def read_news(data: Path, lang: str) -> list[tuple[str, str, str]]:
    """``(id, headline, text)`` of a MasakhaNEWS dev file."""
    csv.field_size_limit(1 << 30)
    with open(data / "masakhanews" / f"{lang}.dev.tsv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [(f"{lang}-{n}", r["headline"], r["text"]) for n, r in enumerate(rows) if r.get("text")]


def conll_sentences(path: Path) -> list[str]:
    sentences, tokens = [], []
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if line.strip():
            tokens.append(line.split("\t")[0])
        elif tokens:
            sentences.append(_detokenize(tokens))
            tokens = []
    return sentences


def _detokenize(tokens: list[str]) -> str:
    text = " ".join(tokens)
    for mark in (" ,", " .", " ;", " :", " ?", " !", " )", " '"):
        text = text.replace(mark, mark[1:])
    return text.replace("( ", "(")


def edit(text: str, rng: random.Random, vocabulary: list[str]) -> str:
    """A light edit: 1 to 4 words (one in fifteen) replaced, dropped or repeated; casing and punctuation changed."""
    words = text.split()
    for _ in range(min(max(1, round(len(words) / 15)), 4)):
        if len(words) < 2:
            break
        at = rng.randrange(len(words))
        action = rng.choice(("replace", "drop", "repeat"))
        if action == "replace":
            words[at] = rng.choice(vocabulary)
        elif action == "drop":
            del words[at]
        else:
            words.insert(at, words[at])
    edited = " ".join(words)
    style = rng.choice(("lower", "upper_first", "no_punct", "swap_punct"))
    if style == "lower":
        return edited.lower()
    if style == "upper_first":
        return edited.title() if len(words) < 12 else edited[:1].upper() + edited[1:]
    if style == "no_punct":
        return "".join(ch for ch in edited if ch not in ".,;:!?\"'")
    return edited.replace(".", "!").replace(",", ";")


class Planter:
    """Plants leaks as records of their own or inside a host document, and keeps the rest clean."""

    def __init__(self, rng: random.Random):
        self.rng, self.records, self.used = rng, [], set()

    def leak(self, kind: str, text: str, language: str, benchmark: str, item: str, hosts: list[str]) -> None:
        number = len(self.records)
        if hosts and self.rng.random() < 0.5:
            host = hosts.pop()
            self.used.add(host)
            sentences = host.split(". ")
            at = self.rng.randrange(len(sentences) + 1)
            text = ". ".join([*sentences[:at], text.rstrip("."), *sentences[at:]])
        self.records.append(Record(f"leak-{number}", text, language, kind, benchmark, item))

    def clean(self, text: str, language: str, host: str | None = None) -> None:
        if (host or text) in self.used:
            return
        self.records.append(Record(f"clean-{len(self.records)}", text, language, None))


def vocabulary(texts: list[str]) -> list[str]:
    return sorted({w for t in texts for w in t.split() if w.isalpha()})[:5000] or ["x"]


def near_items(items: list[str]) -> callable:
    """A test: does an English sentence share at least half its words (and the item half of its) with an item?

    Tatoeba holds many variants of one sentence, and translations of them: a half-B pair whose English side is
    such a variant of a half-A item is a translation of a paraphrase of the item, neither a clean record nor
    a planted leak, so it is left out of both.
    """
    from collections import defaultdict

    from babelforge.words import words

    def normalized_words(text: str) -> list[str]:  # the project's tokenizer, not the detector's folding
        return words(text.casefold())

    by_word, sets = defaultdict(set), [set(normalized_words(t)) for t in items]
    for number, found in enumerate(sets):
        for word in found:
            by_word[word].add(number)

    def near(text: str) -> bool:
        words = set(normalized_words(text))
        shared = defaultdict(int)
        for word in words:
            for number in by_word.get(word, ()):
                shared[number] += 1
        return any(2 * n >= len(words) and 2 * n >= len(sets[i]) for i, n in shared.items())

    return near


def pseudo_documents(sentences: list[str], size: int = 3) -> list[str]:
    return [" ".join(sentences[i : i + size]) for i in range(0, len(sentences) - size + 1, size)]


def plant_xquad(data: Path, suite: Suite, planter: Planter, per_language: int) -> None:
    """Benchmark: ``per_language`` English paragraphs of half A (contexts and questions); leaks: their other
    sides (and English copies); clean: ``per_language // 2`` paragraphs of half B per language."""
    rows = xquad_pairs(data)
    keys = sorted({key for _, key, _ in rows["en"]})
    chosen_a = {key for key in keys if half(key) == "A"}
    chosen_a = set(sorted(chosen_a)[:: max(1, len(chosen_a) // per_language)][:per_language])
    chosen_b = {key for key in keys if half(key) == "B"}
    chosen_b = set(sorted(chosen_b)[:: max(1, len(chosen_b) // (per_language // 2 or 1))][: per_language // 2])
    items = [(rid, text) for rid, key, text in rows["en"] if key in chosen_a]
    suite.benchmarks["xquad"] = ("eng_Latn", items)
    rng = planter.rng
    for lang, code in {"en": "eng_Latn", **XQUAD}.items():
        by_id = {rid: (key, text) for rid, key, text in rows[lang]}
        hosts = [text for rid, (key, text) in by_id.items() if key in chosen_b and rid.endswith(":context")]
        sample = rng.sample(items, min(per_language, len(items)))
        if lang == "en":
            words = vocabulary([t for _, t in items])
            for n, (rid, text) in enumerate(sample):
                kind = "verbatim" if n % 2 == 0 else "edited"
                leaked = text if kind == "verbatim" else edit(text, rng, words)
                planter.leak(kind, leaked, code, "xquad", rid, hosts)
        else:
            for rid, _ in sample:
                if rid in by_id:
                    planter.leak("translated", by_id[rid][1], code, "xquad", rid, hosts)
        for key, text in by_id.values():
            if key in chosen_b:
                planter.clean(text, code)


def plant_parallel(name: str, pairs: dict[str, list[tuple[str, str]]], codes: dict[str, str], suite: Suite,
                   planter: Planter, per_language: int) -> None:  # fmt: skip
    """Benchmark: the English sides of half A; leaks: ``per_language`` other sides per language (and English
    copies); clean: half B (up to ``3 * per_language`` sentences of it as hosts, in threes)."""
    rng = planter.rng
    items, seen = [], set()
    for lang, found in pairs.items():
        for english, _ in found:
            if half(english) == "A" and english.casefold() not in seen:
                seen.add(english.casefold())
                items.append((f"{lang}-{len(items)}", english))
    suite.benchmarks[name] = ("eng_Latn", items)
    ids = {text: rid for rid, text in items}
    near = near_items([text for _, text in items])
    english_b = [e for found in pairs.values() for e, _ in found if half(e) == "B" and not near(e)]
    rng.shuffle(english_b)
    english_hosts = pseudo_documents(english_b[: 3 * per_language])
    words = vocabulary(english_b)
    for n, (rid, text) in enumerate(rng.sample(items, min(per_language, len(items)))):
        kind = "verbatim" if n % 2 == 0 else "edited"
        planter.leak(kind, text if kind == "verbatim" else edit(text, rng, words), "eng_Latn", name, rid, english_hosts)
    for sentence in english_b[3 * per_language :]:
        planter.clean(sentence, "eng_Latn")
    for lang, found in pairs.items():
        leaks = [(e, x) for e, x in found if half(e) == "A"]
        clean = [x for e, x in found if half(e) == "B" and not near(e)]
        hosts = pseudo_documents(clean[: min(len(clean) // 2, 3 * per_language)])
        for english, other in rng.sample(leaks, min(per_language, len(leaks))):
            planter.leak("translated", other, codes[lang], name, ids[english], hosts)
        for sentence in clean[min(len(clean) // 2, 3 * per_language) :]:
            planter.clean(sentence, codes[lang])


def plant_news(data: Path, suite: Suite, planter: Planter, per_language: int) -> None:
    """Benchmark: headlines and texts of ``per_language // 4`` articles of half A per language; leaks: as many
    verbatim and edited copies; clean: ``per_language // 2`` articles of half B, some of them hosts."""
    rng = planter.rng
    for lang, code in NEWS.items():
        articles = read_news(data, lang)
        a = [r for r in articles if half(r[0]) == "A"][: per_language // 4]
        b = [r for r in articles if half(r[0]) == "B"][: per_language // 2]
        items = [(f"{rid}:headline", h) for rid, h, _ in a] + [(f"{rid}:text", t) for rid, _, t in a]
        name = f"masakhanews-{lang}"
        suite.benchmarks[name] = (code, items)
        hosts = [t for _, _, t in b]
        words = vocabulary([t for _, _, t in b])
        for n, (rid, text) in enumerate(items):
            kind = "verbatim" if n % 2 == 0 else "edited"
            planter.leak(kind, text if kind == "verbatim" else edit(text, rng, words), code, name, rid, hosts)
        for _, headline, text in b:
            planter.clean(f"{headline}\n{text}", code, host=text)


def build_suite(data: Path, per_language: int, seed: int = 13) -> Suite:
    """Benchmarks and records (leaks and clean) from the four data sets; see the module docstring."""
    suite, planter = Suite({}, []), Planter(random.Random(seed))
    plant_xquad(data, suite, planter, per_language)
    tatoeba = {}
    for lang in TATOEBA:
        english = (data / "tatoeba" / f"tatoeba.{lang}-eng.eng").read_text(encoding="utf-8").splitlines()
        other = (data / "tatoeba" / f"tatoeba.{lang}-eng.{lang}").read_text(encoding="utf-8").splitlines()
        tatoeba[lang] = list(zip(english, other, strict=True))
    plant_parallel("tatoeba", tatoeba, TATOEBA, suite, planter, per_language)
    europarl = data / "europarl-ner"
    pairs = list(zip(conll_sentences(europarl / "en-europarl.test.conll02"),
                     conll_sentences(europarl / "de-europarl.test.conll02"), strict=True))  # fmt: skip
    plant_parallel("europarl", {"deu": pairs}, {"deu": "deu_Latn"}, suite, planter, per_language)
    plant_news(data, suite, planter, per_language)
    suite.records = planter.records
    return suite
