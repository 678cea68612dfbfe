"""Word boundaries for every script: the one tokenizer the whole project uses.

A *word* is a run of letters, digits and combining marks (``regex``'s Unicode ``\\w``, which keeps
vowel signs and viramas, unlike Python's ``re``), joined by inner hyphens or apostrophes
(``well-known``, ``l'homme``). Scripts written without spaces between words (Han, kana, Thai, Lao,
Khmer, Myanmar and others in :data:`NO_SPACE_SCRIPTS`) have no word boundary a regular expression
can see: there every grapheme cluster is a candidate word of its own, so that a span can start or end
inside a clause. Punctuation and symbols are tokens of one grapheme cluster each; whitespace is never
a token.

Offsets are code-point offsets into the text, as spans are everywhere in babelforge.
"""

from __future__ import annotations

from functools import lru_cache

import regex

#: Scripts whose words are not separated by spaces: every grapheme cluster is a candidate word.
NO_SPACE_SCRIPTS = ("Han", "Hiragana", "Katakana", "Thai", "Lao", "Khmer", "Myanmar", "Tibetan", "Javanese",
                    "Balinese", "Tai_Tham", "New_Tai_Lue", "Tai_Le", "Yi")  # fmt: skip

_CLOSED = "".join(f"\\p{{Script={name}}}" for name in NO_SPACE_SCRIPTS)
#: One grapheme cluster of a no-space script (marks of any script may follow, e.g. Thai vowel signs).
_CLUSTER = rf"(?=[{_CLOSED}])\X"
#: A word of a spaced script: word characters not of a no-space script, marks kept whole.
_PART = rf"(?:(?![{_CLOSED}])\w)+"
_TOKEN = regex.compile(rf"{_CLUSTER}|{_PART}(?:[-'’]{_PART})*|(?!\s)\X", regex.V1)


def word_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every token of ``text``: words, no-space-script clusters and punctuation."""
    return [m.span() for m in _TOKEN.finditer(text)]


def words(text: str) -> list[str]:
    """The words of ``text`` (punctuation and symbols left out), e.g. for n-grams and word counts."""
    return [text[a:b] for a, b in word_spans(text) if is_word(text[a:b])]


@lru_cache(maxsize=65536)
def is_word(token: str) -> bool:
    """Whether a token from :func:`word_spans` holds a letter or a digit (not punctuation alone)."""
    return regex.search(r"\w", token) is not None
