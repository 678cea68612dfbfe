"""The base of babelforge's file readers: byte ranges per task, error policy, progress and counting."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import count
from typing import TYPE_CHECKING

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.readers.base import BaseDiskReader
from datatrove.utils.logging import logger

from babelforge.builders.readers.decoding import Undecodable, decode_chunks, decode_stream, raw_chunks
from babelforge.builders.readers.fields import RECORD_ID
from babelforge.builders.readers.files import (
    CODEC_ERRORS,
    ascii_compatible,
    folder_and_pattern,
    irregular_source_files,
    list_source_files,
    sniff,
    with_compression,
)
from babelforge.builders.readers.kept import NOT_KEPT, count_not_kept
from babelforge.builders.readers.ranges import (
    ByteRange,
    InputFile,
    assign_ranges,
    count_lines,
    is_compressed,
    next_line_start,
)
from babelforge.errors import BabelforgeError, InputFormatError
from babelforge.records import LANGUAGE, LINEAGE, SOURCE, SOURCE_ID, SPLIT
from babelforge.steps.base import RejectsFile

if TYPE_CHECKING:
    from babelforge.sources import SourceBase

__all__ = ["RecordReader", "UnreadableFileError", "new_record", "with_compression"]


class UnreadableFileError(InputFormatError):
    """A whole input file that cannot be read as its source's kind (binary, truncated, not parsing)."""

    def __init__(self, path: str, problem: str):
        self.path, self.line = path, 0
        BabelforgeError.__init__(self, f"{path}: {problem}")


class RecordReader(BaseDiskReader):
    """Reads one manifest source; its files are cut into byte ranges, balanced across tasks.

    Subclasses implement :meth:`read_range` (usually over :meth:`lines` or :meth:`text_chunks`);
    they call :meth:`malformed` on a bad line (raise or skip and count, per the source's
    ``on_error``) and :meth:`make_document` to build records. A file that does not start as its
    kind expects, or that breaks off (truncated compression), is reported or counted once under
    ``unreadable_file``; an undecodable line is reported or counted under ``undecodable``.

    Attributes:
        position: bytes read so far in this task, for progress estimates.
    """

    type = "📖 - READER"
    #: When a source's path is a folder, the file endings read from it (compressed forms included).
    extensions: tuple[str, ...] = (".txt",)
    #: Moves a range end to the next record start (``ranges.next_line_start`` or ``next_block_start``).
    boundary = staticmethod(next_line_start)

    def __init__(self, source: SourceBase, index: int):
        self.name = f"{source.kind}:{source.display_name}"  # before super().__init__ names the stats
        folder, pattern = folder_and_pattern(source.path)
        super().__init__(folder, glob_pattern=pattern, limit=source.limit, recursive=pattern is None)
        self.source = source
        self.source_name = source.display_name
        self.index = index
        self.rejects_folder: str | None = None
        self._rank, self._rejects = 0, None
        self.position = 0

    # -- files and ranges ------------------------------------------------------------------------

    def list_input_files(self) -> list[str]:
        """This source's files, sorted, relative to its folder (a folder reads only its kind of file)."""
        return list_source_files(self.source.path, self.extensions)

    def splittable(self, path: str) -> bool:
        """Whether a task may start reading ``path`` in the middle (not compressed, newline-safe encoding)."""
        return not is_compressed(path) and ascii_compatible(self.source.encoding)

    def assignment(self, world_size: int, files: list[str] | None = None) -> list[list[ByteRange]]:
        """The byte ranges each of ``world_size`` tasks reads: a function of the listing and sizes only.

        Args:
            world_size: the number of tasks.
            files: the listing, when the caller has it (default: :meth:`list_input_files`).
        """
        listing = self.list_input_files() if files is None else files
        return assign_ranges([InputFile(f, self.data_folder.size(f), self.splittable(f)) for f in listing], world_size)

    def open_bytes(self, path: str):
        """Open one of this source's files as bytes, decompressing by its ending (``.gz``, ``.xz`` ...)."""
        return self.data_folder.open(path, "rb", compression="infer")

    # -- reading ---------------------------------------------------------------------------------

    def read_range(self, part: ByteRange) -> DocumentsPipeline:
        """The records whose first byte lies in ``part``."""
        raise NotImplementedError

    def read_file(self, filepath: str) -> DocumentsPipeline:
        """Every record of one file."""
        size = self.data_folder.size(filepath)
        return self.read_range(ByteRange(filepath, 0, size, size))

    def text_chunks(self, part: ByteRange) -> Iterator[tuple[int, str]]:
        """``(first line number, text)`` pieces of ``part``, decoded, each ending at a line end.

        The range's ends move forward to record starts (:attr:`boundary`); lines keep their numbers
        in the whole file. Advances :attr:`position` by the bytes consumed.
        """
        encoding = self.source.encoding
        with self.open_bytes(part.path) as f:
            if part.whole or not self.splittable(part.path):
                start, end, line = 0, None, 1
            else:
                start, end = self.boundary(f, part.start, part.size), self.boundary(f, part.end, part.size)
                line = count_lines(f, start) + 1
                f.seek(start)
            if not ascii_compatible(encoding):
                pieces = decode_stream(f, encoding)
            else:
                on_bad_line = lambda line, offset, raw: self.undecodable_line(part.path, line, offset, raw)  # noqa: E731
                pieces = decode_chunks(raw_chunks(f, start, end), line, encoding, on_bad_line)
            for first, consumed, text in pieces:
                self.position += consumed
                yield first, text

    def lines(self, part: ByteRange) -> Iterator[tuple[int, str]]:
        """``(line number, line)`` for each line of ``part``, without its line end."""
        for first, text in self.text_chunks(part):
            if "\r" in text:
                text = text.replace("\r\n", "\n")
            lines = text.split("\n")
            if lines[-1]:
                lines[-1] = lines[-1].removesuffix("\r")  # the file's last line, without a newline
            else:
                lines.pop()
            yield from zip(count(first), lines)

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        """This task's byte ranges (see :meth:`assignment`), counted once at the end."""
        import time

        if data:
            yield from data
        self._rank, self._rejects = rank, None
        files = self.list_input_files()
        if rank == 0:  # named pipes and dangling links are never opened: each is one unreadable file
            for name, problem in irregular_source_files(self.source.path, self.extensions):
                self.unreadable(name, problem)
        if rank == 0 and not files:
            raise BabelforgeError(f"no input files at {self.source.path} for source {self.source_name!r}")
        read, own, resumed = 0, 0.0, time.perf_counter()
        try:
            for doc in self.read_ranges(self.assignment(world_size, files)[rank]):
                own += time.perf_counter() - resumed  # the reader's own time, not the steps after it
                read += 1
                yield doc
                resumed = time.perf_counter()
        finally:
            if self._rejects is not None:
                self._rejects.close()
        self.stats.time_stats.update(own + time.perf_counter() - resumed)
        self.stat_update("read", value=read)

    def read_ranges(self, ranges: list[ByteRange]) -> DocumentsPipeline:
        """The records of ``ranges`` in order, at most ``limit`` of them (the limit is per task)."""
        read = 0
        for part in ranges:
            if self._reached(read):
                return
            if part.start == 0:
                self.stat_update("input_files")
            for document in self._checked(part):
                yield document
                read += 1
                if self._reached(read):  # stop before the next record is made (and counted)
                    return

    def _reached(self, read: int) -> bool:
        return self.limit != -1 and read >= self.limit

    def _checked(self, part: ByteRange) -> DocumentsPipeline:
        """:meth:`read_range`, with whole-file problems reported or counted once (by the file's first range)."""
        problem = sniff(self.source, part.path, self.open_bytes)
        if problem is None:
            try:
                yield from self.read_range(part)
                return
            except Undecodable as error:
                problem = f"{error}: if the file is in another encoding, set the source's 'encoding'"
            except CODEC_ERRORS as error:
                problem = f"cannot be read past this point ({type(error).__name__}: {error}): a truncated file?"
        if part.start == 0:
            self.unreadable(part.path, problem)

    # -- errors and drops ------------------------------------------------------------------------

    def malformed(self, path: str, line: int, expected: str, got: str = "") -> str:
        """Raise :class:`InputFormatError` for a malformed line, unless the source skips bad input.

        Returns:
            When skipping, the problem in words; the caller then drops the record with :meth:`count_drop`.
        """
        error = InputFormatError(self.data_folder.resolve_paths(path), line, expected, got)
        if self.source.on_error == "fail":
            raise error
        return str(error)

    def unreadable(self, path: str, problem: str) -> None:
        """A whole file that cannot be read: raise :class:`UnreadableFileError`, or count one drop naming it."""
        shown = self.data_folder.resolve_paths(path)
        if self.source.on_error == "fail":
            raise UnreadableFileError(shown, problem)
        logger.warning(f"source {self.source_name!r}: skipped {shown}: {problem}")
        self.count_drop("unreadable_file", f"{shown}: {problem}", shown)

    def undecodable_line(self, path: str, line: int, offset: int, raw: bytes) -> str:
        """A line whose bytes do not decode: raise, or count it and return the text that stands in for it."""
        encoding = self.source.encoding
        expected = (
            f"{encoding} text, but byte {offset} does not decode: if the file is in another encoding, "
            "set the source's 'encoding' (e.g. latin-1)"
        )
        problem = self.malformed(path, line, expected)
        return self.stand_in(line, offset, raw, problem)

    def stand_in(self, line: int, offset: int, raw: bytes, problem: str) -> str:
        """When skipping: count an undecodable line and blank it (line readers skip blank lines)."""
        self.count_drop("undecodable", problem, raw.decode(self.source.encoding, "backslashreplace"))
        return ""

    def count_drop(self, reason: str, detail: str = "", text: str = "") -> None:
        """Count one record dropped under ``reason``, and keep it in the rejects when the output asks."""
        self.stat_update("dropped", f"dropped:{reason}")
        if self.rejects_folder:
            if self._rejects is None:
                self._rejects = RejectsFile(self.rejects_folder, self.name, self._rank, f"source{self.index}")
            self._rejects.write_row({"source": self.source_name, "reason": reason, "detail": detail, "text": text})

    def make_document(self, text: str, path: str, line: int, **metadata) -> Document:
        """A record of this source; see :func:`new_record`."""
        count_not_kept(self, metadata)
        return _record(self.source, self.source_name, text, path, line, metadata)


def new_record(source: SourceBase, text: str, path: str, line: int, **metadata) -> Document:
    """A record with the keys every record carries: language, split, source, source id, lineage.

    The id is ``SOURCE/ROW_ID`` when the row has its own id (``fields.id``), else ``SOURCE/FILE:LINE``.
    """
    return _record(source, source.display_name, text, path, line, metadata)


def _record(source: SourceBase, name: str, text: str, path: str, line: int, metadata: dict) -> Document:
    own = metadata.pop(RECORD_ID, None)
    metadata.pop(NOT_KEPT, None)  # counted by the reader, if it counts
    source_id = own if own is not None else f"{path}:{line}"
    common = {LANGUAGE: source.language, SPLIT: source.split, SOURCE: name, SOURCE_ID: source_id, LINEAGE: []}
    return Document(text=text, id=f"{name}/{source_id}", media=[], metadata={**common, **metadata})
