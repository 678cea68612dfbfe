"""Clusters of duplicates and, in each, the one record that stays: computed once, read by every task.

datatrove's :class:`MinhashDedupCluster` joins the bucket pairs into clusters (union-find over all
``.dups`` files, one process). Which member it keeps is the root of its union-find, which depends on
the order the pairs came in, and so on the run's task count; and its ``.remove`` files name records by
their place in a task's stream. So its clusters are kept (``save_cluster_id``) and the choice is made
here: in each cluster the record with the smallest stable key (a hash of its id and text, see
:func:`babelforge.curate.dedup_signatures.record_key`) stays, ties broken by task and index (only
records with the same id and text tie). A removed record whose compared text equals the kept one's
is a ``duplicate``, any other a ``near_duplicate``.

The filter pass's tasks all need the decisions: the first to take the lock (``decisions/.lock``, a
``flock``) computes them; the others wait and read. ``decisions/done.json`` names the bucket files
(sizes and times) they were computed from: when a rerun rewrote those, they are computed again. With
sentence-level dedup, the spans to cut are chosen here too, among the records kept
(:func:`~babelforge.curate.dedup_sentences.decide_sentences`).
"""

from __future__ import annotations

import glob
import json
import os
import shutil

import numpy as np

from babelforge.curate.dedup_files import DECISION_DTYPE, DUPLICATE, NEAR_DUPLICATE, DedupFiles
from babelforge.curate.dedup_sentences import decide_sentences


def ensure_decisions(files: DedupFiles) -> None:
    """Compute ``decisions/RANK.npy`` unless they are there for the current bucket files."""
    from filelock import FileLock

    folder = files.path("decisions")
    os.makedirs(folder, exist_ok=True)
    with FileLock(os.path.join(folder, ".lock")):
        done = os.path.join(folder, "done.json")
        inputs = _identity(files)
        if _read_json(done) == inputs:
            return
        decide(files)
        with open(f"{done}.partial", "w") as f:
            json.dump(inputs, f)
        os.replace(f"{done}.partial", done)


def decide(files: DedupFiles) -> None:
    """Cluster (datatrove), choose the record kept in each cluster, write one decision file per task."""
    from datatrove.pipeline.dedup.minhash import MinhashDedupCluster

    clusters = files.path("clusters")
    shutil.rmtree(clusters, ignore_errors=True)
    MinhashDedupCluster(files.path("dups"), clusters, config=files.line_config, save_cluster_id=True).run(None, 0, 1)
    rank, doc, cluster = _read_clusters(clusters)
    key, exact = _keys_of(files, rank, doc)
    order = np.lexsort((doc, rank, key, cluster))  # by cluster, then key: the first of each cluster stays
    rank, doc, cluster, key, exact = rank[order], doc[order], cluster[order], key[order], exact[order]
    first = np.r_[True, cluster[1:] != cluster[:-1]] if len(cluster) else np.zeros(0, bool)
    starts = np.flatnonzero(first)
    sizes = np.diff(np.r_[starts, len(cluster)])
    group = np.cumsum(first) - 1
    kept_exact = exact[starts][group]
    action = np.where(first, 0, np.where(exact == kept_exact, DUPLICATE, NEAR_DUPLICATE))
    _write_decisions(files.path("decisions"), rank, doc, sizes[group], action)
    if files.sentences:
        decide_sentences(files.folder, lambda r, d: _keys_of(files, r, d)[0], lambda r, d: _kept(files, r, d))


def _read_clusters(folder: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(task, index, cluster id)`` of every clustered record, from datatrove's ``FFFFFF.clusters`` files."""
    ranks, docs, clusters = [], [], []
    for path in sorted(glob.glob(os.path.join(glob.escape(folder), "*.clusters"))):
        pairs = np.fromfile(path, dtype="<u4").reshape(-1, 2)
        ranks.append(np.full(len(pairs), int(os.path.basename(path).split(".")[0]), np.int64))
        docs.append(pairs[:, 0].astype(np.int64))
        clusters.append(pairs[:, 1].astype(np.int64))
    if not ranks:
        return (np.zeros(0, np.int64),) * 3
    return np.concatenate(ranks), np.concatenate(docs), np.concatenate(clusters)


def _keys_of(files: DedupFiles, rank: np.ndarray, doc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    key, exact = np.zeros(len(rank), np.uint64), np.zeros(len(rank), np.uint64)
    for r in np.unique(rank):
        table = np.load(files.path("sigs", "keys", f"{r:05d}.npy"), mmap_mode="r")
        mine = rank == r
        key[mine], exact[mine] = table["key"][doc[mine]], table["exact"][doc[mine]]
    return key, exact


def _kept(files: DedupFiles, rank: np.ndarray, doc: np.ndarray) -> np.ndarray:
    """Whether whole-record dedup keeps each record (read back from the decisions just written)."""
    decisions, kept = Decisions(files), np.ones(len(rank), bool)
    for i, (r, d) in enumerate(zip(rank.tolist(), doc.tolist(), strict=True)):
        kept[i] = decisions.of(r, d)[1] == 0
    return kept


def _write_decisions(folder: str, rank, doc, size, action) -> None:
    for stale in glob.glob(os.path.join(glob.escape(folder), "*.npy")):
        os.remove(stale)
    for r in np.unique(rank):
        mine = rank == r
        table = np.empty(int(mine.sum()), DECISION_DTYPE)
        table["doc"], table["size"], table["action"] = doc[mine], size[mine], action[mine]
        table.sort(order="doc")
        partial = os.path.join(folder, f"{r:05d}.partial.npy")
        np.save(partial, table)
        os.replace(partial, os.path.join(folder, f"{r:05d}.npy"))


def _identity(files: DedupFiles) -> dict:
    base = glob.escape(files.folder)  # the work folder's path is a name, brackets and all
    patterns = [("dups", "*.dups"), ("sigs", "keys", "*.npy"), ("sent_dups", "*.npy")]
    found = sorted(p for parts in patterns for p in glob.glob(os.path.join(base, *parts)))
    return {os.path.relpath(p, files.folder): [os.stat(p).st_size, os.stat(p).st_mtime_ns] for p in found}


def _read_json(path: str) -> dict | None:
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


class Decisions:
    """What becomes of each record, by its ``[task, index]``: ``(cluster size, action)``; loaded per task."""

    def __init__(self, files: DedupFiles):
        self.folder = files.path("decisions")
        self._tables: dict[int, np.ndarray] = {}

    def of(self, rank: int, doc: int) -> tuple[int, int]:
        table = self._tables.get(rank)
        if table is None:
            path = os.path.join(self.folder, f"{rank:05d}.npy")
            table = self._tables[rank] = np.load(path) if os.path.exists(path) else np.zeros(0, DECISION_DTYPE)
        i = int(np.searchsorted(table["doc"], doc))
        if i < len(table) and table["doc"][i] == doc:
            return int(table["size"][i]), int(table["action"][i])
        return 1, 0
