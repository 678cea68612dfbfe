"""Mining's stages, each kept on disk: index (per language), search (per shard), then scoring.

In a run they are three chained passes (:class:`IndexStage`, :class:`SearchStage`, then the ``mine``
step that scores): the index is built once, the search is spread over all the run's tasks (task
``r`` searches shards ``r, r + tasks, ...``), and the scoring reads every shard's neighbours.

``mine`` runs after ``embed``: it builds each side's faiss index from the embedding shards (trained
on a sample drawn across shards, then filled shard by shard, so one shard and the index are all
that is in memory), writes it to ``index-LANG.faiss``, then searches the other side's shards
against it, one ``DIRECTION-SHARD.npz`` of neighbours per shard. A killed run starts again where it
stopped: an index or a shard's neighbours that were written are read back, not recomputed. Files are
written beside and renamed into place, so nothing half-written is ever read. ``stages.json`` holds
what the files depend on (languages, sizes, index kind, neighbours, and each embedding chunk's path,
size and modification time); when that changes, the stage files are cleared. The run's work folder,
where all of this lives, is itself discarded when an input file changes (:mod:`babelforge.inputs`).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from datatrove.pipeline.base import PipelineStep

from babelforge.builders.embed import finished_chunks
from babelforge.builders.index import build_index_from_blocks, choose, search


def embedding_chunks(folder: str | Path, language: str) -> list[tuple[str, list[int]]]:
    """The finished embedding chunks holding ``language``, with the rows of it in each (in read order)."""
    chunks = []
    for npy, rows in finished_chunks(folder):
        keep = [i for i, row in enumerate(rows) if row["language"] == language]
        if keep:
            chunks.append((str(npy), keep))
    return chunks


def chunk_vectors(chunk: tuple[str, list[int]]):
    import numpy as np

    path, keep = chunk
    return np.load(path, mmap_mode="r")[keep].astype(np.float32)


def stage_arguments(embeddings: str, source: str, target: str, index: str, candidates: int,
                    nprobe: int | None) -> dict:  # fmt: skip
    """:class:`MiningStages` arguments for a language pair: its folder sits beside the embeddings."""
    folder = str(Path(embeddings).parent / "mining" / f"{source}-{target}")
    return {"folder": folder, "embeddings": embeddings, "source": source, "target": target, "index": index,
            "candidates": candidates, "nprobe": nprobe}  # fmt: skip


class MiningStages:
    """Neighbours both ways between two languages' embedding shards, resumable stage by stage.

    Args:
        folder: where the stage files go (one folder per language pair).
        embeddings: the ``embed`` step's shard folder.
        source, target: the two languages.
        index: index kind (see :mod:`babelforge.builders.index`).
        candidates: neighbours searched per row.
        log: called with a line per stage done or resumed.
    """

    def __init__(self, folder, embeddings, source: str, target: str, index: str, candidates: int,
                 log: Callable[[str], None] = lambda line: None, nprobe: int | None = None):  # fmt: skip
        self.folder, self.embeddings, self.nprobe = Path(folder), embeddings, nprobe
        self.source, self.target, self.index, self.candidates, self.log = source, target, index, candidates, log
        self.chunks = {lang: embedding_chunks(embeddings, lang) for lang in (source, target)}
        self.sizes = {lang: sum(len(keep) for _, keep in chunks) for lang, chunks in self.chunks.items()}
        self.timings: dict[str, float] = {}

    @property
    def directions(self) -> tuple[tuple[str, str, str], ...]:
        """``(name, query language, index language)`` of both searches."""
        return (("st", self.source, self.target), ("ts", self.target, self.source))

    def build_indexes(self) -> None:
        """The index stage: both sides' indexes, built from the shards and saved (or found saved)."""
        self._check_stage_files()
        for language in (self.target, self.source):
            self._index(language)

    def search_shards(self, rank: int = 0, world_size: int = 1) -> None:
        """The search stage for one task: shards ``rank, rank + world_size, ...`` of each direction."""
        for name, queries, base in self.directions:
            self._search(name, queries, base, lambda i: i % world_size == rank)

    def neighbours(self):
        """``(sim_st, ids_st, sim_ts, ids_ts)``: each source's nearest targets, and each target's sources.

        Stages already done are read back; any shard not searched yet is searched here.
        """
        import numpy as np

        self._check_stage_files()
        found = []
        for name, queries, base in self.directions:
            files = self._search(name, queries, base, lambda i: True)
            loaded = [np.load(f) for f in files]
            found += [np.concatenate([x["sims"] for x in loaded]), np.concatenate([x["ids"] for x in loaded])]
        return tuple(found)

    def _search(self, name: str, queries: str, base: str, mine: Callable[[int], bool]) -> list[Path]:
        files = [self.folder / f"{name}-{Path(path).stem}.npz" for path, _ in self.chunks[queries]]
        todo = [i for i, file in enumerate(files) if mine(i) and not file.exists()]
        if not todo:
            self.log(f"search {queries}->{base}: {sum(map(mine, range(len(files))))} shard(s) resumed")
            return files
        index = self._index(base)
        started = time.perf_counter()
        for i in todo:
            sims, ids = search(index, chunk_vectors(self.chunks[queries][i]), self.candidates)
            _atomic(files[i], lambda partial, sims=sims, ids=ids: _save_npz(partial, sims, ids))
        self.timings[f"search {queries}->{base}"] = time.perf_counter() - started
        self.log(f"search {queries}->{base}: {len(todo)} shard(s) searched")
        return files

    def _index(self, language: str):
        import faiss

        path = self.folder / f"index-{language}.faiss"
        if path.exists():
            self.log(f"index {language}: resumed from {path.name}")
            return self._probing(faiss.read_index(str(path)))
        started = time.perf_counter()
        chunks = self.chunks[language]
        dim = chunk_vectors(chunks[0]).shape[1]

        def blocks() -> Iterator:
            return (chunk_vectors(chunk) for chunk in chunks)

        index = build_index_from_blocks(blocks, self.sizes[language], dim, self.index)
        _atomic(path, lambda partial: faiss.write_index(_on_cpu(faiss, index), str(partial)))
        self.timings[f"index {language}"] = time.perf_counter() - started
        self.log(f"index {language}: {self.sizes[language]:,} vectors, {choose(self.index, self.sizes[language])}")
        return self._probing(index)

    def _probing(self, index):
        """Apply ``nprobe`` (IVF lists searched per query) when one was asked for."""
        import faiss

        ivf = faiss.try_extract_index_ivf(index)
        if self.nprobe and ivf is not None:
            ivf.nprobe = min(self.nprobe, ivf.nlist)
        return index

    def _check_stage_files(self) -> None:
        # each chunk by path, size and modification time: a rewritten chunk invalidates what was built on it
        chunks = {language: [[path, *_identity(path)] for path, _ in found] for language, found in self.chunks.items()}
        wanted = {"source": self.source, "target": self.target, "sizes": self.sizes, "index": self.index,
                  "candidates": self.candidates, "chunks": chunks}  # fmt: skip
        record = self.folder / "stages.json"
        if record.exists() and json.loads(record.read_text()) == wanted:
            return
        if self.folder.exists():
            for stale in self.folder.iterdir():
                stale.unlink()
        self.folder.mkdir(parents=True, exist_ok=True)
        record.write_text(json.dumps(wanted))


def _identity(path: str) -> tuple[int, int]:
    stat = os.stat(path)
    return stat.st_size, stat.st_mtime_ns


def _on_cpu(faiss, index):
    return faiss.index_gpu_to_cpu(index) if "Gpu" in type(index).__name__ else index


def _save_npz(path: Path, sims, ids) -> None:
    import numpy as np

    with open(path, "wb") as f:
        np.savez(f, sims=sims, ids=ids)


def _atomic(path: Path, write: Callable[[Path], None]) -> None:
    """``write(partial)`` then rename to ``path``: a file that exists is whole."""
    partial = path.with_name(path.name + ".partial")
    write(partial)
    with open(partial, "rb") as f:
        os.fsync(f.fileno())
    os.replace(partial, path)


class IndexStage(PipelineStep):
    """The pass that builds (or finds) both sides' indexes; records pass through unchanged."""

    type = "⛏️ - MINE"
    name = "mine-index"

    def __init__(self, stages: dict):
        super().__init__()
        self.stages = stages  # MiningStages arguments: the shards are listed inside run()

    def run(self, data, rank: int = 0, world_size: int = 1):
        yield from data or ()
        if rank == 0:
            with self.track_time():
                MiningStages(**self.stages, log=_log).build_indexes()


class SearchStage(PipelineStep):
    """The pass where each task searches its share of the shards, both ways; records pass through."""

    type = "⛏️ - MINE"
    name = "mine-search"

    def __init__(self, stages: dict):
        super().__init__()
        self.stages = stages

    def run(self, data, rank: int = 0, world_size: int = 1):
        yield from data or ()
        with self.track_time():
            MiningStages(**self.stages, log=_log).search_shards(rank, world_size)


def _log(line: str) -> None:
    from datatrove.utils.logging import logger

    logger.info(line)
