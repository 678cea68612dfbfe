"""``constrained``: Codec-style projection by constrained decoding over a fixed translation.

The target text is a template: the clean translation of the source (translate-train), or the
original target-language sentence (translate-test). For each source span, the source is marked
(``[ entity ]``) and the only outputs the MT model may choose from are the template with one opening
and one closing marker inserted between its words. Rather than a depth-first search per entity,
two batched scoring passes (CTranslate2 ``score_batch``) decide:

1. the template is scored under the clean source and under each marked source; where a token's
   log-probability drops most once the source is marked, the model wanted a marker there. The
   ``top_k`` most likely opening and closing positions survive;
2. each surviving (opening, closing) pair is inserted into the template and scored under the marked
   source; the most probable pair is the span, its probability among the pairs its score. When only
   one pair survives there is nothing to ask the model (score 1).

Entities of one sentence take their spans most confident first, without overlap; an entity whose
scored pairs all collide with spans already placed takes the best free pair by the first pass's
ranking, unverified (score 0). With ``top_k`` 2 the whole search costs about a fifth of the
translation it starts from (``benchmarks/constrained_speed.py``).

Markers stand between whitespace-separated words; punctuation on a chosen span's edge that the
source entity lacks is trimmed. A template without spaces between words (Chinese, Thai, ...) gives
no positions to choose from: its spans fail with that reason (``ensemble`` falls back to another
method).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict

from babelforge.projection.ct2 import CTranslate2Translator, Decoding
from babelforge.projection.name_case import drop_unnamed
from babelforge.projection.projector import ProjectionInput, ProjectionResult, Projector
from babelforge.spans import Span
from babelforge.words import is_word

OPEN, CLOSE = "[", "]"
_WORDS = re.compile(r"\S+")


class ConstrainedProjector(Projector):
    """Project spans with an MT model constrained to the target text.

    Args:
        model: Hub id or folder of a translation model (as for ``translate``).
        source, target: the language pair, when inputs do not carry their own.
        top_k: opening and closing positions kept after the first pass.
        quantization: CTranslate2 compute type.

    Example:
        >>> projector = ConstrainedProjector("facebook/nllb-200-distilled-600M", "en", "hau_Latn")
        >>> item = ProjectionInput("Obama visited Kano", [Span(0, 5, "PER")], "Obama ya ziyarci Kano")
        >>> projector.project([item])[0].spans  # doctest: +SKIP
        [Span(start=0, end=5, label='PER')]
    """

    name = "constrained"

    def __init__(
        self,
        model: str,
        source: str | None = None,
        target: str | None = None,
        top_k: int = 2,
        quantization: str = "default",
        resolved=None,
    ):
        self.model, self.source, self.target = model, source, target
        self.top_k, self.quantization, self.resolved = top_k, quantization, resolved
        self._translators: dict[tuple[str, str], CTranslate2Translator] = {}
        self._word_tokens: dict[str, list[str]] = {}

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_translators": {}, "_word_tokens": {}}

    def translator(self, source: str, target: str) -> CTranslate2Translator:
        if (source, target) not in self._translators:
            decoding = Decoding(quantization=self.quantization)
            self._translators[source, target] = CTranslate2Translator(
                self.model, source, target, decoding, memory=None, resolved=self.resolved
            )
            self.resolved = self._translators[source, target].model
        return self._translators[source, target]

    def project(self, inputs: list[ProjectionInput]) -> list[ProjectionResult]:
        results: list[ProjectionResult | None] = [None] * len(inputs)
        groups: dict[tuple[str, str], list[int]] = defaultdict(list)
        for i, item in enumerate(inputs):
            pair = (item.source_language or self.source, item.target_language or self.target)
            if None in pair:
                raise ValueError("constrained projection needs the source and target languages")
            groups[pair].append(i)
        for pair, indices in groups.items():
            found = self._project(self.translator(*pair), [inputs[i] for i in indices])
            for i, result in zip(indices, found, strict=True):
                results[i] = result
        return results  # type: ignore[return-value]

    def _project(self, mt: CTranslate2Translator, inputs: list[ProjectionInput]) -> list[ProjectionResult]:
        plans = [_Plan(item, self._template_tokens(mt, item.target_text)) for item in inputs]
        open_tokens, close_tokens = self._tokens(mt, OPEN), self._tokens(mt, CLOSE)
        limit = mt.max_tokens
        for plan in plans:
            longest_source = max((len(mt.source_tokens(m)) for m in plan.marked_sources), default=0)
            plan.too_long = max(longest_source, len(plan.tokens) + len(open_tokens) + len(close_tokens)) > limit
        # Pass 1: the template under the clean source and under each marked source.
        sources, targets, owners = [], [], []
        for p, plan in enumerate(plans):
            if not plan.searchable:
                continue
            sources.append(mt.source_tokens(plan.item.source_text))
            targets.append(plan.tokens)
            owners.append((p, None))
            for s, marked in enumerate(plan.marked_sources):
                sources.append(mt.source_tokens(marked))
                targets.append(plan.tokens)
                owners.append((p, s))
        clean: dict[int, list[float]] = {}
        for (p, s), log_probs in zip(owners, mt.score(sources, targets), strict=True):
            if s is None:
                clean[p] = log_probs
            else:
                plans[p].drops[s] = [m - c for m, c in zip(log_probs, clean[p], strict=True)]
        # Pass 2: every surviving (opening, closing) pair, inserted and scored.
        sources, targets, owners = [], [], []
        for p, plan in enumerate(plans):
            for s, marked in enumerate(plan.marked_sources):
                if not plan.searchable:
                    continue
                source_tokens = mt.source_tokens(marked)
                pairs = plan.pairs(s, self.top_k)
                if len(pairs) == 1:  # nothing to choose between: no need to ask the model
                    plan.scored[s].append((0.0, *pairs[0]))  # alone: probability 1 among its pairs
                    continue
                for first, last in pairs:
                    sources.append(source_tokens)
                    targets.append(plan.insert(first, last, open_tokens, close_tokens))
                    owners.append((p, s, first, last))
        for (p, s, first, last), log_probs in zip(owners, mt.score(sources, targets), strict=True):
            plans[p].scored[s].append((sum(log_probs), first, last))
        return [plan.result(self.name) for plan in plans]

    def _tokens(self, mt: CTranslate2Translator, word: str) -> list[str]:
        if word not in self._word_tokens:
            self._word_tokens[word] = mt.target_word_tokens(word)
        return self._word_tokens[word]

    def _template_tokens(self, mt: CTranslate2Translator, text: str) -> list[list[str]]:
        return [self._tokens(mt, m.group()) for m in _WORDS.finditer(text)]


class _Plan:
    """One input's search: its template words and tokens, marked sources, and the pairs scored."""

    def __init__(self, item: ProjectionInput, word_tokens: list[list[str]]):
        self.item = item
        self.words = [m.span() for m in _WORDS.finditer(item.target_text)]
        self.word_tokens = word_tokens
        self.starts = [0]
        for tokens in word_tokens:
            self.starts.append(self.starts[-1] + len(tokens))
        self.tokens = [t for tokens in word_tokens for t in tokens]
        source = item.source_text
        self.marked_sources = [
            f"{source[: s.start]}{OPEN} {source[s.start : s.end]} {CLOSE}{source[s.end :]}" for s in item.source_spans
        ]
        self.too_long = False
        self.drops: list[list[float]] = [[] for _ in item.source_spans]
        self.scored: list[list[tuple[float, int, int]]] = [[] for _ in item.source_spans]

    @property
    def searchable(self) -> bool:
        return len(self.words) > 1 and bool(self.item.source_spans) and not self.too_long

    def pairs(self, s: int, top_k: int) -> list[tuple[int, int]]:
        """(first word, last word) pairs whose opening and closing positions the first pass favours.

        Single words stand in only when no favoured opening comes before a favoured closing.
        """
        drops, n = self.drops[s], len(self.words)
        opening = sorted(range(n), key=lambda w: drops[self.starts[w]])[:top_k]
        closing = sorted(range(n), key=lambda w: drops[self.starts[w + 1]])[:top_k]
        pairs = {(first, last) for first in opening for last in closing if first <= last}
        return sorted(pairs or {(w, w) for w in opening})

    def insert(self, first: int, last: int, open_tokens: list[str], close_tokens: list[str]) -> list[str]:
        a, b = self.starts[first], self.starts[last + 1]
        return self.tokens[:a] + open_tokens + self.tokens[a:b] + close_tokens + self.tokens[b:]

    def result(self, method: str) -> ProjectionResult:
        item = self.item
        if not item.source_spans:
            return ProjectionResult([], [], method)
        if not self.searchable:
            reason = (
                "empty target"
                if not self.words
                else "longer than the model takes"
                if self.too_long
                else "target has no spaces between words"
            )
            return ProjectionResult([None] * len(item.source_spans), [0.0] * len(item.source_spans), method, reason)
        choices = []
        for scored in self.scored:
            best = max(total for total, _, _ in scored)
            norm = sum(math.exp(total - best) for total, _, _ in scored)
            choices.append(sorted(((math.exp(t - best) / norm, a, b) for t, a, b in scored), reverse=True))
        spans: list[Span | None] = [None] * len(choices)
        scores = [0.0] * len(choices)
        taken: list[tuple[int, int]] = []
        for s in sorted(range(len(choices)), key=lambda s: -choices[s][0][0]):
            # the scored pairs first; if all collide with spans already placed, the first pass's ranking
            # of every other pair, unverified (score 0)
            for probability, first, last in [*choices[s], *self._unscored(s)]:
                start, end = self._trimmed(s, self.words[first][0], self.words[last][1])
                if start < end and all(end <= a or start >= b for a, b in taken):
                    spans[s], scores[s] = Span(start, end, item.source_spans[s].label), probability
                    taken.append((start, end))
                    break
        reason = "" if all(spans) else "overlapping choices"
        spans, reason = drop_unnamed(item.source_text, item.source_spans, item.target_text, spans, reason)
        return ProjectionResult(spans, scores, method, reason)

    def _unscored(self, s: int, longest: int = 8):
        """Every pair of at most ``longest`` words, best first by the first pass's drops (score 0)."""
        drops, n = self.drops[s], len(self.words)
        pairs = [(a, b) for a in range(n) for b in range(a, min(n, a + longest))]
        pairs.sort(key=lambda p: drops[self.starts[p[0]]] + drops[self.starts[p[1] + 1]])
        return [(0.0, a, b) for a, b in pairs]

    def _trimmed(self, s: int, start: int, end: int) -> tuple[int, int]:
        """Drop edge punctuation the source entity does not have on that edge (marks are no punctuation)."""
        span = self.item.source_spans[s]
        entity, text = self.item.source_text[span.start : span.end], self.item.target_text
        while start < end and not is_word(text[start]) and entity[:1] != text[start]:
            start += 1
        while end > start and not is_word(text[end - 1]) and entity[-1:] != text[end - 1]:  # keeps vowel signs
            end -= 1
        return start, end
