"""Readers of structured rows (JSON Lines, Parquet, Hugging Face datasets) through a field map."""

from __future__ import annotations

import json
import sys

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.readers.base import BaseReader

from babelforge.builders.readers.base import RecordReader, new_record
from babelforge.builders.readers.fields import FieldError, row_to_record
from babelforge.builders.readers.files import EXTENSIONS
from babelforge.builders.readers.kept import count_not_kept
from babelforge.builders.readers.ranges import ByteRange
from babelforge.errors import BabelforgeError, InputFormatError


class JsonlRecordReader(RecordReader):
    """One JSON object per line; ``fields`` says which keys hold the text, spans, tokens and tags.

    A large file is split across tasks at line ends.

    Example (manifest)::

        sources:
          - kind: jsonl
            path: data/train.jsonl
            language: hau_Latn
            fields: {text: sentence, spans: entities}
    """

    extensions = EXTENSIONS["jsonl"]

    def read_range(self, part: ByteRange) -> DocumentsPipeline:
        filepath, fields, language = part.path, self.source.fields, self.source.language
        for lineno, line in self.lines(part):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except (ValueError, RecursionError) as error:
                problem = self.malformed(filepath, lineno, _json_problem(error), line.strip())
                self.count_drop("malformed_input", problem, line)
                continue
            try:
                text, metadata = row_to_record(row, fields, language)
            except FieldError as error:
                self.count_drop("malformed_input", self.malformed(filepath, lineno, str(error)), line)
                continue
            yield self.make_document(text, filepath, lineno, **metadata)


def _json_problem(error: ValueError | RecursionError) -> str:
    """What a line that ``json.loads`` refused should have been."""
    if isinstance(error, json.JSONDecodeError):
        return f"one JSON object per line ({error.msg})"
    if isinstance(error, RecursionError):
        return "a JSON object nested less deeply"
    # the other ValueError of json.loads: an integer longer than Python converts (sys.get_int_max_str_digits)
    return f"JSON integers of at most {sys.get_int_max_str_digits():,} digits (write a longer number as a string)"


class ParquetRecordReader(RecordReader):
    """Parquet files read in batches; ``fields`` as for JSON Lines. Errors name the row number.

    A large file is split across tasks by row groups (a row group goes to the task whose byte
    range holds its first byte).
    """

    extensions = EXTENSIONS["parquet"]

    def splittable(self, path: str) -> bool:
        return True

    def read_range(self, part: ByteRange) -> DocumentsPipeline:
        import pyarrow as pa
        import pyarrow.parquet as pq

        with self.open_bytes(part.path) as f:
            try:
                parquet = pq.ParquetFile(f)
                yield from self._row_groups(parquet, part)
            except pa.ArrowException as error:
                if part.start == 0:
                    self.unreadable(part.path, f"not a readable Parquet file ({error})")

    def _row_groups(self, parquet, part: ByteRange) -> DocumentsPipeline:
        metadata, row_number = parquet.metadata, 0
        for index in range(metadata.num_row_groups):
            group = metadata.row_group(index)
            if part.start <= _group_start(group, part.size) < part.end:
                yield from self._rows(parquet, index, part.path, row_number)
                self.position += sum(group.column(c).total_compressed_size for c in range(group.num_columns))
            row_number += group.num_rows

    def _rows(self, parquet, index: int, filepath: str, row_number: int) -> DocumentsPipeline:
        for batch in parquet.iter_batches(batch_size=1024, row_groups=[index]):
            for row in batch.to_pylist():
                row_number += 1
                try:
                    text, metadata = row_to_record(row, self.source.fields, self.source.language)
                except FieldError as error:
                    self.count_drop("malformed_input", self.malformed(filepath, row_number, str(error)), str(row))
                    continue
                yield self.make_document(text, filepath, row_number, **metadata)


def _group_start(group, size: int) -> int:
    """The first byte of a row group (its first column chunk's first page), kept inside the file."""
    starts = []
    for c in range(group.num_columns):
        column = group.column(c)
        dictionary = column.dictionary_page_offset if column.has_dictionary_page else None
        starts.append(dictionary if dictionary is not None else column.data_page_offset)
    return min(max(min(starts, default=0), 0), max(size - 1, 0))


class HubReader(BaseReader):
    """A Hugging Face dataset by id (or local folder), config and split, sharded contiguously by task."""

    type = "📖 - READER"

    def __init__(self, source, index: int):
        self.name = f"hf:{source.display_name}"
        super().__init__(limit=source.limit)
        self.source = source
        self.source_name = source.display_name
        self.position = 0

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if data:
            yield from data
        dataset = self._load().shard(num_shards=world_size, index=rank, contiguous=True)
        tags, names = self.source.fields.tags, _class_names(dataset.features, self.source.fields.tags)
        for i, row in enumerate(dataset):
            if self.limit != -1 and i >= self.limit:
                break
            if names and isinstance(row.get(tags), list):  # integer class labels, as CoNLL-2003 on the Hub has
                row[tags] = [names[t] if isinstance(t, int) and 0 <= t < len(names) else t for t in row[tags]]
            try:
                text, metadata = row_to_record(row, self.source.fields, self.source.language)
            except FieldError as error:
                if self.source.on_error == "fail":
                    raise InputFormatError(self.source.path, i + 1, str(error)) from None
                self.stat_update("dropped", "dropped:malformed_input")
                continue
            count_not_kept(self, metadata)
            yield new_record(self.source, text, self.source.dataset_split, i + 1, **metadata)

    def _load(self):
        import datasets

        try:
            return datasets.load_dataset(
                self.source.path, self.source.config, split=self.source.dataset_split, revision=self.source.revision
            )
        except (FileNotFoundError, ValueError, ConnectionError, OSError) as error:
            raise BabelforgeError(
                f"could not load dataset {self.source.path!r} (config {self.source.config!r}, split "
                f"{self.source.dataset_split!r}): {error}. Check the id and split, or download it first "
                "(huggingface-cli download --repo-type dataset ID) and point 'path' at the folder"
            ) from None


def _class_names(features, field: str | None) -> list[str] | None:
    """The label names of a ``Sequence(ClassLabel)`` (or list of ``ClassLabel``) feature, if it is one."""
    feature = features.get(field) if field and features else None
    inner = getattr(feature, "feature", None) or (feature[0] if isinstance(feature, list) and feature else None)
    return list(inner.names) if hasattr(inner, "names") else None
