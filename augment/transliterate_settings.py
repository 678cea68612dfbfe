"""Settings of the ``transliterate`` step, checked where they enter (the step is in :mod:`.transliterate`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from babelforge.langs import LanguageCode
from babelforge.registry import StepSettings, register_step

#: Script codes shown as examples in error messages.
SCRIPT_EXAMPLES = "Latn, Cyrl, Arab, Deva, Ethi, Grek, Hebr"
#: ISO 15924 codes that are no Unicode script value, and the script their letters carry.
SCRIPT_ALIASES = {"Hans": "Hani", "Hant": "Hani", "Jpan": "Hani", "Kore": "Hang"}


def script_code(value: str | None, field: str) -> str | None:
    """An ISO 15924 script code in its canonical case (``latn`` -> ``Latn``), checked against Unicode's scripts."""
    if value is None:
        return None
    import regex

    code = value.strip().title()
    if len(code) != 4:
        raise ValueError(f"{field} takes a four-letter ISO 15924 code such as {SCRIPT_EXAMPLES}, got {value!r}")
    if code.startswith("Z"):  # ISO 15924's special codes: unknown, common, inherited, symbols, unwritten ...
        raise ValueError(
            f"{value!r} in {field} names no script that text is written in (ISO 15924 keeps Z... codes for "
            f"unknown, common and inherited characters, symbols and notation): use one such as {SCRIPT_EXAMPLES}"
        )
    try:
        regex.compile(rf"\p{{sc={SCRIPT_ALIASES.get(code, code)}}}")
    except regex.error:
        raise ValueError(
            f"unknown script {value!r} in {field}: use an ISO 15924 code such as {SCRIPT_EXAMPLES}"
        ) from None
    return code


class OnlyWords(BaseModel):
    """Which words to transliterate: those of a lexicon, or those an identifier assigns to a language."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    lexicon: str | None = Field(None, description="a word list, or a TSV/MUSE lexicon (its first column)")
    identifier: str | None = Field(None, description="lingua, lid176, fasttext:PATH, glotlid ...")
    language: LanguageCode | None = Field(None, description="with identifier: the words' language (rus_Cyrl)")

    @field_validator("lexicon")
    @classmethod
    def _existing(cls, value: str | None, info: ValidationInfo) -> str | None:
        from babelforge.sources import existing_path

        return existing_path(value, info) if value else value

    @model_validator(mode="after")
    def _one_way(self) -> OnlyWords:
        if bool(self.lexicon) == bool(self.identifier):
            raise ValueError(
                "only takes either lexicon: FILE or identifier: SPEC with language: CODE, "
                f"got {'both' if self.lexicon else 'neither'}"
            )
        if self.identifier and not self.language:
            raise ValueError(f"only.identifier {self.identifier!r} needs language: the code of the words to pick")
        if self.lexicon and self.language:
            raise ValueError("only.language goes with only.identifier; a lexicon's words are picked by the file")
        return self

    def selector(self):
        from babelforge.augment.transliterate_only import IdentifiedWords, WordList

        return WordList(self.lexicon) if self.lexicon else IdentifiedWords(self.identifier, self.language)


@register_step("transliterate")
class TransliterateSettings(StepSettings):
    """Write records, or the words of one origin in them, in another script; spans move with the text."""

    to: str = Field("Latn", description="target script, ISO 15924: Latn, Cyrl, Arab, ...")
    scheme: Literal["uroman", "icu", "table"] | None = Field(
        None, description="default: the language's table where one exists, else uroman (to Latn) or icu"
    )
    from_script: str | None = Field(None, description="default: the script of each record's language")
    transform: str | None = Field(None, description="icu: a transform ID (default FROM-TO, e.g. Cyrl-Latn)")
    only: OnlyWords | None = Field(None, description="{lexicon: FILE} or {identifier: SPEC, language: CODE}")
    keep_original: bool = Field(True, description="keep the text before in metadata original_text")
    on_failure: Literal["drop", "keep"] = Field("drop", description="a record that cannot be transliterated")

    @field_validator("to", "from_script")
    @classmethod
    def _script(cls, value: str | None, info: ValidationInfo) -> str | None:
        return script_code(value, info.field_name)

    @model_validator(mode="after")
    def _coherent(self) -> TransliterateSettings:
        if self.scheme == "uroman" and self.to != "Latn":
            raise ValueError(f"scheme uroman only romanises (to: Latn), got to: {self.to}; use scheme: icu or table")
        if self.transform and self.scheme not in (None, "icu"):
            raise ValueError(f"transform is an ICU transform ID: it goes with scheme: icu, not {self.scheme}")
        if self.from_script and self.from_script == self.to:
            raise ValueError(f"from_script and to are both {self.to}: nothing would change")
        if self.scheme == "table" and self.from_script:
            from babelforge.augment.transliterate_tables import TABLES, table_names

            if not any((t.source, t.target) == (self.from_script, self.to) for t in TABLES):
                raise ValueError(
                    f"no table from {self.from_script} to {self.to}: tables: {', '.join(table_names())}; "
                    "use scheme: uroman or icu"
                )
        return self

    def build(self, ctx):
        from babelforge.augment.transliterate import TransliterateStep
        from babelforge.augment.transliterators import check_transform, require

        scheme = "icu" if self.transform else self.scheme
        if scheme:
            require(scheme, f"transliterate scheme {scheme}")
        else:
            default = "uroman" if self.to == "Latn" else "icu"
            require(default, f"transliterate to {self.to} (scheme {default}, used where a language has no table)")
        if scheme == "icu" and (self.transform or self.from_script):
            check_transform(self.transform or f"{self.from_script}-{self.to}")  # an unknown ID fails now
        only = self.only.selector() if self.only else None
        if only is not None:
            only.check()
        return TransliterateStep(
            self.to, scheme, self.from_script, self.transform, only, self.keep_original, self.on_failure
        )
