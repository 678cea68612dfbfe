"""``alignment`` code-mixing: swap aligned phrases of a sentence for their part of its translation.

The sentence (matrix language) and its translation (embedded language) are word-aligned; phrase
pairs consistent with the alignment (no word inside either side aligned outside the other, at most
``max_words`` source words) are candidates, as in phrase-based MT's phrase extraction: no parser is
needed. Phrases are swapped in, at random (seeded per record) and without overlapping each other or
any labelled span, until the requested CMI is reached; the sample is kept only within the tolerance.
"""

from __future__ import annotations

import random

from babelforge.augment.cmi import measure
from babelforge.augment.mix_lexicon import Mixed, Rejected, moved_span
from babelforge.spans import Span
from babelforge.words import word_spans


def consistent_phrases(links: set[tuple[int, int]], source_len: int, max_words: int) -> list[tuple[int, int, int, int]]:
    """``(i1, i2, j1, j2)`` inclusive source and target word ranges of every consistent phrase pair."""
    by_source: dict[int, list[int]] = {}
    for i, j in links:
        by_source.setdefault(i, []).append(j)
    phrases = []
    for i1 in range(source_len):
        for i2 in range(i1, min(source_len, i1 + max_words)):
            targets = [j for i in range(i1, i2 + 1) for j in by_source.get(i, ())]
            if not targets:
                continue
            j1, j2 = min(targets), max(targets)
            if all(i1 <= i <= i2 for i, j in links if j1 <= j <= j2):
                phrases.append((i1, i2, j1, j2))
    return phrases


class AlignmentMixer:
    """Swap aligned phrases in from the translation to a requested CMI."""

    def __init__(self, word_aligner, matrix: str, embedded: str, cmi: float, tolerance: float = 5.0,
                 seed: int = 13, max_words: int = 3):  # fmt: skip
        self.aligner, self.matrix, self.embedded = word_aligner, matrix, embedded
        self.cmi, self.tolerance, self.seed, self.max_words = cmi, tolerance, seed, max_words

    def mix(self, text: str, translation: str, spans: list[Span], key: str) -> Mixed | Rejected:
        source = word_spans(text)
        target = word_spans(translation)
        if not source or not target:
            return Rejected("empty_text")
        words = [text[a:b] for a, b in source]
        links = set(self.aligner.align(words, [translation[a:b] for a, b in target]))
        protected = {i for i, (a, b) in enumerate(source) if any(s.start < b and a < s.end for s in spans)}
        language = [i for i, w in enumerate(words) if w[0].isalpha() and i not in protected]
        wanted = round(self.cmi * len(language) / 100)
        phrases = [p for p in consistent_phrases(links, len(source), self.max_words)
                   if not protected & set(range(p[0], p[1] + 1))]  # fmt: skip
        rng = random.Random(f"{self.seed}:{key}")
        rng.shuffle(phrases)
        chosen, taken, swapped = [], set(), 0
        for i1, i2, j1, j2 in phrases:
            span = set(range(i1, i2 + 1))
            if swapped >= wanted or span & taken:
                continue
            embedded_words = sum(translation[a][0:1].isalpha() for a, _ in target[j1 : j2 + 1])
            if swapped + embedded_words > wanted + 1:
                continue
            chosen.append((i1, i2, j1, j2))
            taken |= span
            swapped += embedded_words
        return self._build(text, translation, source, target, sorted(chosen), spans, words)

    def _build(self, text, translation, source, target, chosen, spans, words) -> Mixed | Rejected:
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
        return Mixed("".join(pieces), tokens, offsets, langs, [moved_span(s, changes) for s in spans], metrics)
