"""One call to the Batch API's files and batches routes, bounded like a chat request and retried."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from babelforge.llm.answers import parse_json
from babelforge.llm.exchange import TooLarge, fetch

if TYPE_CHECKING:
    from babelforge.llm.client import LLMClient

#: Seconds an upload or a results download may take at least (they can be large); ``timeout`` when longer.
BULK_TIMEOUT = 900.0


@dataclass
class Call:
    """A Batch API call's result: ``value``, or why none: ``rejected`` (a 4xx), ``garbage``, ``unwell``."""

    value: dict | bytes | None
    why: str = ""


async def call(client: LLMClient, http, method: str, path: str, raw: bool = False, bulk: bool = False,
               max_bytes: int | None = None, tries: int = 3, **kwargs) -> Call:  # fmt: skip
    """One Batch API call, bounded like a request (``bulk``: a file, given longer), tried ``tries`` times.

    A call that is not safe to repeat (creating a batch) is tried once: its caller decides what an
    unanswered one means.
    """
    import httpx

    why, limit = "unwell", max_bytes or client.max_response_bytes
    for attempt in range(tries):
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
        if attempt == tries - 1 or (left is not None and left <= delay):
            break
        await asyncio.sleep(delay)
    return Call(None, why)


def _object(content: bytes) -> dict | None:
    try:
        found = parse_json(content.decode("utf-8"))
    except UnicodeDecodeError:
        return None
    return found if isinstance(found, dict) else None
