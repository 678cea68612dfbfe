"""Plain text (a record per line or per file) and tab-separated bitext."""

from __future__ import annotations

from datatrove.data import DocumentsPipeline

from babelforge.builders.readers.base import RecordReader, iter_lines, with_compression
from babelforge.records import TARGET_LANGUAGE, TARGET_TEXT


class PlainTextReader(RecordReader):
    """A record per non-empty line (``per: line``) or per file (``per: file``)."""

    extensions = with_compression(".txt", ".text", ".md")

    def read_file(self, filepath: str) -> DocumentsPipeline:
        with self.open_text(filepath) as f:
            if self.source.per == "file":
                text = f.read()
                self.position += len(text)
                if text.strip():
                    yield self.make_document(text, filepath, 1)
                return
            for lineno, line in enumerate(iter_lines(f, self), 1):
                if line.strip():
                    yield self.make_document(line.rstrip("\r\n"), filepath, lineno)


class TsvBitextReader(RecordReader):
    """Source text and its translation per line, in the columns the source names."""

    extensions = with_compression(".tsv", ".txt")

    def read_file(self, filepath: str) -> DocumentsPipeline:
        source, target = self.source.source_column, self.source.target_column
        with self.open_text(filepath) as f:
            for lineno, line in enumerate(iter_lines(f, self), 1):
                if not line.strip():
                    continue
                columns = line.rstrip("\r\n").split("\t")
                if max(source, target) >= len(columns) or not columns[source] or not columns[target]:
                    expected = f"non-empty texts in tab-separated columns {source} and {target}"
                    self.count_drop("malformed_input", self.malformed(filepath, lineno, expected, line), line)
                    continue
                yield self.make_document(
                    columns[source],
                    filepath,
                    lineno,
                    **{TARGET_TEXT: columns[target], TARGET_LANGUAGE: self.source.target_language},
                )
