"""The ``dedup`` step's last stage: drop every clustered record but the one kept, note the cluster size.

Each record is looked up by the ``dedup_node`` the signature stage gave it (datatrove's filter reads
records by their place in a task's stream, which a pass may not keep). A dropped record is counted
under ``duplicate`` (its compared text equals the kept record's) or ``near_duplicate``; a kept record
gets ``dup_cluster_size`` (1 when it has no duplicate) and, in a cluster, a lineage entry with the
size, which is what reaches the output (records' other metadata does not). With ``sentences``, the
repeated sentence spans chosen for it are cut from a kept record's text (see
:mod:`~babelforge.curate.dedup_sentences`).

With ``rehydrate``, each kept record also gets FineWeb-2's upsampling weight for its cluster size
(``rehydration_weight``, also in the lineage entry): a trainer repeats the record that many times.
FineWeb-2 found that documents duplicated a little across the web are better than unique ones and
very large clusters worse:

==============  ======
cluster size    weight
==============  ======
1               1
2, 3            2, 3
4               3
5 to 99         5
100 to 999      8
1000 and more   1
==============  ======
"""

from __future__ import annotations

import bisect

import regex
from datatrove.data import Document, DocumentsPipeline

from babelforge.curate.dedup_clusters import Decisions, ensure_decisions
from babelforge.curate.dedup_files import REASONS, DedupFiles
from babelforge.curate.dedup_sentences import SentenceCuts
from babelforge.curate.dedup_signatures import NODE
from babelforge.steps import Drop, RecordStep

CLUSTER_SIZE = "dup_cluster_size"
WEIGHT = "rehydration_weight"
#: FineWeb-2's rehydration weights: the weight of the largest bound not above the cluster size.
REHYDRATION = {1: 1, 2: 2, 3: 3, 5: 5, 100: 8, 1000: 1}
_BOUNDS = sorted(REHYDRATION)


def rehydration_weight(size: int) -> int:
    """FineWeb-2's upsampling weight of a record kept from a cluster of ``size`` (4 -> 3, 50 -> 5)."""
    return REHYDRATION[_BOUNDS[bisect.bisect_right(_BOUNDS, max(size, 1)) - 1]]


class DedupFilter(RecordStep):
    """Keep one record per cluster of duplicates (see :mod:`babelforge.curate.dedup`)."""

    type = "🫂 - DEDUP"
    name = "dedup"
    reads = (NODE,)
    writes = (CLUSTER_SIZE, WEIGHT)

    def __init__(self, files: DedupFiles, rehydrate: bool = False):
        super().__init__()
        self.files, self.rehydrate = files, rehydrate
        self._decisions: Decisions | None = None
        self._cuts: SentenceCuts | None = None

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        with self.track_time():
            ensure_decisions(self.files)  # the first task computes them, the others wait and read
        self._decisions = Decisions(self.files)
        self._cuts = SentenceCuts(self.files.folder, self.files.sentences) if self.files.sentences else None
        yield from super().run(data, rank, world_size)

    def process(self, doc: Document) -> Document | Drop:
        node = doc.metadata.pop(NODE, None)
        if node is None:  # came from elsewhere than the signature stage: nothing to judge it by
            self.stat_update("unchecked")
            return doc
        size, action = self._decisions.of(*node)
        if action:
            return Drop(REASONS[action], f"one of {size} in its cluster")
        details = {"cluster_size": size} if size > 1 else {}
        if self._cuts is not None and len(starts := self._cuts.starts(*node)):
            doc.text, removed = self._cuts.cut(doc.text, starts)
            if not regex.search(r"\w", doc.text):
                return Drop("duplicate_sentences", f"all {removed} sentences seen in other records")
            self.stat_update("sentences_removed", value=removed)
            details["sentences_removed"] = removed
        doc.metadata[CLUSTER_SIZE] = size
        if self.rehydrate:
            doc.metadata[WEIGHT] = rehydration_weight(size)
            if size > 1:
                details[WEIGHT] = doc.metadata[WEIGHT]
        if size > 1:
            self.stat_update("clusters")
        if details:
            self.note(doc, **details)
        return doc
