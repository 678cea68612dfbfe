"""Near-duplicate detection by MinHash LSH over word shingles (datasketch), shared by ``gate`` and ``mine``.

Words come from :func:`babelforge.words.words`, so text without spaces (Chinese, Thai) is shingled by
its words, and punctuation does not make two copies differ.
"""

from __future__ import annotations

from babelforge.errors import MissingDependencyError
from babelforge.words import words as text_words

NUM_PERM = 128


class NearDuplicates:
    """Remembers texts; :meth:`seen` is true for one whose shingle Jaccard with an earlier text reaches ``threshold``.

    Example:
        >>> near = NearDuplicates(0.8)  # doctest: +SKIP
        >>> near.seen("the cat sat on the mat today"), near.seen("the cat sat on the mat today!")  # doctest: +SKIP
        (False, True)
    """

    def __init__(self, threshold: float, shingle: int = 3):
        self.threshold, self.shingle = threshold, shingle
        self._lsh = None
        self._count = 0

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_lsh": None, "_count": 0}

    def seen(self, text: str) -> bool:
        """Whether a near-duplicate of ``text`` came earlier; if not, ``text`` is remembered.

        A text without words is nobody's near-duplicate (and is not remembered).
        """
        words = text_words(text.casefold())
        if not words:
            return False
        try:
            from datasketch import MinHash, MinHashLSH
        except ImportError:
            raise MissingDependencyError("near_dedup", ["datasketch"], "models") from None
        if self._lsh is None:
            self._lsh = MinHashLSH(threshold=self.threshold, num_perm=NUM_PERM)
        shingles = {" ".join(words[i : i + self.shingle]) for i in range(max(len(words) - self.shingle + 1, 1))}
        signature = MinHash(num_perm=NUM_PERM, seed=1)
        signature.update_batch([s.encode() for s in shingles])
        if self._lsh.query(signature):
            return True
        self._count += 1
        self._lsh.insert(str(self._count), signature)
        return False
