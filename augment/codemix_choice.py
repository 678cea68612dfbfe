"""Which words or phrases a code-mixed sample switches: content first, whole phrases first, heads kept with them.

Both generators fill the number of embedded-language tokens the requested CMI asks for (``wanted``)
the same way:

1. units carrying a content word (a word that is no function word) come first, the longest first
   (a switched phrase reads as one stretch of the other language, not as scattered words), in a
   seeded random order among units of one length;
2. function words are switched only inside such a unit (an article or preposition with the noun it
   governs, "in der Zukunft"), never alone, and at most ``budget`` of them per sample
   (:func:`function_budget`), so most switched tokens are content words.

A unit that overlaps one already chosen, or would pass ``wanted``, is skipped.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

#: The most function words a sample may switch, as a share of the tokens it switches (issue 14: <= 30%).
MAX_FUNCTION_SHARE = 0.3


@dataclass(frozen=True)
class Unit:
    """Something that can be switched as one: source words ``first..last``, bringing ``size`` tokens."""

    first: int
    last: int
    size: int
    function: int  # how many of the ``size`` tokens are function words
    content: bool  # whether it carries a content word


def function_budget(wanted: int, share: float = MAX_FUNCTION_SHARE) -> int:
    """How many switched function words a sample asking for ``wanted`` switched tokens may hold."""
    return int(share * wanted + 1e-9)


def choose(units: list[Unit], wanted: int, budget: int, rng: random.Random) -> list[Unit]:
    """Content-bearing units, longest first, without overlaps, up to ``wanted`` tokens and ``budget`` function words."""
    pool = [u for u in units if u.content]
    rng.shuffle(pool)
    pool.sort(key=lambda u: -u.size)  # stable: random order within one length
    chosen: list[Unit] = []
    taken: set[int] = set()
    size = function = 0
    for unit in pool:
        span = set(range(unit.first, unit.last + 1))
        if span & taken or size + unit.size > wanted or function + unit.function > budget:
            continue
        chosen.append(unit)
        taken |= span
        size += unit.size
        function += unit.function
    return sorted(chosen, key=lambda u: u.first)


def word_units(candidates: list[int], function: dict[int, bool], governs_right: bool, max_words: int = 3) -> list[Unit]:
    """Units of a word-by-word substitution: runs of adjacent content words, with their governing function word.

    Args:
        candidates: indices of the tokens that can be substituted, in order.
        function: whether each candidate is a function word.
        governs_right: whether a function word governs the words after it (see
            :class:`~babelforge.augment.function_words.FunctionWords`), so it joins a run on its left.
        max_words: the longest unit.
    """
    mixable = set(candidates)
    units = []
    for start in candidates:
        for end in range(start, start + max_words):
            if end not in mixable:
                break
            words = range(start, end + 1)
            count = sum(function[i] for i in words)
            units.append(Unit(start, end, end - start + 1, count, count < end - start + 1))
    return [u for u in units if _governed(u, function, governs_right)]


def _governed(unit: Unit, function: dict[int, bool], governs_right: bool) -> bool:
    """Function words sit only on the governing side of the unit's content words (``the report``, not ``report of``)."""
    words = [function[i] for i in range(unit.first, unit.last + 1)]
    if not governs_right:
        words.reverse()
    seen_content = False
    for is_function in words:
        if is_function and seen_content:
            return False
        seen_content = seen_content or not is_function
    return True
