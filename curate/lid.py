"""The ``lid`` step kind: language identification that holds for low-resource languages.

Manifest example (a Hausa crawl checked with GlotLID, Fulfulde kept apart, uncertain records dropped)::

    steps:
      - lid:
          identifier: glotlid            # or lingua (default), lid176, openlid, fasttext:PATH,
                                         # fasttext:SUPPLEMENT.bin+lid176 (see `curate lid-train`)
          languages: [hau_Latn, fuv_Latn]
          thresholds: {fuv_Latn: 0.7}    # per language; `threshold` for the others
          abstain: 0.3                   # under it the label is und, not the nearest big language
          relabel: true                  # write the identified language into the record
          field: [text, target_text]     # both sides of mined pairs or translations

See :mod:`babelforge.curate.lid_step` for what is written to each record and counted.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator

from babelforge.registry import StepSettings, register_step


def _code(value: str) -> str:
    from babelforge.curate.identifiers import language_code

    return language_code(value)


#: A language the identifiers can name: babelforge's table, or an ISO 639-3 plus script code (pcm_Latn).
LidLanguage = Annotated[str, AfterValidator(_code)]


@register_step("lid")
class LidSettings(StepSettings):
    """Identify each record's language; keep its top languages and scores; drop, abstain or relabel."""

    identifier: str = Field(
        "lingua", description="lingua, lid176, glotlid, openlid, nllb-lid, fasttext:PATH, hf:OWNER/REPO/FILE, A+B"
    )
    languages: list[LidLanguage] = Field(
        default_factory=list, description="languages to keep (default: each record's own language)"
    )
    threshold: float = Field(0.5, ge=0, le=1, description="the lowest score kept, for languages not in thresholds")
    thresholds: dict[LidLanguage, float] = Field(
        default_factory=dict, description="the lowest score kept, per language"
    )
    abstain: float = Field(0.3, ge=0, le=1, description="under this best score the label is und (counted abstained)")
    k: int = Field(3, ge=1, le=20, description="languages and scores kept per record")
    relabel: bool = Field(False, description="set the record's language from LID instead of dropping it")
    field: str | list[str] = Field("text", description="text, target_text (translations, pairs), or a list")
    confusables: str | None = Field(None, description="a TSV of more confusable pairs (code<TAB>code<TAB>why)")
    confusable_margin: float = Field(0.2, ge=0, le=1, description="report a known pair closer than this")
    on_confusable: Literal["flag", "drop"] = "flag"

    @field_validator("confusables")
    @classmethod
    def _existing(cls, value: str | None, info: ValidationInfo) -> str | None:
        from babelforge.sources import existing_path

        return existing_path(value, info) if value else value

    @field_validator("thresholds")
    @classmethod
    def _scores(cls, value: dict[str, float]) -> dict[str, float]:
        bad = {code: score for code, score in value.items() if not 0 <= score <= 1}
        if bad:
            raise ValueError(f"thresholds are scores from 0 to 1, got {bad}")
        return value

    @property
    def fields(self) -> tuple[str, ...]:
        return (self.field,) if isinstance(self.field, str) else tuple(self.field)

    def build(self, ctx):
        from babelforge.curate.confusables import Confusables
        from babelforge.curate.identifiers import load_identifier
        from babelforge.curate.lid_hub import model_checks
        from babelforge.curate.lid_step import LidStep

        identifier = load_identifier(self.identifier)  # an unknown spec or a missing file fails now
        Confusables.load(self.confusables)  # a malformed table fails now, not in a task
        step = LidStep(
            self.identifier, self.fields, tuple(self.languages), self.threshold, self.thresholds, self.abstain,
            self.k, self.relabel, self.confusables, self.confusable_margin, self.on_confusable,
        )  # fmt: skip
        step.model_checks = model_checks(identifier)
        return step
