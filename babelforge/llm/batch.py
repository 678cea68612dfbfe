"""The OpenAI Batch API (``llm: {batch: true}``): about half the price, answers within hours.

:func:`prefetch` writes the requests that are not cached yet as one JSONL file, uploads it
(``POST /files``), creates a batch (``POST /batches``), polls it (``GET /batches/ID``) and reads the
results (``GET /files/ID/content``) into the request cache; the client then answers every request
from the cache as usual, and sends online only what the batch did not answer well (an error, a
malformed answer, one that fails its schema). The batch id is recorded in the cache file under a
hash of the requests, so a run killed while it waits polls the same batch when rerun instead of
submitting (and paying for) another. With a ``time_limit`` that runs out first, the requests are
failures under ``batch_pending`` (rerun to collect).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from typing import TYPE_CHECKING

from babelforge.llm.answers import Answer, read_completion
from babelforge.llm.client import check_schema

if TYPE_CHECKING:
    from babelforge.llm.client import LLMClient, Request

DONE, GONE = "completed", frozenset({"failed", "expired", "cancelled", "cancelling"})


class BatchState:
    """Batch ids by the hash of their requests, in the cache file (or in memory without one)."""

    def __init__(self, cache) -> None:
        self.db = cache.db if cache is not None else None
        self.memory: dict[str, str] = {}
        if self.db is not None:
            with self.db:
                self.db.execute(
                    "CREATE TABLE IF NOT EXISTS batches (key TEXT PRIMARY KEY, id TEXT, endpoint TEXT, at REAL)"
                )

    def get(self, key: str) -> str | None:
        if self.db is None:
            return self.memory.get(key)
        row = self.db.execute("SELECT id FROM batches WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def put(self, key: str, batch_id: str, endpoint: str) -> None:
        self.memory[key] = batch_id
        if self.db is not None:
            with self.db:
                self.db.execute(
                    "INSERT OR REPLACE INTO batches VALUES (?, ?, ?, ?)", (key, batch_id, endpoint, time.time())
                )

    def drop(self, key: str) -> None:
        self.memory.pop(key, None)
        if self.db is not None:
            with self.db:
                self.db.execute("DELETE FROM batches WHERE key = ?", (key,))


async def prefetch(client: LLMClient, http, requests: list[Request]) -> None:
    """Answer the uncached ``requests`` through one batch, into the cache (see the module docstring)."""
    pending: dict[str, Request] = {}
    for request in requests:
        key = client.key(request)
        if client.cache is None or client.cache.get(key) is None:
            pending.setdefault(key, request)
    if not pending:
        return
    state = BatchState(client.cache)
    batch_key = hashlib.sha256(json.dumps([client.base_url, client.model, sorted(pending)]).encode()).hexdigest()
    worst = [client.worst_case(r.messages, client.sent_params(r)) for r in pending.values()]
    token = await client._reserve(sum(w[2] for w in worst) * client.batch_discount)
    batch_id = state.get(batch_key) or await _submit(client, http, pending)
    if batch_id is None:
        client.ledger.release(token)
        return
    state.put(batch_key, batch_id, client.base_url)
    batch = await _wait(client, http, batch_id)
    if batch is None:  # the time limit ran out: these requests wait for a rerun
        client.ledger.release(token)
        client.pending_batch = (batch_id, set(pending))
        return
    lines = await _results(http, batch) if batch.get("status") == DONE else []
    costs = _store(client, pending, lines)
    client.ledger.settle_many(token, client.model, costs, discount=client.batch_discount)
    state.drop(batch_key)


async def _submit(client: LLMClient, http, pending: dict[str, Request]) -> str | None:
    lines = [
        json.dumps(
            {
                "custom_id": key,
                "method": "POST",
                "url": "/v1/chat/completions",
                "body": {"model": client.model, "messages": r.messages, **client.sent_params(r)},
            },
            ensure_ascii=False,
        )
        for key, r in pending.items()
    ]
    data = ("\n".join(lines) + "\n").encode()
    uploaded = await _call(http, "POST", "files", data={"purpose": "batch"}, files={"file": ("batch.jsonl", data)})
    if not uploaded or not isinstance(uploaded.get("id"), str):
        return None
    body = {"input_file_id": uploaded["id"], "endpoint": "/v1/chat/completions", "completion_window": "24h"}
    created = await _call(http, "POST", "batches", json=body)
    return created["id"] if created and isinstance(created.get("id"), str) else None


async def _wait(client: LLMClient, http, batch_id: str) -> dict | None:
    loop = asyncio.get_running_loop()
    while True:
        batch = await _call(http, "GET", f"batches/{batch_id}")
        if batch and (batch.get("status") == DONE or batch.get("status") in GONE):
            return batch
        if client._deadline is not None and loop.time() + client.batch_poll > client._deadline:
            return None
        await asyncio.sleep(client.batch_poll)


async def _results(http, batch: dict) -> list[dict]:
    file_id = batch.get("output_file_id")
    if not isinstance(file_id, str):
        return []
    raw = await _call(http, "GET", f"files/{file_id}/content", raw=True)
    found = []
    for line in (raw or b"").decode("utf-8", "replace").splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict):
            found.append(item)
    return found


def _store(client: LLMClient, pending: dict[str, Request], lines: list[dict]) -> list[tuple[int, int, bool]]:
    """Put the good answers in the cache; return each billed item's (prompt, completion, estimated)."""
    costs = []
    for item in lines:
        key, response = item.get("custom_id"), item.get("response")
        if key not in pending or not isinstance(response, dict) or response.get("status_code") != 200:
            continue
        request = pending[key]
        answer = read_completion(response.get("body") if isinstance(response.get("body"), dict) else b"")
        if not isinstance(answer, Answer):
            costs.append((client.counter.count_messages(request.messages), 0, True))
            continue
        if answer.has_usage:
            costs.append((answer.prompt_tokens, answer.completion_tokens, False))
        else:
            costs.append((client.counter.count_messages(request.messages), client.counter.count(answer.text), True))
        data, error = check_schema(answer.text, request.schema)
        if not error:
            client.remember(key, answer.text, data)
    return costs


async def _call(http, method: str, path: str, raw: bool = False, **kwargs):
    """One Batch API call, retried twice; ``None`` on any failure (the requests then go online)."""
    import httpx

    for attempt in range(3):
        try:
            response = await http.request(method, path, **kwargs)
        except httpx.HTTPError:
            response = None
        if response is not None and response.status_code < 300:
            if raw:
                return response.content
            try:
                found = response.json()
            except ValueError:
                found = None
            if isinstance(found, dict):
                return found
        if response is not None and 300 <= response.status_code < 500 and response.status_code != 429:
            return None
        await asyncio.sleep(0.5 * 2**attempt)
    return None
