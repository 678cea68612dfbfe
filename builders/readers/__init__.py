"""Readers: each turns one manifest source into records (datatrove ``Document``s)."""

from babelforge.builders.readers.base import RecordReader
from babelforge.builders.readers.conll import ConllReader
from babelforge.builders.readers.mapped import HubReader, JsonlRecordReader, ParquetRecordReader
from babelforge.builders.readers.squad import SquadReader
from babelforge.builders.readers.text import PlainTextReader, TsvBitextReader

__all__ = [
    "ConllReader",
    "HubReader",
    "JsonlRecordReader",
    "ParquetRecordReader",
    "PlainTextReader",
    "RecordReader",
    "SquadReader",
    "TsvBitextReader",
]
