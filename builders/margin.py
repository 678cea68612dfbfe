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
        """Pairs by the configured strategy, best margin first."""
        import numpy as np

        s = self.settings
        sim_st, ids_st, sim_ts, ids_ts = self.neighbourhoods(source, target)
        k = min(s.k, sim_st.shape[1], sim_ts.shape[1])
        if s.normalise == "mean":
            source_density, target_density = sim_st[:, :k].mean(axis=1), sim_ts[:, :k].mean(axis=1)
        else:
            source_density, target_density = sim_st[:, k - 1], sim_ts[:, k - 1]

        def margins(sims, own, other, ids):
            return sims / (own[:, None] / 2 + other[ids] / 2)

        forward = margins(sim_st, source_density, target_density, ids_st)  # (n_source, candidates)
        backward = margins(sim_ts, target_density, source_density, ids_ts)  # (n_target, candidates)
        best_forward = {
            (i, int(ids_st[i, forward[i].argmax()])): (float(forward[i].max()), i) for i in range(len(forward))
        }
        best_backward = {
            (int(ids_ts[j, backward[j].argmax()]), j): (float(backward[j].max()), j) for j in range(len(backward))
        }
        cosine = {}
        for i in range(ids_st.shape[0]):
            for c in range(ids_st.shape[1]):
                cosine[i, int(ids_st[i, c])] = float(sim_st[i, c])
        for j in range(ids_ts.shape[0]):
            for c in range(ids_ts.shape[1]):
                cosine[int(ids_ts[j, c]), j] = float(sim_ts[j, c])
        if s.strategy == "forward":
            chosen = {pair: score for pair, (score, _) in best_forward.items()}
        elif s.strategy == "backward":
            chosen = {pair: score for pair, (score, _) in best_backward.items()}
        elif s.strategy == "intersection":
            chosen = {pair: score for pair, (score, _) in best_forward.items() if pair in best_backward}
        elif s.strategy == "union":
            chosen = {pair: score for pair, (score, _) in {**best_backward, **best_forward}.items()}
        else:
            scored = [
                (float(forward[i, c]), i, int(ids_st[i, c]))
                for i in range(len(forward))
                for c in range(forward.shape[1])
            ]
            scored += [
                (float(backward[j, c]), int(ids_ts[j, c]), j)
                for j in range(len(backward))
                for c in range(backward.shape[1])
            ]
            scored.sort(reverse=True)
            used_source, used_target, chosen = set(), set(), {}
            for score, i, j in scored:
                if i not in used_source and j not in used_target:
                    chosen[i, j] = score
                    used_source.add(i)
                    used_target.add(j)
        pairs = [
            Pair(i, j, score, cosine.get((i, j), float(np.dot(source[i], target[j]))))
            for (i, j), score in chosen.items()
        ]
        if s.threshold is not None:
            pairs = [p for p in pairs if p.margin >= s.threshold]
        return sorted(pairs, key=lambda p: -p.margin)


def cosine_choices(source, target, index: str = "auto") -> list[int]:
    """Plain nearest neighbour by cosine: each source's best target (the baseline)."""
    _, ids = search(build_index(target, index), source, 1)
    return [int(row[0]) for row in ids]
