"""Turn one input row (a JSON object, a Parquet row, a dataset example) into a record, by a field map."""

from __future__ import annotations

import re
from typing import Any

from babelforge import langs
from babelforge.records import LANGUAGE, MESSAGES, PROMPT, SPANS, SPLIT, TOKEN_OFFSETS
from babelforge.sources import SPLIT_NAME as SOURCE_SPLIT_NAME
from babelforge.sources import FieldMap
from babelforge.spans import Span, join_tokens, tags_to_spans


class FieldError(ValueError):
    """A row whose fields do not hold what the field map says."""


#: A split name a row may give: what ``datasets`` accepts (letters, digits, ``_``; parts joined by ``.``).
SPLIT_NAME = SOURCE_SPLIT_NAME  # one rule for split names: babelforge.sources.SPLIT_NAME
#: The longest split name a row may give (it becomes part of file names).
MAX_SPLIT_CHARS = 100
#: A UTF-16 surrogate on its own: JSON can escape one (``"\ud800"``), but it is not text and cannot be written.
_SURROGATE = re.compile("[\ud800-\udfff]")

#: Metadata key that carries a row's own id to :func:`~babelforge.builders.readers.base.new_record`.
RECORD_ID = "_record_id"


def row_to_record(row: dict[str, Any], fields: FieldMap, default_language: str | None) -> tuple[str, dict[str, Any]]:
    """Return ``(text, metadata)`` for one row.

    Raises:
        FieldError: naming the field and what it should hold.
    """
    if not isinstance(row, dict):
        raise FieldError(f"a JSON object, got {type(row).__name__}")
    metadata: dict[str, Any] = {}
    text = _text(row, fields, metadata)
    if fields.spans:
        metadata[SPANS] = _spans(_get(row, fields.spans), text, fields.spans)
    if fields.messages:
        metadata[MESSAGES] = _messages(_get(row, fields.messages), fields.messages)
    if fields.chosen or fields.rejected:
        from babelforge.builders.readers.preference import last_user_turn, preference_metadata

        metadata.update(preference_metadata(row, fields))
        text = text or last_user_turn(metadata[PROMPT])
    metadata[LANGUAGE] = _language(row, fields, default_language)
    if fields.split and row.get(fields.split):
        metadata[SPLIT] = _split(row[fields.split], fields.split)
    if fields.id and row.get(fields.id) not in (None, ""):
        metadata[RECORD_ID] = _unicode(str(row[fields.id]), fields.id)
    if fields.keep:
        metadata.update(_kept(row, fields))
    return text, metadata


def _kept(row: dict, fields: FieldMap) -> dict[str, Any]:
    """The columns ``fields.keep`` carries along (:mod:`babelforge.builders.readers.kept`)."""
    from babelforge.builders.readers.kept import NOT_KEPT, is_plain, kept_columns

    mapped = {v for k, v in fields if k != "keep" and isinstance(v, str)}
    found, missing, left_out = kept_columns(row, fields.keep, mapped)
    if missing:
        raise FieldError(f"a field '{missing[0]}' to keep (the row has: {', '.join(map(str, row)) or 'no fields'})")
    for name, value in found.items():
        if not is_plain(value):
            raise FieldError(
                f"text, finite numbers, lists or mappings in '{name}' to keep (a kept column is written as JSON), got "
                f"{type(value).__name__} {str(value)[:40]!r}: leave '{name}' out of keep, or convert it to text first"
            )
        _unicode_within(value, name)
    if left_out:
        found[NOT_KEPT] = left_out  # counted by the reader (count_not_kept), never written
    return found


def _unicode_within(value: Any, field: str) -> None:
    """:func:`_unicode` on every string in ``value``, inside lists and dicts too (keys included): a kept
    column is written as JSON text, which cannot hold a lone surrogate either."""
    if isinstance(value, str):
        _unicode(value, field)
    elif isinstance(value, list | tuple):
        for item in value:
            _unicode_within(item, field)
    elif isinstance(value, dict):
        for key, item in value.items():
            _unicode_within(key, field)
            _unicode_within(item, field)


def _unicode(value: str, field: str | None) -> str:
    """``value``, unless it holds a lone surrogate (it would fail later, when the output is written)."""
    found = _SURROGATE.search(value)
    if found:
        raise FieldError(
            f"Unicode text in '{field}', but character {found.start()} is a lone surrogate "
            f"(U+{ord(found.group()):04X}, from a JSON escape such as \\ud800 that pairs with nothing)"
        )
    return value


def _split(value: Any, field: str) -> str:
    """A row's split name, checked: it becomes a folder and file name, and ``datasets`` must accept it."""
    name = str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None
    if name is None or len(name) > MAX_SPLIT_CHARS or not SPLIT_NAME.fullmatch(name):
        raise FieldError(
            f"a split name in '{field}' (letters, digits and '_', parts joined by '.', at most {MAX_SPLIT_CHARS} "
            f"characters, e.g. 'train' or 'dev_2020'), got {value!r}"
        )
    return name


def _text(row: dict, fields: FieldMap, metadata: dict) -> str:
    if fields.tokens and fields.tags:
        tokens, tags = _get(row, fields.tokens), _get(row, fields.tags)
        if not isinstance(tokens, list) or not isinstance(tags, list) or len(tokens) != len(tags):
            raise FieldError(f"'{fields.tokens}' and '{fields.tags}' as two lists of equal length")
        text, offsets = join_tokens([str(t) for t in tokens])
        _unicode(text, fields.tokens)
        tags = [_unicode(str(t), fields.tags) for t in tags]
        try:
            metadata[SPANS] = tags_to_spans(tags, offsets)
        except ValueError as error:
            raise FieldError(f"tags in '{fields.tags}' ({error})") from None
        metadata[TOKEN_OFFSETS] = offsets
        return text
    if fields.messages and not fields.text:
        return ""
    if fields.chosen and (not fields.text or fields.text not in row):  # a pair's text is its prompt's last user turn
        return ""
    if fields.keep and "text" not in fields.model_fields_set and fields.text not in row:
        return ""  # a record of kept fields only (premise, hypothesis): no text column was asked for
    value = _get(row, fields.text)
    if not isinstance(value, str):
        raise FieldError(f"a string in field '{fields.text}', got {type(value).__name__}")
    return _unicode(value, fields.text)


def _get(row: dict, field: str | None) -> Any:
    if field not in row:
        raise FieldError(f"a field '{field}' (the row has: {', '.join(map(str, row)) or 'no fields'})")
    return row[field]


def _spans(value: Any, text: str, field: str) -> list[Span]:
    if not isinstance(value, list):
        raise FieldError(f"a list of spans in '{field}', got {value!r}")
    return [_span(item, len(text), field) for item in value]


def _span(item: Any, length: int, field: str) -> Span:
    """One span from ``{start, end, label}`` or ``[start, end, label]``; booleans are not offsets."""
    if isinstance(item, dict):
        start, end, label = item.get("start"), item.get("end"), item.get("label")
    elif isinstance(item, list | tuple) and len(item) == 3:
        start, end, label = item
    else:
        raise FieldError(
            f"spans in '{field}' as {{start, end, label}} objects or [start, end, label] lists, got {item!r}"
        )
    if type(start) is not int or type(end) is not int or not 0 <= start < end <= length:
        raise FieldError(f"spans in '{field}' with 0 <= start < end <= {length}, got {item!r}")
    if not isinstance(label, str | int) or isinstance(label, bool) or label == "":
        raise FieldError(f"spans in '{field}' with a label (a non-empty string), got {item!r}")
    return Span(start, end, _unicode(str(label), field))


def _messages(value: Any, field: str) -> list[dict[str, str]]:
    if not isinstance(value, list) or not all(isinstance(m, dict) and {"role", "content"} <= set(m) for m in value):
        raise FieldError(f"a list of {{role, content}} objects in '{field}'")
    return [{"role": _unicode(str(m["role"]), field), "content": _unicode(str(m["content"]), field)} for m in value]


def _language(row: dict, fields: FieldMap, default: str | None) -> str:
    if fields.language and row.get(fields.language):
        try:
            return langs.resolve(str(row[fields.language])).code
        except ValueError as error:
            raise FieldError(f"a known language in '{fields.language}' ({error})") from None
    if default is None:
        raise FieldError(f"a language in '{fields.language}'")
    return default
