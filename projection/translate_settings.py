"""Settings of the ``translate`` step, checked where they enter (the step is in :mod:`.translate`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from babelforge.langs import LanguageCode
from babelforge.llm.options import LLMOptions
from babelforge.registry import StepSettings, register_step


@register_step("translate")
class TranslateSettings(StepSettings):
    """Translate each record's text (and other fields) with a CTranslate2 model or an LLM endpoint."""

    produces = frozenset({"bitext"})

    model: str = Field(
        description="Hub id or local folder of an NLLB, M2M100, Marian or MADLAD checkpoint, or openai:MODEL@BASE_URL"
    )
    target: LanguageCode
    source: LanguageCode | None = Field(None, description="default: each record's own language")
    quantization: Literal["default", "int8", "int8_float16", "int8_float32", "float16", "bfloat16", "float32"] = (
        "default"
    )
    beam_size: int = Field(4, ge=1)
    max_decoding_length: int = Field(256, ge=1)
    length_penalty: float = 1.0
    max_batch_tokens: int = Field(4096, ge=1)
    memory: bool = Field(True, description="keep every translation in $BABELFORGE_HOME/memory.sqlite")
    llm: LLMOptions = Field(default_factory=LLMOptions, description="for openai:MODEL@BASE_URL models")
    fields: list[str] | None = Field(
        None,
        description="record fields to translate: text (or context), question, title or a metadata key holding text "
        "(premise, hypothesis, prompt, chosen, rejected ...), each written to target_<field>; default: the text "
        "and a QA record's question",
    )
    joint: bool = Field(
        False,
        description="translate a record's fields together (one JSON request to an LLM, one separated input to an MT "
        "model); a record that fails the checks goes field by field, counted under joint_fallback:<reason>",
    )
    separator: str | None = Field(
        None, min_length=1, description="joint MT: this separator (default: the first one the model's tokenizer keeps)"
    )
    dictionary: str | dict[LanguageCode, str] | None = Field(
        None,
        description="a lexicon: TSV source<TAB>target, MUSE, or TSV with a header of language codes; or "
        "{LANGUAGE: FILE}. LLM: chain-of-dictionary hints in each prompt; any model: judges term consistency",
    )
    auxiliary: list[LanguageCode] = Field(
        default_factory=list, description="LLM with a dictionary: languages chained after the target in each hint"
    )
    max_hints: int = Field(8, ge=1, description="dictionary hints per request at most (rarest words first)")
    consistency_aligner: str | None = Field(
        None, description="word aligner for the term-consistency report (simalign:MODEL ...); default: the "
        "dictionary, else a heuristic",
    )  # fmt: skip

    @field_validator("fields")
    @classmethod
    def _field_names(cls, value: list[str] | None) -> list[str] | None:
        from babelforge.projection.record_fields import check_field_name

        if value is None:
            return value
        if not value:
            raise ValueError("fields lists at least one field (e.g. [text] or [premise, hypothesis])")
        repeated = sorted({name for name in value if value.count(name) > 1})
        if repeated:
            raise ValueError(f"fields names {', '.join(map(repr, repeated))} more than once")
        return [check_field_name(name) for name in value]

    @field_validator("dictionary")
    @classmethod
    def _existing(cls, value, info: ValidationInfo):
        from babelforge.sources import existing_path

        if isinstance(value, dict):
            return {language: existing_path(path, info) for language, path in value.items()}
        return existing_path(value, info) if value else value

    @model_validator(mode="after")
    def _consistent(self) -> TranslateSettings:
        from babelforge.projection.llm_translate import is_llm_spec

        if self.joint and self.fields is not None and len(self.fields) < 2:
            raise ValueError(f"joint translates two fields or more together, got fields: {self.fields}")
        if self.separator is not None and (not self.joint or is_llm_spec(self.model)):
            raise ValueError("separator is for joint: true with an MT model (an LLM answers JSON)")
        if self.auxiliary and not self.dictionary:
            raise ValueError("auxiliary languages need dictionary: a lexicon with their columns or files")
        if self.auxiliary and not is_llm_spec(self.model):
            raise ValueError("auxiliary chains dictionary hints into an LLM's prompt: model must be openai:MODEL@URL")
        if self.dictionary:
            self._dictionary_covers([self.target, *self.auxiliary] if is_llm_spec(self.model) else [self.target])
        return self

    def dictionary_files(self) -> dict[str, str] | None:
        """``{language: path}``: a single file is the target's (or multilingual: its header says)."""
        if not self.dictionary:
            return None
        return dict(self.dictionary) if isinstance(self.dictionary, dict) else {self.target: self.dictionary}

    def _dictionary_covers(self, needed: list[str]) -> None:
        from babelforge.projection.dictionary_hints import header_languages

        available = set()
        for language, path in self.dictionary_files().items():
            if not Path(path).is_file():  # a manifest read back from provenance: nothing left to check
                return
            available |= set(header_languages(path) or [language])
        lacking = [language for language in needed if language not in available]
        if lacking:
            raise ValueError(
                f"dictionary has nothing for {', '.join(lacking)}: it gives {', '.join(sorted(available))} "
                "(a multilingual file names its columns in a header line, e.g. eng_Latn<TAB>hau_Latn<TAB>fra_Latn; "
                "or give {LANGUAGE: FILE} per language)"
            )

    def build(self, ctx):
        from babelforge.models import check_model
        from babelforge.projection.ct2 import Decoding
        from babelforge.projection.llm_translate import is_llm_spec
        from babelforge.projection.term_consistency import ConsistencyJudge
        from babelforge.projection.translate import TranslateStep

        decoding = Decoding(self.beam_size, self.max_decoding_length, self.length_penalty, self.quantization)
        llm = is_llm_spec(self.model)
        check = None if llm else check_model(self.model)  # a run requires it before any task
        if self.consistency_aligner:
            from babelforge.projection.align import aligner

            aligner(self.consistency_aligner)  # a bad spec fails now, not in a task
        files = self.dictionary_files()
        step = TranslateStep(
            self.model, self.target, self.source, decoding, self.max_batch_tokens, "default" if self.memory else None,
            check and check.resolved, self.llm.for_run(ctx.work_dir), self.fields, self.joint, self.separator,
            self._hints(files) if llm else None, ConsistencyJudge(files, self.target, self.consistency_aligner),
        )  # fmt: skip
        step.model_checks = [check] if check else []
        return step

    def _hints(self, files: dict[str, str] | None):
        from babelforge.projection.dictionary_hints import DictionaryHints

        return DictionaryHints(files, self.target, self.auxiliary, self.max_hints) if files else None
