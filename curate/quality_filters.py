"""datatrove's quality filters built from a :class:`~babelforge.curate.quality_config.QualityConfig`.

Each config section becomes the datatrove filter of that name, given the section's values as keyword
arguments and a :class:`~babelforge.curate.quality_words.QualityTokenizer` as its ``language`` (so its
words are babelforge's). Five small filters are babelforge's:

- :class:`C4DocumentFilter`: datatrove's ``C4QualityFilter`` with its line removals off, judging a
  copy of the document, so that the verdict is C4's and the record's text is never changed;
- :class:`StopWordShareFilter`: the share of words that are the language's stop words;
- :class:`LanguageShareFilter`: the share of words in lines and sentences of the language;
- :class:`ScriptFilter`: the share of letters outside the language's script;
- :class:`LanguageScoreFilter`: FineWeb-2's floor on a language identifier's score.

Example:
    >>> from babelforge.curate.quality_config import builtin_config
    >>> [name for name, _ in build_filters(builtin_config("eng_Latn"))]
    ['gopher_quality', 'gopher_repetition', 'fineweb_quality', 'c4']
"""

from __future__ import annotations

from datatrove.data import Document
from datatrove.pipeline.filters import (
    C4QualityFilter,
    FineWebQualityFilter,
    GopherQualityFilter,
    GopherRepetitionFilter,
)
from datatrove.pipeline.filters.base_filter import BaseFilter

from babelforge.curate.quality_config import QualityConfig
from babelforge.curate.quality_words import QualityTokenizer


def build_filters(config: QualityConfig) -> list[tuple[str, BaseFilter]]:
    """``(section name, filter)`` for every section the config turns on, in the config's order."""
    words = QualityTokenizer()
    filters: list[tuple[str, BaseFilter]] = []
    if config.gopher_quality:
        filters.append(("gopher_quality", GopherQualityFilter(**_kwargs(config.gopher_quality), language=words)))
    if config.gopher_repetition:
        filters.append(
            ("gopher_repetition", GopherRepetitionFilter(**_kwargs(config.gopher_repetition), language=words))
        )
    if config.fineweb_quality:
        filters.append(("fineweb_quality", FineWebQualityFilter(**_kwargs(config.fineweb_quality), language=words)))
    if config.c4:
        filters.append(("c4", C4DocumentFilter(**_kwargs(config.c4), language=words)))
    if config.stop_word_share and config.gopher_quality:
        share = StopWordShareFilter(config.gopher_quality.stop_words, config.stop_word_share.min_share)
        filters.append(("stop_word_share", share))
    if config.language_share:
        section = config.language_share
        own = LanguageShareFilter(section.frequent_words, section.min_coverage, section.min_share)
        filters.append(("language_share", own))
    if config.script:
        filters.append(("script", ScriptFilter(config.script.script, config.script.max_foreign_share)))
    if config.language_score:
        score = config.language_score
        filters.append(
            ("language_score", LanguageScoreFilter(config.language, score.identifier, score.min_score, score.k))
        )
    return filters


def _kwargs(section) -> dict:
    return section.model_dump()


class C4DocumentFilter(C4QualityFilter):
    """C4's whole-document checks (too few sentences, ``lorem ipsum``, ``{``) on an unchanged record.

    Sentences are counted over the non-blank lines, as C4 counts them when no line is removed.
    """

    name = "⛰ C4 document"

    def __init__(self, min_num_sentences: int, filter_lorem_ipsum: bool, filter_curly_bracket: bool, language):
        super().__init__(
            split_paragraph=True, remove_citations=False, filter_no_terminal_punct=False,
            min_num_sentences=min_num_sentences, min_words_per_line=1, max_word_length=-1,
            filter_lorem_ipsum=filter_lorem_ipsum, filter_javascript=False,
            filter_curly_bracket=filter_curly_bracket, filter_policy=False, language=language,
        )  # fmt: skip

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        return super().filter(Document(doc.text, doc.id))  # C4 rewrites the text it judges: give it a copy


class StopWordShareFilter(BaseFilter):
    """Drop a document when under ``min_share`` of its words are stop words.

    Example:
        >>> words = StopWordShareFilter(["da", "a", "ya"], 0.2)
        >>> words.filter(Document("Share this article Privacy Policy Terms of Use da", "1"))
        (False, 'too_few_stop_words')
    """

    name = "🛑 Stop-word share"

    def __init__(self, stop_words: list[str], min_share: float):
        super().__init__()
        self.stop_words, self.min_share = set(stop_words), min_share

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        from babelforge.curate.quality_stats import stop_word_share

        return True if stop_word_share(doc.text, self.stop_words) >= self.min_share else (False, "too_few_stop_words")


class LanguageShareFilter(BaseFilter):
    """Drop a document when under ``min_share`` of its words stand in segments of the language
    (:mod:`~babelforge.curate.quality_language`).

    Example:
        >>> own = LanguageShareFilter(["ni", "ti", "awon"], 0.3, 0.5)
        >>> own.filter(Document("Awọn ti ni o.\\nPrivacy Policy · Terms of Use\\nRead more", "1"))
        (False, 'low_language_share')
    """

    name = "🗣 Language share"

    def __init__(self, frequent_words: list[str], min_coverage: float, min_share: float):
        super().__init__()
        self.frequent_words, self.min_coverage, self.min_share = set(frequent_words), min_coverage, min_share

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        from babelforge.curate.quality_language import language_share

        share = language_share(doc.text, self.frequent_words, self.min_coverage)
        return True if share >= self.min_share else (False, "low_language_share")


class ScriptFilter(BaseFilter):
    """Drop a document when more than ``max_foreign_share`` of its letters lie outside ``script``.

    Example:
        >>> ScriptFilter("Latn", 0.1).filter(Document("Sannu da zuwa Кабул Кабул Кабул", "1"))
        (False, 'foreign_script')
    """

    name = "✍ Script"

    def __init__(self, script: str, max_foreign_share: float):
        super().__init__()
        self.script, self.max_foreign_share = script, max_foreign_share

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        from babelforge.augment.gate import foreign_script_share

        share = foreign_script_share(doc.text, self.script)
        if share is not None and share > self.max_foreign_share:
            return False, "foreign_script"
        return True


class LanguageScoreFilter(BaseFilter):
    """Drop a document whose identifier score for ``language`` is under ``min_score`` (the model loads on first use)."""

    name = "🌍 Language score"

    def __init__(self, language: str, identifier: str, min_score: float, k: int = 5):
        super().__init__()
        self.language, self.spec, self.min_score, self.k = language, identifier, min_score, k
        self._identifier = None

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        if self._identifier is None:
            from babelforge.curate.identifiers import load_identifier

            self._identifier = load_identifier(self.spec)
        score = dict(self._identifier.predict(doc.text, self.k)).get(self.language, 0.0)
        return True if score >= self.min_score else (False, "low_language_score")
