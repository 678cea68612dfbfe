"""Word boundaries for every script: the one tokenizer the whole project uses.

A *word* is a run of letters, digits and combining marks (``regex``'s Unicode ``\\w``, which keeps
vowel signs and viramas, unlike Python's ``re``), joined by inner hyphens or apostrophes
(``well-known``, ``l'homme``). Scripts written without spaces between words (:data:`NO_SPACE_SCRIPTS`)
have no boundary a regular expression can see:

- Thai, Lao, Khmer and Myanmar (:data:`DICTIONARY_SCRIPTS`) are cut into dictionary words by ICU's
  word break iterator when ``icu4py`` is installed (``ภาษาไทย`` -> ``ภาษา``, ``ไทย``), and per grapheme
  cluster without it (a warning says so once);
- every other such script (Han, kana, Tibetan, ...) gives each grapheme cluster as a candidate word,
  so that a span can start or end inside a clause.

Punctuation and symbols are tokens of one grapheme cluster each; whitespace is never a token. No token
ever cuts a grapheme cluster or starts with a combining mark, except a mark with no letter to attach
to (at the start of the text, or after whitespace or a control character): it is kept, not lost.

Offsets are code-point offsets into the text, as spans are everywhere in babelforge.

Example:
    >>> words("भारत की राजधानी, 北京!")
    ['भारत', 'की', 'राजधानी', '北', '京']
"""

from __future__ import annotations

import itertools
import logging
import re
from functools import cache, lru_cache

import regex

logger = logging.getLogger(__name__)

#: Scripts whose words are not separated by spaces.
NO_SPACE_SCRIPTS = ("Han", "Hiragana", "Katakana", "Thai", "Lao", "Khmer", "Myanmar", "Tibetan", "Javanese",
                    "Balinese", "Tai_Tham", "New_Tai_Lue", "Tai_Le", "Yi")  # fmt: skip
#: The no-space scripts whose words ICU finds with a dictionary; the others stay per grapheme cluster.
DICTIONARY_SCRIPTS = ("Thai", "Lao", "Khmer", "Myanmar")

_CLOSED = "".join(f"\\p{{Script={name}}}" for name in NO_SPACE_SCRIPTS)
_DICTIONARY = "".join(f"\\p{{Script={name}}}" for name in DICTIONARY_SCRIPTS)
#: Characters that always join the cluster before them, though not all are ``\w`` (emoji modifiers, tags).
_GLUE = r"\p{Grapheme_Cluster_Break=Extend}\p{Grapheme_Cluster_Break=SpacingMark}\p{Grapheme_Cluster_Break=ZWJ}"
_BREAK = r"[\p{Grapheme_Cluster_Break=Control}\p{Grapheme_Cluster_Break=CR}\p{Grapheme_Cluster_Break=LF}]"
#: A grapheme cluster with the marks Unicode leaves outside it (Myanmar's ``ာ`` after its consonant).
_UNIT = r"\X(?:(?=\p{M})\X)*"
#: A word of a spaced script: clusters that start on a word character of no no-space script (or a mark).
_START = rf"[\w--[{_CLOSED}--\p{{M}}]]"
_PART = rf"(?:(?={_START}){_UNIT})+"
_WORD = rf"{_PART}(?:[-'’]{_PART})*"
#: A token; each run of dictionary-script clusters is one match (named ``run``), cut into words later.
_TOKEN = regex.compile(
    rf"(?P<run>(?:(?=[{_DICTIONARY}]){_UNIT})+)|{_WORD}|(?=[{_CLOSED}]){_UNIT}|(?!\s){_UNIT}", regex.V1
)
_CLUSTER = regex.compile(_UNIT, regex.V1)

# Fast paths, the same tokens for text that allows them (tests/test_words.py checks both claims).
#: A superset of the code points of NO_SPACE_SCRIPTS and of the letters that join the next cluster
#: (Grapheme_Cluster_Break=Prepend): text without any takes a simpler pattern.
_NEEDS_CLUSTERS = re.compile(
    "[\u0d4e\u0e01-\u109f\u1780-\u17f9\u1950-\u1b7f\u2e80-\ua4c6\ua980-\uaa7f\uf900-\ufad9\uff66-\uff9d"
    "\U00011000-\U00011fff\U00016fe2-\U00016ff6\U0001aff0-\U0001b168\U0001f200\U00020000-\U0003347f]"
)
#: Without those, a word is a run of word characters and of the characters that join a cluster to
#: the one before (marks, emoji modifiers, ZWJ), as fast as a plain ``\w+``.
_SPACED = regex.compile(rf"\w[\w{_GLUE}]*(?:[-'’]\w[\w{_GLUE}]*)*|(?!\s){_UNIT}", regex.V1)
#: Below U+0300 (and in common punctuation and currency signs) every character is its own cluster, and
#: Python's faster ``re`` agrees with ``regex`` but on ``\w`` for ² ³ ¹ ¼ ½ ¾ and ``\s`` for \x1c-\x1f.
_BEYOND_SIMPLE = re.compile("[^\x00-\u02ff\u2010-\u2027\u2030-\u203e\u20a0-\u20bf]")
_SIMPLE_WORD = r"[^\W\xb2\xb3\xb9\xbc-\xbe]+"
_SIMPLE = re.compile(rf"{_SIMPLE_WORD}(?:[-'’]{_SIMPLE_WORD})*|[^\t-\r \x85\xa0]")


def word_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every token of ``text``: words, no-space-script candidates and punctuation.

    Args:
        text: any text.

    Returns:
        Code-point offsets of the tokens, in order, never overlapping, never whitespace.
    """
    if _BEYOND_SIMPLE.search(text) is None:
        return [m.span() for m in _SIMPLE.finditer(text)]
    if _NEEDS_CLUSTERS.search(text) is None:
        return [m.span() for m in _SPACED.finditer(text)]
    return _any_spans(text)


def words(text: str) -> list[str]:
    """The words of ``text`` (punctuation and symbols left out), e.g. for n-grams and word counts."""
    return [text[a:b] for a, b in word_spans(text) if is_word(text[a:b])]


@lru_cache(maxsize=65536)
def is_word(token: str) -> bool:
    """Whether a token from :func:`word_spans` holds a letter or a digit (not punctuation alone)."""
    return regex.search(r"\w", token) is not None


@lru_cache(maxsize=65536)
def is_alphabetic(token: str) -> bool:
    """Whether a token is letters only, with their marks (``str.isalpha`` rejects Hindi ``की`` for its ``ी``)."""
    return regex.fullmatch(r"[\p{L}\p{M}]+", token) is not None


def tokenizer_info() -> dict[str, str | None]:
    """What cuts words here, for provenance: this module, and the ICU version that segments, if any."""
    if _word_breaker() is None:
        return {"name": "babelforge.words", "icu": None}
    import icu4py

    return {"name": "babelforge.words", "icu": icu4py.icu_version}


def _any_spans(text: str) -> list[tuple[int, int]]:
    """:func:`word_spans` without the fast paths: right for any text."""
    spans: list[tuple[int, int]] = []
    for m in _TOKEN.finditer(text):
        if m.start("run") < 0:
            spans.append(m.span())
        else:
            spans.extend(_dictionary_words(m.group(), m.start()))
    return spans


def _dictionary_words(run: str, offset: int) -> list[tuple[int, int]]:
    """The words of a run of dictionary-script clusters (ICU's, cut only between clusters), or its clusters."""
    clusters = [m.end() for m in _CLUSTER.finditer(run)]
    breaker = _word_breaker()
    if breaker is not None:
        ends = [end for _, end in breaker(run, "").segments()]  # UTF-16 code units
        if max(run) > "\uffff":
            units = _code_points(run)
            ends = [units.get(end, -1) for end in ends]
        clusters = sorted(set(clusters).intersection(ends))
    return [(offset + start, offset + end) for start, end in itertools.pairwise([0, *clusters])]


def _code_points(text: str) -> dict[int, int]:
    """UTF-16 code-unit offset -> code-point offset, at every code-point boundary of ``text``."""
    units, index = {0: 0}, 0
    for i, character in enumerate(text, 1):
        index += 2 if character > "\uffff" else 1
        units[index] = i
    return units


@cache
def _word_breaker():
    """ICU's word break iterator class, or ``None`` (with a warning) when ``icu4py`` is not installed."""
    try:
        from icu4py.breakers import WordBreaker
    except ImportError:
        logger.warning(
            "icu4py is not installed: Thai, Lao, Khmer and Myanmar text is cut per grapheme cluster, "
            "not into words. Install it with: pip install icu4py"
        )
        return None
    return WordBreaker
