"""Reading what an endpoint sent back, trusting none of it.

A 200 answer is read as JSON whatever its content type, and checked field by field against what the
chat completions API promises: a UTF-8 body whose ``choices`` is a non-empty list whose first item has
a ``message`` with string ``content`` (valid Unicode: no lone surrogates, which nothing can store).
Anything else is :class:`Malformed` (HTML from a proxy, ``{"choices": [{}]}``, truncated JSON,
invalid UTF-8, JSON nested deeper than Python can read...), never a Python error. ``usage`` is taken
only when both counts are non-negative integers; otherwise it is ``None`` and the caller counts the
tokens itself (whether counts given are plausible is :mod:`babelforge.llm.usage`'s to judge).
``finish_reason`` is kept: an answer the endpoint cut short (:data:`CUT_SHORT`) is well-formed, but
not whole, and the caller must not serve it as if it were.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

#: ``finish_reason`` values that say the answer was cut short, and the failure each is counted under.
CUT_SHORT = {"length": "truncated", "content_filter": "content_filter"}


@dataclass(frozen=True)
class Answer:
    """A well-formed completion: its text and the endpoint's token counts, when it gave them."""

    text: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: str | None = None

    @property
    def has_usage(self) -> bool:
        return self.prompt_tokens is not None and self.completion_tokens is not None

    @property
    def cut_short(self) -> str | None:
        """The failure reason when the endpoint stopped before the answer was whole (``None``: it is whole)."""
        return CUT_SHORT.get(self.finish_reason) if self.finish_reason else None


@dataclass(frozen=True)
class Malformed:
    """A 200 answer that is not a chat completion; ``empty`` when it is one without content."""

    detail: str
    empty: bool = False


def read_completion(body: bytes | str | dict) -> Answer | Malformed:
    """Check a chat completion body (raw, or parsed already as in a batch result line)."""
    payload = body if isinstance(body, dict) else _json(body)
    if isinstance(payload, Malformed):
        return payload
    if not isinstance(payload, dict):
        return Malformed(f"the body is JSON {type(payload).__name__}, not an object")
    if isinstance(payload.get("error"), dict | str):
        return Malformed(f"a 200 answer carrying an error: {str(payload['error'])[:120]}")
    choices = payload.get("choices")
    if not isinstance(choices, list) or not choices:
        return Malformed(f"'choices' is {_show(choices)}, not a non-empty list")
    first = choices[0]
    message = first.get("message") if isinstance(first, dict) else None
    if not isinstance(message, dict):
        return Malformed(f"choices[0].message is {_show(message)}, not an object")
    content = message.get("content")
    if content is not None and not isinstance(content, str):
        return Malformed(f"choices[0].message.content is {_show(content)}, not a string")
    if content and not is_unicode(content):
        return Malformed("choices[0].message.content is not valid Unicode (a lone surrogate)")
    prompt, completion = _usage(payload.get("usage"))
    if not content:
        return Malformed("the endpoint answered with no content", empty=True)
    finish = first.get("finish_reason")
    return Answer(content, prompt, completion, finish if isinstance(finish, str) else None)


def _json(body: bytes | str):
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError as error:
        return Malformed(f"the body is not valid UTF-8 (byte {error.start}: {error.reason})")
    found = parse_json(text)
    if isinstance(found, JSONError):
        return Malformed(f"the body is not JSON ({found.why}): {text[:80]!r}")
    return found


@dataclass(frozen=True)
class JSONError:
    why: str


def parse_json(text: str):
    """``json.loads``, or a :class:`JSONError`: not JSON, or nested too deep to read (a ``RecursionError``)."""
    try:
        return json.loads(text)
    except ValueError as error:
        return JSONError(f"{error.__class__.__name__}: {error}")
    except RecursionError:
        return JSONError("nested too deeply to read")


def is_unicode(text: str) -> bool:
    """Whether ``text`` can be written as UTF-8 (JSON's ``\\ud800`` escapes make strings that cannot)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _usage(usage) -> tuple[int | None, int | None]:
    if not isinstance(usage, dict):
        return None, None
    counts = usage.get("prompt_tokens"), usage.get("completion_tokens")
    if all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in counts):
        return counts
    return None, None


def _show(value) -> str:
    return "missing" if value is None else f"{type(value).__name__} {str(value)[:40]!r}"
