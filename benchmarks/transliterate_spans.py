"""Transliteration with spans: how many spans still cover exactly their words, and what keeping them costs.

Data (paths as arguments, none read by default):

- ``--uner``: UniversalNER PUD Russian (``ru_pud-ud-test.iob2``): the gold PER/LOC/ORG spans;
- ``--xquad``: XQuAD Russian (``xquad.ru.json``): answer spans on the paragraphs (they start and end
  inside words where an answer is inflected);
- ``--masakhanews``: MasakhaNEWS Amharic (``amh.dev.tsv``): Ethiopic news text, with every word of
  each article made a span (a span per word, the hardest case for the offset map).

For each scheme the ``transliterate`` step runs over the records and a span counts as *exact* when
the new text under it is the transliteration of exactly the text it covered (each side
transliterated by the step alone), as *widened* when the step moved an end out to a word edge
(counted by the step), and as *lost* otherwise (the target: none). Speed: the step's words per second
against the same backend over each whole text in one call (which keeps no offsets): the ratio is the
price of word-by-word transliteration with offsets. Agreement: the share of texts where the step's
output equals the whole-text call's. Where they differ, the step kept what is not a word of the
source script as it was: uroman on a whole text also drops a byte-order mark and no-break spaces
and strips accents from Latin words (``Ogród`` -> ``Ogrod``); the step leaves those alone.

    python benchmarks/transliterate_spans.py --uner ../shared/data/uner-pud/ru_pud-ud-test.iob2 \\
        --xquad ../shared/data/xquad/xquad.ru.json --masakhanews ../shared/data/masakhanews/amh.dev.tsv
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
from pathlib import Path

from datatrove.data import Document

from babelforge.augment.transliterate import TransliterateStep
from babelforge.spans import Span, join_tokens, tags_to_spans
from babelforge.words import is_word, word_spans


def uner(path: str, limit: int) -> list[tuple[str, list[Span]]]:
    records = []
    for block in Path(path).read_text(encoding="utf-8").strip().split("\n\n")[:limit]:
        rows = [line.split("\t") for line in block.splitlines() if not line.startswith("#")]
        text, offsets = join_tokens([r[1] for r in rows])
        records.append((text, tags_to_spans([r[2] for r in rows], offsets)))
    return records


def xquad(path: str, limit: int) -> list[tuple[str, list[Span]]]:
    records = []
    for article in json.loads(Path(path).read_text(encoding="utf-8-sig"))["data"]:
        for paragraph in article["paragraphs"]:
            text = paragraph["context"]
            spans = {
                Span(a["answer_start"], a["answer_start"] + len(a["text"]), "answer")
                for qa in paragraph["qas"]
                for a in qa["answers"]
            }
            records.append((text, sorted(spans)))
    return records[:limit]


def masakhanews(path: str, limit: int) -> list[tuple[str, list[Span]]]:
    csv.field_size_limit(sys.maxsize)
    rows = list(csv.DictReader(io.StringIO(Path(path).read_text(encoding="utf-8")), delimiter="\t"))[:limit]
    return [(r["text"], [Span(a, b, "W") for a, b in word_spans(r["text"]) if is_word(r["text"][a:b])]) for r in rows]


def measure(scheme: str, language: str, records: list[tuple[str, list[Span]]]) -> dict:
    step = TransliterateStep("Latn", scheme=scheme)
    step.transliterate("тест ሰላም", language)  # load the backend outside the clock
    started = time.perf_counter()
    outputs = [step.process(Document(text, str(i), metadata={"language": language, "spans": list(spans)}))
               for i, (text, spans) in enumerate(records)]  # fmt: skip
    seconds = time.perf_counter() - started
    exact = lost = 0
    for (text, spans), doc in zip(records, outputs, strict=True):
        moved = doc.metadata["spans"]
        exact += sum(
            doc.text[new[0] : new[1]] == step.transliterate(text[old.start : old.end], language)
            for old, new in zip(spans, moved, strict=True)
        )
        lost += len(spans) - len(moved)
    stats = step.stats.stats
    widened = stats["spans_widened"].total if "spans_widened" in stats else 0
    whole, whole_seconds = whole_texts(step, language, [text for text, _ in records])
    agree = sum(doc.text == w for doc, w in zip(outputs, whole, strict=True))
    return {
        "records": len(records), "spans": sum(len(s) for _, s in records), "exact": exact, "widened": int(widened),
        "lost": lost, "words": int(stats["words_transliterated"].total), "seconds": seconds,
        "whole_seconds": whole_seconds, "agree": agree,
    }  # fmt: skip


def whole_texts(step: TransliterateStep, language: str, texts: list[str]) -> tuple[list[str], float]:
    """Each text through the step's backend in one call (no offsets), and the time it took."""
    convert = step.plan(language).backend.convert  # uncached: as a caller would use the library
    started = time.perf_counter()
    out = [convert(text) for text in texts]
    return out, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--uner", help="UNER PUD Russian .iob2")
    parser.add_argument("--xquad", help="XQuAD Russian .json")
    parser.add_argument("--masakhanews", help="MasakhaNEWS Amharic dev.tsv")
    parser.add_argument("--schemes", default="uroman,icu")
    parser.add_argument("--limit", type=int, default=1000, help="records per data set")
    args = parser.parse_args()
    sets = [
        (name, language, reader(path, args.limit))
        for name, language, reader, path in (
            ("UNER PUD ru", "rus_Cyrl", uner, args.uner),
            ("XQuAD ru", "rus_Cyrl", xquad, args.xquad),
            ("MasakhaNEWS amh (every word a span)", "amh_Ethi", masakhanews, args.masakhanews),
        )
        if path
    ]
    if not sets:
        parser.error("give at least one of --uner, --xquad, --masakhanews")
    for name, language, records in sets:
        for scheme in args.schemes.split(","):
            r = measure(scheme, language, records)
            rate, whole_rate = r["words"] / r["seconds"], r["words"] / r["whole_seconds"]
            print(
                f"{name}, {scheme}: {r['records']} records, {r['spans']} spans: exact {r['exact']} "
                f"({r['exact'] / max(r['spans'], 1):.2%}), widened {r['widened']}, lost {r['lost']}; "
                f"{r['words']} words in {r['seconds']:.2f} s ({rate:,.0f} words/s) vs whole texts "
                f"{r['whole_seconds']:.2f} s ({whole_rate:,.0f} words/s): step/whole speed ratio "
                f"{rate / whole_rate:.2f}; same text as whole-text call {r['agree']}/{r['records']}"
            )


if __name__ == "__main__":
    main()
