"""A loopback OpenAI-compatible server (chat completions, embeddings, models, files, batches) for tests.

It answers like the real API, and can be told to misbehave for the next requests::

    server.script("429", "500", "slow", "malformed", "garbage")

or on every request from now on (``server.mode = "500"``). Behaviours:

- ``429``: Too Many Requests with ``Retry-After: 0``; ``429-long``: with ``Retry-After: 3600``;
- ``500``: a server error; ``400``: a refusal (``no such model``); ``slow``: waits ``slow_seconds`` first, then answers;
- ``garbage``: a well-formed completion whose content is not what was asked for;
- malformed 200 answers: ``malformed`` (truncated JSON), ``html`` (an HTML page), ``empty-choice``
  (``{"choices": [{}]}``), ``choices-oops`` (``{"choices": "oops"}``), ``null-usage`` (usage counts
  null), ``no-usage`` (no usage at all), ``text-plain`` (a good completion sent as ``text/plain``);
- hostile answers: ``drip`` (headers, then one byte every ``drip_seconds``), ``huge`` (``huge_bytes``
  of a completion, chunked, no length declared), ``deep`` (JSON nested 100,000 deep), ``bad-utf8``
  (content with bytes that are not UTF-8), ``surrogate`` (content ``"\\ud800"``), ``zero-usage``
  (usage ``{0, 0}``), ``absurd-usage`` (usage of 10**15 tokens);
- embeddings: ``embed-short`` (one vector fewer than asked), ``embed-ragged`` (the first vector
  shorter), ``embed-dup-index`` (index 0 twice), ``embed-bad-base64`` (the first
  vector ``"abc"``), ``embed-floats-only`` (a 400 for a request that
  names an ``encoding_format``, as some servers answer); vectors come as base64 where asked, as
  OpenAI sends them.

Usage counts tokens with ``count_tokens`` (default: whitespace words) and the answer is cut to the
request's ``max_tokens``, as a real endpoint does. Every POST is recorded in ``server.requests``
(``path``, ``body``, and for JSON bodies ``at``, its ``time.monotonic()``, and ``key``, its
``Authorization`` header). :meth:`reset` and :meth:`start` make the process forget what it learnt of
this endpoint's health (its shared circuit breaker and concurrency limit).
The Batch API: ``POST /files`` (multipart, purpose ``batch``), ``POST /batches``, ``GET
/batches/ID`` (``in_progress`` for ``batch_polls`` polls, then ``completed``), ``GET /batches``
(newest first, ``limit`` and ``after``), ``GET /files/ID/content``, ``POST /batches/ID/cancel``;
``batch_api = False`` answers 404 there instead, ``batch_lookup = "404"`` answers 404 to every poll
(a batch the endpoint forgot) and ``"garbage"`` a batch without a status; ``polls`` lists the batch
ids polled; ``batch_listing = False`` answers 404 to ``GET /batches``. ``batch_create`` lists faults
for the next creates, in order: ``drop`` (the batch is created, then the connection is closed
without an answer), ``slow`` (created, answered after ``slow_seconds``), ``lost`` (a 500, nothing
created). ``batch_output``, when set, rewrites a finished batch's result lines (a list of dicts) into the
bytes of its output file: results that are malformed, partial, or name unknown or repeated custom_ids.
Cut answers: ``length`` (``finish_reason: "length"``, the content cut short) and ``content-filter``
(``finish_reason: "content_filter"``).
"""

from __future__ import annotations

import base64
import contextlib
import email.parser
import hashlib
import json
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from babelforge.llm.backoff import forget_endpoints
from kit.loopback import LoopbackServer

EMBEDDING_DIM = 8
USAGES = ("null-usage", "no-usage", "zero-usage", "absurd-usage")
CUT = {"length": "length", "content-filter": "content_filter"}
HOSTILE = {"drip": "_drip", "huge": "_huge", "deep": "_deep", "bad-utf8": "_bad_utf8", "surrogate": "_surrogate"}
MALFORMED = {
    "malformed": (b'{"id": "x", "choices": [', "application/json"),
    "html": (b"<html><body><h1>502 Bad Gateway</h1>nginx</body></html>", "text/html"),
    "empty-choice": (b'{"choices": [{}]}', "application/json"),
    "choices-oops": (b'{"choices": "oops"}', "application/json"),
}


def default_reply(request: dict) -> str:
    """Echo the last user message, so tests can tell answers apart."""
    user = [m["content"] for m in request.get("messages", []) if m.get("role") == "user"]
    return f"echo: {user[-1] if user else ''}"


def count_words(text: str) -> int:
    return len(text.split())


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
        self.count_tokens: Callable[[str], int] = count_words
        self.mode = "ok"
        self.batch_polls = 1
        self.batch_api = True
        self.batch_lookup = "ok"
        self.batch_listing = True
        self.batch_create: list[str] = []
        self.drip_seconds = 0.25
        self.huge_bytes = 8 * 2**20
        self.batch_output: Callable[[list[dict]], bytes] | None = None
        self.requests: list[dict] = []
        self.polls: list[str] = []
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, dict] = {}
        self._script: deque[str] = deque()
        self._lock = threading.Lock()
        super().__init__()
        # http.server listens with a backlog of 5: a burst of concurrent requests would wait for the
        # client's SYN retransmit (1 s) and arrive late, as if sent late.
        self._httpd.socket.listen(128)

    @property
    def base_url(self) -> str:
        return f"{self.root}/v1"

    def start(self) -> FakeOpenAIServer:
        forget_endpoints(self.base_url)  # a fresh server: what the process learnt of this address is stale
        return super().start()

    def script(self, *behaviours: str) -> None:
        """Misbehave in this order on the next requests, then answer as ``mode`` says again."""
        with self._lock:
            self._script.extend(behaviours)

    def reset(self) -> None:
        with self._lock:
            self._script.clear()
            self.requests.clear()
            self.polls.clear()
            self.files.clear()
            self.batches.clear()
            self.reply = default_reply
            self.count_tokens = count_words
            self.mode = "ok"
            self.batch_polls = 1
            self.batch_api = True
            self.batch_lookup = "ok"
            self.batch_listing = True
            self.batch_create = []
            self.drip_seconds = 0.25
            self.huge_bytes = 8 * 2**20
            self.batch_output = None
            self.slow_seconds = self._slow_default
        forget_endpoints(self.base_url)  # each test starts with a closed breaker and the full concurrency

    def chat_paths(self) -> list[dict]:
        """The bodies of the chat completion requests received so far."""
        return [r["body"] for r in self.requests if r["path"].endswith("/chat/completions")]

    def _next_behaviour(self) -> str:
        with self._lock:
            return self._script.popleft() if self._script else self.mode

    def completion(self, request: dict, content: str, usage: str = "ok") -> dict:
        return _completion(request, content, self.count_tokens, usage)

    def _run_batch(self, batch: dict) -> None:
        lines = []
        for line in self.files[batch["input_file_id"]].decode().splitlines():
            item = json.loads(line)
            body = self.completion(item["body"], self.reply(item["body"]))
            response = {"status_code": 200, "request_id": item["custom_id"], "body": body}
            lines.append(json.dumps({"id": f"r-{item['custom_id']}", "custom_id": item["custom_id"],
                                     "response": response, "error": None}))  # fmt: skip
        output_id = f"file-out-{batch['id']}"
        if self.batch_output is not None:
            self.files[output_id] = self.batch_output([json.loads(line) for line in lines])
        else:
            self.files[output_id] = ("\n".join(lines) + "\n").encode()
        batch.update(status="completed", output_file_id=output_id)

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                path = self.path.rstrip("/")
                if path.endswith("/models"):
                    return self._send(200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})
                if "/batches/" in path:
                    return self._get_batch(path.rsplit("/", 1)[1])
                if urlsplit(path).path.endswith("/batches") and server.batch_listing:
                    return self._list_batches(parse_qs(urlsplit(path).query))
                if path.endswith("/content") and "/files/" in path:
                    found = server.files.get(path.split("/files/")[1].split("/")[0])
                    if found is not None:
                        return self._raw(200, found, content_type="application/jsonl")
                self._send(404, {"error": {"message": "unknown route", "type": "invalid_request_error"}})

            def _get_batch(self, batch_id: str):
                with server._lock:
                    server.polls.append(batch_id)
                if server.batch_lookup == "garbage":
                    return self._send(200, {"id": batch_id, "object": "batch"})
                with server._lock:
                    batch = server.batches.get(batch_id)
                    if batch is None or server.batch_lookup == "404":
                        return self._send(404, {"error": {"message": "no such batch"}})
                    batch["polls"] += 1
                    if batch["status"] != "completed" and batch["polls"] >= server.batch_polls:
                        server._run_batch(batch)
                    payload = {k: v for k, v in batch.items() if k != "polls"}
                self._send(200, payload)

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path.endswith("/files"):
                    if not server.batch_api:
                        return self._send(404, {"error": {"message": "unknown route", "type": "invalid_request_error"}})
                    return self._upload(raw)
                body = json.loads(raw or b"{}")
                with server._lock:
                    server.requests.append({"path": self.path, "body": body, "at": time.monotonic(),
                                            "key": self.headers.get("Authorization", "")})  # fmt: skip
                if self.path.endswith("/batches"):
                    return self._create_batch(body)
                if self.path.endswith("/cancel") and "/batches/" in self.path:
                    return self._cancel_batch(self.path.split("/batches/")[1].split("/")[0])
                behaviour = server._next_behaviour()
                if behaviour in ("429", "429-long"):
                    after = "3600" if behaviour == "429-long" else "0"
                    return self._send(429, {"error": {"message": "rate limited", "type": "rate_limit"}},
                                      {"Retry-After": after})  # fmt: skip
                if behaviour == "500":
                    return self._send(500, {"error": {"message": "boom", "type": "server_error"}})
                if behaviour == "400":
                    return self._send(400, {"error": {"message": "no such model", "type": "invalid_request_error"}})
                if behaviour == "slow":
                    time.sleep(server.slow_seconds)
                if behaviour in MALFORMED:
                    data, kind = MALFORMED[behaviour]
                    return self._raw(200, data, content_type=kind)
                if behaviour in HOSTILE:
                    return getattr(self, HOSTILE[behaviour])(body)
                if self.path.endswith("/chat/completions"):
                    content = "%%% not what you asked for %%%" if behaviour == "garbage" else server.reply(body)
                    usage = behaviour if behaviour in USAGES else "ok"
                    payload = server.completion(body, content, usage)
                    if behaviour in CUT:
                        choice = payload["choices"][0]
                        choice["finish_reason"] = CUT[behaviour]
                        choice["message"]["content"] = content[: max(1, len(content) // 2)]
                    kind = "text/plain" if behaviour == "text-plain" else "application/json"
                    return self._raw(200, json.dumps(payload).encode(), content_type=kind)
                if self.path.endswith("/embeddings"):
                    if behaviour == "embed-floats-only" and "encoding_format" in body:
                        error = {
                            "message": "Unsupported value",
                            "type": "invalid_request_error",
                            "param": "encoding_format",
                        }
                        return self._send(400, {"error": error})
                    return self._send(200, _embeddings(body, behaviour))
                return self._send(404, {"error": {"message": "unknown route", "type": "invalid_request_error"}})

            def _drip(self, body: dict):
                embeddings = self.path.endswith("/embeddings")
                payload = _embeddings(body) if embeddings else server.completion(body, server.reply(body))
                data = json.dumps(payload).encode()
                self._head(200, {"Content-Length": str(len(data))})
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    for i in range(len(data)):
                        self.wfile.write(data[i : i + 1])
                        self.wfile.flush()
                        time.sleep(server.drip_seconds)

            def _huge(self, body: dict):
                self._head(200, {"Transfer-Encoding": "chunked"})
                head, filler, tail = b'{"choices": [{"message": {"content": "', b"x" * 65536, b'"}}]}'
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    for piece in [head] + [filler] * (server.huge_bytes // len(filler)) + [tail, b""]:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.close_connection = True

            def _deep(self, body: dict):
                self._raw(200, b"[" * 100_000 + b"]" * 100_000)

            def _bad_utf8(self, body: dict):
                data = json.dumps(server.completion(body, "caf\u00e9")).encode().replace(b"caf\\u00e9", b"caf\xe9")
                self._raw(200, data)

            def _surrogate(self, body: dict):
                self._raw(200, json.dumps(server.completion(body, "caf\ud800")).encode())

            def _cancel_batch(self, batch_id: str):
                with server._lock:
                    batch = server.batches.get(batch_id)
                    if batch is not None and batch["status"] != "completed":
                        batch["status"] = "cancelled"
                if batch is None:
                    return self._send(404, {"error": {"message": "no such batch"}})
                self._send(200, {k: v for k, v in batch.items() if k != "polls"})

            def _upload(self, raw: bytes):
                head = f"Content-Type: {self.headers.get('Content-Type')}\r\n\r\n".encode()
                message = email.parser.BytesParser().parsebytes(head + raw)
                fields = {part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
                          for part in message.get_payload()}  # fmt: skip
                with server._lock:
                    file_id = f"file-{len(server.files) + 1}"
                    server.files[file_id] = fields["file"]
                    server.requests.append({"path": self.path, "body": {"purpose": fields["purpose"].decode()}})
                self._send(200, {"id": file_id, "object": "file", "purpose": "batch", "bytes": len(fields["file"])})

            def _create_batch(self, body: dict):
                if body.get("input_file_id") not in server.files:
                    return self._send(400, {"error": {"message": "no such file"}})
                with server._lock:
                    fault = server.batch_create.pop(0) if server.batch_create else "ok"
                    if fault == "lost":
                        return self._send(500, {"error": {"message": "boom", "type": "server_error"}})
                    batch_id = f"batch-{len(server.batches) + 1}"
                    server.batches[batch_id] = {"id": batch_id, "object": "batch", "status": "in_progress",
                                                "input_file_id": body["input_file_id"], "output_file_id": None,
                                                "endpoint": body.get("endpoint"), "metadata": body.get("metadata"),
                                                "polls": 0}  # fmt: skip
                    payload = {k: v for k, v in server.batches[batch_id].items() if k != "polls"}
                if fault == "drop":  # created, and the answer is lost
                    self.close_connection = True
                    return
                if fault == "slow":
                    time.sleep(server.slow_seconds)
                self._send(200, payload)

            def _list_batches(self, query: dict):
                limit, after = int(query.get("limit", ["20"])[0]), query.get("after", [None])[0]
                with server._lock:
                    newest = [{k: v for k, v in b.items() if k != "polls"} for b in reversed(server.batches.values())]
                if after is not None:
                    ids = [b["id"] for b in newest]
                    newest = newest[ids.index(after) + 1 :] if after in ids else []
                page = newest[:limit]
                self._send(200, {"object": "list", "data": page, "has_more": len(newest) > limit,
                                 "first_id": page[0]["id"] if page else None,
                                 "last_id": page[-1]["id"] if page else None})  # fmt: skip

            def _send(self, code: int, payload: dict, headers: dict | None = None):
                self._raw(code, json.dumps(payload).encode(), headers)

            def _raw(self, code: int, data: bytes, headers: dict | None = None, content_type="application/json"):
                self._head(code, {"Content-Length": str(len(data)), **(headers or {})}, content_type)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up first
                    self.wfile.write(data)

            def _head(self, code: int, headers: dict, content_type="application/json"):
                self.send_response(code)
                self.send_header("Content-Type", content_type)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()

        return Handler


def _completion(request: dict, content: str, count: Callable[[str], int], usage: str = "ok") -> dict:
    limit = request.get("max_tokens")
    if limit is not None:
        content = _cut(content, count, limit)
    prompt_tokens = sum(count(str(m.get("content", ""))) + 4 for m in request.get("messages", [])) + 3
    completion_tokens = count(content)
    payload = {
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
    if usage == "null-usage":
        payload["usage"] = {"prompt_tokens": None, "completion_tokens": None, "total_tokens": None}
    elif usage == "zero-usage":
        payload["usage"] = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
    elif usage == "absurd-usage":
        payload["usage"] = {"prompt_tokens": 10**15, "completion_tokens": 10**15, "total_tokens": 2 * 10**15}
    elif usage == "no-usage":
        del payload["usage"]
    return payload


def _cut(content: str, count: Callable[[str], int], limit: int) -> str:
    """The longest prefix of whole words within ``limit`` tokens."""
    words = content.split(" ")
    while words and count(" ".join(words)) > limit:
        words.pop()
    return " ".join(words)


def _embeddings(request: dict, behaviour: str = "ok") -> dict:
    inputs = request.get("input", [])
    inputs = [inputs] if isinstance(inputs, str) else inputs
    data = [{"object": "embedding", "index": i, "embedding": fake_embedding(t)} for i, t in enumerate(inputs)]
    if behaviour == "embed-short":
        data = data[:-1]
    elif behaviour == "embed-ragged":
        data[0]["embedding"] = data[0]["embedding"][:-1]
    elif behaviour == "embed-dup-index" and len(data) > 1:
        data[1]["index"] = 0
    if request.get("encoding_format") == "base64":  # as OpenAI answers: little-endian float32, base64
        for item in data:
            item["embedding"] = base64.b64encode(
                struct.pack(f"<{len(item['embedding'])}f", *item["embedding"])
            ).decode()
    if behaviour == "embed-bad-base64":
        data[0]["embedding"] = "abc"  # three characters: not base64 of anything
    return {
        "object": "list",
        "model": request.get("model", "fake-model"),
        "data": data,
        "usage": {
            "prompt_tokens": sum(len(t.split()) for t in inputs),
            "total_tokens": sum(len(t.split()) for t in inputs),
        },
    }
