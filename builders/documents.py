"""Document-level matching by best chunk: candidates found by mean vectors, scored by their closest chunks.

A document's mean vector finds its candidate partners; a long document whose one paragraph
translates a short one has a diluted mean, so each candidate is re-scored by the best cosine over
its chunk pairs (``best-chunk``), or the average of that and the mean cosine (``mean+best-chunk``).
The margin is then taken over the re-scored neighbours as usual.
"""

from __future__ import annotations

DOCUMENT_SCORES = ("mean", "best-chunk", "mean+best-chunk")


def rescore(sims, ids, query_spans, base_spans, query_chunks, base_chunks, mode: str):
    """Each row's candidates re-scored by ``mode`` and re-sorted best first: ``(sims, ids)``.

    Args:
        sims, ids: ``(n, c)`` mean-vector neighbours (ids ``-1`` where fewer were found).
        query_spans, base_spans: each document's ``[start, end)`` rows in its side's chunk matrix.
        query_chunks, base_chunks: the chunk vectors (unit rows).
        mode: one of :data:`DOCUMENT_SCORES`.
    """
    import numpy as np

    if mode == "mean":
        return sims, ids
    out = np.full(sims.shape, -np.inf, dtype=np.float32)
    for i in range(len(ids)):
        a, b = query_spans[i]
        query = np.asarray(query_chunks[a:b], dtype=np.float32)
        found = [c for c in range(ids.shape[1]) if ids[i, c] >= 0]
        if not found or b == a:
            continue
        ranges = [base_spans[ids[i, c]] for c in found]
        rows = np.concatenate([np.arange(s, e) for s, e in ranges])
        scores = (query @ np.asarray(base_chunks[rows], dtype=np.float32).T).max(axis=0)
        starts = np.cumsum([0] + [e - s for s, e in ranges[:-1]])
        best = np.maximum.reduceat(scores, starts)
        out[i, found] = best if mode == "best-chunk" else (best + sims[i, found]) / 2
    order = np.argsort(-out, axis=1, kind="stable")
    return np.take_along_axis(out, order, axis=1), np.take_along_axis(ids, order, axis=1)
