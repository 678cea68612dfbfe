"""Character-offset spans, and the one place where they meet tokens and tag schemes.

Inside babelforge a labelled span is ``Span(start, end, label)``: code-point offsets into the
record's text, ``text[start:end]`` being the span's surface. Tokens and BIO-style tags exist only at
the edges (CoNLL readers, NER writers, the token-classification fine-tuner), and they are converted
here and nowhere else.

Tag schemes: ``BIO`` (IOB2), ``IOB1`` and ``BIOES`` (``BILOU``'s ``U``/``L`` are read as ``S``/``E``).
Parsing is lenient in the conlleval way: an ``I-X`` or ``E-X`` with no open ``X`` span opens one.

Example:
    >>> text, offsets = join_tokens(["Ada", "Lovelace", "wrote"])
    >>> spans = tags_to_spans(["B-PER", "I-PER", "O"], offsets)
    >>> spans, text[spans[0].start:spans[0].end]
    ([Span(start=0, end=12, label='PER')], 'Ada Lovelace')
    >>> spans_to_tags(spans, offsets, "BIOES").tags
    ['B-PER', 'E-PER', 'O']
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from functools import lru_cache
from itertools import accumulate, pairwise
from operator import add
from typing import NamedTuple

TAG_SCHEMES = ("BIO", "IOB1", "BIOES")
_PREFIX_ALIASES = {"U": "S", "L": "E"}
_WHITESPACE = re.compile(r"\S+")


class Span(NamedTuple):
    """A labelled character span: ``text[start:end]`` in code points."""

    start: int
    end: int
    label: str


class TaggedTokens(NamedTuple):
    """Tags for tokens, and the spans that the scheme could not express (overlapping or nested)."""

    tags: list[str]
    kept_aside: list[Span]


def join_tokens(tokens: Sequence[str], sep: str = " ") -> tuple[str, list[tuple[int, int]]]:
    """Join tokens into text and return each token's ``(start, end)`` offsets in it."""
    lengths = list(map(len, tokens))
    # without a Python-level call per token: starts are running sums of the lengths plus separators
    starts = list(accumulate(map(len(sep).__add__, lengths), initial=0))
    return sep.join(tokens), list(zip(starts, map(add, starts, lengths), strict=False))  # stops at the last token


def tokenize(text: str, spans: Sequence[Span] = ()) -> list[tuple[int, int]]:
    """Whitespace tokens of ``text``, further cut at every span boundary.

    Cutting at span boundaries makes every non-overlapping span expressible as whole tokens, which
    matters for projected spans that start or end inside a word (agglutinative targets, clitics).
    """
    cuts = sorted({b for span in spans for b in (span.start, span.end)})
    offsets = []
    for match in _WHITESPACE.finditer(text):
        start, end = match.span()
        for cut in cuts:
            if start < cut < end:
                offsets.append((start, cut))
                start = cut
        offsets.append((start, end))
    return offsets


@lru_cache(maxsize=4096)
def split_tag(tag: str) -> tuple[str, str | None]:
    """``"B-PER"`` to ``("B", "PER")``; ``"O"`` to ``("O", None)``.

    Raises:
        ValueError: for a tag that is neither ``O`` nor ``PREFIX-LABEL``.
    """
    if tag == "O":
        return "O", None
    prefix, sep, label = tag.partition("-")
    prefix = _PREFIX_ALIASES.get(prefix, prefix)
    if not sep or not label or prefix not in {"B", "I", "E", "S"}:
        raise ValueError(f"invalid tag {tag!r}: expected 'O' or one of B-, I-, E-, S- followed by a label")
    return prefix, label


def tags_to_spans(tags: Sequence[str], offsets: Sequence[tuple[int, int]]) -> list[Span]:
    """Turn per-token tags (any supported scheme) into character spans.

    Args:
        tags: one tag per token.
        offsets: each token's ``(start, end)`` in the text.

    Raises:
        ValueError: on a malformed tag, or when ``tags`` and ``offsets`` differ in length.
    """
    if len(tags) != len(offsets):
        raise ValueError(f"{len(tags)} tags for {len(offsets)} tokens")
    spans: list[Span] = []
    if tags.count("O") == len(tags):  # most sentences name nothing
        return spans
    open_label, open_start, open_end, previous = None, 0, 0, -2
    for i in [i for i, tag in enumerate(tags) if tag != "O"]:  # entities are sparse: skip the O run
        prefix, label = split_tag(tags[i])
        if open_label is not None and (i != previous + 1 or prefix in "BS" or label != open_label):
            spans.append(Span(open_start, open_end, open_label))
            open_label = None
        if open_label is None:
            open_label, open_start = label, offsets[i][0]
        open_end, previous = offsets[i][1], i
        if prefix in "ES":
            spans.append(Span(open_start, open_end, open_label))
            open_label = None
    if open_label is not None:
        spans.append(Span(open_start, open_end, open_label))
    return spans


def spans_to_tags(spans: Sequence[Span], offsets: Sequence[tuple[int, int]], scheme: str = "BIO") -> TaggedTokens:
    """Tag tokens with ``spans``; spans the scheme cannot express are returned aside.

    A span is expressible when it starts at a token's start, ends at a token's end and shares no
    token with an earlier (longer or leftmost) span. Others (nested, overlapping or cutting a token)
    are kept aside for the caller to count.

    Args:
        spans: character spans on the text the offsets index.
        offsets: token ``(start, end)`` offsets, sorted.
        scheme: one of :data:`TAG_SCHEMES`.
    """
    if scheme not in TAG_SCHEMES:
        raise ValueError(f"unknown tag scheme {scheme!r}: valid: {', '.join(TAG_SCHEMES)}")
    if not spans:
        return TaggedTokens(["O"] * len(offsets), [])
    if _sorted_disjoint(spans):
        return _tag_in_order(spans, offsets, scheme)
    return _tag_with_owners(sorted(spans, key=lambda s: (s.start, -s.end)), offsets, scheme)


def _tag_with_owners(ordered: Sequence[Span], offsets: Sequence[tuple[int, int]], scheme: str) -> TaggedTokens:
    """:func:`spans_to_tags` for spans in any arrangement (``ordered`` longest first where they start together)."""
    owner: list[int | None] = [None] * len(offsets)
    placed: list[tuple[int, int, str]] = []
    kept_aside = []
    for span in ordered:
        first, last = _token_starting(offsets, span.start), _token_ending(offsets, span.end)
        if first is None or last is None or last < first or any(o is not None for o in owner[first : last + 1]):
            kept_aside.append(span)
            continue
        owner[first : last + 1] = [len(placed)] * (last - first + 1)
        placed.append((first, last, span.label))
    tags = ["O"] * len(offsets)
    for index, (first, last, label) in enumerate(placed):
        _write_tags(tags, first, last, label, scheme, follows_same=_follows_same(placed, owner, index, first))
    return TaggedTokens(tags, kept_aside)


def _tag_in_order(spans: Sequence[Span], offsets: Sequence[tuple[int, int]], scheme: str) -> TaggedTokens:
    """:func:`spans_to_tags` for sorted, disjoint spans (the common case), without a table of token owners.

    The token found for a position never decreases as the position grows (a binary search), so each
    placed span's first token comes after the previous placed span's last: no token is shared, and a
    span follows one of its label exactly when it starts on the next token.
    """
    tags = ["O"] * len(offsets)
    kept_aside = []
    previous_last, previous_label = -1, None
    for span in spans:
        start, end, label = span
        first, last = bisect_left(offsets, start, key=_start), bisect_left(offsets, end, key=_start) - 1
        if not (first <= last < len(offsets) and offsets[first][0] == start and offsets[last][1] == end):
            kept_aside.append(span)
            continue
        _write_tags(
            tags, first, last, label, scheme, follows_same=first == previous_last + 1 and label == previous_label
        )
        previous_last, previous_label = last, label
    return TaggedTokens(tags, kept_aside)


def _start(offset: Sequence[int]) -> int:
    """A token's start: offsets may be tuples, or lists once read back from JSON."""
    return offset[0]


def _sorted_disjoint(spans: Sequence[Span]) -> bool:
    return all(a[1] <= b[0] for a, b in pairwise(spans))


def _token_starting(offsets: Sequence[tuple[int, int]], start: int) -> int | None:
    i = bisect_left(offsets, start, key=_start)  # the first token starting at or after `start`
    return i if i < len(offsets) and offsets[i][0] == start else None


def _token_ending(offsets: Sequence[tuple[int, int]], end: int) -> int | None:
    i = bisect_left(offsets, end, key=_start) - 1  # the last token starting before `end`
    return i if i >= 0 and offsets[i][1] == end else None


def _follows_same(placed, owner, index: int, first: int) -> bool:
    previous = owner[first - 1] if first > 0 else None
    return previous is not None and placed[previous][2] == placed[index][2]


def _write_tags(tags: list[str], first: int, last: int, label: str, scheme: str, follows_same: bool) -> None:
    if scheme == "BIOES":
        if first == last:
            tags[first] = f"S-{label}"
            return
        tags[first], tags[last] = f"B-{label}", f"E-{label}"
        tags[first + 1 : last] = [f"I-{label}"] * (last - first - 1)
        return
    inside = f"I-{label}"
    tags[first : last + 1] = [inside] * (last - first + 1)
    if scheme == "BIO" or follows_same:
        tags[first] = f"B-{label}"


def convert_tags(tags: Sequence[str], scheme: str) -> list[str]:
    """Rewrite tags of any scheme into ``scheme`` (for example IOB1 to BIO)."""
    offsets = [(i, i + 1) for i in range(len(tags))]
    return spans_to_tags(tags_to_spans(tags, offsets), offsets, scheme).tags


def tag_names(labels: Sequence[str], scheme: str = "BIO") -> list[str]:
    """The full, ordered tag inventory for ``labels`` in ``scheme``: ``O`` first, then per label."""
    prefixes = {"BIO": "BI", "IOB1": "BI", "BIOES": "BIES"}[scheme]
    return ["O"] + [f"{p}-{label}" for label in sorted(labels) for p in prefixes]
