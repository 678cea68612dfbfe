"""Where the ``dedup`` step keeps its work, and the bucket layout its stages share.

One folder per ``dedup`` step, in the run's work folder (``OUTPUT.work/dedup/NN/``, ``NN`` the step's
place in the manifest)::

    sigs/bucket_BBB/RANK.minhash.sig   per bucket and task: (hashes..., record index), sorted
                                       (datatrove's format: datatrove's bucket stage reads it)
    sigs/keys/RANK.npy                 per task and record index: the record's key and exact-text hash
    dups/BBBBB_00.dups                 per bucket: pairs of records whose bucket hashes agree
    clusters/FFFFFF.clusters           datatrove's clusters: (record index, cluster id) per task
    decisions/RANK.npy                 per task: (record index, cluster size, action) of clustered records

Buckets ``0 .. buckets - 1`` hold MinHash bands; with ``exact``, one more bucket holds each record's
exact-text hash (two 60-bit halves of a 128-bit hash, the rest of the band zero), so datatrove's
bucket stage finds exact duplicates in the same streaming merge as near ones.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

#: Per record index of a task: a stable key (which record of a cluster stays) and its exact-text hash.
KEY_DTYPE = np.dtype([("key", "<u8"), ("exact", "<u8")])
#: Per clustered record of a task: its index, its cluster's size and what becomes of it.
DECISION_DTYPE = np.dtype([("doc", "<u4"), ("size", "<u4"), ("action", "u1")])
KEEP, DUPLICATE, NEAR_DUPLICATE = 0, 1, 2
#: The drop reason of each action.
REASONS = {DUPLICATE: "duplicate", NEAR_DUPLICATE: "near_duplicate"}


@dataclass(frozen=True)
class DedupFiles:
    """The folder and bucket layout of one ``dedup`` step.

    Args:
        folder: the step's folder in the run's work folder.
        n_grams: words per shingle (0: no MinHash).
        minhash_buckets: MinHash bands (0: no MinHash).
        hashes_per_bucket: hashes per band (the band's width, also in the exact bucket).
        exact: whether the exact-text bucket is written.
        seed: seed of the MinHash permutations.
        sentences: sentences per span of sentence-level dedup (0: none; see
            :mod:`~babelforge.curate.dedup_sentences`).
    """

    folder: str
    n_grams: int
    minhash_buckets: int
    hashes_per_bucket: int
    exact: bool
    seed: int = 1
    sentences: int = 0

    @property
    def buckets(self) -> int:
        """All buckets: the MinHash bands, then the exact-text one."""
        return self.minhash_buckets + int(self.exact)

    @property
    def exact_bucket(self) -> int | None:
        return self.minhash_buckets if self.exact else None

    def path(self, *parts: str) -> str:
        return os.path.join(self.folder, *parts)

    def minhash_config(self, buckets: int | None = None):
        """datatrove's :class:`MinhashConfig` of the MinHash bands (``buckets``: another band count)."""
        from datatrove.pipeline.dedup.minhash import MinhashConfig
        from datatrove.utils.hashing import HashConfig

        from babelforge.curate.dedup_signatures import NORM

        return MinhashConfig(
            n_grams=max(self.n_grams, 1), num_buckets=self.minhash_buckets if buckets is None else buckets,
            hashes_per_bucket=self.hashes_per_bucket, seed=self.seed, norm_config=NORM,
            hash_config=HashConfig(precision=64, hash_fc="sha1"),  # hashlib: no extra package, the same everywhere
        )  # fmt: skip

    @property
    def line_config(self):
        """The config datatrove's bucket and cluster stages read the bucket files with (all buckets)."""
        return self.minhash_config(self.buckets)
