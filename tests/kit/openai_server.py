"""A loopback OpenAI-compatible server (chat completions, embeddings, models) for tests.

It answers like the real API, and can be told to misbehave for the next requests::

    server.script("429", "500", "slow", "malformed", "garbage")

``429`` answers Too Many Requests with ``Retry-After``; ``500`` a server error; ``slow`` waits
``slow_seconds`` first; ``malformed`` sends broken JSON; ``garbage`` a well-formed completion whose
content is not what was asked for. Every request is recorded in ``server.requests``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

from kit.loopback import LoopbackServer

EMBEDDING_DIM = 8


def default_reply(request: dict) -> str:
    """Echo the last user message, so tests can tell answers apart."""
    user = [m["content"] for m in request.get("messages", []) if m.get("role") == "user"]
    return f"echo: {user[-1] if user else ''}"


def fake_embedding(text: str) -> list[float]:
    """A deterministic unit vector for ``text``."""
    digest = hashlib.sha256(text.encode()).digest()
    vector = [b / 255 - 0.5 for b in digest[:EMBEDDING_DIM]]
    norm = sum(v * v for v in vector) ** 0.5 or 1.0
    return [v / norm for v in vector]


class FakeOpenAIServer(LoopbackServer):
    """Start with :meth:`start`; ``base_url`` is then ``http://127.0.0.1:PORT/v1``."""

    def __init__(self, reply: Callable[[dict], str] = default_reply, slow_seconds: float = 2.0):
        self.reply = reply
        self.slow_seconds = self._slow_default = slow_seconds
        self.requests: list[dict] = []
        self._script: deque[str] = deque()
        self._lock = threading.Lock()
        super().__init__()

    @property
    def base_url(self) -> str:
        return f"{self.root}/v1"

    def script(self, *behaviours: str) -> None:
        """Misbehave in this order on the next requests, then answer normally again."""
        with self._lock:
            self._script.extend(behaviours)

    def reset(self) -> None:
        with self._lock:
            self._script.clear()
            self.requests.clear()
            self.reply = default_reply
            self.slow_seconds = self._slow_default

    def _next_behaviour(self) -> str:
        with self._lock:
            return self._script.popleft() if self._script else "ok"

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path.rstrip("/").endswith("/models"):
                    self._send(200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})
                else:
                    self._send(404, {"error": {"message": "unknown route", "type": "invalid_request_error"}})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                with server._lock:
                    server.requests.append({"path": self.path, "body": body})
                behaviour = server._next_behaviour()
                if behaviour == "429":
                    return self._send(
                        429, {"error": {"message": "rate limited", "type": "rate_limit"}}, {"Retry-After": "0"}
                    )
                if behaviour == "500":
                    return self._send(500, {"error": {"message": "boom", "type": "server_error"}})
                if behaviour == "slow":
                    time.sleep(server.slow_seconds)
                if behaviour == "malformed":
                    return self._raw(200, b'{"id": "x", "choices": [')
                if self.path.endswith("/chat/completions"):
                    content = "%%% not what you asked for %%%" if behaviour == "garbage" else server.reply(body)
                    return self._send(200, _completion(body, content))
                if self.path.endswith("/embeddings"):
                    return self._send(200, _embeddings(body))
                return self._send(404, {"error": {"message": "unknown route", "type": "invalid_request_error"}})

            def _send(self, code: int, payload: dict, headers: dict | None = None):
                self._raw(code, json.dumps(payload).encode(), headers)

            def _raw(self, code: int, data: bytes, headers: dict | None = None):
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up first
                    self.wfile.write(data)

        return Handler


def _completion(request: dict, content: str) -> dict:
    prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in request.get("messages", []))
    completion_tokens = len(content.split())
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model", "fake-model"),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def _embeddings(request: dict) -> dict:
    inputs = request.get("input", [])
    inputs = [inputs] if isinstance(inputs, str) else inputs
    return {
        "object": "list",
        "model": request.get("model", "fake-model"),
        "data": [{"object": "embedding", "index": i, "embedding": fake_embedding(t)} for i, t in enumerate(inputs)],
        "usage": {
            "prompt_tokens": sum(len(t.split()) for t in inputs),
            "total_tokens": sum(len(t.split()) for t in inputs),
        },
    }
