"""One HTTP exchange with an endpoint, bounded in time and in size, and what its answer means.

httpx's timeout bounds each read, not a request: an endpoint that sends its headers and then one
byte a second would hold a request forever. :func:`fetch` bounds the whole exchange (connecting,
sending, waiting, reading) by one deadline, and reads the body as it streams in, giving up past
``max_bytes`` (a 400 MB answer must not fill the memory). :func:`classify` says what an answer
means for the request: an answer, or why not, whether to retry, and what it may have cost.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from babelforge.errors import BabelforgeError
from babelforge.llm.answers import Answer, Malformed, parse_json, read_completion
from babelforge.llm.backoff import parse_retry_after

#: The largest answer read by default: a chat completion is kilobytes; a few MB leaves room for logprobs.
MAX_RESPONSE_BYTES = 8 * 2**20


class TooLarge(Exception):
    """A body past the size limit: ``size`` is how much was seen (or declared) when reading stopped."""

    def __init__(self, size: int, limit: int):
        super().__init__(f"the answer is larger than max_response_bytes ({size:,} bytes > {limit:,}); not read")
        self.size, self.limit = size, limit


@dataclass
class Reply:
    status: int
    headers: object
    content: bytes


@dataclass
class Outcome:
    """One HTTP exchange, classified; ``charge`` is what it may have cost: none, the prompt, or all."""

    answer: Answer | None = None
    reason: str = ""
    detail: str = ""
    retry_after: float | None = None
    charge: str = "none"


def header_key(key: str | None, source: str = "OPENAI_API_KEY") -> str:
    """An API key as an ``Authorization`` header carries it: without the whitespace around it (a key
    file's newline), ``unused`` when empty (local servers take any).

    Raises:
        BabelforgeError: for a key with a space or a character outside printable ASCII inside it,
            naming ``source`` (the key itself is never shown).
    """
    key = (key or "").strip()
    if not all("!" <= c <= "~" for c in key):
        raise BabelforgeError(
            f"{source} holds a space or a character outside printable ASCII ({len(key)} characters): it cannot "
            "be sent in an HTTP header; check the key (it is not shown here)"
        )
    return key or "unused"


async def fetch(http, method: str, path: str, timeout: float, max_bytes: int, **kwargs) -> Reply:
    """One request, answered in full within ``timeout`` seconds and ``max_bytes`` bytes.

    A body past ``max_bytes`` raises :class:`TooLarge` for a 2xx answer, and is cut there otherwise
    (an error's body serves only as a message).

    Raises:
        asyncio.TimeoutError: past ``timeout`` seconds, whatever the endpoint was doing.
        TooLarge: a 2xx body past ``max_bytes``.
        httpx.HTTPError: the connection failed.
    """

    async def exchange() -> Reply:
        async with http.stream(method, path, timeout=timeout, **kwargs) as response:
            content = await read_capped(response, max_bytes, cut=not 200 <= response.status_code < 300)
            return Reply(response.status_code, response.headers, content)

    return await asyncio.wait_for(exchange(), timeout)


async def read_capped(response, max_bytes: int, cut: bool = False) -> bytes:
    """The body of a streamed httpx response, up to ``max_bytes`` (decompressed, as it arrives)."""
    declared = response.headers.get("content-length", "")
    if not cut and declared.isdigit() and int(declared) > max_bytes:
        raise TooLarge(int(declared), max_bytes)
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            if cut:
                chunks.append(chunk[: max_bytes - size + len(chunk)])
                break
            raise TooLarge(size, max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


def classify(status: int, headers, content: bytes) -> Outcome:
    """What one HTTP answer means for the request: an answer, or why not and whether to retry."""
    if status == 429:
        return Outcome(reason="rate_limited", detail=f"429: {excerpt(content)}", retry_after=_after(headers))
    if status >= 500 or status in (408, 409):
        return Outcome(reason="server_error", detail=f"{status}: {excerpt(content)}", retry_after=_after(headers))
    if status >= 300:
        return Outcome(reason="rejected", detail=f"{status}: {excerpt(content)}")
    read = read_completion(content)
    if isinstance(read, Malformed):
        reason = "empty_response" if read.empty else "malformed_response"
        return Outcome(reason=reason, detail=read.detail, charge="prompt")
    return Outcome(answer=read)


def _after(headers) -> float | None:
    return parse_retry_after(headers.get("retry-after") if headers is not None else None)


def excerpt(content: bytes) -> str:
    """An error body's message, or its first 200 characters."""
    text = content[:65536].decode("utf-8", "replace")
    found = parse_json(text)
    if isinstance(found, dict) and isinstance(found.get("error"), dict):
        return str(found["error"].get("message", ""))[:200]
    return text[:200]
