"""An LLM client for any OpenAI-compatible chat endpoint (OpenAI, vLLM, llama.cpp server).

Requests run concurrently under an adaptive limit (halved on a 429, grown back after a run of
successes), are retried with exponential backoff and jitter (honouring ``Retry-After``), time out,
and are answered from the request cache when asked before. With a JSON schema, an answer that does
not parse or validate is re-asked a bounded number of times. A request that still fails is a
:class:`Failure` with a reason, counted in the ledger: never an empty string.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
from dataclasses import dataclass, field
from typing import Any

from babelforge.errors import MissingDependencyError
from babelforge.llm.cache import RequestCache, request_key
from babelforge.llm.ledger import Ledger

REASK = "Your answer was not valid: {error}. Answer again with only a JSON value that satisfies the schema."


@dataclass
class Request:
    messages: list[dict[str, str]]
    params: dict[str, Any] = field(default_factory=dict)
    schema: dict | None = None


@dataclass
class Completion:
    text: str
    data: Any = None
    cached: bool = False


@dataclass
class Failure:
    reason: str
    detail: str = ""


class _AdaptiveLimit:
    """At most ``limit`` requests in flight; halve on throttling, grow by one after steady success."""

    def __init__(self, maximum: int):
        self.maximum = self.limit = maximum
        self.active = self.streak = 0
        self._condition = asyncio.Condition()

    async def __aenter__(self) -> None:
        async with self._condition:
            await self._condition.wait_for(lambda: self.active < self.limit)
            self.active += 1

    async def __aexit__(self, *exc) -> None:
        async with self._condition:
            self.active -= 1
            self._condition.notify_all()

    def throttled(self) -> None:
        self.limit, self.streak = max(1, self.limit // 2), 0

    def succeeded(self) -> None:
        self.streak += 1
        if self.streak >= 2 * self.limit and self.limit < self.maximum:
            self.limit, self.streak = self.limit + 1, 0


class LLMClient:
    """Chat completions with caching, retries, adaptive concurrency, schemas and a ledger.

    Args:
        model: the endpoint's model name.
        base_url: the endpoint (``http://127.0.0.1:8000/v1``); default ``OPENAI_BASE_URL`` or OpenAI's.
        api_key: default ``OPENAI_API_KEY`` (any value for local servers).
        cache: the request cache file; ``None`` for none.
        ledger: token and cost counts, with an optional ``max_budget``.

    Example:
        >>> client = LLMClient("gpt-4o-mini", cache="llm.sqlite")  # doctest: +SKIP
        >>> water = Request([{"role": "user", "content": "Translate 'water' to Hausa."}])
        >>> client.complete_many([water])  # doctest: +SKIP
        [Completion(text='ruwa', data=None, cached=False)]
    """

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        cache: str | os.PathLike | None = None,
        ledger: Ledger | None = None,
        timeout: float = 60.0,
        max_retries: int = 5,
        max_concurrency: int = 8,
        max_reasks: int = 2,
        backoff: float = 1.0,
        backoff_max: float = 60.0,
    ):
        self.model, self.base_url = model, base_url or os.environ.get("OPENAI_BASE_URL")
        self.api_key = api_key or os.environ.get("OPENAI_API_KEY", "unused")
        self.cache = RequestCache(cache) if cache else None
        self.ledger = ledger or Ledger()
        self.timeout, self.max_retries, self.max_concurrency = timeout, max_retries, max_concurrency
        self.max_reasks, self.backoff, self.backoff_max = max_reasks, backoff, backoff_max

    def complete_many(self, requests: list[Request]) -> list[Completion | Failure]:
        """Answer every request (order kept).

        Raises:
            BudgetExceededError: once the ledger's budget is spent (answers so far stay cached).
        """
        return asyncio.run(self._many(requests))

    async def _many(self, requests: list[Request]) -> list[Completion | Failure]:
        try:
            import openai
        except ImportError:
            raise MissingDependencyError("LLM steps", ["openai"], "models") from None
        client = openai.AsyncOpenAI(base_url=self.base_url, api_key=self.api_key, max_retries=0, timeout=self.timeout)
        limit = _AdaptiveLimit(self.max_concurrency)
        try:
            results = await asyncio.gather(*(self._one(client, limit, r) for r in requests), return_exceptions=True)
        finally:
            await client.close()
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return list(results)

    async def _one(self, client, limit: _AdaptiveLimit, request: Request) -> Completion | Failure:
        key = request_key(self.model, request.messages, request.params, request.schema)
        if self.cache is not None and (known := self.cache.get(key)) is not None:
            self.ledger.hit()
            return Completion(known["text"], known.get("data"), cached=True)
        messages = list(request.messages)
        error = ""
        for _ in range(self.max_reasks + 1):
            answer = await self._send(client, limit, messages, request.params)
            if isinstance(answer, Failure):
                return answer
            data, error = _check(answer, request.schema)
            if not error:
                if self.cache is not None:
                    self.cache.put(key, {"text": answer, "data": data})
                return Completion(answer, data)
            messages += [
                {"role": "assistant", "content": answer},
                {"role": "user", "content": REASK.format(error=error)},
            ]
        self.ledger.fail("invalid_output")
        return Failure("invalid_output", error)

    async def _send(self, client, limit: _AdaptiveLimit, messages: list[dict], params: dict) -> str | Failure:
        import openai

        reason, detail = "", ""
        for attempt in range(self.max_retries + 1):
            delay = min(self.backoff_max, self.backoff * 2**attempt) * (0.5 + random.random())
            async with limit:
                self.ledger.check_budget()  # inside the limit: requests already in flight have been counted
                try:
                    response = await client.chat.completions.create(model=self.model, messages=messages, **params)
                except openai.RateLimitError as error:
                    limit.throttled()
                    reason, detail, delay = "rate_limited", str(error), _retry_after(error, delay)
                except openai.APITimeoutError as error:
                    reason, detail = "timeout", str(error)
                except openai.APIConnectionError as error:
                    reason, detail = "connection", str(error)
                except openai.APIStatusError as error:
                    if error.status_code < 500:
                        self.ledger.fail("rejected")
                        return Failure("rejected", f"{error.status_code}: {error.message}")
                    reason, detail = "server_error", str(error)
                except (openai.APIResponseValidationError, json.JSONDecodeError, ValueError) as error:
                    reason, detail = "malformed_response", str(error)
                else:
                    limit.succeeded()
                    usage = response.usage
                    self.ledger.record(
                        self.model, getattr(usage, "prompt_tokens", 0), getattr(usage, "completion_tokens", 0)
                    )
                    content = response.choices[0].message.content if response.choices else None
                    if content:
                        return content
                    reason, detail = "empty_response", "the endpoint answered with no content"
            if attempt < self.max_retries:
                await asyncio.sleep(delay)
        self.ledger.fail(reason)
        return Failure(reason, detail)


def _retry_after(error, default: float) -> float:
    headers = getattr(getattr(error, "response", None), "headers", {}) or {}
    try:
        return max(0.0, float(headers.get("retry-after", default)))
    except ValueError:
        return default


def _check(answer: str, schema: dict | None) -> tuple[Any, str]:
    """``(data, "")`` when ``answer`` satisfies ``schema`` (or there is none), else ``(None, why)``."""
    if schema is None:
        return None, ""
    import jsonschema

    text = answer.strip().removeprefix("```json").removeprefix("```").removesuffix("```").strip()
    try:
        data = json.loads(text)
        jsonschema.validate(data, schema)
    except json.JSONDecodeError as error:
        return None, f"not JSON ({error.msg})"
    except jsonschema.ValidationError as error:
        return None, f"does not match the schema ({error.message})"
    return data, ""
