"""CoNLL and BIO files: a token and its tag per line, sentences separated by blank lines."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from itertools import chain, zip_longest

from datatrove.data import Document, DocumentsPipeline

from babelforge.builders.readers.base import RecordReader
from babelforge.builders.readers.conll_layout import SAMPLE_LINES, Columns, detect_columns
from babelforge.builders.readers.decoding import decode_chunks, raw_chunks
from babelforge.builders.readers.files import EXTENSIONS, list_source_files, open_decompressed
from babelforge.builders.readers.ranges import ByteRange, next_block_start
from babelforge.errors import BabelforgeError, InputFormatError
from babelforge.records import SPANS, TARGET_LANGUAGE, TARGET_TEXT, TOKEN_OFFSETS
from babelforge.spans import join_tokens, split_tag, tags_to_spans
from babelforge.steps.base import Drop

#: A run of non-blank lines, without the last line end (possessive: each line is scanned once).
_SENTENCE = re.compile(r"[^\S\n]*+\S[^\n]*+(?:\n[^\S\n]*+\S[^\n]*+)*+")
#: Wider lines are split one at a time (the pattern that checks a block grows with the width).
_MAX_UNIFORM_WIDTH = 32
#: Stands in for an undecodable line (followed by its byte offset): a lone surrogate never decodes from bytes.
_UNDECODABLE = "\udcff"


class ConllReader(RecordReader):
    """Read CoNLL-style files into span records (text, character spans, token offsets).

    The token and tag columns are chosen by index (``token_column``, ``tag_column``; negative counts
    from the end); ``-DOCSTART-`` lines and ``#`` comment lines before a sentence are skipped. Tags may
    be BIO, IOB1 or BIOES. The text is the tokens joined by single spaces.

    Sentences are parsed a block at a time: a block whose lines all hold one number of fields, one
    separator apart, is checked by one pattern and split at once; others are split line by line; a
    block that does not parse cleanly goes through a careful path that names the bad line. A large
    file is split across tasks at blank lines; a source with a ``translation`` reads each file whole
    (its sentences pair up with the translation's in order). A sentence with an undecodable line is
    dropped whole (``undecodable``) when the source skips bad input.

    Example (manifest)::

        sources:
          - {kind: conll, path: data/en.conll, language: en, tag_column: 3}
    """

    extensions = EXTENSIONS["conll"]
    boundary = staticmethod(next_block_start)
    _uniform: re.Pattern | None = None  # the line pattern that matched the last block, and its width
    _width = 0
    _uniform_delimiter: str | None = None

    def splittable(self, path: str) -> bool:
        return self.source.translation is None and super().splittable(path)

    def read_range(self, part: ByteRange) -> DocumentsPipeline:
        self._valid_tags = {"O"}
        filepath, translation = part.path, self.source.translation
        sentences = self._sentences(self.text_chunks(part), filepath, self.columns(filepath))
        if translation is None:
            for line, tokens, tags in sentences:
                if tokens is not None:
                    yield self._document(tokens, tags, filepath, line)
            return
        target_file = self._translation_file(filepath)
        for (line, tokens, tags), target in zip_longest(sentences, self._translations(target_file)):
            if line is None or target is None:
                raise InputFormatError(filepath, line or 0, f"as many sentences as its translation {target_file}")
            if tokens is not None:
                doc = self._document(tokens, tags, filepath, line)
                doc.metadata[TARGET_TEXT], doc.metadata[TARGET_LANGUAGE] = target, translation.language
                yield doc

    def stand_in(self, line: int, offset: int, raw: bytes, problem: str) -> str:
        """A marker line, one column wide: the sentence that holds it is dropped whole (see :meth:`_undecodable`)."""
        return f"{_UNDECODABLE}{offset}{_UNDECODABLE}{raw.hex()}"

    def columns(self, filepath: str, translation: bool = False) -> Columns:
        """The token and tag columns of ``filepath`` (one of the source's files, or of its translation's):
        the source's settings, or found from the file's first lines."""
        cache = self.__dict__.setdefault("_columns", {})
        known = cache.get(filepath)
        if known is None:
            source = self.source
            opener = open_decompressed if translation else self.open_bytes
            detect = None in (source.token_column, source.tag_column, source.delimiter)
            lines = _head_lines(opener(filepath), source) if detect else []
            known = detect_columns(lines, source.delimiter, source.token_column, source.tag_column)
            cache[filepath] = known
        return known

    def _sentences(
        self, chunks: Iterable[tuple[int, str]], filepath: str, columns: Columns
    ) -> Iterator[tuple[int, list[str] | None, list[str] | None]]:
        """``(line, tokens, tags)`` per sentence; ``(line, None, None)`` for one skipped as malformed."""
        for first_line, block in _sentence_blocks(chunks):
            parsed = self._parse_fast(block, columns)
            if parsed is None:
                parsed = self._parse_slow(block, filepath, first_line, columns)
            if isinstance(parsed, Drop):
                shown = self._undecodable(block, filepath, first_line)[1] if _UNDECODABLE in block else block
                self.count_drop(parsed.reason, parsed.detail, shown)
                yield first_line, None, None
            elif parsed[0]:
                yield first_line + parsed[2], parsed[0], parsed[1]

    def _translation_file(self, filepath: str) -> str:
        """The translation file paired with ``filepath``: the same position in both sorted file lists."""
        sources = self.list_input_files()
        targets = _files(self.source.translation.path, self.extensions)
        if len(sources) != len(targets):
            raise BabelforgeError(
                f"{len(sources)} source file(s) but {len(targets)} translation file(s) at "
                f"{self.source.translation.path}: they pair up file for file"
            )
        return targets[sources.index(filepath)]

    def _translations(self, path: str) -> Iterator[str]:
        """The translation's sentences in order; an undecodable line stops the run (pairs must stay aligned)."""
        translation = self.source.translation

        def undecodable(line: int, offset: int, raw: bytes) -> str:
            expected = f"{translation.encoding} text, but byte {offset} does not decode (set translation.encoding)"
            raise InputFormatError(path, line, expected)

        with open_decompressed(path) as f:
            chunks = (
                (first, text)
                for first, _, text in decode_chunks(raw_chunks(f, 0, None), 1, translation.encoding, undecodable)
            )
            if translation.format == "text":
                for _, text in chunks:
                    yield from (line.strip() for line in text.split("\n") if line.strip())
                return
            for _, tokens, _ in self._sentences(chunks, path, self.columns(path, translation=True)):
                yield " ".join(tokens) if tokens is not None else ""

    def _parse_fast(self, block: str, columns: Columns) -> tuple[list[str], list[str], int] | None:
        if block[0] in "#-":
            return None  # comments or -DOCSTART-: the careful path strips them
        found = self._uniform_columns(block, columns) or self._ragged_columns(block, columns)
        if found is None:
            return None
        tokens, tags = found
        if "" in tokens or not self._tags_valid(tags):
            return None
        return tokens, tags, 0

    def _uniform_columns(self, block: str, columns: Columns) -> tuple[list[str], list[str]] | None:
        """Tokens and tags when every line is ``field SEP field ...`` with one width; else ``None``.

        One regular expression checks the lines (non-empty fields, one separator character between
        them: a space or a tab for whitespace, else the delimiter), then the whole block is split at
        once and dealt into columns, instead of a split per line.
        """
        delimiter, pattern = columns.delimiter, self._uniform
        if pattern is None or self._uniform_delimiter != delimiter or pattern.fullmatch(block) is None:
            end = block.find("\n")
            first = block if end < 0 else block[:end]
            width = len(first.split()) if delimiter is None else first.count(delimiter) + 1
            pattern = _uniform_lines(delimiter, width)
            if pattern is None or pattern.fullmatch(block) is None:
                return None
            self._uniform, self._width, self._uniform_delimiter = pattern, width, delimiter
        width = self._width
        token, tag, _ = columns
        if not (-width <= token < width and -width <= tag < width):
            return None
        fields = block.split() if delimiter is None else block.replace("\n", delimiter).split(delimiter)
        return fields[token % width :: width], fields[tag % width :: width]

    def _ragged_columns(self, block: str, columns: Columns) -> tuple[list[str], list[str]] | None:
        """Tokens and tags from a split per line, when all lines have one width of at least two."""
        rows = [line.split(columns.delimiter) for line in block.split("\n")]
        widths = set(map(len, rows))
        if len(widths) != 1 or min(widths) < 2:
            return None  # ragged or single-column lines: the careful path names them
        fields = list(zip(*rows, strict=True))  # transpose in C (all rows have one width)
        try:
            return list(fields[columns.token]), list(fields[columns.tag])
        except IndexError:
            return None

    def _tags_valid(self, tags: tuple[str, ...]) -> bool:
        if self._valid_tags.issuperset(tags):  # the usual answer, without building a set
            return True
        unseen = set(tags) - self._valid_tags
        for tag in unseen:
            try:
                split_tag(tag)
            except ValueError:
                return False
            self._valid_tags.add(tag)
        return True

    def _parse_slow(
        self, block: str, filepath: str, first_line: int, columns: Columns
    ) -> tuple[list[str], list[str], int] | Drop:
        """Parse line by line; return the first problem (when skipping bad input) instead of a sentence."""
        if _UNDECODABLE in block:
            return self._undecodable(block, filepath, first_line)[0]
        tokens, tags, skipped, problem = [], [], 0, ""
        for offset, line in enumerate(block.split("\n")):
            if not tokens and self._separator(line, columns):
                skipped = offset + 1  # document separators and comments such as "# sent_id = 12"
                continue
            fields = line.split(columns.delimiter)
            try:
                token, tag = fields[columns.token], fields[columns.tag]
                split_tag(tag)
                if len(fields) < 2 or not token:
                    raise ValueError("too few columns")
            except (IndexError, ValueError):
                problem = problem or self.malformed(filepath, first_line + offset, self._expected(columns), line)
                continue
            tokens.append(token)
            tags.append(tag)
        return Drop("malformed_input", problem) if problem else (tokens, tags, skipped)

    def _undecodable(self, block: str, filepath: str, first_line: int) -> tuple[Drop, str]:
        """The drop for a sentence with an undecodable line, and the sentence with its bad lines shown escaped."""
        lines, problem = block.split("\n"), ""
        for at, line in enumerate(lines):
            if line.startswith(_UNDECODABLE):
                offset, raw = line[1:].split(_UNDECODABLE)
                lines[at] = bytes.fromhex(raw).decode(self.source.encoding, "backslashreplace")
                where = f"{self.data_folder.resolve_paths(filepath)}:{first_line + at}"
                problem = problem or f"{where}: byte {offset} is not {self.source.encoding} text"
        return Drop("undecodable", problem), "\n".join(lines)

    def _separator(self, line: str, columns: Columns) -> bool:
        """A ``-DOCSTART-`` line, or a ``#`` comment that is not a token line (a ``#`` token tagged O)."""
        return line.startswith("-DOCSTART-") or (line.startswith("#") and not self._parses(line, columns))

    def _parses(self, line: str, columns: Columns) -> bool:
        fields = line.split(columns.delimiter)
        try:
            split_tag(fields[columns.tag])
        except (IndexError, ValueError):
            return False
        return len(fields) >= 2

    def _expected(self, columns: Columns) -> str:
        delimiter = "whitespace" if columns.delimiter is None else repr(columns.delimiter)
        return (
            f"a token in column {columns.token} and a tag (O, B-X, I-X, E-X or S-X) in column "
            f"{columns.tag}, separated by {delimiter} (set token_column / tag_column if the file's layout differs)"
        )

    def _document(self, tokens: list[str], tags: list[str], filepath: str, line: int) -> Document:
        text, offsets = join_tokens(tokens)
        return self.make_document(text, filepath, line, **{SPANS: tags_to_spans(tags, offsets), TOKEN_OFFSETS: offsets})


def _head_lines(opened, source) -> list[str]:
    """The first lines of an opened file (enough to see its layout), decoded leniently."""
    limit = SAMPLE_LINES * 256
    with opened as f:
        head = f.read(limit)
    lines = head.decode(source.encoding, "replace").splitlines()
    return lines[:-1] if len(head) == limit else lines  # the last line of a cut head may be partial


def _files(path: str, extensions: tuple[str, ...]) -> list[str]:
    folder = path if os.path.isdir(path) else os.path.dirname(path) or "."
    return [os.path.join(folder, name) for name in list_source_files(path, extensions)]


@lru_cache(maxsize=64)
def _uniform_lines(delimiter: str | None, width: int) -> re.Pattern | None:
    """Lines of ``width`` non-empty fields, one separator apart (possessive: linear, no backtracking).

    ``None`` where the fast path does not apply: a width under two or over :data:`_MAX_UNIFORM_WIDTH`,
    or a delimiter longer than one character.
    """
    if not 2 <= width <= _MAX_UNIFORM_WIDTH or (delimiter is not None and (len(delimiter) != 1 or delimiter == "\n")):
        return None
    if delimiter is None:
        field, separator = r"\S++", "[ \t]"
    else:
        field, separator = f"[^{re.escape(delimiter)}\\n]++", re.escape(delimiter)
    line = field + (separator + field) * (width - 1)
    return re.compile(f"(?:{line}\\n)*+{line}")


def _sentence_blocks(chunks: Iterable[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    """``(first line number, block)`` for each run of non-blank lines, from ``(first line, text)`` chunks."""
    line, carry, started = 1, "", False
    for first, chunk in chain(chunks, [(0, None)]):
        if not started:
            line, started = first or 1, True
        text = carry if chunk is None else carry + (chunk.replace("\r\n", "\n") if "\r" in chunk else chunk)
        cut = len(text) if chunk is None else text.rfind("\n\n") + 1
        done, carry = text[:cut], text[cut:]
        position = 0
        for match in _SENTENCE.finditer(done):
            line += done.count("\n", position, match.start())
            yield line, match.group()
            position = match.start()
        line += done.count("\n", position)
