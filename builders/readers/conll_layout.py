"""Which columns of a CoNLL-style file hold the token and the tag, found from the file's first lines.

Token-per-line files differ in layout: CoNLL-2003 (``token POS chunk TAG``), plain BIO (``token TAG``),
UniversalNER's ``.iob2`` (``index<TAB>token<TAB>TAG<TAB>-<TAB>-``) or CoNLL-U derived files with the
tag in a middle column. A source that does not set ``token_column`` / ``tag_column`` gets them from
the first data lines of each file (comments and ``-DOCSTART-`` left out):

- the columns are split at tabs when every line holds the same number of tabs (UniversalNER's tokens
  may hold spaces: ``5 000``), else at any whitespace;
- the token is column 1 when column 0 counts the tokens (integers, or CoNLL-U ranges like ``3-4``)
  and the lines have at least three columns, else column 0;
- the tag is the last column, after the token's, whose every value is a tag (``O``, ``B-X``, ``I-X``,
  ``E-X``, ``S-X``); with none, the last column (the reader then names the line that fails).

A column a source sets is used as set.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import NamedTuple

from babelforge.spans import split_tag

#: Data lines looked at (a few sentences).
SAMPLE_LINES = 200
_INDEX = re.compile(r"\d+(?:[-.]\d+)?")


class Columns(NamedTuple):
    token: int
    tag: int
    delimiter: str | None = None


def detect_columns(lines: list[str], delimiter: str | None, token: int | None, tag: int | None) -> Columns:
    """The token and tag columns for ``lines`` (a file's first lines), ``token``/``tag`` kept where set.

    ``delimiter`` ``None`` (any whitespace) becomes a tab where every line holds the same number of them.
    """
    data = _data_lines(lines)
    if delimiter is None and data and len({line.count("\t") for line in data}) == 1 and "\t" in data[0]:
        delimiter = "\t"
    rows = [line.split(delimiter) for line in data]
    if not rows:
        return Columns(0 if token is None else token, -1 if tag is None else tag, delimiter)
    width = Counter(map(len, rows)).most_common(1)[0][0]
    rows = [row for row in rows if len(row) == width]
    if token is None:
        token = 1 if width >= 3 and all(_INDEX.fullmatch(row[0]) for row in rows) else 0
    if tag is None:
        first = token % width + 1
        tags = [c for c in range(width - 1, first - 1, -1) if all(_is_tag(row[c]) for row in rows)]
        tag = tags[0] if tags else -1
    return Columns(token, tag, delimiter)


def _data_lines(lines: list[str]) -> list[str]:
    found = []
    for line in lines:
        stripped = line.strip()
        if stripped and not stripped.startswith(("#", "-DOCSTART-")):
            found.append(line.rstrip("\r\n"))
            if len(found) >= SAMPLE_LINES:
                break
    return found


def _is_tag(value: str) -> bool:
    try:
        split_tag(value)
    except ValueError:
        return False
    return True
