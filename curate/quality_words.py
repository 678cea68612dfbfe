"""babelforge's words and sentences as the word tokenizer datatrove's quality filters take.

datatrove's Gopher, FineWeb and C4 filters cut text with ``split_into_words(text, self.language)``
and ``split_into_sentences``, which call ``load_word_tokenizer(self.language)``. That function returns
its argument unchanged when it is already a ``WordTokenizer``, so passing an instance of
:class:`QualityTokenizer` as a filter's ``language`` makes every filter count the words of
:func:`babelforge.words.words`: vowel signs and viramas stay inside their words, and scripts written
without spaces give one word per dictionary word or grapheme cluster, where datatrove's own tokenizers
need spaCy, pythainlp and others per language and strip Indic marks.

What the filters' ratios then mean: punctuation and symbols are not words (``words()`` leaves them
out), so Gopher's symbol-to-word ratio counts ``#`` and ellipses per word, and its alphabetic-word
share is the share of words holding a letter (numbers are the words without). The calibration
(:mod:`~babelforge.curate.quality_stats`) measures the reference with this same tokenizer, so a
threshold and the value it is compared with are always counted alike.

Sentences end at any of datatrove's ``TERMINAL_PUNCTUATION`` (the Latin full stop, ``።``, ``।``,
``؟``, ``。`` ...) and at line ends, with closing quotes and brackets kept on the sentence.
"""

from __future__ import annotations

import re

from datatrove.utils.text import TERMINAL_PUNCTUATION
from datatrove.utils.word_tokenizers import WordTokenizer

from babelforge.words import words

_TERMINAL = "".join(sorted(TERMINAL_PUNCTUATION))
#: A sentence: anything up to a run of terminal marks (plus closing quotes and brackets) or a line end.
_SENTENCE = re.compile(rf"[^\n{re.escape(_TERMINAL)}]*(?:[{re.escape(_TERMINAL)}]+[\"'”’»)\]]*|\n|$)")


class QualityTokenizer(WordTokenizer):
    """:func:`babelforge.words.words` and terminal-punctuation sentences, for datatrove's filters.

    Example:
        >>> QualityTokenizer().word_tokenize("ቋንቋ ነው። 3 ግቦች")
        ['ቋንቋ', 'ነው', '3', 'ግቦች']
        >>> QualityTokenizer().sent_tokenize("ቋንቋ ነው። Yes! no end")
        ['ቋንቋ ነው።', 'Yes!', 'no end']
    """

    def __init__(self) -> None:
        super().__init__("babelforge")

    def word_tokenize(self, text: str) -> list[str]:
        return words(text)

    def sent_tokenize(self, text: str) -> list[str]:
        return [text[a:b].strip() for a, b in self.span_tokenize(text)]

    def span_tokenize(self, text: str) -> list[tuple[int, int]]:
        return [m.span() for m in _SENTENCE.finditer(text) if m.group().strip()]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, QualityTokenizer)

    def __hash__(self) -> int:
        # datatrove caches tokenized text per (text, language): every instance cuts alike, so one key
        return hash(QualityTokenizer)
