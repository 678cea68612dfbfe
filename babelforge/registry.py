"""The one registry of step kinds: manifest ``steps`` entries are validated and built through it.

A stage family adds a kind by decorating its settings model::

    @register_step("map_labels")
    class MapLabelsSettings(StepSettings):
        mapping: dict[str, str | None]

        def build(self, ctx):
            return MapLabels(self.mapping)

Built-in kinds are registered when their packages are imported (on the first lookup, not at
``import babelforge``); third-party kinds come from the ``babelforge.steps`` entry-point group.
"""

from __future__ import annotations

import importlib
from functools import cache
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from datatrove.pipeline.base import PipelineStep

    from babelforge.pipeline import BuildContext

#: Modules whose import registers the built-in step kinds.
BUILTIN_STEP_MODULES = (
    "babelforge.steps",
    "babelforge.builders",
    "babelforge.projection",
    "babelforge.augment",
    "babelforge.curate",
)

_STEPS: dict[str, type[StepSettings]] = {}


class StepSettings(BaseModel):
    """Settings of one manifest step; subclasses add fields and build the step.

    Class attributes:
        kind: the manifest key, set by :func:`register_step`.
        barrier: True when the step needs all records of the previous pass before it starts
            (an index, a global dedup). The compiler then starts a new pass, chained with ``depends=``.
        produces: output kinds the records can feed once this step ran (``translate`` makes bitext).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: ClassVar[str] = ""
    barrier: ClassVar[bool] = False
    produces: ClassVar[frozenset[str]] = frozenset()

    def build(self, ctx: BuildContext) -> PipelineStep | list[PipelineStep]:
        """Return the datatrove step these settings describe (cheap: models load inside ``run``).

        A barrier step may return several stages: each then runs as its own pass, chained after the
        one before (records pass through the earlier stages unchanged), so that a stage such as a
        search is spread over all the run's tasks and a killed run resumes stage by stage.
        """
        raise NotImplementedError(f"step kind {self.kind!r} does not implement build()")


def register_step(kind: str):
    """Class decorator registering a :class:`StepSettings` subclass under ``kind``."""

    def decorate(cls: type[StepSettings]) -> type[StepSettings]:
        if kind in _STEPS and _STEPS[kind] is not cls:
            raise ValueError(
                f"step kind {kind!r} is registered twice: {_STEPS[kind].__qualname__} and {cls.__qualname__}"
            )
        cls.kind = kind
        _STEPS[kind] = cls
        return cls

    return decorate


@cache
def _load_builtin_and_plugins() -> None:
    for module in BUILTIN_STEP_MODULES:
        importlib.import_module(module)
    for entry in entry_points(group="babelforge.steps"):
        entry.load()


def step_kinds() -> dict[str, type[StepSettings]]:
    """Every registered step kind and its settings model, built-ins and plugins included."""
    _load_builtin_and_plugins()
    return dict(sorted(_STEPS.items()))
