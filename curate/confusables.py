"""Known confusable language pairs (``confusables.tsv`` beside this module, plus a user's own table).

A record whose two likeliest languages are a known pair with a score margin under the step's
``confusable_margin`` is reported (``confusable:<a>/<b>``), not silently given to either side: these
are the pairs where a language identifier's top answer is least to be trusted.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from babelforge.errors import InputFormatError

#: The built-in table, read with :func:`importlib.resources` (works from a wheel too).
BUILTIN = "confusables.tsv"


class Confusables:
    """A set of unordered language pairs, each with why it is confusable."""

    def __init__(self, pairs: dict[frozenset[str], str]):
        self.pairs = pairs

    @classmethod
    def load(cls, extra: str | None = None) -> Confusables:
        """The built-in table, plus the pairs of ``extra`` (a TSV of the same layout) when given."""
        pairs = dict(_builtin())
        if extra:
            pairs.update(parse(Path(extra).read_text(encoding="utf-8"), extra))
        return cls(pairs)

    def pair(self, top: list[tuple[str, float]], margin: float) -> str | None:
        """``a/b`` (sorted) when the two best of ``top`` are a known pair less than ``margin`` apart."""
        if len(top) < 2:
            return None
        (a, first), (b, second) = top[0], top[1]
        if first - second >= margin or frozenset((a, b)) not in self.pairs:
            return None
        return "/".join(sorted((a, b)))

    def __len__(self) -> int:
        return len(self.pairs)


@cache
def _builtin() -> tuple[tuple[frozenset[str], str], ...]:
    text = resources.files("babelforge.curate").joinpath(BUILTIN).read_text(encoding="utf-8")
    return tuple(parse(text, BUILTIN).items())


def parse(text: str, where: str) -> dict[frozenset[str], str]:
    """``code<TAB>code<TAB>why`` lines (``#`` comments and blank lines skipped) as ``{pair: why}``.

    Raises:
        InputFormatError: for a line without two codes.
    """
    from babelforge.curate.identifiers import language_code

    pairs = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        columns = line.split("\t")
        if len(columns) < 2 or not columns[0].strip() or not columns[1].strip():
            raise InputFormatError(where, number, "two language codes separated by a tab (then why)", line)
        try:
            a, b = language_code(columns[0].strip()), language_code(columns[1].strip())
        except ValueError as error:
            raise InputFormatError(where, number, "language codes such as hau_Latn", str(error)) from None
        pairs[frozenset((a, b))] = columns[2].strip() if len(columns) > 2 else ""
    return pairs
