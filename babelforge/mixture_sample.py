"""Which rows a cell of a mixture takes: whole epochs of every row, then a seeded sample for the rest.

A cell (one language of one component) planned to take ``amount`` budget units out of rows of sizes
``sizes`` takes every row ``floor(amount / total)`` times, then rows in a seeded random order until the
rest is met as closely as whole rows allow. A row is therefore never taken more than
``ceil(amount / total)`` times, which the plan keeps within ``max_epochs``. Each cell draws from its own
generator, seeded by the mixture's seed, the component's position and the language, so that the same
seed gives the same rows, and changing one cell leaves the others' rows as they were.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Selection:
    """The rows a cell takes (indices into its rows, in the order taken) and each one's repeat (0: first time)."""

    indices: np.ndarray
    repeats: np.ndarray
    units: float

    @property
    def epochs(self) -> int:
        """The most times any row is taken."""
        return int(self.repeats.max()) + 1 if len(self.repeats) else 0

    @property
    def unique_rows(self) -> int:
        return int(np.count_nonzero(self.repeats == 0))


def cell_rng(seed: int, component: int, language: str) -> np.random.Generator:
    return np.random.default_rng([seed, component, zlib.crc32(language.encode())])


def select(sizes: np.ndarray, amount: float, rng: np.random.Generator) -> Selection:
    """The rows whose sizes add up closest to ``amount`` (see the module docstring).

    Args:
        sizes: each row's size in budget units (all ones for a budget in rows).
        amount: the budget units the plan gives this cell.
        rng: the cell's generator (:func:`cell_rng`).
    """
    n, total = len(sizes), float(sizes.sum())
    if n == 0 or total <= 0 or amount <= 0:
        return Selection(np.empty(0, np.int64), np.empty(0, np.int32), 0.0)
    full = int(amount // total)
    rest = amount - full * total
    order = rng.permutation(n)
    cumulative = np.cumsum(sizes[order], dtype=np.float64)
    after = int(np.searchsorted(cumulative, rest, side="left"))  # rows [0, after] reach the rest
    before_gap = rest - (cumulative[after - 1] if after else 0.0)
    take = after + 1 if after < n and cumulative[after] - rest < before_gap else after
    indices = np.concatenate([np.tile(np.arange(n), full), order[:take]])
    repeats = np.concatenate([np.repeat(np.arange(full, dtype=np.int32), n), np.full(take, full, np.int32)])
    units = full * total + (float(cumulative[take - 1]) if take else 0.0)
    return Selection(indices.astype(np.int64), repeats, units)
