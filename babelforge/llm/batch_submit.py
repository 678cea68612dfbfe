"""Submitting a batch once: upload its input file, record it, create the batch, and never pay twice.

Creating a batch is not safe to repeat: a create whose answer is lost (a timeout, a dropped
connection, a 5xx) may have created a batch that the endpoint will run and bill. So the input file's
id is recorded (:class:`~babelforge.llm.batch_state.BatchState`) before the batch is created, each
batch is created with ``metadata.babelforge_batch`` set to the hash of its requests, and after a
create that went unanswered, or on a rerun that finds a file recorded and no batch, the endpoint's
batches are listed (``GET /batches``, newest first) for the one with that input file or that tag: it
is adopted, not created again. Only when the listing shows no such batch is the create tried again.
When the batches cannot be listed, the batch is :class:`Unfound`: it may exist, so it is charged at
its worst case and its requests are sent online. When the time limit comes first, the requests wait
for a rerun (``batch_pending``), which looks for the batch again.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from babelforge.llm.backoff import retry_delay
from babelforge.llm.batch_api import call

if TYPE_CHECKING:
    from babelforge.llm.batch_state import BatchState
    from babelforge.llm.client import LLMClient, Request

#: Creates tried while the endpoint's listing shows that none of them created a batch.
CREATE_TRIES = 3
#: Pages of 100 batches listed (newest first) when looking for one whose create went unanswered.
LIST_PAGES = 10
TAG = "babelforge_batch"


@dataclass
class Unfound:
    """A batch the endpoint may have created (and may bill), which could not be found; ``later``: the
    time limit came first, and a rerun looks for it again."""

    why: str
    later: bool = False


async def submit(
    client: LLMClient, http, state: BatchState, key: str, pending: dict[str, Request]
) -> str | Unfound | None:
    """The id of the batch of ``pending`` (recorded in ``state``), ``None`` when none was created (send
    online), or :class:`Unfound` (one may exist)."""
    file_id = state.file(key)
    if file_id is not None:  # a run before uploaded the file and was stopped before it learnt of a batch
        found, listed = await find(client, http, file_id, key)
        if found is not None:
            return _adopt(client, state, key, found, "a run before did not learn of it")
        if not listed:
            return Unfound(f"a run before may have created it (input file {file_id}); the batches could not be listed")
    else:
        file_id = await _upload(client, http, pending)
        if file_id is None:
            return None
        state.uploaded(key, file_id, client.base_url)
    return await _create(client, http, state, key, file_id)


async def _upload(client: LLMClient, http, pending: dict[str, Request]) -> str | None:
    from babelforge.llm.client import wire_params

    lines = [
        json.dumps(
            {
                "custom_id": key,
                "method": "POST",
                "url": "/v1/chat/completions",
                "body": {
                    "model": client.model,
                    "messages": r.messages,
                    **wire_params(client.model, client.sent_params(r)),
                },
            },
            ensure_ascii=False,
        )
        for key, r in pending.items()
    ]
    data = ("\n".join(lines) + "\n").encode()
    upload = {"data": {"purpose": "batch"}, "files": {"file": ("batch.jsonl", data)}}
    uploaded = await call(client, http, "POST", "files", bulk=True, **upload)
    if not isinstance(uploaded.value, dict) or not isinstance(uploaded.value.get("id"), str):
        return None
    return uploaded.value["id"]


async def _create(client: LLMClient, http, state: BatchState, key: str, file_id: str) -> str | Unfound | None:
    body = {"input_file_id": file_id, "endpoint": "/v1/chat/completions", "completion_window": "24h",
            "metadata": {TAG: key}}  # fmt: skip
    for attempt in range(CREATE_TRIES):
        created = await call(client, http, "POST", "batches", tries=1, json=body)
        if isinstance(created.value, dict) and isinstance(created.value.get("id"), str):
            state.put(key, created.value["id"], client.base_url)
            return created.value["id"]
        if created.why == "rejected":  # a 4xx: nothing was created
            return None
        delay, left = retry_delay(attempt, client.backoff, client.backoff_max), client._left()
        if left is not None and left <= delay:
            return Unfound(f"its create went unanswered ({created.why}) before the time limit", later=True)
        await asyncio.sleep(delay)
        found, listed = await find(client, http, file_id, key)
        if found is not None:
            return _adopt(client, state, key, found, f"its create went unanswered ({created.why})")
        if not listed:
            return Unfound(f"its create went unanswered ({created.why}) and the batches could not be listed")
    return None  # every create failed, and the listing shows that none created a batch


async def find(client: LLMClient, http, file_id: str, key: str) -> tuple[str | None, bool]:
    """``(id, True)`` of the batch with input ``file_id`` or tag ``key``; ``(None, True)``: listed, none;
    ``(None, False)``: the batches could not be listed."""
    params: dict = {"limit": 100}
    for _ in range(LIST_PAGES):
        page = (await call(client, http, "GET", "batches", params=params)).value
        data = page.get("data") if isinstance(page, dict) else None
        if not isinstance(data, list):
            return None, False
        for batch in data:
            if _ours(batch, file_id, key):
                return batch["id"], True
        last = data[-1].get("id") if data and isinstance(data[-1], dict) else None
        if not page.get("has_more") or not isinstance(last, str):
            return None, True
        params = {"limit": 100, "after": last}
    return None, True  # ours is recent: not among the newest LIST_PAGES * 100, it is not there


def _ours(batch, file_id: str, key: str) -> bool:
    if not isinstance(batch, dict) or not isinstance(batch.get("id"), str):
        return False
    metadata = batch.get("metadata")
    return batch.get("input_file_id") == file_id or (isinstance(metadata, dict) and metadata.get(TAG) == key)


def _adopt(client: LLMClient, state: BatchState, key: str, batch_id: str, why: str) -> str:
    note = f"batch {batch_id} at {client.base_url} found by its input file and adopted ({why}): not created again"
    client.ledger.note(note)
    state.put(key, batch_id, client.base_url)
    return batch_id
