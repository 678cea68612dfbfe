"""Running an LLM step without its endpoint: every request is recorded, none is sent.

Within :func:`recording`, :meth:`LLMOptions.client <babelforge.llm.options.LLMOptions.client>` hands
out a :class:`RecordingClient`, which notes each request and answers it with a stand-in (the user's
last message, or the smallest value that fits the schema), so that the step's own code builds the
very requests it would send. :mod:`babelforge.llm.estimate` prices them.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
from dataclasses import dataclass, field

_ACTIVE: contextvars.ContextVar[Recorder | None] = contextvars.ContextVar("babelforge_llm_recorder", default=None)


def active() -> Recorder | None:
    return _ACTIVE.get()


@dataclass
class Recorded:
    spec: str
    options: object
    request: object
    params: dict


@dataclass
class Recorder:
    """Requests per endpoint spec, in the order the steps made them."""

    requests: list[Recorded] = field(default_factory=list)

    def client(self, spec: str, options) -> RecordingClient:
        return RecordingClient(self, spec, options)


class RecordingClient:
    """Answers like an :class:`~babelforge.llm.client.LLMClient`, from nothing; records what it was asked."""

    def __init__(self, recorder: Recorder, spec: str, options):
        from babelforge.llm.ledger import Ledger

        self.recorder, self.spec, self.options = recorder, spec, options
        self.ledger = Ledger()
        self._real = options.real_client(spec)  # for max_tokens and cache keys exactly as a run sends them

    def complete_many(self, requests: list) -> list:
        from babelforge.llm.client import Completion

        answers = []
        for request in requests:
            params = self._real.sent_params(request)
            self.recorder.requests.append(Recorded(self.spec, self.options, request, params))
            data = stand_in(request.schema) if request.schema else None
            text = json.dumps(data) if request.schema else _last_user(request.messages)
            answers.append(Completion(text, data))
        return answers


@contextlib.contextmanager
def recording():
    """Within this block, LLM steps record their requests instead of sending them."""
    recorder = Recorder()
    token = _ACTIVE.set(recorder)
    try:
        yield recorder
    finally:
        _ACTIVE.reset(token)


def _last_user(messages: list[dict]) -> str:
    users = [m.get("content") or "" for m in messages if m.get("role") == "user"]
    return str(users[-1]) if users else ""


def stand_in(schema: dict):
    """The simplest value that satisfies a (simple) JSON schema."""
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object":
        props = schema.get("properties", {})
        return {name: stand_in(props.get(name, {})) for name in schema.get("required", props)}
    if kind == "array":
        return [stand_in(schema.get("items", {}))] * schema.get("minItems", 0)
    if kind in ("integer", "number"):
        return schema.get("maximum", schema.get("minimum", 0))
    if kind == "boolean":
        return True
    return "x" * schema.get("minLength", 1) if kind == "string" else None
