"""Which bytes of which files each task reads, and where records start near a cut.

A source's files are laid end to end and cut into ``world_size`` pieces of about equal bytes
(:func:`assign_ranges`). A file that cannot be entered in the middle (compressed, or read whole by
its reader) is never cut: a cut that falls inside it moves to its nearer end. The assignment depends
only on the file listing, the sizes and ``world_size``, so a resumed run can compare it.

A range is nominal: a record belongs to the range that holds its first byte. The reader of a range
moves its two ends forward to record boundaries with :func:`next_line_start` (line formats) or
:func:`next_block_start` (CoNLL: a line that follows a blank line), so neighbouring ranges meet
exactly and together read every record once, as an unsplit read would.
"""

from __future__ import annotations

from itertools import pairwise
from typing import BinaryIO, NamedTuple

COMPRESSED = (".gz", ".bz2", ".xz", ".zst", ".zstd", ".lz4", ".snappy", ".zip")
_SCAN = 1 << 16


class ByteRange(NamedTuple):
    """Bytes ``[start, end)`` of one file (``path`` relative to the source's folder) of ``size`` bytes."""

    path: str
    start: int
    end: int
    size: int

    @property
    def whole(self) -> bool:
        return self.start == 0 and self.end == self.size


class InputFile(NamedTuple):
    """A file of a source's listing: its path, size in bytes, and whether it may be cut."""

    path: str
    size: int
    splittable: bool


def is_compressed(path: str) -> bool:
    return path.lower().endswith(COMPRESSED)


def assign_ranges(files: list[InputFile], world_size: int) -> list[list[ByteRange]]:
    """Cut ``files`` (in their order) into ``world_size`` lists of ranges, balanced by bytes.

    A pure function of its arguments. Tasks beyond the work get empty lists; empty files get no range.

    Example::

        >>> assign_ranges([InputFile("a.jsonl", 10, True)], 2)
        [[ByteRange(path='a.jsonl', start=0, end=5, size=10)], [ByteRange(path='a.jsonl', start=5, end=10, size=10)]]
    """
    if world_size < 1:
        raise ValueError(f"world_size must be at least 1, got {world_size}")
    starts, total = [], 0
    for file in files:
        starts.append(total)
        total += file.size
    bounds = [0] + [_snap(round(total * k / world_size), files, starts) for k in range(1, world_size)] + [total]
    tasks: list[list[ByteRange]] = []
    for lo, hi in pairwise(bounds):
        share = []
        for file, at in zip(files, starts, strict=True):
            start, end = max(lo, at) - at, min(hi, at + file.size) - at
            if start < end:
                share.append(ByteRange(file.path, start, end, file.size))
        tasks.append(share)
    return tasks


def _snap(cut: int, files: list[InputFile], starts: list[int]) -> int:
    """``cut``, or the nearer end of the file it falls strictly inside when that file may not be cut."""
    for file, at in zip(files, starts, strict=True):
        if at < cut < at + file.size:
            if file.splittable:
                return cut
            return at if cut - at < at + file.size - cut else at + file.size
    return cut


def next_line_start(f: BinaryIO, position: int, size: int) -> int:
    """The first line start at or after ``position`` (``size`` when none is left)."""
    if position <= 0:
        return 0
    if position >= size:
        return size
    f.seek(position - 1)
    line = f.readline()
    return position - 1 + len(line) if line.endswith(b"\n") else size


def next_block_start(f: BinaryIO, position: int, size: int) -> int:
    """The first line start at or after ``position`` whose previous line is blank (``size`` when none).

    No CoNLL sentence starts between ``position`` and that point, and a block parser started there
    sees the same sentences as one started at the top of the file. A line counts as blank here when
    it holds only ASCII whitespace (a stricter test than the parser's, so every cut is a true one).
    """
    if position <= 0:
        return 0
    if position >= size:
        return size
    at = _line_start(f, position - 1)
    f.seek(at)
    previous_blank = False
    while line := f.readline():
        if at >= position and previous_blank:
            return at
        previous_blank = not line.strip()
        at += len(line)
    return size


def _line_start(f: BinaryIO, position: int) -> int:
    """The start of the line that holds byte ``position``."""
    end = position
    while end > 0:
        begin = max(0, end - _SCAN)
        f.seek(begin)
        found = f.read(end - begin).rfind(b"\n")
        if found != -1:
            return begin + found + 1
        end = begin
    return 0


def count_lines(f: BinaryIO, end: int, chunk_size: int = 1 << 23) -> int:
    """The number of newlines in the first ``end`` bytes of ``f``."""
    f.seek(0)
    count, left = 0, end
    while left > 0 and (chunk := f.read(min(chunk_size, left))):
        count += chunk.count(b"\n")
        left -= len(chunk)
    return count
