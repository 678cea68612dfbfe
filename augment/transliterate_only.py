"""Which words of a record the ``transliterate`` step may change when it works on one origin only.

As in the Maltese study (Micallef et al., 2024, "Cross-lingual transfer from related languages:
treating low-resource Maltese as multilingual code-switching"), where only the words of Arabic origin
were written in Arabic script, a selector picks words:

- :class:`WordList`: the words listed in a file: a word list (one per line) or a bilingual lexicon
  (TSV ``word<TAB>translation`` or MUSE ``word translation``), whose first column is read; matching
  ignores case;
- :class:`IdentifiedWords`: the words a language identifier assigns to one language (its best guess
  for the word alone; see :func:`babelforge.curate.identifiers.load_identifier`).

A word is a token of :func:`babelforge.words.word_spans` holding a letter or digit, matched whole
(``il-kelb`` is one word, as the tokenizer joins inner hyphens and apostrophes).
"""

from __future__ import annotations

from pathlib import Path

from babelforge.errors import BabelforgeError


class WordList:
    """The words of a file's first column, case folded; read on first use (or :meth:`check`)."""

    def __init__(self, path: str):
        self.path = path
        self._words: frozenset[str] | None = None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_words": None}

    def __contains__(self, word: str) -> bool:
        if self._words is None:
            self._words = self.read(self.path)
        return word.casefold() in self._words

    def describe(self) -> str:
        return f"lexicon:{Path(self.path).name}"

    def check(self) -> None:
        """Read the file now, so that a bad one fails when the step is built, not in a task."""
        self._words = self.read(self.path)

    @staticmethod
    def read(path: str) -> frozenset[str]:
        """The first column of every line of ``path`` that is neither blank nor a ``#`` comment.

        Raises:
            BabelforgeError: for a missing or undecodable file, or one without any word.
        """
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise BabelforgeError(f"transliterate only.lexicon {path!r} cannot be read: {error}") from None
        words = set()
        for line in lines:
            if line.strip() and not line.startswith("#"):
                words.add((line.split("\t")[0] if "\t" in line else line.split()[0]).strip().casefold())
        if not words:
            raise BabelforgeError(f"transliterate only.lexicon {path!r} lists no word: expected one word per line")
        return frozenset(words)


class IdentifiedWords:
    """The words a language identifier gives ``language`` as its best guess (the model loads on first use)."""

    def __init__(self, spec: str, language: str):
        self.spec, self.language = spec, language
        self._identifier = None
        self._seen: dict[str, bool] = {}

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_identifier": None, "_seen": {}}

    def __contains__(self, word: str) -> bool:
        chosen = self._seen.get(word)
        if chosen is None:
            if len(self._seen) >= 200_000:  # the same words come back; a corpus's long tail must not fill memory
                self._seen.clear()
            best = self.identifier.predict(word, k=1)
            chosen = self._seen[word] = bool(best) and best[0][0] == self.language
        return chosen

    def describe(self) -> str:
        return f"identifier:{self.spec}={self.language}"

    @property
    def identifier(self):
        if self._identifier is None:
            from babelforge.curate.identifiers import load_identifier

            self._identifier = load_identifier(self.spec)
        return self._identifier

    def check(self) -> None:
        """Check the spec (an unknown one or a missing model file fails now; the model is not loaded)."""
        from babelforge.curate.identifiers import load_identifier

        load_identifier(self.spec)
