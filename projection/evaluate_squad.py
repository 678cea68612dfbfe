"""Evaluate answer projection on two SQuAD files with the same question ids (e.g. XQuAD's languages).

Each source question's first answer is projected from the source paragraph onto the target paragraph
(no MT: the target file's paragraph is the translation) and compared with the target file's own
answers, as SQuAD scores a prediction: ``exact_match`` and token ``f1``, the best over the gold
answers, after SQuAD's answer normalisation (case folded, punctuation and the English articles
removed, whitespace collapsed). Tokens come from :mod:`babelforge.words`, so that text written without
spaces (Chinese, Thai) is compared per character or word, as MLQA does, instead of as one token.
``placed`` is the share of answers the method placed at all; ``thresholds`` the precision (exact
match among the answers kept) and yield at each score a ``project`` step's ``min_score`` could take.
"""

from __future__ import annotations

import time
import unicodedata
from collections import Counter
from pathlib import Path

from babelforge.errors import BabelforgeError
from babelforge.projection.confidence import confidence_table
from babelforge.projection.evaluate import batch_size
from babelforge.projection.projector import ProjectionInput, Projector
from babelforge.words import words

_ARTICLES = frozenset({"a", "an", "the"})


def read_squad(path: str | Path) -> dict[str, tuple[str, list]]:
    """``{question id: (paragraph, answer spans)}`` in file order (questions without an id left out)."""
    from pydantic import TypeAdapter

    from babelforge.sources import Source

    if not Path(path).is_file():
        raise BabelforgeError(f"no file at {path}")
    source = TypeAdapter(Source).validate_python({"kind": "squad", "path": str(path)})
    found = {}
    for doc in source.reader(0).run(None, 0, 1):
        if not doc.id.startswith(f"{doc.metadata['source']}/"):  # the question's own id (else SOURCE/FILE:N)
            found[doc.id] = (doc.text, doc.metadata["spans"])
    if not found:
        raise BabelforgeError(f"{path}: no question with an id: is this a SQuAD file?")
    return found


def normalise_answer(text: str) -> list[str]:
    """SQuAD's normalisation, for any script: the answer's tokens, folded, without punctuation or articles."""
    folded = "".join(" " if unicodedata.category(c).startswith("P") else c for c in text.casefold())
    return [w for w in words(unicodedata.normalize("NFKC", folded)) if w not in _ARTICLES]


def exact_match(prediction: str, gold: str) -> float:
    return float(normalise_answer(prediction) == normalise_answer(gold))


def token_f1(prediction: str, gold: str) -> float:
    predicted, expected = normalise_answer(prediction), normalise_answer(gold)
    common = sum((Counter(predicted) & Counter(expected)).values())
    if not predicted or not expected:
        return float(predicted == expected)
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(expected)
    return 2 * precision * recall / (precision + recall)


def evaluate_squad_projection(
    source_file: str, target_file: str, projector: Projector, limit: int | None = None
) -> dict:
    """Project each source answer onto the target paragraph and score it against the target's answers.

    Args:
        source_file: SQuAD JSON of the source language.
        target_file: SQuAD JSON of the target language, with the same question ids.
        projector: a method that does not translate (it is given the target paragraph).
        limit: score the first ``limit`` questions of the source file only.

    Returns:
        ``{"method", "questions", "exact_match", "f1", "placed", "questions_per_second", "thresholds"}``.
    """
    if projector.translates:
        raise BabelforgeError(f"method {projector.name!r} writes its own translation: it cannot be scored on XQuAD")
    source, target = read_squad(source_file), read_squad(target_file)
    shared = [qid for qid, (_, spans) in source.items() if qid in target and spans and target[qid][1]]
    if not shared:
        raise BabelforgeError(f"{source_file} and {target_file} share no answered question id")
    shared = shared[:limit] if limit else shared
    inputs = [ProjectionInput(source[q][0], source[q][1][:1], target[q][0]) for q in shared]
    started = time.perf_counter()
    projector.observe(inputs)
    size = batch_size(projector)
    results = [r for i in range(0, len(inputs), size) for r in projector.project(inputs[i : i + size])]
    seconds = time.perf_counter() - started
    em = f1 = placed = 0.0
    kept = []
    for qid, result in zip(shared, results, strict=True):
        paragraph, gold = target[qid]
        span = result.spans[0] if result.spans else None
        predicted = paragraph[span.start : span.end] if span is not None else ""
        placed += span is not None
        answers = [paragraph[g.start : g.end] for g in gold]
        right = max(exact_match(predicted, a) for a in answers)
        em += right
        f1 += max(token_f1(predicted, a) for a in answers)
        score = float(result.scores[0]) if span is not None and result.scores else 0.0
        kept.append((1, [(score, bool(right))] if span is not None else []))
    n = len(shared)
    return {
        "method": projector.name,
        "questions": n,
        "exact_match": round(em / n, 4),
        "f1": round(f1 / n, 4),
        "placed": round(placed / n, 4),
        "questions_per_second": round(n / max(seconds, 1e-9), 2),
        "thresholds": confidence_table(kept),
    }
