"""Margin-based bitext mining (Artetxe and Schwenk 2019): score pairs by how much they stand out.

For a source ``x`` and target ``y`` with cosine ``cos(x, y)``, the ratio margin divides by the mean
similarity of each to its ``k`` nearest neighbours on the other side::

    margin(x, y) = cos(x, y) / (mean_k cos(x, NN_k(x)) / 2 + mean_k cos(y, NN_k(y)) / 2)

(``normalise: kth`` takes the k-th neighbour's similarity instead of the mean). Strategies:
``forward`` (each source its best target), ``backward`` (each target its best source),
``intersection`` (pairs both directions agree on), ``union`` (pairs either direction found) and
``max-score`` (candidates of both directions, best margin first, each sentence used once: a greedy
one-to-one assignment). ``threshold`` keeps pairs whose margin reaches it.
"""

from __future__ import annotations

from dataclasses import dataclass

from babelforge.builders.index import build_index, search
from babelforge.errors import BabelforgeError

STRATEGIES = ("forward", "backward", "intersection", "union", "max-score")


@dataclass(frozen=True)
class MarginSettings:
    k: int = 4
    candidates: int = 16
    normalise: str = "mean"  # or "kth"
    strategy: str = "max-score"
    threshold: float | None = None
    index: str = "auto"


@dataclass(frozen=True)
class Pair:
    source: int
    target: int
    margin: float
    cosine: float


class MarginMiner:
    """Mine pairs between two sets of normalised embeddings.

    Example:
        >>> pairs = MarginMiner(MarginSettings(k=4)).mine(source_vectors, target_vectors)  # doctest: +SKIP
    """

    def __init__(self, settings: MarginSettings = MarginSettings()):
        if settings.strategy not in STRATEGIES:
            raise BabelforgeError(f"unknown strategy {settings.strategy!r}: valid: {', '.join(STRATEGIES)}")
        if settings.normalise not in ("mean", "kth"):
            raise BabelforgeError(f"unknown normalise {settings.normalise!r}: valid: mean, kth")
        self.settings = settings

    def neighbourhoods(self, source, target):
        """kNN both ways: ``(sim_st, ids_st, sim_ts, ids_ts)`` with ``candidates`` neighbours each."""
        s = self.settings
        wanted = max(s.k, s.candidates)
        sim_st, ids_st = search(build_index(target, s.index), source, wanted)
        sim_ts, ids_ts = search(build_index(source, s.index), target, wanted)
        return sim_st, ids_st, sim_ts, ids_ts

    def mine(self, source, target) -> list[Pair]:
        """Pairs by the configured strategy, best margin first (vectorised: millions of rows are fine)."""
        return self.pairs(source, target, *self.neighbourhoods(source, target))

    def densities(self, sim_st, sim_ts):
        """Each source's and each target's neighbourhood similarity: the margin's denominator halves."""
        k = min(self.settings.k, sim_st.shape[1], sim_ts.shape[1])
        if self.settings.normalise == "mean":
            return sim_st[:, :k].mean(axis=1), sim_ts[:, :k].mean(axis=1)
        return sim_st[:, k - 1], sim_ts[:, k - 1]

    def pairs(self, source, target, sim_st, ids_st, sim_ts, ids_ts) -> list[Pair]:
        """Score and pair, given both directions' neighbours (from :meth:`neighbourhoods`)."""
        import numpy as np

        s = self.settings
        source_density, target_density = self.densities(sim_st, sim_ts)
        forward = sim_st / (source_density[:, None] / 2 + target_density[ids_st] / 2)  # (n_source, c)
        backward = sim_ts / (target_density[:, None] / 2 + source_density[ids_ts] / 2)  # (n_target, c)
        rows_s, rows_t = np.arange(len(forward)), np.arange(len(backward))
        best_f = forward.argmax(axis=1)
        best_b = backward.argmax(axis=1)
        f_pairs = (rows_s, ids_st[rows_s, best_f], forward[rows_s, best_f])
        b_pairs = (ids_ts[rows_t, best_b], rows_t, backward[rows_t, best_b])
        width = np.int64(len(backward))

        def keyed(pairs):
            return pairs[0].astype(np.int64) * width + pairs[1].astype(np.int64)

        if s.strategy == "forward":
            chosen = f_pairs
        elif s.strategy == "backward":
            chosen = b_pairs
        elif s.strategy in ("intersection", "union"):
            fk, bk = keyed(f_pairs), keyed(b_pairs)
            if s.strategy == "intersection":
                keep = np.isin(fk, bk)
                chosen = (f_pairs[0][keep], f_pairs[1][keep], f_pairs[2][keep])
            else:
                extra = ~np.isin(bk, fk)
                chosen = tuple(np.concatenate([f, b[extra]]) for f, b in zip(f_pairs, b_pairs, strict=True))
        else:
            chosen = _one_to_one(
                np.concatenate([np.repeat(rows_s, forward.shape[1]), ids_ts.ravel()]),
                np.concatenate([ids_st.ravel(), np.repeat(rows_t, backward.shape[1])]),
                np.concatenate([forward.ravel(), backward.ravel()]),
            )
        i, j, margin = (np.asarray(x) for x in chosen)
        cosine = (np.asarray(source[i], dtype=np.float32) * np.asarray(target[j], dtype=np.float32)).sum(axis=1)
        order = np.argsort(-margin, kind="stable")
        pairs = [Pair(int(i[o]), int(j[o]), float(margin[o]), float(cosine[o])) for o in order]
        if s.threshold is not None:
            pairs = [p for p in pairs if p.margin >= s.threshold]
        return pairs


def _one_to_one(sources, targets, scores):
    """Greedy assignment, best score first, each source and target used at most once."""
    import numpy as np

    order = np.argsort(-scores, kind="stable")
    used_s, used_t = set(), set()
    keep = []
    for o in order.tolist():
        a, b = int(sources[o]), int(targets[o])
        if a in used_s or b in used_t:
            continue
        used_s.add(a)
        used_t.add(b)
        keep.append(o)
    keep = np.asarray(keep, dtype=np.int64)
    return sources[keep], targets[keep], scores[keep]


def cosine_choices(source, target, index: str = "auto") -> list[int]:
    """Plain nearest neighbour by cosine: each source's best target (the baseline)."""
    _, ids = search(build_index(target, index), source, 1)
    return [int(row[0]) for row in ids]
