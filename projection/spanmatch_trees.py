"""Small gradient-boosted trees on top of a linear ranker: what a weighted sum of features cannot say.

A span's candidates are ranked by a softmax over their scores (a conditional logit). The linear
ranker's score is the start; each tree adds a correction learned from the gradient and curvature of
that softmax's log loss (Newton boosting, as XGBoost does), on features binned at their training
quantiles. Trees are shallow and few, so that what they learn holds across languages; they are
stored as arrays of nodes in the weights file and cost nothing next to embedding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Trees:
    """Regression trees over named inputs; each node is ``(feature, threshold, left, right, value)``."""

    inputs: tuple[str, ...]
    nodes: list  # per tree: list of [feature, threshold, left, right, value]; feature -1 for a leaf
    rate: float

    def __call__(self, x: np.ndarray) -> np.ndarray:
        out = np.zeros(len(x))
        for tree in self.nodes:
            out += self.rate * _walk(tree, x)
        return out

    def to_json(self) -> dict:
        return {"inputs": list(self.inputs), "rate": self.rate, "trees": self.nodes}

    @classmethod
    def from_json(cls, data: dict) -> Trees:
        return cls(tuple(data["inputs"]), [[list(n) for n in t] for t in data["trees"]], float(data["rate"]))


def _walk(tree: list, x: np.ndarray) -> np.ndarray:
    """Each row's leaf value in ``tree``."""
    feature, threshold, left, right, value = (np.array(c) for c in zip(*tree, strict=True))
    feature, left, right = feature.astype(int), left.astype(int), right.astype(int)
    node = np.zeros(len(x), dtype=int)
    while True:
        rows = np.flatnonzero(feature[node] >= 0)
        if not len(rows):
            return value[node]
        at = node[rows]
        node[rows] = np.where(x[rows, feature[at]] <= threshold[at], left[at], right[at])


def boost(groups: list[tuple[np.ndarray, int]], base: list[np.ndarray], inputs: tuple[str, ...], rounds: int = 60,
          depth: int = 3, rate: float = 0.1, l2: float = 10.0, min_weight: float = 5.0,
          bins: int = 32) -> Trees:  # fmt: skip
    """Trees that improve the ranking of ``groups`` (rows, positive) starting from scores ``base``."""
    x = np.concatenate([g for g, _ in groups])
    sizes = [len(g) for g, _ in groups]
    offsets = np.cumsum([0, *sizes])[:-1]
    group_of = np.repeat(np.arange(len(groups)), sizes)
    y = np.zeros(len(x))
    y[offsets + np.array([p for _, p in groups])] = 1.0
    edges = [np.unique(np.quantile(x[:, f], np.linspace(0, 1, bins + 1)[1:-1])) for f in range(x.shape[1])]
    binned = np.stack([np.searchsorted(e, x[:, f], side="left") for f, e in enumerate(edges)], axis=1)
    score, trees = np.concatenate(base).astype(np.float64), []
    for _ in range(rounds):
        top = np.maximum.reduceat(score, offsets)
        e = np.exp(score - top[group_of])
        p = e / np.add.reduceat(e, offsets)[group_of]
        gradient, hessian = p - y, np.maximum(p * (1 - p), 1e-6)
        tree: list = []
        _grow(tree, np.arange(len(x)), binned, edges, gradient, hessian, depth, l2, min_weight)
        trees.append(tree)
        score += rate * _walk(tree, x)
    return Trees(tuple(inputs), trees, rate)


def _grow(tree: list, rows, binned, edges, gradient, hessian, depth: int, l2: float, min_weight: float) -> int:
    """Add a node for ``rows`` (and its children, ``depth`` levels down); return its index."""
    g, h = gradient[rows].sum(), hessian[rows].sum()
    index = len(tree)
    tree.append([-1, 0.0, -1, -1, float(-g / (h + l2))])
    if depth == 0 or len(rows) < 2:
        return index
    best = _best_split(rows, binned, edges, gradient, hessian, l2, min_weight, g * g / (h + l2))
    if best is None:
        return index
    feature, cut, threshold = best
    goes_left = binned[rows, feature] <= cut
    tree[index][0], tree[index][1] = int(feature), float(threshold)
    tree[index][2] = _grow(tree, rows[goes_left], binned, edges, gradient, hessian, depth - 1, l2, min_weight)
    tree[index][3] = _grow(tree, rows[~goes_left], binned, edges, gradient, hessian, depth - 1, l2, min_weight)
    return index


def _best_split(rows, binned, edges, gradient, hessian, l2, min_weight, parent):
    best, found = 1e-6, None
    for f, e in enumerate(edges):
        if not len(e):
            continue
        column = binned[rows, f]
        g = np.cumsum(np.bincount(column, weights=gradient[rows], minlength=len(e) + 1))[:-1]
        h = np.cumsum(np.bincount(column, weights=hessian[rows], minlength=len(e) + 1))[:-1]
        gt, ht = gradient[rows].sum(), hessian[rows].sum()
        ok = (h >= min_weight) & (ht - h >= min_weight)
        if not ok.any():
            continue
        gain = np.where(ok, g * g / (h + l2) + (gt - g) ** 2 / (ht - h + l2) - parent, -np.inf)
        cut = int(np.argmax(gain))
        if gain[cut] > best:
            best, found = gain[cut], (f, cut, e[cut])
    return found
