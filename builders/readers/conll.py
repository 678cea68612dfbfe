"""CoNLL and BIO files: a token and its tag per line, sentences separated by blank lines."""

from __future__ import annotations

from datatrove.data import DocumentsPipeline

from babelforge.builders.readers.base import RecordReader
from babelforge.records import SPANS, TOKEN_OFFSETS
from babelforge.spans import join_tokens, split_tag, tags_to_spans


class ConllReader(RecordReader):
    """Read CoNLL-style files into span records (text, character spans, token offsets).

    The token and tag columns are chosen by index (``token_column``, ``tag_column``; negative counts
    from the end); ``-DOCSTART-`` lines and ``#`` comment lines before a sentence are skipped. Tags may
    be BIO, IOB1 or BIOES. The text is the tokens joined by single spaces.

    Example (manifest)::

        sources:
          - {kind: conll, path: data/en.conll, language: en, tag_column: 3}
    """

    def read_file(self, filepath: str) -> DocumentsPipeline:
        sentence = _Sentence()
        with self.data_folder.open(filepath, "rt", encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                self.position += len(line)
                if line.isspace() or not line:
                    if sentence.tokens:
                        yield from self._emit(sentence, filepath)
                    sentence = _Sentence()
                    continue
                if line.startswith("-DOCSTART-"):
                    continue
                if not sentence.tokens and line.startswith("#") and not self._parses(line):
                    continue  # a comment such as "# sent_id = 12"
                self._add(sentence, line, filepath, lineno)
        if sentence.tokens:
            yield from self._emit(sentence, filepath)

    def _parses(self, line: str) -> bool:
        try:
            self._columns(line)
        except (IndexError, ValueError):
            return False
        return True

    def _columns(self, line: str) -> tuple[str, str]:
        columns = line.rstrip("\r\n").split(self.source.delimiter)
        token, tag = columns[self.source.token_column], columns[self.source.tag_column]
        if len(columns) < 2 or not token:
            raise ValueError("too few columns")
        if tag not in _VALID_TAGS:
            split_tag(tag)
            _VALID_TAGS.add(tag)
        return token, tag

    def _add(self, sentence: _Sentence, line: str, filepath: str, lineno: int) -> None:
        if not sentence.tokens:
            sentence.line = lineno
        try:
            token, tag = self._columns(line)
        except (IndexError, ValueError):
            self.malformed(filepath, lineno, self._expected(), line.rstrip("\r\n"))
            sentence.broken = True
            token, tag = "?", "O"
        sentence.tokens.append(token)
        sentence.tags.append(tag)

    def _expected(self) -> str:
        delimiter = "whitespace" if self.source.delimiter is None else repr(self.source.delimiter)
        return (
            f"a token in column {self.source.token_column} and a tag (O, B-X, I-X, E-X or S-X) in column "
            f"{self.source.tag_column}, separated by {delimiter}"
        )

    def _emit(self, sentence: _Sentence, filepath: str):
        if sentence.broken:
            self.count_drop("malformed_input")
            return
        text, offsets = join_tokens(sentence.tokens)
        spans = tags_to_spans(sentence.tags, offsets)
        yield self.make_document(text, filepath, sentence.line, **{SPANS: spans, TOKEN_OFFSETS: offsets})


_VALID_TAGS: set[str] = {"O"}


class _Sentence:
    __slots__ = ("broken", "line", "tags", "tokens")

    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.tags: list[str] = []
        self.line = 0
        self.broken = False
