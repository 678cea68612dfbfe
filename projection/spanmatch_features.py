"""What ``spanmatch`` knows about a candidate (:mod:`.spanmatch_candidates`): a feature row each.

Each (source span, candidate) pair gets the features of :data:`CHEAP` (no span embedding needed: they
choose the shortlist) and, for the shortlist, ``similarity`` (the two spans' embeddings). The
weights that turn them into a probability are fitted (:mod:`.spanmatch_model`), not set by hand.

Lexical units are the target's words, except in text written without spaces between words where
tokens are single characters (Han, kana): there ICU's dictionary words are the units that are
embedded, and whether a candidate starts and ends on a unit's edge is a feature.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from babelforge.projection.spanmatch_candidates import CHARACTER_SCRIPTS, Candidates, Target
from babelforge.projection.spanmatch_strings import (
    WordFrequencies,
    has_case,
    numbers,
    skeleton,
    skeleton_dice,
    trigram_dice,
)
from babelforge.spans import Span
from babelforge.words import is_alphabetic, is_word, word_spans

#: Features computed for every candidate (the shortlist is chosen on these).
CHEAP = (
    "recall", "precision", "soft_f1", "best_word", "align_recall", "align_precision", "context", "outside_edge",
    "inside_neighbour", "trigram",
    "skeleton", "length", "length_signed", "words_log", "words_abs", "function_first", "function_last",
    "foreign_edges", "capital_agree", "capital_clash", "capital_share", "position", "number_match",
    "number_extra", "punctuation", "unit_start", "unit_end", "apostrophe_cut", "cohesion_start", "cohesion_end",
    "cooc_recall", "cooc_precision", "cooc_neighbour", "span_names", "span_words", "span_numeric",
)  # fmt: skip
#: What kind of span the source span is (the same for all its candidates, so they rank nothing): the
#: calibration reads them, since names are placed more surely than phrases and QA answers. (Ranker terms
#: that multiply other features by them were tried and did not help: ``benchmarks/README.md``.)
SPAN_KIND = ("span_names", "span_words", "span_numeric")
#: Features of a shortlisted candidate: the cheap ones and the span embeddings' similarity.
FULL = (*CHEAP, "similarity")
#: Source words either side of a span whose translations are looked for beside a candidate.
CONTEXT_WORDS = 3


def spread_of(source_text: str, target: Target) -> float:
    """Target tokens per source token, at least 1 (a token per character where no spaces are written)."""
    return max(1.0, len(target.spans) / max(len(word_spans(source_text)), 1))


def source_words(text: str, span: Span) -> tuple[list[str], list[str]]:
    """The span's words, and up to :data:`CONTEXT_WORDS` words either side of it."""
    inside = [w for w in _tokens(text[span.start : span.end]) if is_word(w)]
    left = [text[a:b] for a, b in word_spans(text[: span.start]) if is_word(text[a:b])][-CONTEXT_WORDS:]
    right = [text[span.end + a : span.end + b] for a, b in word_spans(text[span.end :])]
    right = [w for w in right if is_word(w)][:CONTEXT_WORDS]
    return inside, left + right


@dataclass
class Pair:
    """One source span against one target: the word similarities (rescaled to [0, 1]) per token."""

    source_text: str
    span: Span
    target: Target
    spread: float
    entity: np.ndarray  # (entity words, tokens)
    context: np.ndarray  # (context words, tokens)
    cooc: np.ndarray | None = None  # (entity words, tokens): co-occurrence over the pairs seen, in [0, 1]
    expected_words: float = 0.0  # target word tokens the span should take (:class:`SpanLengths`; 0: by spread)


def cheap_features(pair: Pair, cands: Candidates, frequencies: WordFrequencies) -> np.ndarray:
    """The :data:`CHEAP` features of every candidate for one source span: ``(len(cands), len(CHEAP))``."""
    columns = {
        **_lexical(pair, cands),
        **_strings(pair, cands),
        **_shape(pair, cands, frequencies),
        **_kind(pair.source_text[pair.span.start : pair.span.end], len(cands)),
    }
    return np.stack([np.asarray(columns[name], dtype=np.float64) for name in CHEAP], axis=1)


def _lexical(pair: Pair, cands: Candidates) -> dict:
    """Soft recall and precision of the span's words against each candidate's, and its context's."""
    recall, precision, column_best = _soft_match(pair.entity, pair.target.wordy, cands)
    best = _running_max_mean(column_best[None, :], cands)
    f1 = np.where(recall + precision > 0, 2 * recall * precision / np.maximum(recall + precision, 1e-9), 0.0)
    return {
        "recall": recall,
        "precision": precision,
        "soft_f1": f1,
        "best_word": best,
        "context": _context(pair, cands),
        **_edges(pair, cands, column_best),
        **_alignment(pair, cands),
        **_cooccurrence(pair, cands),
    }


def _cooccurrence(pair: Pair, cands: Candidates) -> dict:
    """Soft recall and precision of the span's words against each candidate's by co-occurrence over the
    corpus seen (:mod:`.spanmatch_cooccur`), and how strongly a token just outside the candidate goes
    with the span (too short: ``Ausschuß`` left out of ``Ausschuß für Landwirtschaft``)."""
    rows = pair.cooc if pair.cooc is not None else np.zeros((0, len(pair.target.wordy)))
    recall, precision, column_best = _soft_match(rows, pair.target.wordy, cands)
    padded = np.concatenate([[0.0], column_best, [0.0]])
    return {
        "cooc_recall": recall,
        "cooc_precision": precision,
        "cooc_neighbour": np.maximum(padded[cands.first], padded[cands.last + 2]),
    }


def _soft_match(rows: np.ndarray, wordy: np.ndarray, cands: Candidates) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Soft recall and precision of ``rows`` (span words x target tokens, in [0, 1]) per candidate.

    Returns:
        Per candidate, the mean over rows of each row's best token inside it (recall) and the mean over
        its word tokens of each one's best row (precision); and per token, its best row (0 off words).
    """
    if not len(rows):
        return np.zeros(len(cands)), np.zeros(len(cands)), np.zeros(len(wordy))
    column_best = np.where(wordy, rows.max(axis=0), 0.0)
    summed = np.concatenate([[0.0], np.cumsum(column_best)])
    counted = np.concatenate([[0], np.cumsum(wordy)])
    precision = (summed[cands.last + 1] - summed[cands.first]) / np.maximum(
        counted[cands.last + 1] - counted[cands.first], 1
    )
    return _running_max_mean(rows, cands), precision, column_best


def _alignment(pair: Pair, cands: Candidates) -> dict:
    """Argmax alignment, as SimAlign's: the share of the span's words whose most similar target token
    lies in the candidate, and of the candidate's words most similar to a word of the span rather than
    to a word around it (similarities low in absolute terms still point the right way)."""
    rows, wordy = pair.entity, pair.target.wordy
    zero = np.zeros(len(cands))
    if not len(rows) or not wordy.any():
        return {"align_recall": zero, "align_precision": zero}
    hits = np.bincount(np.argmax(np.where(wordy, rows, -1.0), axis=1), minlength=len(wordy))
    inside = np.concatenate([[0], np.cumsum(hits)])
    recall = (inside[cands.last + 1] - inside[cands.first]) / len(rows)
    around = pair.context.max(axis=0) if len(pair.context) else np.zeros(len(wordy))
    mine = (rows.max(axis=0) > np.maximum(around, 0.0)) & wordy
    counted, words = np.concatenate([[0], np.cumsum(mine)]), np.concatenate([[0], np.cumsum(wordy)])
    precision = (counted[cands.last + 1] - counted[cands.first]) / np.maximum(
        words[cands.last + 1] - words[cands.first], 1
    )
    return {"align_recall": recall, "align_precision": precision}


def _edges(pair: Pair, cands: Candidates, inside: np.ndarray) -> dict:
    """Whether a candidate's edge words translate the words around the span rather than the span (too
    long: ``Denver , Colorado`` for ``Colorado``), or its neighbours translate the span (too short:
    ``Republican`` for ``Republican Party``)."""
    n = len(inside)
    if not len(pair.context) or not n:
        return {"outside_edge": np.zeros(len(cands)), "inside_neighbour": np.zeros(len(cands))}
    lean = pair.context.max(axis=0) - inside  # > 0: the token is more like the context than the span
    lean = np.where(pair.target.wordy, lean, 0.0)
    padded = np.concatenate([[0.0], -lean, [0.0]])  # the neighbours of the first and last token
    return {
        "outside_edge": np.maximum(np.maximum(lean[cands.first], lean[cands.last]), 0.0),
        "inside_neighbour": np.maximum(np.maximum(padded[cands.first], padded[cands.last + 2]), 0.0),
    }


def _running_max_mean(rows: np.ndarray, cands: Candidates) -> np.ndarray:
    """Per candidate, the mean over rows of each row's best token inside the candidate."""
    out, running, lengths = np.zeros(len(cands)), rows.copy(), cands.last - cands.first
    n = rows.shape[1]
    for d in range(int(lengths.max(initial=-1)) + 1):
        if d:
            running[:, : n - d] = np.maximum(running[:, : n - d], rows[:, d:])
        chosen = lengths == d
        out[chosen] = running[:, cands.first[chosen]].mean(axis=0)
    return out


def _context(pair: Pair, cands: Candidates) -> np.ndarray:
    """Mean over the source's context words of their best match among the tokens either side of a candidate."""
    rows = pair.context
    if not len(rows) or not len(cands):
        return np.zeros(len(cands))
    width, n = max(CONTEXT_WORDS, round(CONTEXT_WORDS * pair.spread)) + 1, rows.shape[1]
    padded = np.pad(rows, ((0, 0), (width, width)))
    before = np.zeros_like(rows)  # best of the `width` tokens before each token
    after = np.zeros_like(rows)  # and after it
    for k in range(1, width + 1):
        before = np.maximum(before, padded[:, width - k : width - k + n])
        after = np.maximum(after, padded[:, width + k : width + k + n])
    return np.maximum(before[:, cands.first], after[:, cands.last]).mean(axis=0)


def _strings(pair: Pair, cands: Candidates) -> dict:
    """Character trigrams, consonant skeletons and numbers of the span against each candidate."""
    text, entity = pair.target.text, pair.source_text[pair.span.start : pair.span.end]
    texts = [text[a:b] for a, b in zip(cands.start.tolist(), cands.end.tolist(), strict=True)]
    shape = skeleton(entity)
    wanted = numbers(entity)
    found = [numbers(t) if wanted or any(c.isdigit() for c in t) else frozenset() for t in texts]
    return {
        "trigram": [trigram_dice(entity, t) for t in texts],
        "skeleton": [skeleton_dice(shape, skeleton(t)) for t in texts] if shape else np.zeros(len(texts)),
        "number_match": [len(wanted & f) / len(wanted) if wanted else 0.0 for f in found],
        "number_extra": [float(bool(f - wanted)) for f in found],
    }


def _shape(pair: Pair, cands: Candidates, frequencies: WordFrequencies) -> dict:
    """Length, edges, capitalisation, position and unit edges of each candidate against the span."""
    target, span, source = pair.target, pair.span, pair.source_text
    entity = source[span.start : span.end]
    ratio = max(len(target.text), 1) / max(len(source), 1)
    length = np.log(np.maximum(cands.end - cands.start, 1) / max(len(entity), 1) / ratio)
    counted = np.concatenate([[0], np.cumsum(target.wordy)])
    word_count = counted[cands.last + 1] - counted[cands.first]
    entity_words = sum(is_word(w) for w in _tokens(entity))
    expected = pair.expected_words or entity_words * pair.spread
    words_log = np.clip(np.log(word_count / max(expected, 1.0)), -3, 3)
    punctuation = (cands.last - cands.first + 1) - word_count
    entity_punctuation = len(_tokens(entity)) - entity_words
    tokens = [target.text[a:b] for a, b in target.spans]
    offsets = np.array(target.spans, dtype=int).reshape(-1, 2)
    function = np.array([frequencies.is_function_word(t) for t in tokens], dtype=float)
    edges = target.edges
    return {
        "length": np.abs(length),
        "length_signed": np.clip(length, -3, 3),
        "words_log": words_log,
        "words_abs": np.abs(words_log),
        "function_first": function[cands.first],
        "function_last": function[cands.last] * (word_count > 1),
        "foreign_edges": _foreign_edges(entity, tokens, cands, word_count),
        **_capitals(entity, target, tokens, cands, word_count),
        "position": np.abs(span.start / max(len(source), 1) - cands.start / max(len(target.text), 1)),
        "punctuation": np.maximum(punctuation - entity_punctuation, 0),
        "apostrophe_cut": (cands.start != offsets[cands.first, 0]).astype(float)
        + (cands.end != offsets[cands.last, 1]).astype(float),
        "unit_start": np.ones(len(cands)) if edges is None else np.isin(cands.start, list(edges)),
        "unit_end": np.ones(len(cands)) if edges is None else np.isin(cands.end, list(edges)),
        **_cohesion(target, tokens, offsets, cands, frequencies),
    }


def _cohesion(target: Target, tokens: list[str], offsets: np.ndarray, cands: Candidates,
              frequencies: WordFrequencies) -> dict:  # fmt: skip
    """How surely the tokens either side of each candidate's edges belong together (a cut word or name).

    Learnt from the target texts seen, no dictionary (:meth:`WordFrequencies.cohesion`), and, where
    text is written without spaces, from the characters ICU's dictionary does not know: ICU gives each
    of them a word of its own, and runs of them are mostly names spelt out in sound (Chinese ``培顿·曼宁``
    for Peyton Manning, seen once: an edge between ``培`` and ``顿`` cuts the name). Only characters in few
    of the texts seen count, once enough are seen: a particle or a conjunction (``和``, ``は``) ends such a
    run. Both are one feature, so that what other languages teach about cut words holds here too.
    """
    bond = np.array([frequencies.cohesion(a, b) for a, b in itertools.pairwise(tokens)] + [0.0])
    bond = np.maximum(bond, _unknown_runs(target, tokens, offsets, frequencies))
    before = np.where(cands.first > 0, bond[np.maximum(cands.first - 1, 0)], 0.0)
    return {
        "cohesion_start": np.where(cands.start == offsets[cands.first, 0], before, 0.0),
        "cohesion_end": np.where(cands.end == offsets[cands.last, 1], bond[cands.last], 0.0),
    }


def _unknown_runs(target: Target, tokens: list[str], offsets: np.ndarray, frequencies: WordFrequencies) -> np.ndarray:
    """Per token, 1 where it and the next are rare characters ICU knows no word for, written together."""
    joined = np.zeros(len(tokens))
    if target.edges is None or len(tokens) < 2 or frequencies.sentences < frequencies.enough:
        return joined
    edges = target.edges
    alone = [len(t) == 1 and a in edges and b in edges for t, (a, b) in zip(tokens, target.spans, strict=True)]
    lone = np.array([x and bool(CHARACTER_SCRIPTS.match(t)) for x, t in zip(alone, tokens, strict=True)])
    lone &= np.array([frequencies.is_rare(t) for t in tokens])
    joined[:-1] = lone[:-1] & lone[1:] & (offsets[:-1, 1] == offsets[1:, 0])
    return joined


def _kind(entity: str, n: int) -> dict:
    """The share of the span's words written as names (capitalised), its length in words, digits in it."""
    found = [w for w in _tokens(entity) if is_word(w)]
    cased = [w for w in found if has_case(w)]
    names = sum(w[:1].isupper() for w in cased) / len(cased) if cased else 0.0
    numeric = float(any(c.isdigit() for c in entity))
    return {"span_names": np.full(n, names), "span_words": np.full(n, np.log1p(len(found))),
            "span_numeric": np.full(n, numeric)}  # fmt: skip


def _tokens(text: str) -> list[str]:
    return [text[a:b] for a, b in word_spans(text)]


def _foreign_edges(entity: str, tokens: list[str], cands: Candidates, word_count) -> np.ndarray:
    """Lower-case edge words of a multi-word candidate that resemble no word of a capitalised span."""
    entity_words = [w for w in _tokens(entity) if is_word(w)]
    if not entity[:1].isupper() or not entity_words:
        return np.zeros(len(cands))
    needed = set(cands.first.tolist()) | set(cands.last.tolist())
    foreign = np.zeros(len(tokens))
    for t in needed:
        w = tokens[t]
        if w.islower() and is_alphabetic(w) and max(trigram_dice(w, e) for e in entity_words) < 0.3:
            foreign[t] = 1.0
    return (foreign[cands.first] + foreign[cands.last]) * (word_count > 1)


def _capitals(entity: str, target: Target, tokens: list[str], cands: Candidates, word_count) -> dict:
    """Capitalisation agreement, where both scripts have case and the span is capitalised."""
    zero = np.zeros(len(cands))
    if not has_case(entity) or not has_case(target.text):
        return {"capital_agree": zero, "capital_clash": zero, "capital_share": zero}
    upper = np.array([t[:1].isupper() for t in tokens], dtype=float)
    lower = np.array([t[:1].islower() for t in tokens], dtype=float)
    entity_words = [w for w in _tokens(entity) if is_word(w)]
    entity_share = sum(w[:1].isupper() for w in entity_words) / max(len(entity_words), 1)
    summed = np.concatenate([[0.0], np.cumsum(upper * target.wordy)])
    share = (summed[cands.last + 1] - summed[cands.first]) / np.maximum(word_count, 1)
    capitalised = float(entity[:1].isupper())
    return {
        "capital_agree": capitalised * upper[cands.first],
        "capital_clash": capitalised * lower[cands.first],
        "capital_share": np.abs(share - entity_share),
    }


def longest_words(text: str, spans: list[Span]) -> int:
    """Tokens in the longest span (the candidates' length follows it)."""
    return max((len(word_spans(text[s.start : s.end])) for s in spans), default=0)
