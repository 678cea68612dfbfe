"""What a code-mixed sample switched: function words among the switched tokens, switched runs, duplicates.

Written beside the CMI in each record's ``mix_metrics`` and summed into the step's counts (the run
summary and ``provenance.json``):

- ``switched_tokens``: embedded-language tokens in the sample;
- ``switched_function_words``: how many of them are function words (of the embedded language, as
  :mod:`~babelforge.augment.function_words` finds them, or of the matrix word they replace);
- ``switched_runs``: maximal stretches of embedded-language tokens (any other token ends one), so
  the mean switched-run length is ``switched_tokens / switched_runs``;
- ``duplicated_meaning``: switched phrases with an unswitched neighbour that the alignment links into
  the phrase's translation, so that its meaning is said twice ("would möchte" for ``would like`` <->
  ``möchte``); only where an alignment is known (``None`` otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass

REPORT_COUNTS = ("switched_tokens", "switched_function_words", "switched_runs", "duplicated_meaning")


@dataclass(frozen=True)
class SwitchReport:
    switched_tokens: int = 0
    switched_function_words: int = 0
    switched_runs: int = 0
    duplicated_meaning: int | None = None

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in REPORT_COUNTS}


def switch_report(langs: list[str], embedded: str, function: list[bool], duplicated: int | None = None) -> SwitchReport:
    """The report of one sample from its token labels and which tokens are function words."""
    switched = [i for i, label in enumerate(langs) if label == embedded]
    runs = sum(1 for i in switched if i == 0 or langs[i - 1] != embedded)
    return SwitchReport(len(switched), sum(function[i] for i in switched), runs, duplicated)


def duplicated_neighbours(phrases: list[tuple[int, int]], links: set[tuple[int, int]], switched: set[int]) -> int:
    """Unswitched source words next to a switched phrase and aligned into that phrase's translation.

    Args:
        phrases: ``(i1, i2)`` inclusive source-word ranges that were switched.
        links: ``(source word, target word)`` alignment links.
        switched: every switched source word.
    """
    targets: dict[int, set[int]] = {}
    for i, j in links:
        targets.setdefault(i, set()).add(j)
    found = 0
    for i1, i2 in phrases:
        inside = {j for i in range(i1, i2 + 1) for j in targets.get(i, ())}
        for neighbour in (i1 - 1, i2 + 1):
            found += neighbour not in switched and bool(targets.get(neighbour, set()) & inside)
    return found
