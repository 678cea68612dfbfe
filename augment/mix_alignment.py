"""``alignment`` code-mixing: swap aligned phrases of a sentence for their part of its translation.

The sentence (matrix language) and its translation (embedded language) are word-aligned; phrase
pairs consistent with the alignment (no word inside either side aligned outside the other, at most
``max_words`` source words) are candidates, as in phrase-based MT's phrase extraction: no parser is
needed. A function word next to a phrase whose links all fall inside or right beside the phrase's
translation moved with it (``to`` <-> ``an`` before ``the Commission`` <-> ``die Kommission``): the
phrase is switched with it (``an die Kommission``) or not at all, so that no function word of one
language is left governing a phrase of the other. Phrases carrying a content word are swapped in,
the longest first, in a seeded random order among equals, without overlapping each other or any
labelled span, with at most 30% function words (:mod:`~babelforge.augment.codemix_choice`), until
the requested CMI is reached; the sample is kept only within the tolerance. Function words come from
:meth:`AlignmentMixer.prepare` (found in the texts and their translations); before it, every word
counts as a content word.
"""

from __future__ import annotations

import random

from babelforge.augment.cmi import measure
from babelforge.augment.codemix_choice import MAX_FUNCTION_SHARE, Unit, choose, function_budget
from babelforge.augment.codemix_report import duplicated_neighbours, switch_report
from babelforge.augment.function_words import FunctionWords
from babelforge.augment.mix_lexicon import Mixed, Rejected, moved_span
from babelforge.spans import Span
from babelforge.words import word_spans


def consistent_phrases(links: set[tuple[int, int]], source_len: int, max_words: int) -> list[tuple[int, int, int, int]]:
    """``(i1, i2, j1, j2)`` inclusive source and target word ranges of every consistent phrase pair."""
    by_source = _by_source(links)
    phrases = []
    for i1 in range(source_len):
        for i2 in range(i1, min(source_len, i1 + max_words)):
            target = _consistent_target(i1, i2, links, by_source)
            if target is not None:
                phrases.append((i1, i2, *target))
    return phrases


Phrase = tuple[int, int, int, int]


def governed_phrases(phrases: list[Phrase], links: set[tuple[int, int]], function: list[bool],
                     content: list[bool] | None = None) -> list[Phrase]:  # fmt: skip
    """The phrases with every function word that moved with them taken in; a phrase that cannot take one in goes.

    A function word next to a phrase moved with it when it is aligned and all its links fall inside
    or right beside the phrase's target range (``to`` <-> ``an`` before ``the Commission`` <->
    ``die Kommission``); taken in, the phrase may bring the next one along (``to the Commission``).
    A content word next to a phrase that the aligner left unaligned is taken in too (``content``: which
    words may be): its meaning is most likely inside the phrase's translation (``bomb explosions`` <->
    ``Bombenexplosionen`` with ``bomb`` unaligned), and left outside it would be said twice.
    """
    by_source = _by_source(links)
    content = content or [False] * len(function)
    kept = set()
    for phrase in phrases:
        while phrase is not None:
            i1, i2, j1, j2 = phrase
            heads = [
                n
                for n in (i1 - 1, i2 + 1)
                if 0 <= n < len(function) and _moved(n, j1, j2, by_source, function, content)
            ]
            if not heads:
                kept.add(phrase)
                break
            first, last = min(i1, *heads), max(i2, *heads)
            target = _consistent_target(first, last, links, by_source)
            phrase = None if target is None else (first, last, *target)
    return sorted(kept)


def _moved(n: int, j1: int, j2: int, by_source, function: list[bool], content: list[bool]) -> bool:
    """Whether source word ``n`` goes with a phrase translated by target words ``j1..j2`` (see above)."""
    if not by_source.get(n):
        return content[n]
    return function[n] and all(j1 - 1 <= j <= j2 + 1 for j in by_source[n])


def _by_source(links: set[tuple[int, int]]) -> dict[int, list[int]]:
    by_source: dict[int, list[int]] = {}
    for i, j in links:
        by_source.setdefault(i, []).append(j)
    return by_source


def _consistent_target(i1: int, i2: int, links, by_source) -> tuple[int, int] | None:
    """The target range of source words ``i1..i2`` when no word of either range is aligned outside the other."""
    targets = [j for i in range(i1, i2 + 1) for j in by_source.get(i, ())]
    if not targets:
        return None
    j1, j2 = min(targets), max(targets)
    if all(i1 <= i <= i2 for i, j in links if j1 <= j <= j2):
        return j1, j2
    return None


class AlignmentMixer:
    """Swap aligned phrases in from the translation to a requested CMI."""

    def __init__(self, word_aligner, matrix: str, embedded: str, cmi: float, tolerance: float = 5.0,
                 seed: int = 13, max_words: int = 3, function_share: float = MAX_FUNCTION_SHARE):  # fmt: skip
        self.aligner, self.matrix, self.embedded = word_aligner, matrix, embedded
        self.function_share = function_share
        self.cmi, self.tolerance, self.seed, self.max_words = cmi, tolerance, seed, max_words
        self.function_words = self.embedded_function_words = FunctionWords(frozenset())

    def prepare(self, texts: list[str], translations: list[str] | None = None) -> None:
        """Find the function words of both languages: in ``texts`` and in their ``translations``."""
        self.function_words = FunctionWords.derive(texts)
        self.embedded_function_words = FunctionWords.derive(translations or [])

    def mix(self, text: str, translation: str, spans: list[Span], key: str) -> Mixed | Rejected:
        """Mix one sentence with its translation; ``key`` (the record id) seeds the choice of phrases."""
        return self.mix_many([(text, translation, spans, key)])[0]

    def mix_many(self, items: list[tuple[str, str, list[Span], str]]) -> list[Mixed | Rejected]:
        """Mix many ``(text, translation, spans, key)`` at once, aligned in one batch (eflomal needs it)."""
        from babelforge.projection.align import align_pairs

        cut = [(word_spans(text), word_spans(translation)) for text, translation, _, _ in items]
        ready = [i for i, (source, target) in enumerate(cut) if source and target]
        pairs = [([items[i][0][a:b] for a, b in cut[i][0]], [items[i][1][a:b] for a, b in cut[i][1]]) for i in ready]
        results: list[Mixed | Rejected] = [Rejected("empty_text")] * len(items)
        for i, pair, links in zip(ready, pairs, align_pairs(self.aligner, pairs), strict=True):
            results[i] = self._mix(items[i], cut[i], pair, set(map(tuple, links)))
        return results

    def _mix(self, item, cut, pair, links: set[tuple[int, int]]) -> Mixed | Rejected:
        (text, translation, spans, key), (source, target), (words, target_words) = item, cut, pair
        protected = {i for i, (a, b) in enumerate(source) if any(s.start < b and a < s.end for s in spans)}
        language = [i for i, w in enumerate(words) if w[0].isalpha() and i not in protected]
        wanted = round(self.cmi * len(language) / 100)
        function = [w in self.function_words for w in words]
        content = [
            w[0].isalpha() and not f and i not in protected
            for i, (w, f) in enumerate(zip(words, function, strict=True))
        ]
        phrases = consistent_phrases(links, len(source), self.max_words)
        phrases = governed_phrases(phrases, links, function, content)
        phrases = [p for p in phrases if not protected & set(range(p[0], p[1] + 1))]
        units = {self._unit(p, target_words): p for p in phrases}
        rng = random.Random(f"{self.seed}:{key}")
        chosen = [units[u] for u in choose(list(units), wanted, function_budget(wanted, self.function_share), rng)]
        switched = {i for i1, i2, _, _ in chosen for i in range(i1, i2 + 1)}
        duplicated = duplicated_neighbours([(i1, i2) for i1, i2, _, _ in chosen], links, switched)
        return self._build(text, translation, source, target, chosen, spans, words, duplicated)

    def _unit(self, phrase: tuple[int, int, int, int], target_words: list[str]) -> Unit:
        i1, i2, j1, j2 = phrase
        embedded = [w for w in target_words[j1 : j2 + 1] if w[0].isalpha()]
        function = sum(w in self.embedded_function_words for w in embedded)
        return Unit(i1, i2, len(embedded), function, function < len(embedded))

    def _build(self, text, translation, source, target, chosen, spans, words, duplicated) -> Mixed | Rejected:
        """Rewrite the text: each chosen source phrase becomes its stretch of the translation."""
        pieces, tokens, offsets, langs, changes = [], [], [], [], []
        replaced = {i1: (i2, j1, j2) for i1, i2, j1, j2 in chosen}
        cursor = length = i = 0
        while i < len(source):
            a = source[i][0]
            pieces.append(text[cursor:a])
            length += a - cursor
            if i in replaced:
                i2, j1, j2 = replaced[i]
                start, end = target[j1][0], target[j2][1]
                for ta, tb in target[j1 : j2 + 1]:
                    word = translation[ta:tb]
                    offsets.append((length + ta - start, length + tb - start))
                    tokens.append(word)
                    langs.append(self.embedded if word[0].isalpha() else "other")
                new = translation[start:end]
                old_end = source[i2][1]
                changes.append((old_end, len(new) - (old_end - a)))
                pieces.append(new)
                length += len(new)
                cursor, i = old_end, i2 + 1
                continue
            b = source[i][1]
            offsets.append((length, length + b - a))
            tokens.append(words[i])
            entity = any(s.start < b and a < s.end for s in spans)
            langs.append("other" if entity or not words[i][0].isalpha() else self.matrix)
            pieces.append(words[i])
            length += b - a
            cursor, i = b, i + 1
        pieces.append(text[cursor:])
        metrics = measure(langs)
        if abs(metrics.cmi - self.cmi) > self.tolerance:
            return Rejected("cmi_out_of_tolerance", f"{metrics.cmi:.1f} for {self.cmi} +/- {self.tolerance}")
        function = [token in self.embedded_function_words for token in tokens]
        report = switch_report(langs, self.embedded, function, duplicated)
        return Mixed("".join(pieces), tokens, offsets, langs, [moved_span(s, changes) for s in spans], metrics, report)
