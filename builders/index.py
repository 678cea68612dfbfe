"""Nearest-neighbour search with faiss: exact for small sets, approximate for large ones, GPU when present.

``kind``: ``exact`` (``IndexFlatIP``), ``hnsw`` (``IndexHNSWFlat``, inner product), ``ivf``
(``IndexIVFFlat``), ``ivfpq`` (``IndexIVFPQ``, for very large sets), or ``auto``: exact up to
``EXACT_UP_TO`` vectors, HNSW up to ``HNSW_UP_TO``, IVF-PQ beyond. IVF indexes are trained on a
sample, never on everything at once. Vectors are L2-normalised float32 rows: inner product is cosine.
"""

from __future__ import annotations

import math

from babelforge.errors import BabelforgeError, MissingDependencyError

KINDS = ("auto", "exact", "hnsw", "ivf", "ivfpq")
EXACT_UP_TO = 200_000
HNSW_UP_TO = 5_000_000
TRAIN_SAMPLE = 64


def _faiss():
    try:
        import faiss
    except ImportError:
        raise MissingDependencyError("vector search", ["faiss-cpu"], "models") from None
    return faiss


def choose(kind: str, size: int) -> str:
    if kind not in KINDS:
        raise BabelforgeError(f"unknown index {kind!r}: valid: {', '.join(KINDS)}")
    if kind != "auto":
        return kind
    return "exact" if size <= EXACT_UP_TO else "hnsw" if size <= HNSW_UP_TO else "ivfpq"


def build_index(vectors, kind: str = "auto", seed: int = 13, hnsw_m: int = 32, ef_search: int = 128,
                ef_construction: int = 40):  # fmt: skip
    """An index over ``vectors`` (``(n, d)`` float32, normalised), of ``kind`` (see the module)."""
    import numpy as np

    faiss = _faiss()
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = vectors.shape
    chosen = choose(kind, n)
    if chosen == "exact":
        index = faiss.IndexFlatIP(dim)
    elif chosen == "hnsw":
        index = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = ef_construction
        index.hnsw.efSearch = ef_search
    else:
        lists = max(1, min(int(4 * math.sqrt(n)), n // 39))
        quantizer = faiss.IndexFlatIP(dim)
        if chosen == "ivf":
            index = faiss.IndexIVFFlat(quantizer, dim, lists, faiss.METRIC_INNER_PRODUCT)
        else:
            index = faiss.IndexIVFPQ(quantizer, dim, lists, _pq_parts(dim), 8, faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(seed)
        sample = vectors[rng.choice(n, size=min(n, lists * TRAIN_SAMPLE), replace=False)]
        index.train(sample)
        index.nprobe = max(1, min(lists, 32))
    index = _on_gpu(faiss, index)
    index.add(vectors)
    return index


def _pq_parts(dim: int) -> int:
    return next(m for m in (64, 48, 32, 24, 16, 8, 4, 2, 1) if dim % m == 0 and m <= dim)


def _on_gpu(faiss, index):
    if not hasattr(faiss, "StandardGpuResources") or faiss.get_num_gpus() == 0:
        return index
    try:
        return faiss.index_cpu_to_all_gpus(index)
    except RuntimeError:  # an index type without a GPU version stays on the CPU
        return index


def search(index, queries, k: int):
    """``(similarities, ids)`` of the ``k`` nearest rows for each query, best first."""
    import numpy as np

    k = min(k, index.ntotal)
    return index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
