"""The OpenAI Batch API (``llm: {batch: true}``): about half the price, answers within hours.

:func:`prefetch` writes the requests that are not cached yet as one JSONL file, uploads it
(``POST /files``), creates a batch (``POST /batches``), polls it (``GET /batches/ID``) and reads the
results (``GET /files/ID/content``) into the request cache; the client then answers every request
from the cache as usual, and sends online only what the batch did not answer well (an error, a
malformed answer, one that fails its schema). The batch id is recorded in the cache file under a
hash of the requests, so a run killed while it waits polls the same batch when rerun instead of
submitting (and paying for) another; its reservation in the budget waits for that rerun too. With a
``time_limit`` that runs out first, the requests are failures under ``batch_pending`` (rerun to
collect).

A batch is given up, its id forgotten and its requests sent online, with a note in the ledger, when
``batch_max_wait`` seconds have passed since it was created, or when :data:`BATCH_MISSES` polls in a
row (over reruns too) find no such batch (a 4xx) or no batch status at all. Unless the endpoint said
it does not know the batch, it may have run: it is cancelled and charged at its worst case.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from babelforge.llm.answers import Answer, parse_json, read_completion
from babelforge.llm.batch_state import BatchState
from babelforge.llm.client import check_schema
from babelforge.llm.exchange import TooLarge, fetch
from babelforge.llm.usage import judge_usage

if TYPE_CHECKING:
    from babelforge.llm.client import LLMClient, Request

DONE, GONE = "completed", frozenset({"failed", "expired", "cancelled", "cancelling"})
RUNNING = frozenset({"validating", "in_progress", "finalizing"})
#: Polls in a row that find no such batch, or no status, before the batch is given up.
BATCH_MISSES = 5
#: Seconds an upload or a results download may take at least (they can be large); ``timeout`` when longer.
BULK_TIMEOUT = 900.0


@dataclass
class Call:
    """A Batch API call's result: ``value``, or why none: ``rejected`` (a 4xx), ``garbage``, ``unwell``."""

    value: dict | bytes | None
    why: str = ""


@dataclass
class GiveUp:
    why: str
    known: bool  # the endpoint knows the batch: it may have run (and billed)


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
    worst = {key: client.worst_case(r.messages, client.sent_params(r)) for key, r in pending.items()}
    known = state.get(batch_key)
    token = client.ledger.adopt(batch_key) if known else None
    if token is None:
        token = await client._reserve(sum(w[2] for w in worst.values()) * client.batch_discount, batch_key)
        if token is None:  # the time limit passed first
            return
    batch_id = known or await _submit(client, http, pending)
    if batch_id is None:
        client.ledger.release(token)
        return
    if not known:
        state.put(batch_key, batch_id, client.base_url)
    batch = await _wait(client, http, state, batch_key, batch_id)
    if batch is None:  # the time limit ran out: these requests wait for a rerun (and so does the reservation)
        client.pending_batch = (batch_id, set(pending))
        return
    if isinstance(batch, GiveUp):
        await _give_up(client, http, batch_id, batch, token, list(worst.values()))
    else:
        _collect(client, pending, worst, await _results(client, http, batch, len(pending)), token)
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
    upload = {"data": {"purpose": "batch"}, "files": {"file": ("batch.jsonl", data)}}
    uploaded = await _call(client, http, "POST", "files", bulk=True, **upload)
    if not isinstance(uploaded.value, dict) or not isinstance(uploaded.value.get("id"), str):
        return None
    body = {"input_file_id": uploaded.value["id"], "endpoint": "/v1/chat/completions", "completion_window": "24h"}
    created = (await _call(client, http, "POST", "batches", json=body)).value
    return created["id"] if isinstance(created, dict) and isinstance(created.get("id"), str) else None


async def _wait(client: LLMClient, http, state: BatchState, key: str, batch_id: str) -> dict | GiveUp | None:
    """The finished batch, a :class:`GiveUp`, or ``None`` when the time limit comes first."""
    while True:
        polled = await _call(client, http, "GET", f"batches/{batch_id}")
        status = polled.value.get("status") if isinstance(polled.value, dict) else None
        if status == DONE or status in GONE:
            return polled.value
        if status in RUNNING:
            state.seen(key)
        elif polled.why != "unwell" and (misses := state.missed(key)) >= BATCH_MISSES:
            said = "no such batch" if polled.why == "rejected" else "no batch status"
            return GiveUp(f"{misses} polls in a row found {said}", known=polled.why != "rejected")
        if time.time() - state.created(key) > client.batch_max_wait:
            return GiveUp(f"not done {client.batch_max_wait:.0f}s after it was created (batch_max_wait)", True)
        left = client._left()
        if left is not None and left < client.batch_poll:
            return None
        await asyncio.sleep(client.batch_poll)


async def _give_up(client: LLMClient, http, batch_id: str, why: GiveUp, token: int, worst: list) -> None:
    from loguru import logger

    if why.known:
        await _call(client, http, "POST", f"batches/{batch_id}/cancel")
        client.ledger.settle_many(token, client.model, [(p, c, True) for p, c, _ in worst], client.batch_discount)
    else:
        client.ledger.release(token)
    note = f"batch {batch_id} at {client.base_url} given up: {why.why}; its {len(worst)} request(s) are sent online"
    if why.known:
        note += " (cancelled, and charged at its worst case: it may have run)"
    client.ledger.note(note)
    logger.warning(note)


async def _results(client: LLMClient, http, batch: dict, requests: int) -> list[dict] | None:
    """The batch's result lines (``[]`` when it has none), or ``None`` when they could not be read."""
    file_id = batch.get("output_file_id")
    if not isinstance(file_id, str):
        return []
    limit = client.max_response_bytes * max(1, requests)
    raw = (await _call(client, http, "GET", f"files/{file_id}/content", raw=True, bulk=True, max_bytes=limit)).value
    if not isinstance(raw, bytes):
        return None
    found = []
    for line in raw.splitlines():
        try:
            item = parse_json(line.decode("utf-8"))
        except UnicodeDecodeError:  # that request goes online
            continue
        if isinstance(item, dict):
            found.append(item)
    return found


def _collect(client: LLMClient, pending: dict, worst: dict, lines: list[dict] | None, token: int) -> None:
    """Cache the good answers and settle the batch's reservation at what it cost."""
    if lines is None:
        note = f"the results of a batch at {client.base_url} could not be read: charged at its worst case"
        client.ledger.note(note)
        costs = [(p, c, True) for p, c, _ in worst.values()]
    else:
        costs = _store(client, pending, worst, lines)
    client.ledger.settle_many(token, client.model, costs, discount=client.batch_discount)


def _store(client: LLMClient, pending: dict, worst: dict, lines: list[dict]) -> list[tuple[int, int, bool]]:
    """Put the good answers in the cache; return each billed item's (prompt, completion, estimated)."""
    costs = []
    for item in lines:
        key, response = item.get("custom_id"), item.get("response")
        if key not in pending or not isinstance(response, dict) or response.get("status_code") != 200:
            continue
        request, bound = pending[key], worst[key]
        answer = read_completion(response.get("body") if isinstance(response.get("body"), dict) else b"")
        if not isinstance(answer, Answer):
            costs.append((client.counter.count_messages(request.messages), 0, True))
            continue
        counted = client.counter.count_messages(request.messages), client.counter.count(answer.text)
        verdict = judge_usage((answer.prompt_tokens, answer.completion_tokens), counted, bound[:2]).kind
        if verdict == "absurd":  # not believed, not kept: asked again online
            costs.append((bound[0], bound[1], True))
            continue
        if verdict == "ok" and answer.has_usage:
            costs.append((answer.prompt_tokens, answer.completion_tokens, False))
        else:
            if answer.has_usage:
                client.ledger.distrust()
            costs.append((*counted, True))
        data, error = check_schema(answer.text, request.schema)
        if not error:
            client.remember(key, answer.text, data)
    return costs


async def _call(client: LLMClient, http, method: str, path: str, raw: bool = False, bulk: bool = False,
                max_bytes: int | None = None, **kwargs) -> Call:  # fmt: skip
    """One Batch API call, bounded like a request (``bulk``: a file, given longer) and retried twice."""
    import httpx

    why, limit = "unwell", max_bytes or client.max_response_bytes
    for attempt in range(3):
        timeout = client.request_timeout(BULK_TIMEOUT if bulk else 0.0)
        try:
            reply = await fetch(http, method, path, timeout, limit, **kwargs)
        except (asyncio.TimeoutError, httpx.HTTPError):
            reply, why = None, "unwell"
        except TooLarge:
            reply, why = None, "garbage"
        if reply is not None and reply.status < 300:
            if raw:
                return Call(reply.content)
            found = _object(reply.content)
            if found is not None:
                return Call(found)
            why = "garbage"
        elif reply is not None and reply.status < 500 and reply.status != 429:
            return Call(None, "rejected")
        elif reply is not None:
            why = "unwell"
        left, delay = client._left(), 0.5 * 2**attempt
        if attempt == 2 or (left is not None and left <= delay):
            break
        await asyncio.sleep(delay)
    return Call(None, why)


def _object(content: bytes) -> dict | None:
    try:
        found = parse_json(content.decode("utf-8"))
    except UnicodeDecodeError:
        return None
    return found if isinstance(found, dict) else None
