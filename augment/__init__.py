"""Augment: code-mixing, cross-lingual instructions and quality gates.

Registered step kinds: ``codemix`` (``lexicon``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from babelforge.langs import LanguageCode
from babelforge.registry import StepSettings, register_step

__all__ = ["CodeMixSettings"]


@register_step("codemix")
class CodeMixSettings(StepSettings):
    """Code-mix each record to a requested CMI, with per-token language labels and measured metrics."""

    produces = frozenset({"codemix"})
    method: Literal["lexicon"] = "lexicon"
    lexicon: str = Field(description="TSV (source<TAB>target) or MUSE lexicon file, relative to the manifest")
    embedded: LanguageCode = Field(description="the language whose words are mixed in")
    matrix: LanguageCode | None = Field(None, description="default: each record's own language")
    cmi: float = Field(30.0, ge=0, le=50, description="requested Code-Mixing Index")
    tolerance: float = Field(5.0, ge=0, description="kept samples lie within cmi +/- tolerance")
    seed: int = 13

    @field_validator("lexicon")
    @classmethod
    def _existing(cls, value: str, info: ValidationInfo) -> str:
        from babelforge.sources import existing_path

        return existing_path(value, info)

    def build(self, ctx):
        from babelforge.augment.codemix import CodeMixStep
        from babelforge.augment.lexicon import Lexicon

        Lexicon.read(self.lexicon)  # a malformed lexicon fails now, not in a task
        return CodeMixStep(self.lexicon, self.embedded, self.matrix, self.cmi, self.tolerance, self.seed)
