"""The ``dedup`` step: corpus-wide exact and near-duplicate removal, the same whatever the task count.

``gate``'s ``dedup`` and ``near_dedup`` see one task's records; this step sees the whole run's. It is
datatrove's MinHash deduplication (FineWeb-2's settings by default), run as three stages:

1. **signatures** (:mod:`~babelforge.curate.dedup_signatures`), in the pass of the steps before it: each
   record's MinHash bands over babelforge's words (datatrove's :class:`MinhashDedupSignature` with
   :func:`babelforge.words.words` as its tokenizer), and the hash of its exact text;
2. **buckets** (:mod:`~babelforge.curate.dedup_buckets`), a pass of its own: datatrove's
   :class:`MinhashDedupBuckets`, the buckets spread over the run's tasks;
3. **filter** (:mod:`~babelforge.curate.dedup_filter`), a pass of its own: datatrove's
   :class:`MinhashDedupCluster` joins the pairs into clusters (once, in whichever task comes first),
   then each task drops every clustered record but the kept one.

Written here rather than taken from datatrove, and why: the word tokenizer (datatrove's per-language
tokenizers need spaCy, pythainlp and others, and strip the vowel signs of Indic scripts); which record
of a cluster stays (datatrove keeps its union-find root, which depends on the order the pairs came in,
so on the task count: here the smallest stable key, see :mod:`~babelforge.curate.dedup_clusters`); and
the filter (datatrove's reads records by their place in a task's stream; babelforge's passes may hand
a task's records to another, so each record carries its own ``[task, index]``). datatrove's exact-dedup
stages choose by a 16-bit priority and then by place, so exact duplicates are one more bucket of the
MinHash merge instead (:mod:`~babelforge.curate.dedup_files`). And a shingle's hash is made from its
words' hashes in numpy rather than by hashing each joined n-gram in Python: half the time.

Settings and what they imply: MinHash with ``buckets`` bands of ``hashes_per_bucket`` hashes over
``n_grams``-word shingles finds a pair with shingle Jaccard similarity ``s`` with probability
``1 - (1 - s**r)**b``. FineWeb-2's 14 bands of 8 hashes over 5-grams put the threshold, where that
probability climbs fastest, at ``(1/14)**(1/8) = 0.72``: a pair at ``s = 0.9`` is found 99.96% of
the time, at 0.8 92%, at 0.7 56%, at 0.6 21%, at 0.5 5%. More bands find more (and cost more); wider
bands raise the threshold. (One word changed in a hundred leaves ``s`` near 0.9 with 5-grams.)

Example::

    steps:
      - dedup: {method: both, n_grams: 5, buckets: 14, hashes_per_bucket: 8, rehydrate: true}

With ``sentences: N`` every span of N sentences seen in more than one record stays in one of them
only (C4's rule, :mod:`~babelforge.curate.dedup_sentences`), chosen the same way.

Records leave with ``dup_cluster_size`` (and ``rehydration_weight`` with ``rehydrate``); drops are
counted under ``duplicate``, ``near_duplicate`` and ``duplicate_sentences``.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from babelforge.registry import StepSettings, register_step

__all__ = ["DedupSettings", "threshold"]


def threshold(buckets: int, hashes_per_bucket: int) -> float:
    """The similarity threshold these bands imply, ``(1/buckets)**(1/hashes_per_bucket)``: around it the chance
    of finding a pair climbs steepest (0.72 and 65% for 14 bands of 8)."""
    return (1 / buckets) ** (1 / hashes_per_bucket)


@register_step("dedup")
class DedupSettings(StepSettings):
    """Remove exact and near duplicates across the whole run (MinHash LSH, datatrove's stages)."""

    barrier: ClassVar[bool] = False  # its first stage runs beside the steps before it; the others are passes
    method: Literal["minhash", "exact", "both"] = Field(
        "both", description="minhash: near duplicates (exact ones too); exact: identical texts only; both"
    )
    n_grams: int = Field(5, ge=1, le=64, description="words per shingle (grapheme clusters in Han, Thai...)")
    buckets: int = Field(14, ge=1, le=512, description="MinHash bands: more find more, at more cost")
    hashes_per_bucket: int = Field(8, ge=1, le=64, description="hashes per band: more raise the threshold")
    seed: int = Field(1, description="seed of the MinHash permutations")
    sentences: int = Field(
        0, ge=0, le=32, description="also cut repeated spans of this many sentences from later records (C4: 3); 0: off"
    )
    rehydrate: bool = Field(False, description="note FineWeb-2's upsampling weight on kept records")

    def build(self, ctx):
        from babelforge.curate.dedup_buckets import DedupBuckets
        from babelforge.curate.dedup_files import DedupFiles
        from babelforge.curate.dedup_filter import DedupFilter
        from babelforge.curate.dedup_signatures import DedupSignatures

        position = next((i for i, s in enumerate(ctx.manifest.step_settings, 1) if s is self), 0)
        minhash = self.method != "exact"
        files = DedupFiles(
            str(ctx.work_dir / "dedup" / f"{position:02d}"), self.n_grams if minhash else 0,
            self.buckets if minhash else 0, self.hashes_per_bucket if minhash else 2, self.method != "minhash",
            self.seed, self.sentences,
        )  # fmt: skip
        return [DedupSignatures(files), DedupBuckets(files), DedupFilter(files, self.rehydrate)]
