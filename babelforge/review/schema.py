"""The API's request body and its checks: anything malformed is a 422 that names the field.

Pydantic checks the shape (:class:`Decision`); :func:`check_decision_spans` then checks what needs the
item: each span within its text and labelled from the output's label set. Both raise FastAPI's
``RequestValidationError``, so every refusal reads the same (:func:`validation_detail`).
"""

from __future__ import annotations

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


def _label(value: str) -> str:
    if not value.strip():
        raise ValueError("is empty: give a label from the output's label set")
    return value


Text = Annotated[StrictStr, AfterValidator(_utf8)]
Label = Annotated[StrictStr, Field(max_length=200), AfterValidator(_utf8), AfterValidator(_label)]
Span = tuple[StrictInt, StrictInt, Label]


class Decision(BaseModel):
    """The body of ``POST /api/items/{n}/decision``; spans as ``[start, end, label]`` in code points."""

    model_config = ConfigDict(extra="forbid")

    annotator: Annotated[Text, Field(min_length=1, max_length=MAX_NAME)]
    decision: Literal["accept", "reject", "skip"]
    reason: Annotated[Text, Field(max_length=MAX_REASON)] | None = None
    comment: Annotated[Text, Field(max_length=MAX_COMMENT)] | None = None
    spans: Annotated[list[Span], Field(max_length=MAX_SPANS)] | None = None


def check_decision_spans(spans: list[Span] | None, text: str, labels: list[str]) -> list[list] | None:
    """``spans`` as lists, each with ``0 <= start < end <= len(text)`` and a label from ``labels``.

    Raises:
        RequestValidationError: naming every bad span (``spans[i]``).
    """
    if spans is None:
        return None
    errors = []
    for i, (start, end, label) in enumerate(spans):
        if not 0 <= start < end <= len(text):
            errors.append(_error(i, f"[{start}, {end}] is not within the text: need 0 <= start < end <= {len(text)}"))
        if label not in labels:
            valid = ", ".join(labels) or "none (this output has no span labels)"
            errors.append(_error(i, f"label {label[:50]!r} is not one of the output's labels: {valid}"))
    if errors:
        from fastapi.exceptions import RequestValidationError

        raise RequestValidationError(errors)
    return [list(span) for span in spans]


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
