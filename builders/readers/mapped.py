"""Readers of structured rows (JSON Lines, Parquet, Hugging Face datasets) through a field map."""

from __future__ import annotations

import json

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.readers.base import BaseReader

from babelforge.builders.readers.base import RecordReader, iter_lines, new_record, with_compression
from babelforge.builders.readers.fields import FieldError, row_to_record
from babelforge.errors import BabelforgeError, InputFormatError


class JsonlRecordReader(RecordReader):
    """One JSON object per line; ``fields`` says which keys hold the text, spans, tokens and tags.

    Example (manifest)::

        sources:
          - kind: jsonl
            path: data/train.jsonl
            language: hau_Latn
            fields: {text: sentence, spans: entities}
    """

    extensions = with_compression(".jsonl", ".json", ".ndjson")

    def read_file(self, filepath: str) -> DocumentsPipeline:
        with self.open_text(filepath) as f:
            for lineno, line in enumerate(iter_lines(f, self), 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                    text, metadata = row_to_record(row, self.source.fields, self.source.language)
                except json.JSONDecodeError as error:
                    problem = self.malformed(filepath, lineno, f"one JSON object per line ({error.msg})", line.strip())
                    self.count_drop("malformed_input", problem, line)
                    continue
                except FieldError as error:
                    self.count_drop("malformed_input", self.malformed(filepath, lineno, str(error)), line)
                    continue
                yield self.make_document(text, filepath, lineno, **metadata)


class ParquetRecordReader(RecordReader):
    """Parquet files read in batches; ``fields`` as for JSON Lines. Errors name the row number."""

    extensions = (".parquet",)

    def read_file(self, filepath: str) -> DocumentsPipeline:
        import pyarrow.parquet as pq

        with self.data_folder.open(filepath, "rb") as f:
            parquet = pq.ParquetFile(f)
            row_number = 0
            for batch in parquet.iter_batches(batch_size=1024):
                for row in batch.to_pylist():
                    row_number += 1
                    try:
                        text, metadata = row_to_record(row, self.source.fields, self.source.language)
                    except FieldError as error:
                        self.count_drop("malformed_input", self.malformed(filepath, row_number, str(error)), str(row))
                        continue
                    self.position += len(text)
                    yield self.make_document(text, filepath, row_number, **metadata)


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
