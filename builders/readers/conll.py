"""CoNLL and BIO files: a token and its tag per line, sentences separated by blank lines."""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterator
from itertools import zip_longest

from datatrove.data import Document, DocumentsPipeline

from babelforge.builders.readers.base import RecordReader, open_text_file, with_compression
from babelforge.errors import BabelforgeError, InputFormatError
from babelforge.records import SPANS, TARGET_LANGUAGE, TARGET_TEXT, TOKEN_OFFSETS
from babelforge.spans import join_tokens, split_tag, tags_to_spans

CHUNK_CHARS = 1 << 22
_SENTENCE = re.compile(r"(?:[^\n]*\S[^\n]*(?:\n|$))+")  # a run of non-blank lines


class ConllReader(RecordReader):
    """Read CoNLL-style files into span records (text, character spans, token offsets).

    The token and tag columns are chosen by index (``token_column``, ``tag_column``; negative counts
    from the end); ``-DOCSTART-`` lines and ``#`` comment lines before a sentence are skipped. Tags may
    be BIO, IOB1 or BIOES. The text is the tokens joined by single spaces.

    Sentences are parsed a block at a time (list comprehensions over the block's lines); a block
    that does not parse cleanly goes through a line-by-line path that names the bad line.

    Example (manifest)::

        sources:
          - {kind: conll, path: data/en.conll, language: en, tag_column: 3}
    """

    extensions = with_compression(".conll", ".conll02", ".conll03", ".conllu", ".bio", ".iob", ".iob2", ".tsv", ".txt")

    def read_file(self, filepath: str) -> DocumentsPipeline:
        self._valid_tags = {"O"}
        translation = self.source.translation
        if translation is None:
            for line, tokens, tags in self._sentences(self.open_text(filepath), filepath):
                if tokens is not None:
                    yield self._document(tokens, tags, filepath, line)
            return
        target_file = self._translation_file(filepath)
        targets = self._translations(target_file)
        for (line, tokens, tags), target in zip_longest(self._sentences(self.open_text(filepath), filepath), targets):
            if line is None or target is None:
                raise InputFormatError(filepath, line or 0, f"as many sentences as its translation {target_file}")
            if tokens is not None:
                doc = self._document(tokens, tags, filepath, line)
                doc.metadata[TARGET_TEXT], doc.metadata[TARGET_LANGUAGE] = target, translation.language
                yield doc

    def _sentences(
        self, f, filepath: str, counted: bool = True
    ) -> Iterator[tuple[int, list[str] | None, list[str] | None]]:
        """``(line, tokens, tags)`` per sentence; ``(line, None, None)`` for one skipped as malformed.

        ``counted``: whether the characters read advance the progress position (not for translations).
        """
        for first_line, block in _sentence_blocks(f, self if counted else None):
            parsed = self._parse_fast(block)
            if parsed is None:
                parsed = self._parse_slow(block, filepath, first_line)
            if isinstance(parsed, str):
                self.count_drop("malformed_input", parsed, block)
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
        with open_text_file(path) as f:
            if self.source.translation.format == "text":
                yield from (line.strip() for line in f if line.strip())
                return
            for _, tokens, _ in self._sentences(f, path, counted=False):
                yield " ".join(tokens) if tokens is not None else ""

    def _parse_fast(self, block: str) -> tuple[list[str], list[str], int] | None:
        if block[0] in "#-":
            return None  # comments or -DOCSTART-: the careful path strips them
        rows = [line.split(self.source.delimiter) for line in block.split("\n")]
        widths = set(map(len, rows))
        if len(widths) != 1 or min(widths) < 2:
            return None  # ragged or single-column lines: the careful path names them
        columns = list(zip(*rows, strict=True))  # transpose in C (all rows have one width)
        try:
            tokens, tags = columns[self.source.token_column], columns[self.source.tag_column]
        except IndexError:
            return None
        if "" in tokens or not self._tags_valid(tags):
            return None
        return list(tokens), list(tags), 0

    def _tags_valid(self, tags: tuple[str, ...]) -> bool:
        unseen = set(tags) - self._valid_tags
        for tag in unseen:
            try:
                split_tag(tag)
            except ValueError:
                return False
            self._valid_tags.add(tag)
        return True

    def _parse_slow(self, block: str, filepath: str, first_line: int) -> tuple[list[str], list[str], int] | str:
        """Parse line by line; return the first problem (when skipping bad input) instead of a sentence."""
        tokens, tags, skipped, problem = [], [], 0, ""
        for offset, line in enumerate(block.split("\n")):
            if not tokens and (line.startswith("-DOCSTART-") or (line.startswith("#") and not self._parses(line))):
                skipped = offset + 1  # document separators and comments such as "# sent_id = 12"
                continue
            columns = line.split(self.source.delimiter)
            try:
                token, tag = columns[self.source.token_column], columns[self.source.tag_column]
                split_tag(tag)
                if len(columns) < 2 or not token:
                    raise ValueError("too few columns")
            except (IndexError, ValueError):
                problem = problem or self.malformed(filepath, first_line + offset, self._expected(), line)
                continue
            tokens.append(token)
            tags.append(tag)
        return problem or (tokens, tags, skipped)

    def _parses(self, line: str) -> bool:
        columns = line.split(self.source.delimiter)
        try:
            split_tag(columns[self.source.tag_column])
        except (IndexError, ValueError):
            return False
        return len(columns) >= 2

    def _expected(self) -> str:
        delimiter = "whitespace" if self.source.delimiter is None else repr(self.source.delimiter)
        return (
            f"a token in column {self.source.token_column} and a tag (O, B-X, I-X, E-X or S-X) in column "
            f"{self.source.tag_column}, separated by {delimiter}"
        )

    def _document(self, tokens: list[str], tags: list[str], filepath: str, line: int) -> Document:
        text, offsets = join_tokens(tokens)
        return self.make_document(text, filepath, line, **{SPANS: tags_to_spans(tags, offsets), TOKEN_OFFSETS: offsets})


def _files(path: str, extensions: tuple[str, ...]) -> list[str]:
    if os.path.isdir(path):
        found = (os.path.join(root, name) for root, _, names in os.walk(path) for name in names)
        return sorted(f for f in found if f.lower().endswith(extensions) and "/." not in f)
    return sorted(glob.glob(path))


def _sentence_blocks(f, reader: RecordReader | None) -> Iterator[tuple[int, str]]:
    """``(first line number, block)`` for each run of non-blank lines, read in large chunks."""
    line, carry = 1, ""
    with f:
        while True:
            chunk = f.read(CHUNK_CHARS)
            if reader is not None:
                reader.position += len(chunk)
            text = carry + (chunk.replace("\r\n", "\n") if "\r" in chunk else chunk)
            cut = text.rfind("\n\n") + 1 if chunk else len(text)
            done, carry = text[:cut], text[cut:]
            position = 0
            for match in _SENTENCE.finditer(done):
                line += done.count("\n", position, match.start())
                block = match.group().rstrip("\n")
                yield line, block
                position = match.start()
            line += done.count("\n", position)
            if not chunk:
                return
