"""Plain text (a record per line or per file) and tab-separated bitext."""

from __future__ import annotations

from datatrove.data import DocumentsPipeline

from babelforge.builders.readers.base import RecordReader
from babelforge.builders.readers.decoding import Undecodable
from babelforge.builders.readers.files import EXTENSIONS
from babelforge.builders.readers.ranges import ByteRange
from babelforge.records import TARGET_LANGUAGE, TARGET_TEXT


class PlainTextReader(RecordReader):
    """A record per non-empty line (``per: line``, files split across tasks at line ends) or per file."""

    extensions = EXTENSIONS["text"]

    def splittable(self, path: str) -> bool:
        return self.source.per == "line" and super().splittable(path)

    def read_range(self, part: ByteRange) -> DocumentsPipeline:
        filepath = part.path
        if self.source.per == "file":
            text = "".join(piece for _, piece in self.text_chunks(part))
            if text.strip():
                yield self.make_document(text, filepath, 1)
            return
        for lineno, line in self.lines(part):
            if line.strip():
                yield self.make_document(line.rstrip("\r\n"), filepath, lineno)

    def stand_in(self, line: int, offset: int, raw: bytes, problem: str) -> str:
        if self.source.per == "file":  # a document with a hole is no document: the file counts as unreadable
            raise Undecodable(line, offset, self.source.encoding)
        return super().stand_in(line, offset, raw, problem)


class TsvBitextReader(RecordReader):
    """Source text and its translation per line, in the columns the source names."""

    extensions = EXTENSIONS["tsv"]

    def read_range(self, part: ByteRange) -> DocumentsPipeline:
        source, target = self.source.source_column, self.source.target_column
        filepath = part.path
        for lineno, line in self.lines(part):
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
