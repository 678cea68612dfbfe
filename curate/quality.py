"""The ``quality`` step: a language's quality filters, with thresholds derived for that language.

The filters are datatrove's own (Gopher quality, Gopher repetition, FineWeb quality, C4's document
checks) plus babelforge's stop-word share, language share, script share and language-score floor,
built from a config file (:mod:`~babelforge.curate.quality_config`) that ``babelforge curate calibrate`` derives from a
trusted reference corpus of the language (:mod:`~babelforge.curate.calibrate`), or from a config
shipped with babelforge (``language: hau_Latn``; ``eng_Latn`` is datatrove's defaults).

Example::

    steps:
      - quality: {config: configs/hau_Latn.yaml}
      - quality: {language: amh_Ethi}

Each rejected record is counted, and written to the rejects shard, under ``FILTER:REASON``
(``gopher_quality:gopher_short_doc``, ``gopher_repetition:top_2_gram``, ``script:foreign_script``);
a record without a single word under ``no_words`` (datatrove's FineWeb filter divides by the word
count). Records of another language than the config's (metadata ``language``) pass unchecked and are
counted as ``other_language``: thresholds of one language say nothing about another. Only the
record's ``text`` is judged, and it is never changed.
"""

from __future__ import annotations

from datatrove.data import Document
from pydantic import Field, ValidationInfo, field_validator, model_validator

from babelforge.curate.quality_config import QualityConfig
from babelforge.records import LANGUAGE
from babelforge.registry import StepSettings, register_step
from babelforge.steps import Drop, RecordStep


@register_step("quality")
class QualitySettings(StepSettings):
    """Drop low-quality records by a language's calibrated Gopher, FineWeb and C4 thresholds."""

    config: str | None = Field(None, description="a quality config YAML (babelforge curate calibrate)")
    language: str | None = Field(None, description="a built-in config instead: eng_Latn (datatrove's defaults), ...")

    @field_validator("config")
    @classmethod
    def _readable_config(cls, value: str | None, info: ValidationInfo) -> str | None:
        from babelforge.curate.quality_config import load_quality_config
        from babelforge.errors import BabelforgeError
        from babelforge.sources import existing_path

        if value is None or (info.context or {}).get("recorded"):
            return value
        path = existing_path(value, info)
        try:
            load_quality_config(path)
        except BabelforgeError as error:
            raise ValueError(str(error)) from None
        return path

    @field_validator("language")
    @classmethod
    def _builtin(cls, value: str | None) -> str | None:
        from babelforge.curate.quality_config import builtin_config
        from babelforge.errors import BabelforgeError

        if value is None:
            return value
        try:
            return builtin_config(value).language
        except BabelforgeError as error:
            raise ValueError(str(error)) from None

    @model_validator(mode="after")
    def _one_source(self) -> QualitySettings:
        if (self.config is None) == (self.language is None):
            raise ValueError("give either config (a YAML file) or language (a built-in config), not both or neither")
        return self

    def build(self, ctx):
        from babelforge.curate.quality_config import builtin_config, load_quality_config

        config = load_quality_config(self.config) if self.config else builtin_config(self.language)
        return QualityStep(config)


class QualityStep(RecordStep):
    """Apply a :class:`QualityConfig`'s filters; the first filter that rejects a record names its reason.

    Example:
        >>> from babelforge.curate.quality_config import builtin_config
        >>> QualityStep(builtin_config("eng_Latn")).process(Document("Too short to keep.", "1"))
        Drop(reason='gopher_quality:gopher_short_doc', detail='')
    """

    name = "quality"
    reads = (LANGUAGE,)

    def __init__(self, config: QualityConfig):
        super().__init__()
        self.config = config
        self._filters = None

    @property
    def filters(self):
        """``(name, datatrove filter)`` pairs, built on first use."""
        if self._filters is None:
            from babelforge.curate.quality_filters import build_filters

            self._filters = build_filters(self.config)
        return self._filters

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_filters": None}

    def process(self, doc: Document) -> Document | Drop:
        from datatrove.pipeline.filters.base_filter import get_filter_result

        from babelforge.curate.quality_stats import TOKENIZER

        language = doc.metadata.get(LANGUAGE)
        if language and language != self.config.language:
            self.stat_update("other_language")
            return doc
        if not TOKENIZER.word_tokenize(doc.text):
            return Drop("no_words")
        for name, datatrove_filter in self.filters:
            kept, reason = get_filter_result(datatrove_filter.filter(doc))
            if not kept:
                return Drop(f"{name}:{reason or 'filtered'}")
        return doc
