"""String evidence for ``spanmatch``: how alike two strings look, in any pair of scripts.

- :func:`trigram_dice`: character trigrams (names and cognates written in one script);
- :func:`skeleton` and :func:`skeleton_dice`: a consonant skeleton read from each letter's Unicode name
  (``Путин`` -> ``ptn``, ``भारत`` -> ``bhrt``, ``Ομπάμα`` -> ``mpm``), so that names written in another
  script still meet (no transliteration table or package: Unicode names say enough for a skeleton);
- :func:`numbers`: the numbers a string holds, in any digits (``१९४७`` and ``1947`` agree);
- :class:`WordFrequencies`: function words found by document frequency, for any language.
- :class:`SpanLengths`: how many target words a source span should take, function words weighed as the
  corpus shows.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections import Counter
from functools import lru_cache

import numpy as np
import regex

from babelforge.words import is_alphabetic, is_word, word_spans, words

#: Scripts whose letter names begin with the letter's sound (``GREEK SMALL LETTER ALPHA``): first letter.
_FIRST_LETTER_SCRIPTS = ("GREEK", "ARABIC", "HEBREW", "SYRIAC", "ARMENIAN", "GEORGIAN", "THAANA")
#: Words of a letter's name that say nothing of its sound.
_QUALIFIERS = frozenset({"SMALL", "CAPITAL", "SHORT", "FINAL", "SARA", "LETTER", "CHARACTER", "SYLLABLE"})
_VOWELS = str.maketrans("", "", "aeiouyw")
_DIGITS = regex.compile(r"\p{Nd}+")


def trigram_dice(a: str, b: str) -> float:
    """Dice overlap of the two strings' character trigrams (case folded, padded with a space)."""
    x, y = _trigrams(a.lower()), _trigrams(b.lower())
    return 2 * len(x & y) / (len(x) + len(y)) if x and y else float(a.lower() == b.lower())


@lru_cache(maxsize=200_000)
def _trigrams(text: str) -> frozenset[str]:
    padded = f" {text} "
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2))


@lru_cache(maxsize=200_000)
def skeleton(text: str) -> str:
    """The consonants of ``text`` in Latin letters, words joined by a space (``Москва`` -> ``mskv``)."""
    return " ".join(s for s in ("".join(map(_roman, word)).translate(_VOWELS) for word in words(text)) if s)


def skeleton_dice(a: str, b: str) -> float:
    """Dice overlap of the character bigrams of two skeletons (0 where either has none)."""
    x, y = _bigrams(a), _bigrams(b)
    return 2 * len(x & y) / (len(x) + len(y)) if x and y else 0.0


@lru_cache(maxsize=200_000)
def _bigrams(text: str) -> frozenset[str]:
    padded = f" {text} "
    return frozenset(padded[i : i + 2] for i in range(len(padded) - 1)) if text else frozenset()


@lru_cache(maxsize=65_536)
def _roman(character: str) -> str:
    """A Latin reading of one character: its base letter, or the sound its Unicode name starts with."""
    if character.isascii():
        return character.lower() if character.isalnum() else ""
    base = "".join(c for c in unicodedata.normalize("NFKD", character) if not unicodedata.combining(c))
    if base.isascii():
        return base.lower()
    if character.isdecimal():
        return str(unicodedata.decimal(character))
    name = unicodedata.name(character, "")
    if "SIGN" in name.split() or not any(m in name for m in (" LETTER ", " CHARACTER ", " SYLLABLE ")):
        return ""  # vowel signs, viramas, hard and soft signs, ideographs: no consonant to read
    script, sound = name.split()[0], [w for w in name.split()[1:] if w not in _QUALIFIERS]
    if not sound:
        return ""
    return sound[0][0].lower() if script in _FIRST_LETTER_SCRIPTS else sound[0].lower()


@lru_cache(maxsize=200_000)
def numbers(text: str) -> frozenset[str]:
    """The digit runs of ``text`` as ASCII digits without leading zeros (any script's digits)."""
    return frozenset(
        "".join(str(unicodedata.decimal(c)) for c in m.group()).lstrip("0") or "0" for m in _DIGITS.finditer(text)
    )


def has_case(text: str) -> bool:
    """Whether ``text`` holds a letter with an upper and a lower case (Latin, Cyrillic, Greek ...)."""
    return any(c.isupper() or c.islower() for c in text)


class WordFrequencies:
    """Document frequencies of words over every target text seen: frequent words are function words.

    Articles, prepositions and particles are the words most sentences share, in any language; finding
    them by frequency needs no stop-word list. Where the script has case, a function word is also one
    written in lower case most of the time (Europarl's ``Union`` is frequent, but a name). Until enough
    sentences are seen, short lower-case words stand in.
    """

    share = 0.08
    enough = 30
    #: Distinct texts whose neighbouring tokens are counted (enough for :meth:`cohesion`; memory stays bounded).
    paired_texts = 20_000

    def __init__(self, cohesion: bool = True):
        self.sentences = 0
        self.paired_texts = self.paired_texts if cohesion else 0  # a source side needs no cohesion
        self.counts: Counter[str] = Counter()
        self.lower: Counter[str] = Counter()
        self._seen: set[int] = set()
        self.tokens: Counter[str] = Counter()
        self.pairs: Counter[tuple[str, str]] = Counter()

    def add(self, texts) -> None:
        for text in texts:
            self.sentences += 1
            found = set(words(text))
            self.counts.update({w.lower() for w in found})
            self.lower.update({w.lower() for w in found if w.islower() or not has_case(w)})
            key = hash(text)
            if key not in self._seen and len(self._seen) < self.paired_texts:
                self._seen.add(key)
                tokens = [_word_class(text[a:b]) for a, b in word_spans(text)]
                self.tokens.update(tokens)
                self.pairs.update(itertools.pairwise(tokens))

    def cohesion(self, left: str, right: str) -> float:
        """How surely two neighbouring tokens belong together: the Dice coefficient of the pair over the
        distinct texts seen (0 for a pair seen once, or with punctuation).

        Words written in several space-separated syllables (Vietnamese ``thời gian``, time) and names
        (``Europäischen Union``) hold together; a span edge between them cuts a word or a name. Numbers
        count as one word, so that the words that go with any number are found: Vietnamese writes a
        year as ``năm 1943``, Chinese as ``1943 年``, with a measure word after a count (``24 次``).
        """
        left, right = _word_class(left), _word_class(right)
        together = self.pairs[(left, right)]
        if together < 2 or not is_word(left) or not is_word(right):
            return 0.0
        return 2 * together / (self.tokens[left] + self.tokens[right])

    def is_rare(self, word: str) -> bool:
        """Whether ``word`` is in few of the texts seen (a quarter of a function word's share), once enough are seen."""
        return self.sentences >= self.enough and self.counts[word.lower()] < self.share / 4 * self.sentences

    def is_function_word(self, word: str) -> bool:
        if not is_alphabetic(word):
            return False
        if self.sentences < self.enough:
            return len(word) <= 3 and word.islower()
        key = word.lower()
        return self.counts[key] >= self.share * self.sentences and 2 * self.lower[key] >= self.counts[key]

    def function_edges(self, text: str) -> int:
        """How many of a multi-word text's two edge words are function words."""
        found = words(text)
        if len(found) < 2:
            return 0
        return sum(self.is_function_word(w) for w in (found[0], found[-1]))


class SpanLengths:
    """How many target words a source span should take, from the corpus seen and its own sentence pair.

    German writes an article or a preposition for most of English's function words; Russian and Turkish
    write a case ending instead, Chinese often nothing, and Vietnamese writes many words in several
    syllables. Over the pairs seen, the target's word tokens are fitted as ``c * content + f * function``
    (the source's words, by least squares; no labels, no language list), and a span takes its
    sentence's target tokens in the share its words hold of the source's, function words weighing
    ``r = f / c``: ``tokens * size(span) / size(sentence)``, where :meth:`size` is ``content + r * function``.
    """

    #: Pairs to see before the weight ``f / c`` is trusted (1, every word alike, until then).
    enough = 30
    #: Distinct pairs counted, at most (each once: projecting a batch again changes nothing).
    limit = 20_000

    def __init__(self):
        self.sums = np.zeros(5)  # C*C, C*F, F*F, C*T, F*T
        self._seen: set[int] = set()

    @property
    def pairs(self) -> int:
        """Distinct pairs counted."""
        return len(self._seen)

    def add_pair(self, source: WordFrequencies, source_text: str, target_text: str, tokens: int) -> None:
        """Count a pair whose target holds ``tokens`` word tokens, function words as ``source`` knows them."""
        key = hash((source_text, target_text))
        if key in self._seen or len(self._seen) >= self.limit:
            return
        self._seen.add(key)
        found = words(source_text)
        f = sum(source.is_function_word(w) for w in found)
        c = len(found) - f
        self.sums += (c * c, c * f, f * f, c * tokens, f * tokens)

    @property
    def weight(self) -> float:
        """``f / c``: a source function word's target tokens against a content word's, in [0, 2]."""
        cc, cf, ff, ct, ft = self.sums
        determinant = cc * ff - cf * cf
        if self.pairs < self.enough or determinant <= 1e-9 * max(cc * ff, 1.0):
            return 1.0
        c, f = (ct * ff - ft * cf) / determinant, (ft * cc - ct * cf) / determinant
        if c <= 0:  # content words that take no target word: degenerate; the limit of f / c as c falls to 0
            return 2.0 if f > 0 else 1.0
        return float(min(max(f / c, 0.0), 2.0))

    def size(self, source: WordFrequencies, found: list[str]) -> float:
        """Source words counted as target tokens go: content words 1, function words ``f / c``."""
        function = sum(source.is_function_word(w) for w in found)
        return len(found) - function + self.weight * function


def _word_class(token: str) -> str:
    """A token as :meth:`WordFrequencies.cohesion` counts it: case-folded, every number alike."""
    return "0" if _DIGITS.fullmatch(token) else token.lower()  # digits of any script (``1,600`` is 3 tokens)
