"""Bilingual lexicons: read from TSV or MUSE files, or induced from word-aligned bitext.

A lexicon maps a source word (lower-cased) to its translations, most frequent first. Files:
``source<TAB>target`` lines (TSV; a third column, a count or score, is kept as the ranking) or
``source target`` lines (MUSE's dictionaries). Multi-word entries are skipped: substitution works
word by word.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

from babelforge.errors import BabelforgeError
from babelforge.words import is_alphabetic


class Lexicon:
    """``lexicon[word]`` is the list of translations of ``word`` (lower-cased), best first."""

    def __init__(self, entries: dict[str, list[str]]):
        self.entries = entries

    def __contains__(self, word: str) -> bool:
        return word.lower() in self.entries

    def __getitem__(self, word: str) -> list[str]:
        return self.entries[word.lower()]

    def __len__(self) -> int:
        return len(self.entries)

    @classmethod
    def read(cls, path: str | Path) -> Lexicon:
        """Read a TSV or MUSE lexicon.

        Raises:
            BabelforgeError: for a missing file, or a line with neither a tab nor one space.
        """
        path = Path(path)
        if not path.is_file():
            raise BabelforgeError(f"no lexicon file at {path}")
        ranked: dict[str, list[tuple[float, int, str]]] = defaultdict(list)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            columns = line.split("\t") if "\t" in line else line.split()
            if len(columns) < 2 or not columns[0].strip() or not columns[1].strip():
                raise BabelforgeError(f"{path}:{number}: expected 'source<TAB>target' or 'source target', got {line!r}")
            source, target = columns[0].strip(), columns[1].strip()
            if " " in source or " " in target:
                continue
            try:
                score = float(columns[2]) if len(columns) > 2 else 0.0
            except ValueError:
                score = 0.0
            ranked[source.lower()].append((-score, number, target))
        entries = {word: [t for _, _, t in sorted(options)] for word, options in ranked.items()}
        return cls({w: list(dict.fromkeys(ts)) for w, ts in entries.items()})

    def write(self, path: str | Path, counts: dict[tuple[str, str], int] | None = None) -> None:
        lines = []
        for word, targets in sorted(self.entries.items()):
            for target in targets:
                count = (counts or {}).get((word, target))
                lines.append(f"{word}\t{target}" + (f"\t{count}" if count is not None else ""))
        Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def induce(
    pairs: list[tuple[list[str], list[str]]], word_aligner, min_count: int = 2, min_share: float = 0.3
) -> tuple[Lexicon, dict[tuple[str, str], int]]:
    """Count aligned word pairs over tokenised sentence pairs; keep the frequent, dominant ones.

    A pair ``(s, t)`` is kept when it was aligned at least ``min_count`` times and makes up at least
    ``min_share`` of the alignments of ``s``; tokens that are not words (numbers, punctuation) and
    identical strings (names, numbers) are left out.
    """
    counts: Counter[tuple[str, str]] = Counter()
    for source, target in pairs:
        for i, j in word_aligner.align(source, target):
            s, t = source[i].lower(), target[j].lower()
            if is_alphabetic(s) and is_alphabetic(t) and s != t:
                counts[s, t] += 1
    totals: Counter[str] = Counter()
    for (s, _), n in counts.items():
        totals[s] += n
    entries: dict[str, list[str]] = defaultdict(list)
    for (s, t), n in counts.most_common():
        if n >= min_count and n / totals[s] >= min_share:
            entries[s].append(t)
    return Lexicon(dict(entries)), {k: v for k, v in counts.items() if k[1] in entries.get(k[0], ())}
