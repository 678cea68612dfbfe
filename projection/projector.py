"""The family base of projection methods: source spans in, target spans out, with a status each.

A projector maps each source span (character offsets on the source text) to character offsets on a
target text, and says of every record whether all its spans arrived (``complete``), some did
(``partial``) or none did (``failed``, with a reason). Nothing disappears without a status.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from babelforge.spans import Span
from babelforge.words import word_spans


@dataclass
class ProjectionInput:
    """Spans on ``source_text`` to find on ``target_text``; the languages matter to MT-based methods."""

    source_text: str
    source_spans: list[Span]
    target_text: str
    source_language: str | None = None
    target_language: str | None = None


@dataclass
class ProjectionResult:
    """Target spans (aligned with the source spans they came from: ``None`` where one was lost)."""

    spans: list[Span | None]
    scores: list[float] = field(default_factory=list)
    method: str = ""
    reason: str = ""
    target_text: str | None = None  # set by methods that write the translation themselves (markers)
    #: Why a method's own LLM translation failed (``server_error``, ``timeout`` ...): the record drops as ``llm_<it>``.
    failure: str = ""

    @property
    def status(self) -> str:
        found = sum(s is not None for s in self.spans)
        return "complete" if found == len(self.spans) else "partial" if found else "failed"

    @property
    def projected(self) -> list[Span]:
        return [s for s in self.spans if s is not None]


class Projector(ABC):
    """Base class: subclasses implement :meth:`project` for a batch of inputs."""

    name = ""
    translates = False  # True: the method translates the source itself and needs no target text

    @abstractmethod
    def project(self, inputs: list[ProjectionInput]) -> list[ProjectionResult]: ...

    def observe(self, inputs: list[ProjectionInput]) -> None:  # noqa: B027 - most methods learn nothing from text
        """Count what a method learns from the texts alone, without labels, before projecting onto them
        (``spanmatch``: the target's function words and words that hold together, and which source and
        target words occur in the same pairs). The default learns nothing."""


#: ``(start, end)`` of each word and symbol of a text: where projected spans may begin and end. The
#: old name of :func:`babelforge.words.word_spans`, kept for callers of it.
word_offsets = word_spans
