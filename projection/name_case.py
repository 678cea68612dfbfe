"""Names that the translation turned into common words: not projected.

A translation often renders a name as a word that is no name: "Belgium" as German "belgischen" (of
Belgium), "the EU" as "europäische", "Parliament" as Swedish "parlamentet". Universal NER tags no
entity there, and CoNLL tags such adjectives ``MISC``, never the source's ``LOC``: carried across,
the span is wrong under either scheme. Where the target's script has case, the translation says so
itself: a person, place or organisation written entirely in lower case is not one.

So a span of a name label (:data:`NAME_LABELS`) whose source is capitalised is not projected when the
target span has lower-case letters and no capital, in a script that the target text writes capitals
in (not Georgian, say, whose everyday letters have no capitals, nor text lower-cased as a whole). The
record then lacks that span, as when one is lost (``partial``). Measured on the dev sets with ``best``:
every such span dropped was wrong (Europarl de 10, UNER sv 55, ru 35; recall unchanged).
"""

from __future__ import annotations

import unicodedata

from babelforge.spans import Span

#: Labels of names (CoNLL, OntoNotes, UNER spellings). ``MISC`` and ``NORP`` hold adjectives
#: ("European", "Danish") by definition, so lower case says nothing there.
NAME_LABELS = frozenset({"PER", "PERSON", "LOC", "LOCATION", "GPE", "FAC", "ORG", "ORGANIZATION", "ORGANISATION"})
REASON = "name written in lower case in the target (not a name there)"


def is_unnamed(source: str, target: str, target_text: str, label: str) -> bool:
    """Whether ``target`` (a span of ``target_text``) renders the name ``source`` as a common word."""
    if label.upper() not in NAME_LABELS or not any(c.isupper() for c in source):
        return False
    lower = [c for c in target if c.islower()]
    if not lower or any(c.isupper() for c in target):
        return False
    script = _script(lower[0])
    return any(c.isupper() and _script(c) == script for c in target_text)


def drop_unnamed(
    source_text: str, source_spans: list[Span], target_text: str, spans: list[Span | None], reason: str = ""
) -> tuple[list[Span | None], str]:
    """``spans`` without the names that :func:`is_unnamed` finds, and ``reason`` saying how many."""
    kept, dropped = list(spans), 0
    for i, (s, t) in enumerate(zip(source_spans, spans, strict=True)):
        if t is None:
            continue
        if is_unnamed(source_text[s.start : s.end], target_text[t.start : t.end], target_text, s.label):
            kept[i], dropped = None, dropped + 1
    if not dropped:
        return kept, reason
    return kept, "; ".join(r for r in (reason, f"{REASON}: {dropped}") if r)


def _script(character: str) -> str:
    """The script a letter belongs to, as the first word of its Unicode name (``LATIN``, ``CYRILLIC``)."""
    return unicodedata.name(character, "").split(" ", 1)[0]
