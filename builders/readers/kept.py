"""Columns a source carries along (``fields: {keep: [...]}``): which names may be kept, and taking them from a row.

A kept column goes into the record's metadata under its own name, so that a later step can read it: the
``translate`` step's ``fields`` (``premise``, ``hypothesis``, ``context`` ...) read metadata keys. Names
that babelforge's records use themselves (``language``, ``spans``, ``lineage``, ``chosen`` ...) cannot
be kept: they would be overwritten, or would mean something else.

``keep: all`` takes every column it can and leaves out those it cannot carry (a reserved name, a name
that is not letters, digits and ``_``, a value with no JSON form). It does not stop for them, but it
does not hide them either: each row's left-out columns are counted under ``column_not_kept:NAME`` in
the run's account (and so in the card's "How it was made"), and the run ends with a note per column
saying why and what to do.
"""

from __future__ import annotations

import re
from typing import Any

from babelforge import records as r

#: Metadata keys babelforge's records use: never taken from a row's columns.
RESERVED = frozenset({
    r.LANGUAGE, r.LANGUAGES, r.SPLIT, r.SPLIT_GROUP, r.SOURCE, r.SOURCE_ID, r.LINEAGE, r.SPANS, r.TOKEN_OFFSETS,
    r.MESSAGES, r.TARGET_TEXT, r.TARGET_LANGUAGE, r.PROMPT_LANG, r.RESPONSE_LANG, r.PROMPT, r.CHOSEN, r.REJECTED,
    r.CHOSEN_LANG, r.REJECTED_LANG, r.CHOSEN_BY, r.REJECTED_BY, "text", "id",
})  # fmt: skip
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
#: Metadata key, for the reader only, of the columns ``keep: all`` could not carry from a row.
NOT_KEPT = "_not_kept"
#: The run account's count of rows that had a column ``keep: all`` left out: ``column_not_kept:NAME``.
NOT_KEPT_STAT = "column_not_kept"
#: Characters of a left-out column's name kept in its count's key.
NAME_CHARS = 80


def check_kept(names: list[str]) -> list[str]:
    """``names`` if each can be kept, else a ``ValueError`` naming those that cannot and why."""
    bad = [n for n in names if not _NAME.fullmatch(n)]
    if bad:
        raise ValueError(f"keep names columns by letters, digits and '_' (e.g. premise), got {bad}")
    taken = [n for n in names if n in RESERVED]
    if taken:
        raise ValueError(
            f"keep cannot take {', '.join(map(repr, taken))}: babelforge's records use these names; "
            "map it with its own field (text, language, prompt ...) instead"
        )
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"keep names {', '.join(map(repr, twice))} more than once")
    return names


def kept_columns(
    row: dict[str, Any], keep: list[str] | str, mapped: set[str]
) -> tuple[dict[str, Any], list[str], list[str]]:
    """``({name: value}, [missing names], [names left out])``: the columns of ``row`` that ``keep`` carries along.

    ``mapped``: the columns the field map reads itself (``keep: all`` leaves them out, and names no others).
    ``missing``: the names a ``keep`` list asks for that the row lacks. ``left out``: under ``keep: all``,
    the columns with a value that it cannot carry (see the module's text).
    """
    if keep == "all":
        found, left_out = {}, []
        for name, value in row.items():
            if name in mapped or value is None:
                continue
            if isinstance(name, str) and name not in RESERVED and _NAME.fullmatch(name) and is_plain(value):
                found[name] = value
            else:
                left_out.append(str(name))
        return found, [], left_out
    return {n: row[n] for n in keep if n in row}, [n for n in keep if n not in row], []


def not_kept_reason(name: str) -> str:
    """Why ``keep: all`` leaves a column out, and what to do: the name says which of the three it was."""
    if name in RESERVED:
        return "babelforge's records use this name: map it with its own field (text, language, ...) or rename it"
    if not _NAME.fullmatch(name):
        return "keep takes names of letters, digits and '_': rename the column"
    return "its values have no JSON form (a timestamp or bytes, say): convert them to text first"


def count_not_kept(step, metadata: dict[str, Any]) -> None:
    """Count, on the reader ``step``, the columns a record's row could not carry (and take them out of it)."""
    for name in metadata.pop(NOT_KEPT, ()):
        step.stat_update(f"{NOT_KEPT_STAT}:{name[:NAME_CHARS]}")


def not_kept_notes(steps: list[dict[str, Any]]) -> list[str]:
    """One note per column that ``keep: all`` left out of some rows, from the run's counts per step."""
    notes = []
    for step in steps:
        for key, n in step["counts"].items():
            if key.startswith(f"{NOT_KEPT_STAT}:"):
                name = key.partition(":")[2]
                why = not_kept_reason(name)
                notes.append(f"{step['name']}: keep: all left column {name!r} out of {n:,} row(s): {why}")
    return notes


def is_plain(value: Any) -> bool:
    """Whether ``value`` is what JSON holds (text, numbers, booleans, null, lists and string-keyed mappings of
    them): a kept column is written as JSON text, and a Parquet timestamp or bytes value has no JSON form."""
    if value is None or isinstance(value, str | int | float | bool):
        return True
    if isinstance(value, list | tuple):
        return all(is_plain(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(key, str) and is_plain(item) for key, item in value.items())
    return False
