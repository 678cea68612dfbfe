"""The base of babelforge's file readers: sharding by file, error policy, progress and counting."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from datatrove.data import Document
from datatrove.pipeline.readers.base import BaseDiskReader

from babelforge.errors import InputFormatError
from babelforge.records import LANGUAGE, LINEAGE, SOURCE, SOURCE_ID, SPLIT

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

    def __init__(self, source: SourceBase, index: int):
        self.name = f"{source.kind}:{source.display_name}"  # before super().__init__ names the stats
        folder, pattern = _folder_and_pattern(source.path)
        super().__init__(folder, glob_pattern=pattern, limit=source.limit, recursive=pattern is None)
        self.source = source
        self.source_name = source.display_name
        self.position = 0

    def malformed(self, path: str, line: int, expected: str, got: str = "") -> None:
        """Raise :class:`InputFormatError` for a malformed line, unless the source skips bad input.

        When skipping, the caller drops the record and counts it with :meth:`count_drop`.
        """
        if self.source.on_error == "fail":
            raise InputFormatError(self.data_folder.resolve_paths(path), line, expected, got)

    def count_drop(self, reason: str) -> None:
        """Count one record dropped under ``reason`` (shown in the summary and provenance)."""
        self.stat_update("dropped", f"dropped:{reason}")

    def make_document(self, text: str, path: str, line: int, **metadata) -> Document:
        """A record of this source; see :func:`new_record`."""
        return new_record(self.source, text, path, line, **metadata)


def new_record(source: SourceBase, text: str, path: str, line: int, **metadata) -> Document:
    """A record with the keys every record carries: language, split, source, source id, lineage."""
    source_id = f"{path}:{line}"
    metadata.setdefault(LANGUAGE, source.language)
    metadata.setdefault(SPLIT, source.split)
    metadata[SOURCE] = source.display_name
    metadata[SOURCE_ID] = source_id
    metadata[LINEAGE] = []
    return Document(text=text, id=f"{source.display_name}/{source_id}", metadata=metadata)


def _folder_and_pattern(path: str) -> tuple[str, str | None]:
    if os.path.isdir(path):
        return path, None
    return os.path.dirname(path) or ".", os.path.basename(path)
