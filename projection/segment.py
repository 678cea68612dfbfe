"""Cut long texts into pieces a translation model can take, keeping each piece's offsets.

Sentences end at terminal punctuation of many scripts (Latin ``.!?``, Devanagari ``।``, Ethiopic
``።``, CJK ``。！？``, Arabic ``؟``) followed by space or, for scripts written without spaces, directly.
A sentence that is still too long is cut at whitespace (or, without whitespace, at a fixed width).
"""

from __future__ import annotations

import re
from collections.abc import Callable

_SENTENCE_END = re.compile(r"(?<=[.!?।॥።፧。！？؟])\s+|(?<=[。！？])")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence of ``text`` (whitespace between sentences belongs to none)."""
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        if match.start() > start:
            spans.append((start, match.start()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def fit_pieces(text: str, too_long: Callable[[str], bool]) -> list[tuple[int, int]]:
    """Pieces of ``text`` (as offsets) for which ``too_long`` is false: sentences, then halves."""
    pieces: list[tuple[int, int]] = []
    for start, end in sentence_spans(text):
        pieces.extend(_halve(text, start, end, too_long))
    return pieces


def _halve(text: str, start: int, end: int, too_long: Callable[[str], bool]) -> list[tuple[int, int]]:
    if end - start <= 1 or not too_long(text[start:end]):
        return [(start, end)]
    middle = (start + end) // 2
    space = text.rfind(" ", start + 1, middle + 1)
    if space <= start:
        space = text.find(" ", middle, end - 1)
    cut = space if space > start else middle
    left_end, right_start = (cut, cut + 1) if text[cut : cut + 1] == " " else (cut, cut)
    return _halve(text, start, left_end, too_long) + _halve(text, right_start, end, too_long)
