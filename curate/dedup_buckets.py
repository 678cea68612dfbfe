"""The ``dedup`` step's second stage: datatrove's bucket merge, its buckets spread over the run's tasks.

datatrove's :class:`MinhashDedupBuckets` runs one task per bucket (its task count must be a multiple
of the bucket count). Here the pass has the run's task count, so task ``r`` runs datatrove's stage for
buckets ``r, r + tasks, ...``, each as datatrove's own task ``bucket`` of ``buckets``: the same files
come out whatever the run's task count. With sentence-level dedup, the same task also finds the
repeated sentence spans of its share of the span hashes. Records pass through unchanged.
"""

from __future__ import annotations

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from babelforge.curate.dedup_files import DedupFiles
from babelforge.curate.dedup_sentences import find_repeated


class DedupBuckets(PipelineStep):
    """Find, per bucket, the pairs of records whose bucket hashes agree (``dups/BBBBB_00.dups``)."""

    type = "🫂 - DEDUP"
    name = "dedup-buckets"

    def __init__(self, files: DedupFiles):
        super().__init__()
        self.files = files

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        yield from data or ()
        from datatrove.pipeline.dedup.minhash import MinhashDedupBuckets

        finder = MinhashDedupBuckets(self.files.path("sigs"), self.files.path("dups"), config=self.files.line_config)
        with self.track_time():
            for bucket in range(rank, self.files.buckets, world_size):
                finder.run(None, bucket, self.files.buckets)
                self.stat_update("buckets")
            repeated = find_repeated(self.files.folder, rank, world_size) if self.files.sentences else 0
        pairs = finder.stats["total_matches"].total
        if pairs:
            self.stat_update("pairs", value=int(pairs))
        if repeated:
            self.stat_update("repeated_sentence_spans", value=repeated)
