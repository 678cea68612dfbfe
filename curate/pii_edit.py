"""Replacing values in a text and moving what points into it: spans, token offsets, segment offsets.

Offsets are code points. An offset outside every replaced value moves by the change in length of
the values before it; an offset strictly inside a value has no place in the new text, so each
caller decides:

- a span that holds whole values (``[Ada, ada@x.org]`` around an email) keeps its label and covers
  the placeholders; a span that lies inside a value or cuts through one (a ``PER`` span on the
  ``ada`` of ``ada@x.org``) names text that is gone: it is removed, and counted;
- tokens that touch one value merge into one token over the placeholder (``0803 123 4567``, three
  tokens, becomes one ``<PHONE>``), so tokens still tile the text;
- a segment's ``offset`` inside a value moves to the placeholder's start.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from typing import NamedTuple

from babelforge.spans import Span


class Replacement(NamedTuple):
    """``text[start:end]`` becomes ``new``."""

    start: int
    end: int
    new: str


class Edit:
    """Replacements on one text (sorted, not overlapping) and the offset map they make.

    Example:
        >>> edit = Edit("mail ada@x.org now", [Replacement(5, 14, "<EMAIL>")])
        >>> edit.text, edit.spans([Span(0, 14, "X"), Span(5, 8, "PER"), Span(15, 18, "Y")])
        ('mail <EMAIL> now', ([Span(start=0, end=12, label='X'), Span(start=13, end=16, label='Y')], 1))
    """

    def __init__(self, text: str, replacements: Sequence[Replacement]):
        self.replacements = sorted(replacements)
        parts, last = [], 0
        for r in self.replacements:
            parts += [text[last : r.start], r.new]
            last = r.end
        self.text = "".join(parts) + text[last:]
        self._ends = [r.end for r in self.replacements]
        self._shift = [0]
        for r in self.replacements:
            self._shift.append(self._shift[-1] + len(r.new) - (r.end - r.start))

    def position(self, offset: int) -> int:
        """Where ``offset`` (outside every value, or at a value's edge) lands in the new text."""
        return offset + self._shift[bisect_right(self._ends, offset)]

    def _inside(self, offset: int) -> Replacement | None:
        """The value that ``offset`` falls strictly inside, if any."""
        i = bisect_right(self._ends, offset)
        if i < len(self.replacements) and self.replacements[i].start < offset:
            return self.replacements[i]
        return None

    def spans(self, spans: Sequence[Span]) -> tuple[list[Span], int]:
        """The spans moved onto the new text, and how many were removed (they lay inside or across a value)."""
        kept = []
        for span in spans:
            if self._inside(span.start) or self._inside(span.end):
                continue
            kept.append(Span(self.position(span.start), self.position(span.end), span.label))
        return kept, len(spans) - len(kept)

    def tokens(self, offsets: Sequence[Sequence[int]]) -> list[tuple[int, int]]:
        """Token offsets moved onto the new text; tokens that touch one value become one token."""
        merged: list[list[int]] = []
        for start, end in offsets:
            inside_start, inside_end = self._inside(start), self._inside(end)
            start = inside_start.start if inside_start else start
            end = inside_end.end if inside_end else end
            if merged and start < merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        return [(self.position(start), self.position(end)) for start, end in merged]

    def offset(self, offset: int) -> int:
        """Any offset moved onto the new text; one inside a value lands at its placeholder's start."""
        inside = self._inside(offset)
        return self.position(inside.start if inside else offset)
