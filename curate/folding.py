"""Text as the contamination checks compare it: folded words, sentences, and digits of any script.

Folding makes a lightly edited copy look like its original: NFKC (full-width forms, ligatures),
case folded, the combining marks of Latin, Greek and Cyrillic letters dropped (Yoruba tone marks and
French accents are often left out when text is retyped), digits of every script written as ASCII
digits, the separators inside a number left out (``05.09.2022``, ``05/09/2022`` and ``05092022``,
or ``1,000`` and ``1000``, are one word: retyping a number often changes or drops them), curly
apostrophes made straight, invisible format characters (a byte-order mark inside a word, joiners,
soft hyphens) left out and a zero-width space made a space. Marks of other scripts stay: there they are vowels, not
accents. Words come from :func:`babelforge.words.words`, the project's one tokenizer, so scripts
written without spaces give one word per grapheme cluster and punctuation never counts.

Example:
    >>> normalized_words("Ọjọ́ 12 ní Èkó, ÀWỌN, 05.09.2022")
    ['ojo', '12', 'ni', 'eko', 'awon', '05092022']
"""

from __future__ import annotations

import unicodedata

import regex

from babelforge.words import words

#: A letter of a script whose combining marks are accents (dropped when folding).
_ACCENTED = regex.compile(r"([\p{Latin}\p{Greek}\p{Cyrillic}])\p{Mn}+", regex.V1)
#: An invisible format character (Unicode category Cf): ZWNJ, ZWJ, soft hyphen, a stray byte-order mark.
_FORMAT = regex.compile(r"\p{Cf}+")
#: A separator between two digits of one number (thousands, decimals, dates, times, ranges).
_NUMBER_SEPARATOR = regex.compile(r"(?<=\d)[.,:/'\-\u00a0\u2009\u202f\u066b\u066c](?=\d)")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'"})
#: Where a sentence ends: terminal punctuation of many scripts (then a space or the end), or a line break.
_SENTENCE_END = regex.compile(r"(?<=[.!?…]['\"”’»)\]]*)\s+|(?<=[。！？!?।॥۔؟።፧፨။])['\"”’»)\]]*\s*|\s*\n\s*", regex.V1)


def fold(text: str) -> str:
    """``text`` folded for comparison (see the module docstring); lengths may change."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _ACCENTED.sub(r"\1", unicodedata.normalize("NFD", text))
    text = _FORMAT.sub("", unicodedata.normalize("NFC", text).replace("\u200b", " ").translate(_APOSTROPHES))
    return _NUMBER_SEPARATOR.sub("", _with_ascii_digits(text))


def _with_ascii_digits(text: str) -> str:
    return "".join(_ascii_digit(ch) for ch in text) if not text.isascii() else text


def _ascii_digit(ch: str) -> str:
    value = unicodedata.decimal(ch, None)
    return ch if value is None else str(value)


def normalized_words(text: str) -> list[str]:
    """The folded words of ``text``: what n-grams are made of."""
    return words(fold(text))


def sentences(text: str) -> list[str]:
    """``text`` cut after terminal punctuation (of Latin, CJK, Indic, Arabic, Ethiopic, Myanmar scripts)
    and at line breaks; empty pieces left out."""
    return [piece.strip() for piece in _SENTENCE_END.split(text) if piece and piece.strip()]


def digits(text: str) -> list[str]:
    """The numbers written in digits in ``text`` (any script's digits, as ASCII), e.g. ``['1999', '3']``.

    Digit groups split by a thousands separator count as one number (``1,000``, ``1.000`` and
    ``1 000`` with a no-break space are ``1000``) and a decimal comma is a point (``3,5`` is ``3.5``),
    so that a translation that writes numbers its own way still agrees.
    """
    found = regex.findall(r"\d+(?:[.,\u00a0\u202f]\d{3})*(?:[.,]\d+)?", _with_ascii_digits(text))
    return [regex.sub(r"[.,\u00a0\u202f](?=\d{3}(?:\D|$))", "", number).replace(",", ".") for number in found]


def chunks(text: str, max_words: int = 48) -> list[str]:
    """The sentences of ``text``; one of more than ``max_words`` words is cut into windows of that many
    words, each starting half a window after the one before (so a leaked clause is whole in one of them)."""
    from babelforge.words import is_word, word_spans

    found = []
    for sentence in sentences(text):
        spans = [span for span in word_spans(sentence) if is_word(sentence[span[0] : span[1]])]
        if len(spans) <= max_words:
            found.append(sentence)
            continue
        step = max(max_words // 2, 1)
        for first in range(0, len(spans) - step, step):
            last = spans[min(first + max_words, len(spans)) - 1]
            found.append(sentence[spans[first][0] : last[1]])
    return found
