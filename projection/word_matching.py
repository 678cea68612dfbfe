"""From a word similarity matrix to alignment links: SimAlign's argmax, itermax and match.

Jalili Sabet et al. (2020), "SimAlign: High Quality Word Alignments without Parallel Training Data
using Static and Contextualized Embeddings", section 2.2:

- ``argmax``: a link where each word is the other's most similar word (both directions agree);
  high precision.
- ``itermax``: argmax, then argmax again among the words still unaligned (a word aligned on one side
  weighs 0.9 on that side), up to ``rounds`` times; more recall.
- ``match``: the one-to-one assignment of largest total similarity (the Hungarian method, where
  SimAlign uses networkx's max-weight matching; the same links on a complete bipartite graph).

Links are 0-indexed ``(source word, target word)`` pairs, sorted.
"""

from __future__ import annotations

import numpy as np

from babelforge.errors import MissingDependencyError

MATCHING_METHODS = ("argmax", "itermax", "match")


def argmax_links(similarity: np.ndarray) -> list[tuple[int, int]]:
    """Pairs of words that are each other's most similar (the intersection of both argmaxes)."""
    if not similarity.size:
        return []
    forward, backward = similarity.argmax(1), similarity.argmax(0)
    return [(i, int(j)) for i, j in enumerate(forward) if backward[j] == i]


def itermax_links(similarity: np.ndarray, rounds: int = 2, alpha: float = 0.9) -> list[tuple[int, int]]:
    """Argmax, then argmax again among words left unaligned (SimAlign's itermax, its defaults)."""
    if not similarity.size:
        return []
    m, n = similarity.shape
    aligned = np.zeros((m, n), dtype=bool)
    for i, j in argmax_links(similarity):
        aligned[i, j] = True
    if min(m, n) <= 2:
        return _links(aligned)
    for _ in range(rounds - 1):
        free_rows = ~aligned.any(1, keepdims=True)
        free_cols = ~aligned.any(0, keepdims=True)
        if not free_rows.any() or not free_cols.any():
            break
        weight = np.clip(alpha * free_rows + alpha * free_cols, 0.0, 1.0)
        allowed = free_rows | free_cols  # at least one side still unaligned
        masked = similarity * weight
        forward = np.zeros_like(aligned)
        forward[np.arange(m), masked.argmax(1)] = True
        backward = np.zeros_like(aligned)
        backward[masked.argmax(0), np.arange(n)] = True
        new = forward & backward & allowed
        if not (new & ~aligned).any():
            break
        aligned |= new
    return _links(aligned)


def match_links(similarity: np.ndarray) -> list[tuple[int, int]]:
    """The one-to-one links of largest total similarity (every word of the shorter side is linked)."""
    try:
        from scipy.optimize import linear_sum_assignment
    except ImportError:
        raise MissingDependencyError("the match alignment method", ["scipy"], "models") from None
    if not similarity.size:
        return []
    rows, cols = linear_sum_assignment(similarity, maximize=True)
    return sorted(zip(rows.tolist(), cols.tolist(), strict=True))


def links(similarity: np.ndarray, method: str) -> list[tuple[int, int]]:
    """The links ``method`` (one of :data:`MATCHING_METHODS`) draws from a similarity matrix."""
    return {"argmax": argmax_links, "itermax": itermax_links, "match": match_links}[method](similarity)


def _links(aligned: np.ndarray) -> list[tuple[int, int]]:
    return [(int(i), int(j)) for i, j in zip(*np.nonzero(aligned), strict=True)]
