"""``markers``: EasyProject-style projection: translate the source with its spans marked.

Each span is wrapped in square brackets, the marked sentence is translated, and the brackets are
read back out of the translation (bracket variants such as ``【】``, ``［］`` or ``「」`` count as
markers too). The translation without its markers becomes the target text. Marked spans are matched
to the source spans by count and order when those agree, and otherwise by fuzzy similarity to each
entity translated on its own. Markers can degrade the translation (the reason ``constrained`` exists);
this method needs no second model and no word boundaries.
"""

from __future__ import annotations

import re

from babelforge.llm.client import Failure
from babelforge.projection.ct2 import Decoding
from babelforge.projection.name_case import drop_unnamed
from babelforge.projection.projector import ProjectionInput, ProjectionResult, Projector
from babelforge.spans import Span

_OPENERS, _CLOSERS = "[［【〔「『⟦", "]］】〕」』⟧"
_BRACKETS = str.maketrans(_OPENERS + _CLOSERS, "[" * len(_OPENERS) + "]" * len(_CLOSERS))
_MARKED = re.compile(r"\[([^\[\]]*)\]")


class MarkersProjector(Projector):
    """Translate with markers around spans and read the spans back from the translation.

    Example:
        >>> projector = MarkersProjector("facebook/nllb-200-distilled-600M", "en", "hau_Latn")
        >>> result = projector.project([ProjectionInput("Obama visited Kano", [Span(0, 5, "PER")], "")])[0]
        >>> result.target_text, result.spans  # doctest: +SKIP
        ('Obama ya ziyarci Kano', [Span(start=0, end=5, label='PER')])
    """

    name = "markers"
    translates = True

    def __init__(
        self, model: str, source: str | None = None, target: str | None = None, quantization="default", resolved=None,
        llm=None,
    ):  # fmt: skip
        self.model, self.source, self.target, self.quantization = model, source, target, quantization
        self._translators: dict = {}
        self.resolved, self.llm = resolved, llm

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_translators": {}}

    def translator(self, source: str, target: str):
        """The CTranslate2 or LLM translator for a language pair (``openai:MODEL@BASE_URL`` is an LLM)."""
        from babelforge.projection.translate import make_translator

        if (source, target) not in self._translators:
            decoding = Decoding(quantization=self.quantization)
            self._translators[source, target] = make_translator(
                self.model, source, target, decoding, resolved=self.resolved, llm=self.llm
            )
        return self._translators[source, target]

    def project(self, inputs: list[ProjectionInput]) -> list[ProjectionResult]:
        groups: dict[tuple[str, str], list[int]] = {}
        for i, item in enumerate(inputs):
            pair = (item.source_language or self.source, item.target_language or self.target)
            if None in pair:
                raise ValueError("markers projection needs the source and target languages")
            groups.setdefault(pair, []).append(i)
        translated: dict[int, str] = {}
        alone: dict[str, str] = {}
        for pair, indices in groups.items():
            entities = [inputs[i].source_text[s.start : s.end] for i in indices for s in inputs[i].source_spans]
            marked = [mark(inputs[i].source_text, inputs[i].source_spans) for i in indices]
            done = self.translator(*pair).translate(marked + entities)  # one call: repeats translated once
            translated.update(zip(indices, done[: len(indices)], strict=True))
            alone.update(zip(entities, done[len(indices) :], strict=True))
        return [self._read(item, translated[i], alone) for i, item in enumerate(inputs)]

    def _read(self, item: ProjectionInput, translation, alone: dict) -> ProjectionResult:
        n = len(item.source_spans)
        if isinstance(translation, Failure):
            why = f"translation failed: {translation.reason}: {translation.detail}"
            return ProjectionResult([None] * n, [0.0] * n, self.name, why, "", failure=translation.reason)
        text, found = unmark(translation)
        if not n:
            return ProjectionResult([], [], self.name, target_text=text)
        if not text:
            return ProjectionResult([None] * n, [0.0] * n, self.name, "empty translation", target_text=text)
        surfaces = [text[a:b] for a, b in found]
        wanted = [alone.get(item.source_text[s.start : s.end], "") for s in item.source_spans]
        wanted = [w if isinstance(w, str) else "" for w in wanted]
        order, scores = _match(surfaces, wanted)
        spans: list[Span | None] = [
            None if j is None else Span(found[j][0], found[j][1], item.source_spans[s].label)
            for s, j in enumerate(order)
        ]
        reason = "" if all(spans) else f"{len(found)} marked spans in the translation for {n} entities"
        spans, reason = drop_unnamed(item.source_text, item.source_spans, text, spans, reason)
        return ProjectionResult(spans, scores, self.name, reason, target_text=text)


def mark(text: str, spans: list[Span]) -> str:
    """``text`` with each (non-overlapping) span wrapped in ``[ ]``; literal brackets become parentheses."""
    out, last = [], 0
    for span in sorted(spans, key=lambda s: s.start):
        if span.start < last:
            continue
        out += [_plain(text[last : span.start]), "[", _plain(text[span.start : span.end]), "]"]
        last = span.end
    out.append(_plain(text[last:]))
    return "".join(out)


def unmark(translation: str) -> tuple[str, list[tuple[int, int]]]:
    """The translation without markers, and the ``(start, end)`` of each marked stretch in it."""
    normal = translation.translate(_BRACKETS)
    text, spans, last = [], [], 0
    length = 0
    for match in _MARKED.finditer(normal):
        before = normal[last : match.start()].replace("[", "").replace("]", "")
        text.append(before)
        length += len(before)
        inner = match.group(1)
        lead = len(inner) - len(inner.lstrip())
        core = inner.strip()
        text.append(inner)
        if core:
            spans.append((length + lead, length + lead + len(core)))
        length += len(inner)
        last = match.end()
    text.append(normal[last:].replace("[", "").replace("]", ""))
    joined = "".join(text)
    squeezed, shift = _squeeze(joined)
    return squeezed, [(shift(a), shift(b)) for a, b in spans]


def _plain(text: str) -> str:
    """Literal square brackets would read as markers: write them as parentheses."""
    return text.translate(str.maketrans("[]", "()"))


def _squeeze(text: str):
    """Collapse the double spaces that removed markers leave; return a map of old offsets to new."""
    kept, mapping = [], []
    for ch in text:
        mapping.append(len(kept))
        if ch == " " and (not kept or kept[-1] == " "):
            continue
        kept.append(ch)
    mapping.append(len(kept))
    while kept and kept[-1] == " ":
        kept.pop()
    size = len(kept)
    return "".join(kept), lambda i: min(mapping[i], size)


def _match(surfaces: list[str], wanted: list[str]) -> tuple[list[int | None], list[float]]:
    """Entity ``s`` takes marked stretch ``order[s]``: by position when the counts agree, else by likeness.

    Likeness is the character-trigram similarity of a stretch to the entity translated alone, with a
    small bonus for keeping the source order; each stretch goes to one entity at most.
    """
    from babelforge.projection.spanmatch import _trigram_dice

    if len(surfaces) == len(wanted):
        return list(range(len(wanted))), [1.0] * len(wanted)
    pairs = sorted(
        (
            (_trigram_dice(surface, target) - 0.01 * abs(s / max(len(wanted), 1) - j / max(len(surfaces), 1)), s, j)
            for s, target in enumerate(wanted)
            for j, surface in enumerate(surfaces)
        ),
        reverse=True,
    )
    order: list[int | None] = [None] * len(wanted)
    scores = [0.0] * len(wanted)
    used: set[int] = set()
    for score, s, j in pairs:
        if order[s] is None and j not in used and score > 0:
            order[s], scores[s] = j, score
            used.add(j)
    return order, scores
