"""The ``embed`` step: each record's text as a vector, written per task as float16 shards with ids.

With ``pooling: mean`` a record is a document: it is cut into chunks of whole sentences (up to
``chunk_chars``), each embedded, and the mean of the chunks (normalised) stands for the document;
the chunk vectors are kept too (``RANK-CHUNK.chunkvec``, rows' ``chunks`` = ``[start, end)`` in it),
for best-chunk matching in ``mine``. Vectors go to ``WORK/embeddings/RANK-CHUNK.npy`` (float16,
L2-normalised rows) with a JSON-lines file of the same rows (id, language, text); a task's chunks
are finished when its ``RANK.done`` marker exists. Memory holds one chunk at a time, never all
texts. Records pass through unchanged.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from datatrove.data import Document

from babelforge.records import LANGUAGE
from babelforge.steps import RecordStep

CHUNK = 20_000


class EmbedStep(RecordStep):
    """Embed records in batches with any embedder spec; shards land in ``folder``."""

    name = "embed"
    reads = (LANGUAGE,)
    batch_size = 256

    def __init__(self, embedder: str, folder: str, pooling: str = "none", chunk_chars: int = 1000):
        super().__init__()
        self.embedder_spec, self.folder = embedder, folder
        self.pooling, self.chunk_chars = pooling, chunk_chars
        self._embedder = None
        self._rows: list[dict] = []
        self._vectors: list = []
        self._pieces: list = []  # chunk vectors of documents (pooling mean)
        self._pieces_seen = 0
        self._chunk = 0
        self._rank = 0

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_embedder": None, "_rows": [], "_vectors": [], "_pieces": []}

    def run(self, data, rank: int = 0, world_size: int = 1):
        self._rank, self._chunk, self._rows, self._vectors, self._pieces, self._pieces_seen = rank, 0, [], [], [], 0
        folder = Path(self.folder)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob(f"{rank:05d}-*"):
            stale.unlink()  # a task run again starts clean
        (folder / f"{rank:05d}.done").unlink(missing_ok=True)
        yield from super().run(data, rank, world_size)
        self._flush()
        (folder / f"{rank:05d}.done").write_text(json.dumps({"chunks": self._chunk}))

    def process_batch(self, docs: list[Document]) -> list[Document]:
        if self._embedder is None:
            from babelforge.embedders import embedder

            self._embedder = embedder(self.embedder_spec)
        rows = [{"id": d.id, "language": d.metadata.get(LANGUAGE), "text": d.text} for d in docs]
        if self.pooling == "mean":
            vectors, pieces, counts = self._document_vectors(docs)
            for row, count in zip(rows, counts, strict=True):
                row["chunks"] = [self._pieces_seen, self._pieces_seen + count]
                self._pieces_seen += count
            self._pieces.append(pieces.astype("float16"))
        else:
            vectors = self._embedder.embed([d.text for d in docs])
        self._vectors.append(vectors.astype("float16"))
        self._rows += rows
        if len(self._rows) >= CHUNK:
            self._flush()
        return docs

    def _document_vectors(self, docs: list[Document]):
        """Each document as the normalised mean of its chunks' embeddings (chunks: whole sentences).

        Returns:
            The document vectors, the chunk vectors (documents in order) and each document's chunk count.
        """
        import numpy as np

        from babelforge.builders.interleave import sentences

        chunks, owners = [], []
        for d, doc in enumerate(docs):
            current = ""
            for start, end in sentences(doc.text, doc.metadata.get(LANGUAGE)) or [(0, len(doc.text))]:
                sentence = doc.text[start:end]
                if current and len(current) + len(sentence) + 1 > self.chunk_chars:
                    chunks.append(current)
                    owners.append(d)
                    current = ""
                current = f"{current} {sentence}" if current else sentence
            chunks.append(current)
            owners.append(d)
        vectors = self._embedder.embed(chunks)
        pooled = np.zeros((len(docs), vectors.shape[1]), dtype=np.float32)
        np.add.at(pooled, np.asarray(owners), vectors)
        counts = np.bincount(np.asarray(owners), minlength=len(docs)).tolist()
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12), vectors, counts

    def _flush(self) -> None:
        import numpy as np

        if not self._rows:
            return
        stem = Path(self.folder) / f"{self._rank:05d}-{self._chunk:05d}"
        with open(f"{stem}.jsonl", "w", encoding="utf-8") as f:
            f.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in self._rows)
        if self._pieces:
            with open(f"{stem}.chunkvec", "wb") as f:
                np.save(f, np.concatenate(self._pieces))
        with open(f"{stem}.partial", "wb") as f:
            np.save(f, np.concatenate(self._vectors))
        os.replace(f"{stem}.partial", f"{stem}.npy")  # the vectors last: a chunk exists once it is whole
        self._chunk += 1
        self._rows, self._vectors, self._pieces, self._pieces_seen = [], [], [], 0


def finished_chunks(folder: str | Path):
    """Each finished shard chunk: ``(vectors .npy path, its rows)``, tasks and chunks in order.

    The one walk over the embedding folder that every reader shares, so rows line up across them.
    """
    folder = Path(folder)
    for done in sorted(folder.glob("*.done")):
        for npy in sorted(folder.glob(f"{done.stem}-*.npy")):
            with open(npy.with_suffix(".jsonl"), encoding="utf-8") as f:
                yield npy, [json.loads(line) for line in f]


def read_embeddings(folder: str | Path, language: str, dtype: str = "float32"):
    """All finished shards' rows and vectors for one language: ``(rows, matrix)``, chunk by chunk."""
    import numpy as np

    rows, blocks = [], []
    for npy, lines in finished_chunks(folder):
        keep = [i for i, row in enumerate(lines) if row["language"] == language]
        rows += [lines[i] for i in keep]
        blocks.append(np.load(npy)[keep].astype(dtype))
    matrix = np.concatenate(blocks) if blocks else np.zeros((0, 0), dtype=dtype)
    return rows, matrix


def read_chunk_vectors(folder: str | Path, language: str):
    """Each document's chunk vectors for one language, in :func:`read_embeddings` order (``pooling: mean``).

    Returns:
        ``(spans, matrix)``: row ``i``'s chunks are ``matrix[spans[i][0]:spans[i][1]]`` (float16), or
        ``None`` when the shards hold no chunk vectors (records embedded whole).
    """
    import numpy as np

    spans, blocks, offset = [], [], 0
    for npy, lines in finished_chunks(folder):
        pieces = npy.with_suffix(".chunkvec")
        if not pieces.exists():
            return None
        spans += [(offset + r["chunks"][0], offset + r["chunks"][1]) for r in lines if r["language"] == language]
        blocks.append(np.load(pieces))
        offset += len(blocks[-1])
    return spans, (np.concatenate(blocks) if blocks else np.zeros((0, 0), dtype=np.float16))
