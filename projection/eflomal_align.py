"""Statistical word alignment of a whole parallel corpus with eflomal (Östling and Tiedemann, 2016).

eflomal learns its word translation table from the sentence pairs it is given, so it aligns a
corpus at once, not a pair: the more pairs in one call, the better (a translate-train corpus is one).
On the 447 English-French Hansards pairs alone it reaches AER 0.17, and 0.27 when handed 64 pairs at a
time (``benchmarks/align_aer.py``); a pair aligned by itself learns nothing. A priors file carries
what an earlier, larger run learnt (:meth:`EflomalAligner.save_priors`, or ``eflomal-makepriors``) to
small batches: a pair aligned alone with priors from 300 pairs like it finds every link
(tests/projection/test_align_eflomal.py).

Specs: ``eflomal`` (grow-diag-final-and of both directions), ``eflomal-SYMMETRISATION`` with
``intersect``, ``union``, ``grow-diag-final-and``, ``forward`` or ``reverse``, and ``...:PRIORS``
for a priors file: ``eflomal:priors.txt``, ``eflomal-intersect:priors.txt``.

eflomal samples with a random seed of its own: two runs may differ in a few links.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from babelforge.errors import BabelforgeError, MissingDependencyError

SYMMETRISATIONS = ("grow-diag-final-and", "intersect", "union", "forward", "reverse")
_NEIGHBOURS = ((-1, 0), (0, -1), (1, 0), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1))


class EflomalAligner:
    """Align a batch of sentence pairs as one corpus with eflomal's HMM-with-fertility model.

    Args:
        symmetrisation: how the two directions' links combine (see :data:`SYMMETRISATIONS`).
        priors: an eflomal priors file (``eflomal-makepriors``), or ``None``.

    Example:
        >>> aligner = EflomalAligner()
        >>> links = aligner.align_batch([(["a", "house"], ["une", "maison"]), (["the", "house"], ["la", "maison"])])
    """

    def __init__(self, symmetrisation: str = "grow-diag-final-and", priors: str | None = None):
        if symmetrisation not in SYMMETRISATIONS:
            raise BabelforgeError(f"unknown symmetrisation {symmetrisation!r}: valid: {', '.join(SYMMETRISATIONS)}")
        if priors is not None and not Path(priors).is_file():
            raise BabelforgeError(f"no eflomal priors file at {priors} (write one with eflomal-makepriors)")
        self.symmetrisation, self.priors = symmetrisation, priors
        self.spec = f"eflomal-{symmetrisation}" + (f":{priors}" if priors else "")

    def align(self, source: list[str], target: list[str]) -> list[tuple[int, int]]:
        """Links of one pair, aligned alone: useful with priors only (prefer :meth:`align_batch`)."""
        return self.align_batch([(source, target)])[0]

    def align_batch(self, pairs: list[tuple[list[str], list[str]]]) -> list[list[tuple[int, int]]]:
        """0-indexed ``(source word, target word)`` links of each pair, the batch aligned as one corpus."""
        return [symmetrise(fwd, rev, self.symmetrisation) for fwd, rev in self.directions(pairs)]

    def directions(self, pairs: list[tuple[list[str], list[str]]]) -> list[tuple[set, set]]:
        """Each pair's links of both directions, ``(forward, reverse)``, before symmetrisation."""
        kept = [i for i, (s, t) in enumerate(pairs) if s and t]
        result: list[tuple[set, set]] = [(set(), set()) for _ in pairs]
        if kept:
            forward, reverse = self._run([pairs[i] for i in kept])
            for i, fwd, rev in zip(kept, forward, reverse, strict=True):
                result[i] = (fwd, rev)
        return result

    def save_priors(self, pairs: list[tuple[list[str], list[str]]], path: str | Path) -> None:
        """Align ``pairs`` as one corpus and write what eflomal learnt as a priors file for later batches
        (what ``eflomal-makepriors`` writes: lexical, jump and fertility counts)."""
        from eflomal import calculate_priors, write_priors

        directions = self.directions(pairs)
        links = [[" ".join(f"{i}-{j}" for i, j in sorted(d[k])) for d in directions] for k in (0, 1)]
        sources, targets = ([" ".join(map(_token, pair[k])) for pair in pairs] for k in (0, 1))
        with open(path, "w", encoding="utf-8") as out:
            write_priors(out, *calculate_priors(sources, targets, *links))

    def _run(self, pairs: list[tuple[list[str], list[str]]]) -> tuple[list[set], list[set]]:
        try:
            from eflomal import Aligner
        except ImportError:
            raise MissingDependencyError("the eflomal aligner", ["eflomal"], "models") from None
        with tempfile.TemporaryDirectory(prefix="babelforge-eflomal-") as folder:
            forward, reverse = Path(folder, "forward"), Path(folder, "reverse")
            source = [" ".join(map(_token, s)) for s, _ in pairs]
            target = [" ".join(map(_token, t)) for _, t in pairs]
            priors = open(self.priors, encoding="utf-8") if self.priors else None  # noqa: SIM115
            try:
                Aligner().align(source, target, links_filename_fwd=str(forward), links_filename_rev=str(reverse),
                                priors_input=priors)  # fmt: skip
            finally:
                if priors:
                    priors.close()
            return _read_links(forward, len(pairs)), _read_links(reverse, len(pairs))


def symmetrise(forward: set, reverse: set, how: str = "grow-diag-final-and") -> list[tuple[int, int]]:
    """Combine the links of both directions (Koehn et al.'s heuristics; see :data:`SYMMETRISATIONS`)."""
    if how in ("forward", "reverse", "intersect", "union"):
        chosen = {"forward": forward, "reverse": reverse, "intersect": forward & reverse, "union": forward | reverse}
        return sorted(chosen[how])
    union, links = forward | reverse, set(forward & reverse)
    grown = True
    while grown:  # grow-diag: add neighbouring union links that align a word not yet aligned
        grown = False
        for i, j in sorted(links):
            for di, dj in _NEIGHBOURS:
                link = (i + di, j + dj)
                if link in union and link not in links and _free(links, link, either=True):
                    links.add(link)
                    grown = True
    for link in sorted(forward) + sorted(reverse):  # final-and: links whose words are both unaligned
        if link not in links and _free(links, link, either=False):
            links.add(link)
    return sorted(links)


def _free(links: set, link: tuple[int, int], either: bool) -> bool:
    """Whether the link's source word or (``either``) / and its target word are unaligned in ``links``."""
    source_free = all(i != link[0] for i, _ in links)
    target_free = all(j != link[1] for _, j in links)
    return source_free or target_free if either else source_free and target_free


def _token(word: str) -> str:
    """A word as eflomal's whitespace-split input can carry it (Python's ``split`` cuts at \\x1c-\\x1f too)."""
    return "".join("_" if c.isspace() else c for c in word) or "_"


def _read_links(path: Path, count: int) -> list[set[tuple[int, int]]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    if len(lines) != count:
        raise BabelforgeError(f"eflomal wrote {len(lines)} lines of links for {count} sentence pairs")
    return [{(int(i), int(j)) for i, j in (link.split("-") for link in line.split())} for line in lines]
