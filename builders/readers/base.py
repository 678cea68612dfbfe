"""The base of babelforge's file readers: sharding by file, error policy, progress and counting."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.readers.base import BaseDiskReader

from babelforge.builders.readers.fields import RECORD_ID
from babelforge.errors import BabelforgeError, InputFormatError
from babelforge.records import LANGUAGE, LINEAGE, SOURCE, SOURCE_ID, SPLIT
from babelforge.steps.base import RejectsFile

if TYPE_CHECKING:
    from babelforge.sources import SourceBase


class RecordReader(BaseDiskReader):
    """Reads one manifest source: its files are sharded across tasks (datatrove's ``get_shard``).

    Subclasses implement ``read_file``; they call :meth:`malformed` on a bad line (raise or skip
    and count, per the source's ``on_error``) and :meth:`make_document` to build records.

    Attributes:
        position: characters read so far in this task, for progress estimates.
    """

    type = "📖 - READER"
    #: When a source's path is a folder, the file endings read from it (compressed forms included).
    extensions: tuple[str, ...] = (".txt",)

    def __init__(self, source: SourceBase, index: int):
        self.name = f"{source.kind}:{source.display_name}"  # before super().__init__ names the stats
        folder, pattern = _folder_and_pattern(source.path)
        super().__init__(folder, glob_pattern=pattern, limit=source.limit, recursive=pattern is None)
        self.source = source
        self.source_name = source.display_name
        self.rejects_folder: str | None = None
        self._rank, self._rejects = 0, None
        self.position = 0

    def malformed(self, path: str, line: int, expected: str, got: str = "") -> str:
        """Raise :class:`InputFormatError` for a malformed line, unless the source skips bad input.

        Returns:
            When skipping, the problem in words; the caller then drops the record with :meth:`count_drop`.
        """
        error = InputFormatError(self.data_folder.resolve_paths(path), line, expected, got)
        if self.source.on_error == "fail":
            raise error
        return str(error)

    def count_drop(self, reason: str, detail: str = "", text: str = "") -> None:
        """Count one record dropped under ``reason``, and keep it in the rejects when the output asks."""
        self.stat_update("dropped", f"dropped:{reason}")
        if self.rejects_folder:
            if self._rejects is None:
                self._rejects = RejectsFile(self.rejects_folder, self.name, self._rank)
            self._rejects.write_row({"source": self.source_name, "reason": reason, "detail": detail, "text": text})

    def list_input_files(self) -> list[str]:
        """This source's files, sorted, relative to its folder (a folder reads only its kind of file)."""
        files = self.data_folder.list_files(recursive=self.recursive, glob_pattern=self.glob_pattern)
        if self.glob_pattern is None:
            files = [f for f in files if f.lower().endswith(self.extensions) and not _hidden(f)]
        return sorted(files)

    def open_text(self, filepath: str):
        """Open one of this source's files as UTF-8 text, decompressing by its ending (``.gz``, ``.xz`` ...)."""
        return self.data_folder.open(filepath, "rt", encoding="utf-8", compression="infer")

    def make_document(self, text: str, path: str, line: int, **metadata) -> Document:
        """A record of this source; see :func:`new_record`."""
        return new_record(self.source, text, path, line, **metadata)

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        """This task's share of the files (datatrove's ``get_shard``), counted once at the end."""
        if data:
            yield from data
        self._rank, self._rejects = rank, None
        files = self.list_input_files()
        shard = files[rank::world_size]
        if not files and rank == 0:
            pattern = (
                f" matching {self.glob_pattern!r}" if self.glob_pattern else f" ending in {', '.join(self.extensions)}"
            )
            raise BabelforgeError(f"no input files in {self.data_folder.path}{pattern} for source {self.source_name!r}")
        read, own, resumed = 0, 0.0, time.perf_counter()
        try:
            for doc in self.read_files_shard(shard):
                own += time.perf_counter() - resumed  # the reader's own time, not the steps after it
                read += 1
                yield doc
                resumed = time.perf_counter()
        finally:
            if self._rejects is not None:
                self._rejects.close()
        self.stats.time_stats.update(own + time.perf_counter() - resumed)
        self.stat_update("read", value=read)


def iter_lines(f, reader: RecordReader | None = None, chunk_size: int = 1 << 22) -> Iterator[str]:
    """The lines of a text file without their line ends, read in large chunks.

    Much faster than iterating an fsspec file line by line; ``reader.position`` advances per chunk.
    """
    rest = ""
    while chunk := f.read(chunk_size):
        if reader is not None:
            reader.position += len(chunk)
        lines = (rest + chunk).split("\n")
        rest = lines.pop()
        for line in lines:
            yield line[:-1] if line.endswith("\r") else line
    if rest:
        yield rest.removesuffix("\r")


def new_record(source: SourceBase, text: str, path: str, line: int, **metadata) -> Document:
    """A record with the keys every record carries: language, split, source, source id, lineage.

    The id is ``SOURCE/ROW_ID`` when the row has its own id (``fields.id``), else ``SOURCE/FILE:LINE``.
    """
    own = metadata.pop(RECORD_ID, None)
    source_id = own if own is not None else f"{path}:{line}"
    name = source.display_name
    base = {LANGUAGE: source.language, SPLIT: source.split, SOURCE: name, SOURCE_ID: source_id, LINEAGE: []}
    return Document(text=text, id=f"{name}/{source_id}", metadata=base | metadata)


def _folder_and_pattern(path: str) -> tuple[str, str | None]:
    if os.path.isdir(path):
        return path, None
    return os.path.dirname(path) or ".", os.path.basename(path)


def _hidden(path: str) -> bool:
    return any(part.startswith(".") for part in path.split("/"))


def with_compression(*endings: str) -> tuple[str, ...]:
    """``endings`` plus their ``.gz``, ``.bz2``, ``.xz`` and ``.zst`` forms."""
    return tuple(e + c for e in endings for c in ("", ".gz", ".bz2", ".xz", ".zst"))


def open_text_file(path: str):
    """Open any local or remote text file as UTF-8, decompressing by its ending."""
    from datatrove.io import open_file

    return open_file(path, mode="rt", encoding="utf-8", compression="infer")
