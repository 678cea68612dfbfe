"""Readers: each turns one manifest source into records (datatrove ``Document``s).

The reader classes load on first use (they import datatrove), so that validating a manifest, which
lists and sniffs source files through :mod:`babelforge.builders.readers.files`, stays light.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babelforge.builders.readers.base import RecordReader
    from babelforge.builders.readers.conll import ConllReader
    from babelforge.builders.readers.mapped import HubReader, JsonlRecordReader, ParquetRecordReader
    from babelforge.builders.readers.ranges import ByteRange, assign_ranges
    from babelforge.builders.readers.squad import SquadReader
    from babelforge.builders.readers.text import PlainTextReader, TsvBitextReader

__all__ = [
    "ByteRange",
    "ConllReader",
    "HubReader",
    "JsonlRecordReader",
    "ParquetRecordReader",
    "PlainTextReader",
    "RecordReader",
    "SquadReader",
    "TsvBitextReader",
    "assign_ranges",
]
_HOMES = {
    "ByteRange": "ranges",
    "ConllReader": "conll",
    "HubReader": "mapped",
    "JsonlRecordReader": "mapped",
    "ParquetRecordReader": "mapped",
    "PlainTextReader": "text",
    "RecordReader": "base",
    "SquadReader": "squad",
    "TsvBitextReader": "text",
    "assign_ranges": "ranges",
}


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
