"""Content words: the words of a text that carry its terms (names, nouns, verbs), found without a model.

Tokens come from :mod:`babelforge.words`, compared case-folded. A content word is alphabetic (letters
and their marks, so no numbers or punctuation) and

- in English, is not one of the function words below (articles, pronouns, auxiliaries, prepositions,
  conjunctions and the commonest adverbs);
- in any other language, has at least :data:`MIN_LETTERS` letters, a length proxy for "not a
  function word" that holds for most spaced scripts;
- in a script written without spaces, is a dictionary word of two clusters or more (Thai, Lao, Khmer,
  Myanmar with ICU): single Han or kana characters are never counted, they say too little alone.

Used by the term-consistency report (:mod:`~babelforge.projection.term_consistency`) and to choose
dictionary hints (:mod:`~babelforge.projection.dictionary_hints`).
"""

from __future__ import annotations

from functools import cache

import regex

from babelforge.words import NO_SPACE_SCRIPTS, is_alphabetic, word_spans

#: Letters a word of a language without a function-word list needs to count as a content word.
MIN_LETTERS = 4

_ENGLISH = """a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each either else ever few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just may me
    might more most much must my myself neither no nor not now of off often on once only or other ought our
    ours ourselves out over own per quite rather same shall she should so some such than that the their
    theirs them themselves then there these they this those though through thus to too under until up upon us
    very was we were what when where whether which while who whom whose why will with within without would
    yet you your yours yourself yourselves one ones many several it's i'm don't doesn't didn't isn't aren't
    wasn't weren't won't can't"""
ENGLISH_FUNCTION_WORDS = frozenset(_ENGLISH.split())


def content_words(text: str, language: str | None) -> list[str]:
    """The content words of ``text``, case-folded, in order (repeats kept).

    Args:
        text: any text.
        language: its language code (``eng_Latn``); ``None`` or unknown: the length rule.
    """
    english = is_english(language)
    found = []
    for start, end in word_spans(text):
        word = text[start:end].casefold()
        if is_content_word(word, english):
            found.append(word)
    return found


def is_content_word(word: str, english: bool) -> bool:
    """Whether one case-folded token is a content word (see the module docstring)."""
    if not is_alphabetic(word.replace("'", "").replace("’", "").replace("-", "")):
        return False
    if _no_space(word):
        return _clusters(word) >= 2
    if english:
        return len(word) >= 2 and word not in ENGLISH_FUNCTION_WORDS
    return len(word) >= MIN_LETTERS


@cache
def is_english(language: str | None) -> bool:
    if not language:
        return False
    from babelforge import langs

    try:
        return langs.resolve(language).iso639_3 == "eng"
    except ValueError:
        return False


def _no_space(word: str) -> bool:
    return _NO_SPACE.match(word) is not None


def _clusters(word: str) -> int:
    return len(regex.findall(r"\X", word))


_NO_SPACE = regex.compile("[" + "".join(f"\\p{{Script={name}}}" for name in NO_SPACE_SCRIPTS) + "]")
