"""Bytes to text for the line readers: large chunks, cut at line ends, decoded with a named error.

A chunk that decodes cleanly costs one ``bytes.decode``. A chunk that does not is decoded line by
line so that the bad line can be named (file, line, byte offset) and either reported or replaced:
the caller's ``on_bad_line`` raises, or returns the text that stands in for the line (line numbers
stay right either way).

Encodings that are not ASCII-compatible (UTF-16, UTF-32) cannot be cut at newline bytes; their
files are decoded as one stream (:func:`decode_stream`), and an undecodable byte ends the file.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator
from typing import BinaryIO

#: Bytes read at a time (a chunk is then extended to the end of its last line).
CHUNK_BYTES = 1 << 22

#: ``on_bad_line(line, byte_offset, raw_line) -> replacement text`` (or raises).
BadLine = Callable[[int, int, bytes], str]


class Undecodable(ValueError):
    """A byte that does not decode, in a file that cannot go on past it (``line``, ``offset``)."""

    def __init__(self, line: int, offset: int, encoding: str):
        self.line, self.offset = line, offset
        super().__init__(f"line {line}: the bytes near byte {offset} are not {encoding} text")


def raw_chunks(f: BinaryIO, start: int, end: int | None, chunk_size: int | None = None) -> Iterator[tuple[int, bytes]]:
    """``(offset, data)`` pieces of ``f`` from ``start`` (where ``f`` stands) to ``end`` (``None``: the end).

    Each piece ends just after a newline, except the last when the file does not end with one.
    ``end`` must itself be a line start (or the file's end).
    """
    chunk_size = chunk_size or CHUNK_BYTES
    position = start
    while end is None or position < end:
        data = f.read(chunk_size if end is None else min(chunk_size, end - position))
        if not data:
            return
        if data[-1] != 0x0A and (end is None or position + len(data) < end):
            data += f.readline()  # finish the line the chunk ends inside
        yield position, data
        position += len(data)


def decode_chunks(
    chunks: Iterator[tuple[int, bytes]], first_line: int, encoding: str, on_bad_line: BadLine
) -> Iterator[tuple[int, int, str]]:
    """``(first line number, bytes consumed, text)`` for each chunk of :func:`raw_chunks`."""
    line = first_line
    for offset, data in chunks:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            text = _decode_lines(data, offset, line, encoding, on_bad_line)
        yield line, len(data), text
        line += data.count(b"\n")


def _decode_lines(data: bytes, offset: int, line: int, encoding: str, on_bad_line: BadLine) -> str:
    out, at = [], offset
    for number, raw in enumerate(data.split(b"\n"), line):
        try:
            out.append(raw.decode(encoding))
        except UnicodeDecodeError as error:
            out.append(on_bad_line(number, at + error.start, raw))
        at += len(raw) + 1
    return "\n".join(out)


def decode_stream(f: BinaryIO, encoding: str, chunk_size: int | None = None) -> Iterator[tuple[int, int, str]]:
    """As :func:`decode_chunks` for a whole file in any encoding, with pieces cut at newlines after decoding.

    Raises:
        Undecodable: at the first byte that does not decode (its offset is exact to the chunk).
    """
    chunk_size = chunk_size or CHUNK_BYTES
    decoder = codecs.getincrementaldecoder(encoding)()
    line, carry, offset = 1, "", 0
    while True:
        data = f.read(chunk_size)
        try:
            text = carry + decoder.decode(data, final=not data)
        except UnicodeDecodeError as error:
            raise Undecodable(line + carry.count("\n"), offset + max(error.start, 0), encoding) from None
        offset += len(data)
        cut = text.rfind("\n") + 1 if data else len(text)
        yield line, len(data), text[:cut]
        line += text.count("\n", 0, cut)
        carry = text[cut:]
        if not data:
            return
