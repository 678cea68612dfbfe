"""Columns a source carries along (``fields: {keep: [...]}``): which names may be kept, and taking them from a row.

A kept column goes into the record's metadata under its own name, so that a later step can read it: the
``translate`` step's ``fields`` (``premise``, ``hypothesis``, ``context`` ...) read metadata keys. Names
that babelforge's records use themselves (``language``, ``spans``, ``lineage``, ``chosen`` ...) cannot
be kept: they would be overwritten, or would mean something else.

``keep: all`` takes every column it can and leaves out those it cannot carry: a reserved name, a name
that is not a letter then letters, digits and ``_``, a value with no JSON form. It does not stop for
them, but it does not hide them either: each row's left-out columns are counted in the run's account
(and so in the card's "How it was made") as ``column_not_kept:WHY:NAME``, ``WHY`` one of
``reserved_name``, ``odd_name`` and ``no_json_form``, and the run ends with a note per column saying
why and what to do. Names are escaped where they hold line breaks or control characters, a secret of the
environment shows as ``${NAME}``, and a long name is cut with a hash of it all; past :data:`MAX_COLUMNS`
names in one task, a row with others counts once as ``column_not_kept:more_names``.
"""

from __future__ import annotations

import math
import re
from typing import Any

from babelforge import records as r

#: Metadata keys babelforge's records use: never taken from a row's columns.
RESERVED = frozenset({
    r.LANGUAGE, r.LANGUAGES, r.SPLIT, r.SPLIT_GROUP, r.SOURCE, r.SOURCE_ID, r.LINEAGE, r.SPANS, r.TOKEN_OFFSETS,
    r.MESSAGES, r.TARGET_TEXT, r.TARGET_LANGUAGE, r.PROMPT_LANG, r.RESPONSE_LANG, r.PROMPT, r.CHOSEN, r.REJECTED,
    r.CHOSEN_LANG, r.REJECTED_LANG, r.CHOSEN_BY, r.REJECTED_BY, r.QUESTION, r.TITLE, r.TARGET_QUESTION, r.SEGMENTS,
    r.MIX_TOKENS, r.MIX_LANGS, r.MIX_METRICS, r.SOURCE_TEXT, r.SCORE, "text", "id",
})  # fmt: skip
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
#: Metadata key, for the reader only, of the columns ``keep: all`` could not carry from a row.
NOT_KEPT = "_not_kept"
#: The run account's count of rows that had a column ``keep: all`` left out: ``column_not_kept:WHY:NAME``.
NOT_KEPT_STAT = "column_not_kept"
#: Characters of a left-out column's name shown in its count (a longer one is cut, with a hash of it all).
NAME_CHARS = 80
#: Left-out column names counted apart per task; the rest count together.
MAX_COLUMNS = 50
#: Notes per reader at the end of a run; the card's account lists every column counted.
MAX_NOTES = 10
#: The count of rows with columns left out past :data:`MAX_COLUMNS` names (no column name has no ``:WHY:``).
MORE = "more_names"
#: Why a column was left out, and what to do about it.
REASONS = {
    "reserved_name": "babelforge's records use this name: rename the column, or map it with the field of that "
    "name where there is one (text, id, language, spans, messages, prompt, chosen, rejected, split)",
    "odd_name": "keep takes names that start with a letter, then letters, digits and '_': rename the column",
    "no_json_form": "values with no JSON form (a timestamp, bytes, NaN or infinity): convert them to text first",
}


def check_kept(names: list[str]) -> list[str]:
    """``names`` if each can be kept, else a ``ValueError`` naming those that cannot and why."""
    bad = [n for n in names if not _NAME.fullmatch(n)]
    if bad:
        raise ValueError(f"keep names columns by letters, digits and '_' (e.g. premise), got {bad}")
    taken = [n for n in names if n in RESERVED]
    if taken:
        raise ValueError(
            f"keep cannot take {', '.join(map(repr, taken))}: babelforge's records use these names; "
            "map it with the field of that name where there is one (text, id, language, spans, messages, prompt, "
            "chosen, rejected, split), or rename the column"
        )
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"keep names {', '.join(map(repr, twice))} more than once")
    return names


def kept_columns(
    row: dict[str, Any], keep: list[str] | str, mapped: set[str]
) -> tuple[dict[str, Any], list[str], list[tuple[str, str]]]:
    """``({name: value}, [missing names], [(name, why) left out])``: the columns of ``row`` that ``keep`` carries.

    ``mapped``: the columns the field map reads itself (``keep: all`` leaves them out, and names no others).
    ``missing``: the names a ``keep`` list asks for that the row lacks. ``left out``: under ``keep: all``,
    the columns with a value that it cannot carry, and why (a key of :data:`REASONS`).
    """
    if keep != "all":
        return {n: row[n] for n in keep if n in row}, [n for n in keep if n not in row], []
    found, left_out = {}, []
    for name, value in row.items():
        if name in mapped or value is None:
            continue
        if not isinstance(name, str) or name in RESERVED:
            left_out.append((str(name), "reserved_name"))
        elif not _NAME.fullmatch(name):
            left_out.append((name, "odd_name"))
        elif not is_plain(value):
            left_out.append((name, "no_json_form"))
        else:
            found[name] = value
    return found, [], left_out


def count_not_kept(step, metadata: dict[str, Any]) -> None:
    """Count, on the reader ``step``, the columns a record's row could not carry (and take them out of it).

    Each left-out column counts the row once under its name; past :data:`MAX_COLUMNS` names in this
    task, the row counts once more under ``column_not_kept:more_names`` however many others it had.
    """
    left_out = metadata.pop(NOT_KEPT, ())
    if not left_out:
        return
    if "_not_kept_shown" not in step.__dict__:
        from babelforge.provenance import secret_environment

        step._not_kept_shown, step._not_kept_secrets = {}, secret_environment()
    shown_as, keys = step._not_kept_shown, set()  # name -> as shown, for the names counted apart
    for name, why in left_out:
        shown = shown_as.get(name)
        if shown is None and len(shown_as) >= MAX_COLUMNS:
            keys.add(f"{NOT_KEPT_STAT}:{MORE}")
            continue
        if shown is None:  # escaped, scrubbed and cut once per name and task, not once per row
            shown = shown_as[name] = _shown(name, step._not_kept_secrets)
        keys.add(f"{NOT_KEPT_STAT}:{why}:{shown}")
    for key in sorted(keys):
        step.stat_update(key)


def _shown(name: str, secrets: dict[str, str]) -> str:
    """``name`` as counts and notes show it: a secret of the environment in it by reference (``${NAME}``), line
    breaks, control characters and lone surrogates escaped, and cut to :data:`NAME_CHARS` characters with a hash
    of the whole name, so that two long names stay two."""
    import hashlib

    from babelforge.provenance import scrub

    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in scrub(name, secrets))
    if len(shown) <= NAME_CHARS:
        return shown
    digest = hashlib.sha1(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{shown[: NAME_CHARS - 10]}…#{digest}"


def not_kept_notes(steps: list[dict[str, Any]]) -> list[str]:
    """A note per column that ``keep: all`` left out of some rows (:data:`MAX_NOTES` per reader at most), from
    the run's counts per step."""
    notes = []
    for step in steps:
        named, more = [], None
        for key, n in step["counts"].items():
            if key == f"{NOT_KEPT_STAT}:{MORE}":
                past = f"past the first {MAX_COLUMNS} names"
                more = f"{step['name']}: keep: all left more columns ({past}) out of {n:,} row(s)"
            elif key.startswith(f"{NOT_KEPT_STAT}:"):
                why, _, name = key.removeprefix(f"{NOT_KEPT_STAT}:").partition(":")
                named.append(
                    f"{step['name']}: keep: all left column '{name}' out of {n:,} row(s): {REASONS.get(why, why)}"
                )
        notes += named[:MAX_NOTES]
        if len(named) > MAX_NOTES:
            notes.append(
                f"{step['name']}: and {len(named) - MAX_NOTES} more columns left out: the card's account lists them"
            )
        notes += [more] if more else []
    return notes


def is_plain(value: Any) -> bool:
    """Whether ``value`` is what JSON holds (text, numbers, booleans, null, lists and string-keyed mappings of
    them): a kept column is written as JSON text; a Parquet timestamp, bytes, NaN or infinity has no JSON form."""
    if isinstance(value, float):
        return math.isfinite(value)  # JSON has no NaN or infinity
    if value is None or isinstance(value, str | int | bool):
        return True
    if isinstance(value, list | tuple):
        return all(is_plain(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(key, str) and is_plain(item) for key, item in value.items())
    return False
