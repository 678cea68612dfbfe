"""The OpenAI Batch API (``llm: {batch: true}``): about half the price, answers within hours.

:func:`prefetch` writes the requests that are not cached yet as one JSONL file, uploads it
(``POST /files``), creates a batch (``POST /batches``), polls it (``GET /batches/ID``) and reads the
results (``GET /files/ID/content``) into the request cache; the client then answers every request
from the cache as usual, and sends online only what the batch did not answer well (an error, a
malformed answer, one that fails its schema); an answer the endpoint cut short fails its record
(asked again, it would be cut again, at twice the price). Result lines are untrusted: lines that are
not JSON, name another request, or carry no usage are skipped or counted, never raised on. The batch
id is recorded in the cache file under a hash of the requests, so a run killed while it waits polls
the same batch when rerun instead of submitting (and paying for) another; its reservation in the
budget waits for that rerun too. A batch is created once even when the endpoint's answer to the
create is lost (:mod:`babelforge.llm.batch_submit`): it is found by its input file and adopted. With a
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
from babelforge.llm.batch_api import call
from babelforge.llm.batch_state import BatchState
from babelforge.llm.batch_submit import Unfound, submit
from babelforge.llm.client import Failure, check_schema, cut_detail
from babelforge.llm.usage import judge_usage

if TYPE_CHECKING:
    from babelforge.llm.client import LLMClient, Request

DONE, GONE = "completed", frozenset({"failed", "expired", "cancelled", "cancelling"})
RUNNING = frozenset({"validating", "in_progress", "finalizing"})
#: Polls in a row that find no such batch, or no status, before the batch is given up.
BATCH_MISSES = 5


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
    token = await _hold(client, state, batch_key, sum(w[2] for w in worst.values()) * client.batch_discount)
    if token is None:  # the time limit passed first
        return
    batch_id = state.get(batch_key) or await submit(client, http, state, batch_key, pending)
    if isinstance(batch_id, Unfound) and batch_id.later:  # a rerun looks for it (the reservation waits too)
        client.pending_batch = (f"(input file {state.file(batch_key)}, its create unanswered)", set(pending))
        return
    if not isinstance(batch_id, str):
        _not_submitted(client, batch_id, token, list(worst.values()))
        state.drop(batch_key)
        return
    batch = await _wait(client, http, state, batch_key, batch_id)
    if batch is None:  # the time limit ran out: these requests wait for a rerun (and so does the reservation)
        client.pending_batch = (batch_id, set(pending))
        return
    if isinstance(batch, GiveUp):
        await _give_up(client, http, batch_id, batch, token, list(worst.values()))
    else:
        _collect(client, pending, worst, await _results(client, http, batch, len(pending)), token)
    state.drop(batch_key)


async def _hold(client: LLMClient, state: BatchState, key: str, amount: float) -> int | None:
    """The batch's reservation: a killed run's, taken over, or a new one (``None``: past the time limit)."""
    token = client.ledger.adopt(key) if state.get(key) or state.file(key) else None
    return token if token is not None else await client._reserve(amount, key)


def _not_submitted(client: LLMClient, why: Unfound | None, token: int, worst: list) -> None:
    """No batch to wait for: free its reservation, or, where one may exist unseen, charge its worst case."""
    if why is None:
        client.ledger.release(token)
        return
    from loguru import logger

    client.ledger.settle_many(token, client.model, [(p, c, True) for p, c, _ in worst], client.batch_discount)
    note = (
        f"a batch at {client.base_url} may exist unseen: {why.why}; charged at its worst case, "
        f"its {len(worst)} request(s) are sent online"
    )
    client.ledger.note(note)
    logger.warning(note)


async def _wait(client: LLMClient, http, state: BatchState, key: str, batch_id: str) -> dict | GiveUp | None:
    """The finished batch, a :class:`GiveUp`, or ``None`` when the time limit comes first."""
    while True:
        polled = await call(client, http, "GET", f"batches/{batch_id}")
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
        await call(client, http, "POST", f"batches/{batch_id}/cancel")
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
    raw = (await call(client, http, "GET", f"files/{file_id}/content", raw=True, bulk=True, max_bytes=limit)).value
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
        if not isinstance(key, str) or key not in pending:  # another's line, or a custom_id that is no string
            continue
        if not isinstance(response, dict) or response.get("status_code") != 200:
            continue
        request, bound = pending[key], worst[key]
        answer = read_completion(response.get("body") if isinstance(response.get("body"), dict) else b"")
        if not isinstance(answer, Answer):
            costs.append((client.counter.count_messages(request.messages), 0, True))
            continue
        counted = client.counter.count_messages(request.messages), client.counter.count(answer.text)
        reported = answer.prompt_tokens, answer.completion_tokens
        verdict = judge_usage(reported, counted, bound[:2]).kind if answer.has_usage else "missing"
        if verdict == "absurd":  # not believed, not kept: asked again online
            costs.append((bound[0], bound[1], True))
            continue
        if verdict == "ok" and answer.has_usage:
            costs.append((answer.prompt_tokens, answer.completion_tokens, False))
        else:
            if answer.has_usage:
                client.ledger.distrust()
            costs.append((*counted, True))
        if answer.cut_short:  # not whole, and asked again online it would be cut again: it fails
            client.batch_failures[key] = Failure(answer.cut_short, cut_detail(answer, client.sent_params(request)))
            continue
        data, error = check_schema(answer.text, request.schema)
        if not error:
            client.remember(key, answer.text, data, answer.completion_tokens if verdict == "ok" else None)
    return costs
