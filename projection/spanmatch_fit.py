"""Fitting ``spanmatch``'s scorer on labelled parallel data, and scoring it without leaks.

Training examples come from parallel gold: each source span's positive is the target gold span of the
same label it pairs with (per sentence and label, by string likeness and position; for QA the target
answer); every other candidate is a negative. Source spans with no partner on the target side teach
the rankers nothing, but count in the calibration (projecting them is an error the confidence should
foresee). The rankers are conditional logits fitted by Newton's method (numpy only); the calibration
is a logistic regression on predictions for held-out folds (cross-fitted), so it sees the ranker's
errors as they will be.

:func:`simulate_sentence` replays a projection from the stored features (shortlist, ranking, assignment,
confidence) exactly as :class:`~.spanmatch.SpanMatchProjector` does, so that leave-one-language-out
figures need no embedding per fit.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from babelforge.projection.spanmatch_features import CHEAP, FULL
from babelforge.projection.spanmatch_model import (
    CALIBRATION,
    Linear,
    SpanMatchModel,
    assign,
    calibration_row,
    expand,
)
from babelforge.projection.spanmatch_strings import skeleton, skeleton_dice, trigram_dice
from babelforge.projection.spanmatch_trees import Trees, boost


@dataclass
class Example:
    """One source span: its candidate pool (offsets, cheap features, similarity or NaN) and the positive."""

    label: str
    spans: np.ndarray
    cheap: np.ndarray
    similarity: np.ndarray
    positive: int  # index into the pool, -1 where the gold partner is not a candidate or there is none
    paired: bool  # whether a target gold span was paired with it


@dataclass
class Sentence:
    """A sentence (or QA paragraph) pair: its source spans as examples and the target's gold."""

    corpus: str
    language: str
    fold: int
    examples: list[Example]
    gold: set  # target (start, end, label)
    source_labels: Counter = field(default_factory=Counter)
    target_text: str = ""


def pair_gold(source_text: str, source_spans, target_text: str, target_spans) -> list[tuple[int, int] | None]:
    """Per source span, the target gold span of the same label it translates (or ``None``).

    Within a sentence and label, pairs are taken greedily by string likeness (trigrams and consonant
    skeletons) plus agreement of relative position; each target span pairs once.
    """
    scored = []
    for a, s in enumerate(source_spans):
        entity = source_text[s.start : s.end]
        for b, t in enumerate(target_spans):
            if t.label != s.label:
                continue
            text = target_text[t.start : t.end]
            likeness = trigram_dice(entity, text) + skeleton_dice(skeleton(entity), skeleton(text))
            place = abs(s.start / max(len(source_text), 1) - t.start / max(len(target_text), 1))
            scored.append((likeness + 1 - place, a, b))
    out: list[tuple[int, int] | None] = [None] * len(source_spans)
    used: set[int] = set()
    for _, a, b in sorted(scored, reverse=True):
        if out[a] is None and b not in used:
            out[a], used = (target_spans[b].start, target_spans[b].end), used | {b}
    return out


def fit_ranker(groups: list[tuple[np.ndarray, int]], inputs: tuple[str, ...], l2: float = 1.0,
               terms: tuple[str, ...] | None = None) -> Linear:  # fmt: skip
    """A conditional logit (softmax over each group's rows) fitted by Newton's method with an L2 penalty.

    Args:
        groups: ``(rows of inputs, index of the positive row)`` per group; groups without a positive
            and a negative are skipped.
        terms: the model's terms (default: the inputs; ``a*b`` for a product).
    """
    groups = [(x, y) for x, y in groups if 0 <= y < len(x) and len(x) > 1]
    if not groups:
        raise ValueError("no group with a positive and a negative to fit on")
    terms = tuple(terms or inputs)
    rows = expand(np.concatenate([x for x, _ in groups]).astype(np.float64), inputs, terms)
    mean, scale = rows.mean(axis=0), rows.std(axis=0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    x = (rows - mean) / scale
    offsets = np.cumsum([0] + [len(g) for g, _ in groups])[:-1]
    group_of = np.repeat(np.arange(len(groups)), [len(g) for g, _ in groups])
    positive = x[offsets + np.array([y for _, y in groups])].sum(axis=0)

    def evaluate(w):
        logits = x @ w
        top = np.maximum.reduceat(logits, offsets)
        e = np.exp(logits - top[group_of])
        sums = np.add.reduceat(e, offsets)
        loss = -(positive @ w) + float((np.log(sums) + top).sum()) + l2 / 2 * float(w @ w)
        return loss, e / sums[group_of]

    w = np.zeros(x.shape[1])
    loss, p = evaluate(w)
    for _ in range(50):
        weighted = x * p[:, None]
        m = np.add.reduceat(weighted, offsets)
        gradient = positive - weighted.sum(axis=0) - l2 * w
        hessian = weighted.T @ x - m.T @ m + l2 * np.eye(len(w))
        step = np.linalg.solve(hessian, gradient)
        t = 1.0
        while t > 1e-4:
            new_loss, new_p = evaluate(w + t * step)
            if new_loss <= loss:
                break
            t /= 2
        w, done = w + t * step, loss - new_loss < 1e-7 * max(1.0, abs(loss))
        loss, p = new_loss, new_p
        if done:
            break
    return Linear(tuple(inputs), terms, mean, scale, w)


def fit_logistic(z: np.ndarray, y: np.ndarray, features: tuple[str, ...], l2: float = 1.0) -> Linear:
    """A logistic regression with an intercept (Newton's method, L2 penalty on the weights only)."""
    mean, scale = z.mean(axis=0), z.std(axis=0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    x = np.hstack([(z - mean) / scale, np.ones((len(z), 1))])
    w, penalty = np.zeros(x.shape[1]), np.diag([l2] * (x.shape[1] - 1) + [0.0])
    for _ in range(50):
        p = 1 / (1 + np.exp(-np.clip(x @ w, -30, 30)))
        gradient = x.T @ (y - p) - penalty @ w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + penalty + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hessian, gradient)
        w = w + step
        if np.abs(step).max() < 1e-8:
            break
    return Linear(features, features, mean, scale, w[:-1], float(w[-1]))


def fit(sentences: list[Sentence], shortlist: int = 8, coverage: float = 0.95, l2: float = 1.0,
        about: dict | None = None, extra_words: int = 2, trees: int = 0) -> SpanMatchModel:  # fmt: skip
    """Fit the rankers on every example, and the calibration on cross-fitted predictions.

    The calibration's predictions come from rankers fitted without the sentence's fold (folds group
    sentences that share a source: the same sentence in two target languages is never split).
    """
    cheap, full, boosted = _rankers(sentences, l2, trees)
    folds = sorted({s.fold for s in sentences})
    rows, labels = [], []
    for k in folds if len(folds) > 1 else ():
        c, f, b = _rankers([s for s in sentences if s.fold != k], l2, trees)
        uncalibrated = SpanMatchModel(c, f, _identity(), shortlist, extra_words, coverage=coverage, trees=b)
        for sentence in (s for s in sentences if s.fold == k):
            for _, _, row, right in simulate_sentence(uncalibrated, sentence):
                rows.append(row)
                labels.append(right)
    z, y = np.array(rows).reshape(-1, len(CALIBRATION)), np.array(labels, dtype=float)
    calibration = fit_logistic(z, y, CALIBRATION, l2) if len(set(labels)) == 2 else _identity()
    return SpanMatchModel(cheap, full, calibration, shortlist, extra_words, about, coverage, boosted)


def _rankers(sentences: list[Sentence], l2: float, trees: int = 0) -> tuple[Linear, Linear, Trees | None]:
    examples = [e for s in sentences for e in s.examples if e.positive >= 0]
    cheap = fit_ranker([(e.cheap, e.positive) for e in examples], CHEAP, l2)
    groups = []
    for e in examples:
        embedded = np.flatnonzero(~np.isnan(e.similarity))
        if e.positive in embedded:
            rows = np.hstack([e.cheap[embedded], e.similarity[embedded, None]])
            groups.append((rows, int(np.flatnonzero(embedded == e.positive)[0])))
    full = fit_ranker(groups, FULL, l2)
    if not trees:
        return cheap, full, None
    return cheap, full, boost(groups, [full(x) for x, _ in groups], FULL, rounds=trees)


def _identity() -> Linear:
    """A calibration that passes the softmax probability through (before one is fitted)."""
    n = len(CALIBRATION)
    return Linear(CALIBRATION, CALIBRATION, np.zeros(n), np.ones(n), np.eye(n)[CALIBRATION.index("log_odds")])


def simulate_sentence(model: SpanMatchModel, sentence: Sentence) -> list[tuple[int, tuple | None, np.ndarray, bool]]:
    """Replay the projection of one sentence from its stored features, as the projector does it.

    Returns:
        Per source span that got a candidate: ``(span index, (start, end, label), calibration row, right)``;
        ``right`` says whether the target gold holds that span.
    """
    offsets, logits, rows = [], [], []
    for e in sentence.examples:
        short = _shortlist(model, e)
        full = np.hstack([e.cheap[short], e.similarity[short, None]])
        offsets.append(e.spans[short])
        logits.append(model.rank(full) if len(short) else np.zeros(0))
        rows.append(full)
    chosen = assign(offsets, [model.probabilities(g) for g in logits])
    out = []
    for a, b in enumerate(chosen):
        if b is None:
            continue
        span = (int(offsets[a][b][0]), int(offsets[a][b][1]), sentence.examples[a].label)
        row = calibration_row(logits[a], b, rows[a][b], FULL)
        out.append((a, span, row, span in sentence.gold))
    return out


def _shortlist(model: SpanMatchModel, e: Example) -> np.ndarray:
    """The pool rows the projector would have embedded: the cheap ranker's best, among those embedded."""
    if not len(e.cheap):
        return np.zeros(0, dtype=int)
    logits = model.cheap(e.cheap)
    order = np.argsort(-logits, kind="stable")
    return np.array([i for i in order if not np.isnan(e.similarity[i])][: model.shortlist_size(logits)], dtype=int)


def predict(model: SpanMatchModel, sentences: list[Sentence]) -> list[list[tuple[tuple, float, bool]]]:
    """Per sentence: ``((start, end, label), probability, right)`` of each projected span."""
    out = []
    for sentence in sentences:
        found = simulate_sentence(model, sentence)
        out.append([(span, float(1 / (1 + np.exp(-model.calibration(row[None, :])[0]))), right)
                    for _, span, row, right in found])  # fmt: skip
    return out


def extract(projector, items, corpus: str, language: str, keep: int = 40, embed: int = 12, batch: int = 32,
            on_batch=None) -> list[Sentence]:  # fmt: skip
    """Score every candidate pool of labelled pairs with ``projector``, keeping what fitting needs.

    Args:
        projector: a :class:`~.spanmatch.SpanMatchProjector` (its current weights choose the pools).
        items: ``(source_text, source_spans, target_text, target_spans, fold)`` per sentence or question.
        keep: candidates kept per source span (by the cheap ranker), the gold partner always among them.
        embed: of those, how many are embedded (the gold partner always is).
    """
    from babelforge.projection.projector import ProjectionInput

    out = []
    for i in range(0, len(items), batch):
        chunk = items[i : i + batch]
        inputs = [ProjectionInput(s, list(ss), t) for s, ss, t, _, _ in chunk]
        partners = [pair_gold(s, ss, t, ts) for s, ss, t, ts, _ in chunk]
        scored = projector.score(inputs, keep=keep, embed=embed, force=partners)
        for (_, ss, t, ts, fold), wanted, pools in zip(chunk, partners, scored, strict=True):
            examples = [_example(span, w, pool) for span, w, pool in zip(ss, wanted, pools, strict=True)]
            gold = {(g.start, g.end, g.label) for g in ts}
            out.append(Sentence(corpus, language, fold, examples, gold, Counter(x.label for x in ss), t))
        if on_batch:
            on_batch(min(i + batch, len(items)), len(items))
    return out


def _example(span, wanted, pool) -> Example:
    positive = -1
    if wanted is not None:
        hit = np.flatnonzero((pool.spans[:, 0] == wanted[0]) & (pool.spans[:, 1] == wanted[1]))
        positive = int(hit[0]) if len(hit) else -1
    cheap, similarity = pool.cheap.astype(np.float32), pool.similarity.astype(np.float32)
    return Example(span.label, pool.spans.astype(np.int32), cheap, similarity, positive, wanted is not None)


def widened(model: SpanMatchModel) -> SpanMatchModel:
    """``model`` over today's features: a feature it was not fitted on gets weight 0 (a start for refitting)."""

    def linear(old: Linear, names: tuple[str, ...]) -> Linear:
        at = {name: i for i, name in enumerate(old.features)}
        terms = (*names, *(t for t in old.features if "*" in t))

        def take(values, default):
            return np.array([values[at[n]] if n in at else default for n in terms])

        return Linear(names, terms, take(old.mean, 0.0), take(old.scale, 1.0), take(old.coef, 0.0), old.intercept)

    calibration = model.calibration if model.calibration.inputs == CALIBRATION else _identity()
    return SpanMatchModel(linear(model.cheap, CHEAP), linear(model.full, FULL), calibration,
                          model.shortlist, model.extra_words, model.about, model.coverage)  # fmt: skip


def initial_model() -> SpanMatchModel:
    """Hand-set weights close to spanmatch's before it was fitted: they choose the first pools to fit on."""
    hand = {"soft_f1": 0.75, "trigram": 1.0, "skeleton": 0.5, "length": -0.2, "words_abs": -0.1,
            "function_first": -0.15, "function_last": -0.15, "foreign_edges": -0.15, "capital_agree": 0.1,
            "capital_clash": -0.1, "position": -0.3, "context": 0.3, "number_match": 0.5, "number_extra": -0.5,
            "punctuation": -0.3, "unit_start": 0.3, "unit_end": 0.3, "similarity": 1.0}  # fmt: skip

    def linear(names):
        n = len(names)
        return Linear(names, names, np.zeros(n), np.ones(n), np.array([hand.get(f, 0.0) for f in names]))

    return SpanMatchModel(linear(CHEAP), linear(FULL), _identity(), about={"fitted": "no: hand-set start"})


def split(sentences: list[Sentence], fold: int, held_language: str | None = None) -> tuple[list, list]:
    """Training and test sentences for one fold: test is the fold (of ``held_language`` only, if given).

    In-language validation (``held_language`` None) trains on every other fold of every language.
    Leave-one-language-out trains on the other folds of the other languages only: no sentence of the
    held-out language, in any fold, and no sentence of the test fold (which shares its sources with
    the other languages' sentences of that fold) is seen.
    """
    test = [s for s in sentences if s.fold == fold and (held_language is None or s.language == held_language)]
    train = [s for s in sentences if s.fold != fold and (held_language is None or s.language != held_language)]
    return train, test
