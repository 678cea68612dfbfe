"""Columns a source carries along (``fields: {keep: [...]}``): which names may be kept, and taking them from a row.

A kept column goes into the record's metadata under its own name, so that a later step can read it: the
``translate`` step's ``fields`` (``premise``, ``hypothesis``, ``context`` ...) read metadata keys. Names
that babelforge's records use themselves (``language``, ``spans``, ``lineage``, ``chosen`` ...) cannot
be kept: they would be overwritten, or would mean something else.
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


def kept_columns(row: dict[str, Any], keep: list[str] | str, mapped: set[str]) -> tuple[dict[str, Any], list[str]]:
    """``({name: value}, [missing names])``: the columns of ``row`` that ``keep`` carries along.

    ``mapped``: the columns the field map reads itself (``keep: all`` leaves them, and reserved names, out).
    """
    if keep == "all":
        found = {
            name: value
            for name, value in row.items()
            if isinstance(name, str) and name not in mapped and name not in RESERVED and _NAME.fullmatch(name)
            and value is not None and is_plain(value)
        }  # fmt: skip
        return found, []
    return {n: row[n] for n in keep if n in row}, [n for n in keep if n not in row]


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
