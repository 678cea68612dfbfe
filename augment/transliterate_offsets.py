"""Keeping offsets right when words change length: spans, token offsets and segment offsets.

A transliteration is a list of replacements, one per changed word, applied as one
:class:`~babelforge.curate.pii_edit.Edit`. An offset at a word's edge (or outside every changed word)
moves exactly. An offset inside a word (a span on ``القاهرة`` inside ``بالقاهرة``) first tries to
cut the word there: where the two parts transliterated alone give the word's transliteration
(``ب`` + ``القاهرة``), the word becomes two replacements and the offset lands between them. Where
they do not (the parts' transliteration depends on each other, as a Devanagari consonant on the
vowel sign after it), the offset has no exact place in the new text:

- a span is widened to the whole word (it keeps its label and still covers what it covered), and
  counted as ``spans_widened``;
- tokens that share such a word merge into one token, so tokens still tile the text;
- a segment's ``offset`` moves to the word's start.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence

from babelforge.curate.pii_edit import Edit, Replacement
from babelforge.records import SEGMENTS, SPANS, TOKEN_OFFSETS
from babelforge.spans import Span


def cut_points(metadata: dict) -> set[int]:
    """Every offset into the text that the metadata holds: span and token ends, segment offsets."""
    points = {b for s in metadata.get(SPANS) or () for b in (s[0], s[1])}
    points.update(b for t in metadata.get(TOKEN_OFFSETS) or () for b in t[:2])
    points.update(s["offset"] for s in metadata.get(SEGMENTS) or ())
    return points


def cut_words(
    text: str, replacements: Sequence[Replacement], points: Iterable[int], convert: Callable[[str], str]
) -> list[Replacement]:
    """``replacements`` cut at every point inside them where the parts transliterate alone to the same result."""
    inside = sorted(points)
    out: list[Replacement] = []
    for word in replacements:
        start, new = word.start, word.new
        first = bisect_right(inside, word.start)
        for point in inside[first:]:
            if point >= word.end:
                break
            left, right = convert(text[start:point]), convert(text[point : word.end])
            if left + right == new:
                out.append(Replacement(start, point, left))
                start, new = point, right
        out.append(Replacement(start, word.end, new))
    return out


def move(metadata: dict, edit: Edit) -> tuple[int, int]:
    """Move spans, token offsets and segment offsets onto the edited text.

    Returns:
        How many spans were widened, and how many were removed because they became empty (a span
        on letters that the transliteration drops, such as Uzbek ``ь``).
    """
    widened = emptied = 0
    if metadata.get(SPANS):
        ends = [r.end for r in edit.replacements]
        moved = [widen(edit, Span(*s), ends) for s in metadata[SPANS]]
        widened = sum(w for _, w in moved)
        metadata[SPANS] = [span for span, _ in moved if span.start < span.end]
        emptied = len(moved) - len(metadata[SPANS])
    if metadata.get(TOKEN_OFFSETS):
        metadata[TOKEN_OFFSETS] = edit.tokens(metadata[TOKEN_OFFSETS])
    if metadata.get(SEGMENTS):
        metadata[SEGMENTS] = [{**s, "offset": edit.offset(s["offset"])} for s in metadata[SEGMENTS]]
    return widened, emptied


def widen(edit: Edit, span: Span, ends: Sequence[int] | None = None) -> tuple[Span, bool]:
    """``span`` on the edited text, its ends moved out to the edges of any replaced word they fall inside.

    Returns:
        The moved span, and whether it was widened.
    """
    start, end = span.start, span.end
    ends = [r.end for r in edit.replacements] if ends is None else ends
    for word in _holding(edit.replacements, ends, (start, end)):
        if word.start < start < word.end:
            start = word.start
        if word.start < end < word.end:
            end = word.end
    return Span(edit.position(start), edit.position(end), span.label), (start, end) != (span.start, span.end)


def _holding(replacements: Sequence[Replacement], ends: Sequence[int], offsets: Iterable[int]) -> list[Replacement]:
    """The replacements that hold one of ``offsets`` strictly inside (``ends``: each replacement's end)."""
    found = []
    for offset in offsets:
        i = bisect_right(ends, offset)
        if i < len(replacements) and replacements[i].start < offset:
            found.append(replacements[i])
    return found
