"""A language's quality thresholds: a versioned YAML file, checked field by field when it is loaded.

Each filter section holds the keyword arguments of the datatrove filter it configures, under
datatrove's own names, with datatrove's defaults as its defaults; ``null`` turns a filter off. So the
English defaults are a file that says only ``version`` and ``language``, and a calibrated file
(``babelforge curate calibrate``, :mod:`~babelforge.curate.calibrate`) moves each value to where the
language's reference corpus puts it::

    version: 1
    language: hau_Latn
    derived_from: {reference: masakhanews/hau.dev.tsv, documents: 317, tail: 0.01, fence: 0.5, ...}
    gopher_quality: {min_doc_words: 9, min_avg_word_length: 3.9, stop_words: [da, a, ya, ...], ...}
    gopher_repetition: {dup_line_frac: 0.3, top_n_grams: [[2, 0.071], [3, 0.05], [4, 0.045]], ...}
    fineweb_quality: {line_punct_thr: 0.0, new_line_ratio: 0.3, ...}
    c4: {min_num_sentences: 1, filter_curly_bracket: true, filter_lorem_ipsum: true}
    stop_word_share: {min_share: 0.12}
    language_share: {min_share: 0.5, min_coverage: 0.307, frequent_words: [da, a, ya, ...]}
    script: {script: Latn, max_foreign_share: 0.02}
    language_score: {identifier: lid176, min_score: 0.62}

Four sections are babelforge's, not datatrove's: ``stop_word_share`` (the share of a document's
words that are the language's stop words: Gopher counts distinct stop words, which a short headline
of the language inside a page of foreign boilerplate also passes), ``language_share`` (the share of
a document's words in lines and sentences made of the language's frequent words,
:mod:`~babelforge.curate.quality_language`), ``script`` (the share of letters
written outside the language's script, :func:`babelforge.augment.gate.foreign_script_share`) and
``language_score`` (FineWeb-2's floor on the identifier's score for the language).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from babelforge.errors import BabelforgeError

#: The config format this code writes and reads.
VERSION = 1
_SHAPED = re.compile(r"^[a-z]{3}_[A-Z][a-z]{3}$")
Share = Annotated[float, Field(ge=0, le=1)]


def canonical_language(value: str) -> str:
    """``value`` as babelforge's canonical code; a well-formed ``xxx_Scrp`` outside its table as GlotLID names it.

    ``swa_Latn`` becomes ``swh_Latn`` (the macrolanguage's main member), ``pcm_Latn`` stays as it is.
    """
    from babelforge import langs

    try:
        return langs.resolve(value).code
    except BabelforgeError:
        if not _SHAPED.match(value):
            raise
    from babelforge.curate.identifiers import canonical_code

    return canonical_code(value)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GopherQuality(_Section):
    """datatrove's ``GopherQualityFilter``. ``max_non_alpha_words_ratio`` is (datatrove's name) the
    *least* share of words that must hold a letter."""

    min_doc_words: int = Field(50, ge=1, description="at least 1: the other ratios divide by the word count")
    max_doc_words: int | None = Field(100000, ge=1)
    min_avg_word_length: float | None = Field(3, ge=0)
    max_avg_word_length: float | None = Field(10, gt=0)
    max_symbol_word_ratio: float | None = Field(0.1, ge=0)
    max_bullet_lines_ratio: Share | None = 0.9
    max_ellipsis_lines_ratio: Share | None = 0.3
    max_non_alpha_words_ratio: Share | None = 0.8
    min_stop_words: int | None = Field(2, ge=0)
    stop_words: list[str] = Field(default_factory=lambda: _english_stop_words())


def _english_stop_words() -> list[str]:
    from datatrove.pipeline.filters.gopher_quality_filter import STOP_WORDS

    return list(STOP_WORDS)


class GopherRepetition(_Section):
    """datatrove's ``GopherRepetitionFilter``: ``[n, share]`` pairs for the n-gram checks."""

    dup_line_frac: Share | None = 0.3
    dup_para_frac: Share | None = 0.3
    dup_line_char_frac: Share | None = 0.2
    dup_para_char_frac: Share | None = 0.2
    top_n_grams: list[tuple[Annotated[int, Field(ge=1)], Share]] = [(2, 0.2), (3, 0.18), (4, 0.16)]
    dup_n_grams: list[tuple[Annotated[int, Field(ge=1)], Share]] = [
        (5, 0.15), (6, 0.14), (7, 0.13), (8, 0.12), (9, 0.11), (10, 0.10)
    ]  # fmt: skip


class FineWebQuality(_Section):
    """datatrove's ``FineWebQualityFilter`` (its stop characters: datatrove's ``TERMINAL_PUNCTUATION``)."""

    line_punct_thr: Share = 0.12
    line_punct_exclude_zero: bool = False
    short_line_thr: float = Field(0.67, ge=0, description="above 1: off")
    short_line_length: int = Field(30, ge=0)
    char_duplicates_ratio: float = Field(0.01, ge=0)
    new_line_ratio: float = Field(0.3, ge=0)


class C4(_Section):
    """The whole-document checks of datatrove's ``C4QualityFilter``; its line removals stay off (the
    quality step keeps or drops a record, it never edits one). ``min_num_sentences: -1`` is off."""

    min_num_sentences: int = Field(5, ge=-1)
    filter_lorem_ipsum: bool = True
    filter_curly_bracket: bool = True


class StopWordShare(_Section):
    """At least ``min_share`` of a document's words are stop words (``gopher_quality.stop_words``)."""

    min_share: Share


class LanguageShare(_Section):
    """At least ``min_share`` of a document's words stand in lines or sentences of the language: those where
    at least ``min_coverage`` of the words are ``frequent_words`` (folded; see
    :mod:`~babelforge.curate.quality_language`)."""

    min_share: Share
    min_coverage: Share
    frequent_words: list[str] = Field(min_length=1)


class Script(_Section):
    """At most ``max_foreign_share`` of the letters outside ``script`` (ISO 15924)."""

    script: str = Field(pattern=r"^[A-Z][a-z]{3}$")
    max_foreign_share: Share


class LanguageScore(_Section):
    """FineWeb-2's floor: the identifier's score for the config's language must reach ``min_score``."""

    identifier: str
    min_score: Share
    k: int = Field(5, ge=1, description="labels asked of the identifier; a language outside them scores 0")


class Derivation(_Section):
    """Where calibrated thresholds came from (absent for hand-written and default configs)."""

    reference: str
    documents: int = Field(ge=1)
    tail: Share
    fence: float = Field(ge=0)
    confidence: Share | None = None
    stop_words: int = Field(ge=1)
    reference_kept: Share | None = None
    created: date | None = None
    babelforge: str | None = None


class QualityConfig(_Section):
    """One language's quality filters and their thresholds (a ``null`` section is a filter turned off)."""

    version: Literal[1] = VERSION
    language: Annotated[str, AfterValidator(canonical_language)]
    derived_from: Derivation | None = None
    gopher_quality: GopherQuality | None = Field(default_factory=GopherQuality)
    gopher_repetition: GopherRepetition | None = GopherRepetition()
    fineweb_quality: FineWebQuality | None = FineWebQuality()
    c4: C4 | None = C4()
    stop_word_share: StopWordShare | None = None
    language_share: LanguageShare | None = None
    script: Script | None = None
    language_score: LanguageScore | None = None

    @model_validator(mode="after")
    def _stop_words_for_the_share(self) -> QualityConfig:
        if self.stop_word_share is not None and self.gopher_quality is None:
            raise ValueError("stop_word_share counts gopher_quality.stop_words: give gopher_quality, or set it to null")
        return self

    def to_yaml(self) -> str:
        """The config as YAML, sections in filter order, tuples as lists."""
        data = self.model_dump(mode="json", exclude_none=False)
        if data["derived_from"] is None:
            del data["derived_from"]
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120)


def load_quality_config(path: str | Path) -> QualityConfig:
    """Read and check a config file.

    Raises:
        BabelforgeError: naming the file and every bad field (``gopher_quality.min_doc_words: ...``).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise BabelforgeError(f"cannot read quality config {path}: {error.strerror or error}") from None
    return parse_quality_config(text, str(path))


def parse_quality_config(text: str, where: str) -> QualityConfig:
    """A config from YAML text; ``where`` names it in errors."""
    from babelforge.manifest_problems import problem_of, unknown_keys

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise BabelforgeError(f"{where}: not YAML: {str(error).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise BabelforgeError(f"{where}: expected a mapping with version, language and filter sections")
    if data.get("version", VERSION) != VERSION:
        raise BabelforgeError(
            f"{where}: version {data['version']!r} is not one this babelforge reads (valid: {VERSION}); "
            "recalibrate with `babelforge curate calibrate`"
        )
    problems = [str(p) for p in unknown_keys(QualityConfig, data, "")]
    try:
        config = QualityConfig.model_validate(data)
    except ValidationError as error:
        problems += [str(p) for p in map(problem_of, error.errors()) if p is not None]
        config = None
    if problems or config is None:
        raise BabelforgeError(f"{where}: " + "; ".join(dict.fromkeys(problems)))
    return config


def builtin_configs() -> dict[str, str]:
    """Language code -> YAML text of the configs shipped with babelforge (``curate/configs/``)."""
    from importlib import resources

    folder = resources.files("babelforge.curate").joinpath("configs")
    return {
        p.name.removesuffix(".yaml"): p.read_text(encoding="utf-8")
        for p in folder.iterdir()
        if p.name.endswith(".yaml")
    }


def builtin_config(language: str) -> QualityConfig:
    """The shipped config of ``language`` (``eng_Latn`` is datatrove's defaults).

    Raises:
        BabelforgeError: when none is shipped, listing those that are.
    """
    shipped = builtin_configs()
    code = canonical_language(language)
    if code not in shipped:
        raise BabelforgeError(
            f"no built-in quality config for {code!r}: built in: {', '.join(sorted(shipped))}; "
            f"derive one with `babelforge curate calibrate --reference REF --language {code} --output FILE`"
        )
    return parse_quality_config(shipped[code], f"built-in config {code}")
