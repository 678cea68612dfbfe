"""Steps every recipe may use, whatever its stage family, and the family base class.

Registered kinds: ``map_labels``, ``filter_length``. Stage families (builders, projection, augment)
register theirs in their own packages.
"""

from __future__ import annotations

from pydantic import Field

from babelforge.registry import StepSettings, register_step
from babelforge.steps.base import Drop, RecordStep

__all__ = ["Drop", "FilterLengthSettings", "MapLabelsSettings", "RecordStep"]


@register_step("map_labels")
class MapLabelsSettings(StepSettings):
    """Rename span labels; map a label to null to remove its spans."""

    mapping: dict[str, str | None]
    drop_unmapped: bool = False
    drop_empty: bool = Field(False, description="drop records whose spans were all removed")

    def build(self, ctx):
        from babelforge.steps.labels import MapLabels

        return MapLabels(self.mapping, self.drop_unmapped, self.drop_empty)


@register_step("filter_length")
class FilterLengthSettings(StepSettings):
    """Keep records within length bounds, in tokens and characters."""

    min_tokens: int | None = Field(None, ge=0)
    max_tokens: int | None = Field(None, ge=1)
    min_chars: int | None = Field(None, ge=0)
    max_chars: int | None = Field(None, ge=1)

    def build(self, ctx):
        from babelforge.steps.length import LengthFilter

        return LengthFilter(self.min_tokens, self.max_tokens, self.min_chars, self.max_chars)
