"""A trusted reference corpus of one language, read as a list of documents for calibration.

Accepted: a ``.jsonl`` file (one JSON object per line, the text under ``field``, default ``text``), a
``.tsv`` file (a header row naming the columns; the text column is ``field``, default ``text``, or a
0-based column number), any other file as plain text (a document per non-empty line, or the whole
file with ``per="file"``), or a folder of such files (read recursively, in name order; hidden files
are skipped). Empty documents are skipped and counted.
"""

from __future__ import annotations

import csv
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from babelforge.errors import BabelforgeError, InputFormatError


@dataclass
class Reference:
    """The documents read, and what was skipped on the way."""

    documents: list[str] = field(default_factory=list)
    files: int = 0
    empty: int = 0


def read_reference(path: str | Path, field_name: str | None = None, per: str = "line") -> Reference:
    """Read every document under ``path``.

    Args:
        path: a file or a folder.
        field_name: the JSON key or TSV column holding the text (default ``text``).
        per: plain text files: ``line`` (a document per non-empty line) or ``file``.

    Raises:
        BabelforgeError: for a missing path, an unreadable file, a line that is not a JSON object, a
            TSV without the column, or a corpus without a single document.
    """
    path = Path(path)
    if not path.exists():
        raise BabelforgeError(f"no reference corpus at {path}: give a .txt, .jsonl or .tsv file or a folder of them")
    files = sorted(p for p in path.rglob("*") if p.is_file() and not _hidden(p, path)) if path.is_dir() else [path]
    reference = Reference()
    for file in files:
        texts = _read_file(file, field_name, per)
        reference.files += 1
        reference.documents += [t for t in texts if t.strip()]
        reference.empty += sum(not t.strip() for t in texts)
    if not reference.documents:
        raise BabelforgeError(f"the reference corpus at {path} holds no documents ({reference.files} file(s) read)")
    return reference


def _hidden(file: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in file.relative_to(root).parts)


def _read_file(file: Path, field_name: str | None, per: str) -> list[str]:
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise BabelforgeError(f"cannot read {file} as UTF-8 text: {error}") from None
    if file.suffix == ".jsonl":
        return _jsonl(file, text, field_name or "text")
    if file.suffix == ".tsv":
        return _tsv(file, text, field_name or "text")
    if per == "file":
        return [text]
    return text.splitlines()


def _jsonl(file: Path, text: str, key: str) -> list[str]:
    texts = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            raise InputFormatError(str(file), number, "a JSON object", line) from None
        if not isinstance(row, dict) or not isinstance(row.get(key), str):
            keys = ", ".join(row) if isinstance(row, dict) else type(row).__name__
            raise InputFormatError(str(file), number, f"a string under {key!r} (--field; keys here: {keys})", line)
        texts.append(row[key])
    return texts


def _tsv(file: Path, text: str, column: str) -> list[str]:
    csv.field_size_limit(sys.maxsize)
    rows = list(csv.reader(text.splitlines(keepends=True), delimiter="\t"))
    if not rows:
        return []
    header = rows[0]
    if column in header:
        index, body = header.index(column), rows[1:]
    elif column.isdigit():
        index, body = int(column), rows
    else:
        raise BabelforgeError(
            f"{file}: no column {column!r} in the header ({', '.join(header[:8])}): name it with --field, "
            "or give a 0-based column number"
        )
    for number, row in enumerate(body, 2 if body is not rows else 1):
        if len(row) <= index:
            raise InputFormatError(str(file), number, f"at least {index + 1} tab-separated columns", "\t".join(row))
    return [row[index] for row in body]
