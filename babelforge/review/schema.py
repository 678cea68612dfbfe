"""The API's request body and its checks: anything malformed is a 422 that names the field.

Pydantic checks the shape (:class:`Decision`); :func:`check_decision_spans` then checks what needs the
item: each span within its text, labelled from the output's label set, given once, and (for a NER
output, one tag per token) overlapping no other. Both raise FastAPI's ``RequestValidationError``, so
every refusal reads the same (:func:`validation_detail`). Control characters are refused in names,
and in reasons and comments but for tabs and line breaks: ``review stats`` prints them to a terminal,
where ESC starts an escape sequence.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, StrictStr

MAX_NAME = 64
MAX_REASON = 2_000
MAX_COMMENT = 10_000
MAX_SPANS = 10_000


def _utf8(value: str) -> str:
    # JSON may carry lone surrogates ("\ud800"), which no UTF-8 database or response can hold
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("holds a lone surrogate (\\ud800-\\udfff): not valid Unicode text") from None
    return value


def control_character(value: str, allowed: str = "") -> str | None:
    """The first control character (Unicode ``Cc``: C0, DEL, C1) in ``value`` not in ``allowed``, or None."""
    return next((c for c in value if unicodedata.category(c) == "Cc" and c not in allowed), None)


def _no_controls(allowed: str):
    def check(value: str) -> str:
        if (found := control_character(value, allowed)) is not None:
            raise ValueError(f"holds the control character U+{ord(found):04X}: give plain text")
        return value

    return check


def _label(value: str) -> str:
    if not value.strip():
        raise ValueError("is empty: give a label from the output's label set")
    return value


Text = Annotated[StrictStr, AfterValidator(_utf8), AfterValidator(_no_controls("\t\n\r"))]
Name = Annotated[StrictStr, AfterValidator(_utf8), AfterValidator(_no_controls(""))]
Label = Annotated[StrictStr, Field(max_length=200), AfterValidator(_utf8), AfterValidator(_label)]
Span = tuple[StrictInt, StrictInt, Label]


class Decision(BaseModel):
    """The body of ``POST /api/items/{n}/decision``; spans as ``[start, end, label]`` in code points."""

    model_config = ConfigDict(extra="forbid")

    annotator: Annotated[Name, Field(min_length=1, max_length=MAX_NAME)]
    decision: Literal["accept", "reject", "skip"]
    reason: Annotated[Text, Field(max_length=MAX_REASON)] | None = None
    comment: Annotated[Text, Field(max_length=MAX_COMMENT)] | None = None
    spans: Annotated[list[Span], Field(max_length=MAX_SPANS)] | None = None


def check_decision_spans(
    spans: list[Span] | None, text: str, labels: list[str], disjoint: bool = False
) -> list[list] | None:
    """``spans`` as lists, each with ``0 <= start < end <= len(text)``, a label from ``labels``, given once.

    Args:
        disjoint: no two spans may overlap (a NER output: one tag per token, so the export would keep
            only one of them).

    Raises:
        RequestValidationError: naming every bad span (``spans[i]``).
    """
    if spans is None:
        return None
    errors, first = [], {}
    for i, (start, end, label) in enumerate(spans):
        if not 0 <= start < end <= len(text):
            errors.append(_error(i, f"[{start}, {end}] is not within the text: need 0 <= start < end <= {len(text)}"))
        if label not in labels:
            valid = ", ".join(labels) or "none (this output has no span labels)"
            errors.append(_error(i, f"label {label[:50]!r} is not one of the output's labels: {valid}"))
        if (start, end, label) in first:
            errors.append(_error(i, f"repeats spans[{first[start, end, label]}]: give each span once"))
        first.setdefault((start, end, label), i)
    if disjoint and not errors:
        errors = _overlaps(spans)
    if errors:
        from fastapi.exceptions import RequestValidationError

        raise RequestValidationError(errors)
    return [list(span) for span in spans]


def _overlaps(spans: list[Span]) -> list[dict[str, Any]]:
    """An error for each span that overlaps one before it (in text order)."""
    errors = []
    order = sorted(range(len(spans)), key=lambda i: (spans[i][0], spans[i][1], i))
    reach = None  # the span reaching furthest right so far
    for i in order:
        if reach is not None and spans[i][0] < spans[reach][1]:
            earlier, later = sorted((reach, i))
            errors.append(
                _error(
                    later,
                    f"[{spans[later][0]}, {spans[later][1]}] overlaps spans[{earlier}] "
                    f"[{spans[earlier][0]}, {spans[earlier][1]}]: a NER output holds one tag per token, "
                    "so spans may not overlap",
                )
            )
        if reach is None or spans[i][1] > spans[reach][1]:
            reach = i
    return errors


def _error(i: int, message: str) -> dict[str, Any]:
    return {"loc": ("body", "spans", i), "msg": message, "type": "value_error"}


def validation_detail(errors: list[dict]) -> dict[str, Any]:
    """A 422 body: ``detail``, one readable line naming each field; ``errors``, the same as data.

    The input that failed is left out: echoed back, it could be huge, or text no response can encode.
    """
    clean = [
        {"loc": [_safe(p) for p in e.get("loc", ())], "msg": _safe(e.get("msg", "")), "type": str(e.get("type", ""))}
        for e in errors
    ]
    lines = [f"{_where(e['loc'])}: {e['msg']}" for e in clean[:5]]
    more = f" (and {len(clean) - 5} more)" if len(clean) > 5 else ""
    return {"detail": "; ".join(lines) + more, "errors": clean}


def _safe(part: Any) -> Any:
    # a field name can be the client's own text (an unknown key): keep it short and encodable
    return part if isinstance(part, int) else str(part)[:100].encode("utf-8", "replace").decode("utf-8")


def _where(loc: list) -> str:
    source, parts = (loc[0], loc[1:]) if loc and loc[0] in ("body", "query", "path") else ("body", loc)
    if not parts or not isinstance(parts[0], str):
        return f"{source} (at character {parts[0]})" if parts else str(source)
    return parts[0] + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts[1:])
