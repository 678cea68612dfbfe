"""An LLM client for any OpenAI-compatible chat endpoint (OpenAI, vLLM, llama.cpp server).

It never raises on what an endpoint sends: every answer is read by :mod:`babelforge.llm.answers`, and
what is not a chat completion is a ``malformed_response``, retried like a 5xx. Requests run
concurrently under an adaptive limit (halved on a 429, a 5xx or a timeout, grown back after a run of
successes) and pass a circuit breaker, both shared per endpoint by every client of the process
(:mod:`babelforge.llm.backoff`). Each is bounded as a whole by ``timeout`` and ``max_response_bytes``
(:mod:`babelforge.llm.exchange`), retried with exponential backoff and jitter (honouring
``Retry-After`` up to ``backoff_max``), reserves its worst-case cost in the ledger before it is sent
(:mod:`babelforge.llm.ledger`), is charged what the endpoint reports where that is plausible
(:mod:`babelforge.llm.usage`), and is answered from the per-endpoint request cache when asked before.
With a JSON schema, an answer that does not parse or validate is re-asked a bounded number of times.
An answer the endpoint cut short (``finish_reason`` ``length`` or ``content_filter``) is charged, not
cached and not retried: it fails its record under ``truncated`` or ``content_filter``.
A request that still fails is a :class:`Failure` with a reason, counted in the ledger: never an empty
string. ``time_limit`` bounds a whole :meth:`LLMClient.complete_many`: nothing is sent, waited for or
read past it.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from dataclasses import dataclass, field, replace
from typing import Any

from babelforge.errors import BabelforgeError, MissingDependencyError
from babelforge.llm.answers import JSONError, is_unicode, parse_json
from babelforge.llm.backoff import PROBE, AdaptiveLimit, CircuitBreaker, endpoint_health, retry_delay
from babelforge.llm.cache import RequestCache, normalise_url, request_key
from babelforge.llm.exchange import MAX_RESPONSE_BYTES, Outcome, TooLarge, classify, fetch, header_key
from babelforge.llm.ledger import BudgetExceededError, Ledger
from babelforge.llm.outage import DOWN
from babelforge.llm.tokens import token_counter
from babelforge.llm.usage import judge_usage

REASK = "Your answer was not valid: {error}. Answer again with only a JSON value that satisfies the schema."
#: Completion tokens a request may take when a budget is set and nothing else bounds them.
BUDGET_MAX_TOKENS = 1024
#: Failures that say the endpoint is unwell (they count towards the circuit breaker and lower concurrency).
UNWELL = frozenset({"server_error", "timeout", "connection", "malformed_response", "empty_response", "too_large"})
#: Seconds after its creation a batch is given up (OpenAI's completion window).
BATCH_MAX_WAIT = 24 * 3600.0


class EndpointUnreachableError(BabelforgeError):
    """No server took a connection at an endpoint that never answered in this process (a wrong URL, a
    server not started): every record would fail the same way, so the run stops instead of dropping them."""


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


class LLMClient:
    """Chat completions with caching, retries, adaptive concurrency, schemas, a breaker and a ledger.

    Args:
        model: the endpoint's model name.
        base_url: the endpoint (``http://127.0.0.1:8000/v1``); default ``OPENAI_BASE_URL`` or OpenAI's.
        api_key: default ``OPENAI_API_KEY`` (any value for local servers).
        cache: the request cache file; ``None`` for none.
        ledger: token and cost counts, with an optional ``max_budget`` (a hard limit).
        timeout: seconds one request may take in all (connecting, sending, waiting, reading).
        max_tokens: completion tokens per request (sent); with a budget and none given, 1024.
        tokenizer: counts tokens where the endpoint gives no usage (see :mod:`babelforge.llm.tokens`).
        breaker_threshold, breaker_cooldown: consecutive failures that open the circuit breaker, and
            the seconds it stays open before a probe. The breaker (and the concurrency limit) belongs to
            the endpoint: every client of the process with the same normalised ``base_url`` shares it.
        time_limit: seconds one :meth:`complete_many` may take; nothing is sent, waited for or read past it.
        max_response_bytes: the largest answer read; a larger one is a failure under ``too_large``.
        batch: send uncached requests through the endpoint's Batch API (:mod:`babelforge.llm.batch`).
        batch_max_wait: seconds after its creation a batch is given up and its requests sent online.

    Example:
        >>> client = LLMClient("gpt-4o-mini", cache="llm.sqlite")  # doctest: +SKIP
        >>> water = Request([{"role": "user", "content": "Translate 'water' to Hausa."}])
        >>> client.complete_many([water])  # doctest: +SKIP
        [Completion(text='ruwa', data=None, cached=False)]
    """

    def __init__(
        self, model: str, base_url: str | None = None, api_key: str | None = None,
        cache: str | os.PathLike | None = None, ledger: Ledger | None = None, timeout: float = 60.0,
        max_retries: int = 5, max_concurrency: int = 8, max_reasks: int = 2, backoff: float = 1.0,
        backoff_max: float = 60.0, max_tokens: int | None = None, tokenizer: str | None = None,
        breaker_threshold: int = 5, breaker_cooldown: float = 5.0, time_limit: float | None = None,
        batch: bool = False, batch_poll: float = 30.0, batch_discount: float = 0.5,
        max_response_bytes: int = MAX_RESPONSE_BYTES, batch_max_wait: float = BATCH_MAX_WAIT,
    ):  # fmt: skip
        self.model = model
        self.base_url = normalise_url(base_url or os.environ.get("OPENAI_BASE_URL"))
        self._send_url = normalise_url(base_url or os.environ.get("OPENAI_BASE_URL"), keep_userinfo=True)
        given = "the api_key given" if api_key else "OPENAI_API_KEY"
        self.api_key = header_key(api_key or os.environ.get("OPENAI_API_KEY"), given)
        self.cache = RequestCache(cache) if cache else None
        self.ledger = ledger or Ledger()
        self.timeout, self.max_retries, self.max_concurrency = timeout, max_retries, max_concurrency
        self.max_reasks, self.backoff, self.backoff_max = max_reasks, backoff, backoff_max
        self.max_tokens, self.tokenizer, self.time_limit = max_tokens, tokenizer, time_limit
        self.batch, self.batch_poll, self.batch_discount = batch, batch_poll, batch_discount
        self.max_response_bytes, self.batch_max_wait = max_response_bytes, batch_max_wait
        health = endpoint_health(self.base_url, max_concurrency)  # shared by every client of this endpoint
        self.limit = AdaptiveLimit(max_concurrency, health.limit)
        cooldown_max = max(backoff_max, breaker_cooldown)
        self.breaker = CircuitBreaker(breaker_threshold, breaker_cooldown, cooldown_max, health.breaker)
        self._deadline: float | None = None
        self.pending_batch: tuple[str, set[str]] | None = None
        self.batch_failures: dict[str, Failure] = {}  # by key: a batch's answer that failed for good (cut short)

    @property
    def counter(self):
        return token_counter(self.model, self.tokenizer)

    def complete_many(self, requests: list[Request]) -> list[Completion | Failure]:
        """Answer every request (order kept); what an endpoint sends never raises.

        Raises:
            BudgetExceededError: once the budget cannot pay for the next request (answers so far stay cached).
        """
        return asyncio.run(self._many(requests))

    def sent_params(self, request: Request) -> dict[str, Any]:
        """The sampling parameters as sent: ``max_tokens`` added where this client bounds it."""
        bound = request.params.get("max_tokens") or self.max_tokens
        if bound is None and self.ledger.max_budget is not None:
            bound = BUDGET_MAX_TOKENS
        return {**request.params, "max_tokens": bound} if bound is not None else dict(request.params)

    def key(self, request: Request) -> str:
        return request_key(self.base_url, self.model, request.messages, self.sent_params(request), request.schema)

    async def _many(self, requests: list[Request]) -> list[Completion | Failure]:
        try:
            import httpx
        except ImportError:
            raise MissingDependencyError("LLM steps", ["httpx"], "models") from None
        loop = asyncio.get_running_loop()
        self._deadline = loop.time() + self.time_limit if self.time_limit else None
        self.limit.bind()
        self.pending_batch, self.batch_failures = None, {}
        headers = {"Authorization": f"Bearer {self.api_key}"}
        async with httpx.AsyncClient(base_url=self._send_url, headers=headers, timeout=self.timeout) as http:
            if self.batch:
                from babelforge.llm.batch import prefetch

                await prefetch(self, http, requests)
            results = await asyncio.gather(*(self._one(http, r) for r in requests), return_exceptions=True)
        for result in results:
            if isinstance(result, BudgetExceededError):
                raise result
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return list(results)

    async def _one(self, http, request: Request) -> Completion | Failure:
        key = self.key(request)
        if self.cache is not None and (known := self.cache.get(key)) is not None:
            self.ledger.hit()
            return Completion(known["text"], known.get("data"), cached=True)
        if (failed := self.batch_failures.get(key)) is not None:  # asked online, it would fail again
            self.ledger.fail(failed.reason)
            return failed
        if self.pending_batch is not None and key in self.pending_batch[1]:
            self.ledger.fail("batch_pending")
            return Failure("batch_pending", f"batch {self.pending_batch[0]} is still running: rerun to collect it")
        params, messages, error = self.sent_params(request), list(request.messages), ""
        for _ in range(self.max_reasks + 1):
            sent = await self._send(http, messages, params)
            if isinstance(sent, Failure):
                return sent
            answer = sent.text
            data, error = check_schema(answer, request.schema)
            if not error:
                self.remember(key, answer, data, sent.completion_tokens)
                return Completion(answer, data)
            messages += [
                {"role": "assistant", "content": answer},
                {"role": "user", "content": REASK.format(error=error)},
            ]
        self.ledger.fail("invalid_output")
        return Failure("invalid_output", error)

    def remember(self, key: str, text: str, data: Any, completion_tokens: int | None = None) -> None:
        """Cache an answer; ``completion_tokens``: the endpoint's own count, where it gave a plausible one
        (later estimates measure answer lengths on it: :mod:`babelforge.llm.calibrate`)."""
        if self.cache is not None:
            entry = {"text": text, "data": data, "endpoint": self.base_url, "model": self.model}
            if completion_tokens is not None:
                entry["completion_tokens"] = completion_tokens
            self.cache.put(key, entry)

    def worst_case(self, messages: list[dict], params: dict) -> tuple[int, int, float]:
        """Prompt tokens (bounded), completion tokens and USD that a request can cost at most."""
        prompt = self.counter.bound_messages(messages)
        completion = int(params.get("max_tokens") or 0)
        return prompt, completion, self.ledger.price(self.model, prompt, completion)

    async def _send(self, http, messages: list[dict], params: dict):
        """The endpoint's whole answer (text and checked usage), or a :class:`Failure`."""
        reason, detail, refused, why = "", "", 0, ""
        worst = self.worst_case(messages, params)
        for attempt in range(self.max_retries + 1):
            outcome, probe = await self._attempt(http, messages, params, worst)
            if outcome is None:  # the breaker is open: refused too, when what opened it was refused connections
                refused += self.breaker.last_reason == "connection"
            elif outcome.reason == "connection" and outcome.charge == "none":
                refused, why = refused + 1, outcome.detail
            if refused and self.breaker.is_open and self.breaker.last_reason == "connection":
                self._unreachable(refused, why)  # the breaker opened on refused connections
            if outcome is None:
                reason = self.breaker.last_reason
                detail = f"circuit breaker open after {self.breaker.failures} consecutive failures; not sent"
            elif outcome.answer is not None:
                self.breaker.success()
                self.limit.succeeded()
                if not (cut := outcome.answer.cut_short):
                    return outcome.answer
                reason, detail = cut, cut_detail(outcome.answer, params)  # asked again, it would be cut again
                break
            else:
                reason, detail = outcome.reason, outcome.detail
                if reason in ("rejected", "time_limit"):
                    self.breaker.neutral(probe)
                    break
                self._note_failure(reason, probe)
            retry_after = outcome.retry_after if outcome is not None else None
            if attempt < self.max_retries and not await self._pause(attempt, retry_after):
                detail = f"time_limit of {self.time_limit}s reached after {detail}"
                if reason not in DOWN:  # an endpoint still down keeps its reason: its record is retried by a rerun
                    reason = "time_limit"
                break
        if refused == self.max_retries + 1:
            self._unreachable(refused, why)
        self.ledger.fail(reason)
        return Failure(reason, detail)

    def _unreachable(self, tries: int, why: str) -> None:
        """Stop the run when no server ever took a connection here (a refused connection after an answer
        is an outage: counted per record, and the breaker waits for the server to come back)."""
        if not self.breaker.answered:
            raise EndpointUnreachableError(
                f"no server took a connection at {self.base_url} ({self.breaker.failures} refused, {why}): start "
                "the server, or correct the endpoint's URL (model: openai:MODEL@URL); nothing was sent, and a "
                "rerun resumes"
            )

    async def _attempt(self, http, messages: list[dict], params: dict, worst) -> tuple[Outcome | None, bool]:
        """One try and whether it was the breaker's probe; ``None``: the breaker is open, nothing was sent."""
        async with self.limit:
            admitted = self.breaker.admit()  # asked with a slot held: what is in flight has been counted
            if not admitted:
                return None, False
            probe = admitted == PROBE
            try:
                token = await self._reserve(worst[2])
                if token is None:  # the time limit passed while the budget was full
                    detail = f"time_limit of {self.time_limit}s reached before it was sent"
                    return Outcome(reason="time_limit", detail=detail), probe
                outcome = self.judge(await self._post(http, messages, params), messages, worst)
                self._settle(token, outcome, messages, worst)
            except BaseException:  # the budget is spent, or the run is interrupted: another may probe
                self.breaker.neutral(probe)
                raise
            return outcome, probe

    def judge(self, outcome: Outcome, messages: list[dict], worst: tuple[int, int, float]) -> Outcome:
        """``outcome`` with its usage checked: dropped where implausible (then counted), malformed where absurd."""
        answer = outcome.answer
        if answer is None or not answer.has_usage:
            return outcome
        counted = self.counter.count_messages(messages), self.counter.count(answer.text)
        verdict = judge_usage((answer.prompt_tokens, answer.completion_tokens), counted, worst[:2])
        if verdict.kind == "absurd":
            return Outcome(reason="malformed_response", detail=verdict.detail, charge="all")
        if verdict.kind == "implausible":
            self.ledger.distrust()
            return replace(outcome, answer=replace(answer, prompt_tokens=None, completion_tokens=None))
        return outcome

    def _note_failure(self, reason: str, probe: bool) -> None:
        if reason in UNWELL:
            self.breaker.failure(reason, probe)
        else:
            self.breaker.neutral(probe)
        if reason in UNWELL or reason == "rate_limited":
            self.limit.throttled()

    def _left(self) -> float | None:
        """Seconds left before the time limit (``None``: no limit)."""
        return None if self._deadline is None else self._deadline - asyncio.get_running_loop().time()

    async def _pause(self, attempt: int, retry_after: float | None) -> bool:
        """Sleep before the next try; ``False`` when the time limit leaves no room for one."""
        delay = retry_delay(attempt, self.backoff, self.backoff_max, retry_after)
        if self.breaker.is_open:
            delay = max(delay, min(self.breaker.wait_s(), self.backoff_max))
        left = self._left()
        if left is not None and left <= delay:
            return False
        await asyncio.sleep(delay)
        return True

    async def _reserve(self, amount: float, label: str | None = None) -> int | None:
        """A ledger token for ``amount``; ``None`` once the time limit has passed (nothing may be sent)."""
        while (token := self.ledger.reserve(amount, label)) is None:
            left = self._left()
            if left is not None and left <= 0:
                return None
            await asyncio.sleep(0.02)  # requests in flight hold the room; wait for them to settle
        left = self._left()
        if left is not None and left <= 0:
            self.ledger.release(token)
            return None
        return token

    def request_timeout(self, at_least: float = 0.0) -> float:
        """Seconds the next exchange may take: ``timeout`` (or ``at_least``), within what is left of the time limit."""
        left, timeout = self._left(), max(self.timeout, at_least)
        return timeout if left is None else max(0.001, min(timeout, left))

    def _settle(self, token: int, outcome: Outcome, messages: list[dict], worst: tuple[int, int, float]) -> None:
        answer = outcome.answer
        if answer is not None and answer.has_usage:
            self.ledger.settle(token, self.model, answer.prompt_tokens, answer.completion_tokens, estimated=False)
        elif answer is not None:
            prompt, completion = self.counter.count_messages(messages), self.counter.count(answer.text)
            self.ledger.settle(token, self.model, prompt, completion, estimated=True)
        elif outcome.charge == "prompt":
            self.ledger.settle(token, self.model, self.counter.count_messages(messages), 0, estimated=True)
        elif outcome.charge == "all":  # a timeout, say: the endpoint may have done (and billed) all of it
            self.ledger.settle(token, self.model, worst[0], worst[1], estimated=True)
        else:
            self.ledger.release(token)

    async def _post(self, http, messages: list[dict], params: dict) -> Outcome:
        import httpx

        timeout = self.request_timeout()
        body = {"model": self.model, "messages": messages, **wire_params(self.model, params)}
        try:
            reply = await fetch(http, "POST", "chat/completions", timeout, self.max_response_bytes, json=body)
        except (asyncio.TimeoutError, httpx.TimeoutException) as error:
            detail = f"no complete answer in {timeout:.1f}s ({type(error).__name__})"
            return Outcome(reason="timeout", detail=detail, charge=_charge(error))
        except TooLarge as error:
            return Outcome(reason="too_large", detail=str(error), charge="all")
        except httpx.HTTPError as error:
            return Outcome(reason="connection", detail=f"{type(error).__name__}: {error}", charge=_charge(error))
        return classify(reply.status, reply.headers, reply.content)


def cut_detail(answer, params: dict) -> str:
    stop = answer.finish_reason
    bound = f", max_tokens {params['max_tokens']}" if stop == "length" and "max_tokens" in params else ""
    return f"the endpoint stopped the answer early (finish_reason {stop!r}{bound}) after {answer.text[:60]!r}"


def _charge(error: Exception) -> str:
    """A request that failed before it was sent cost nothing; after, the endpoint may have billed all of it."""
    import httpx

    unsent = httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout | httpx.LocalProtocolError
    return "none" if isinstance(error, unsent | httpx.UnsupportedProtocol) else "all"


def check_schema(answer: str, schema: dict | None) -> tuple[Any, str]:
    """``(data, "")`` when ``answer`` satisfies ``schema`` (or there is none), else ``(None, why)``."""
    if schema is None:
        return None, ""
    import jsonschema

    text = answer.strip().removeprefix("```json").removeprefix("```").removesuffix("```").strip()
    data = parse_json(text)
    if isinstance(data, JSONError):
        return None, f"not JSON ({data.why})"
    try:
        jsonschema.validate(data, schema)
        if not is_unicode(json.dumps(data, ensure_ascii=False)):  # a "\\ud800" escape: it could not be stored
            return None, "not valid Unicode (a lone surrogate)"
    except jsonschema.ValidationError as error:
        return None, f"does not match the schema ({error.message})"
    except RecursionError:
        return None, "nested too deeply to check against the schema"
    return data, ""


#: OpenAI model families that refuse ``max_tokens`` and take ``max_completion_tokens`` instead.
_COMPLETION_TOKENS_MODELS = re.compile(r"(?i)^(?:o\d|gpt-5)")


def wire_params(model: str, params: dict[str, Any]) -> dict[str, Any]:
    """``params`` as the endpoint reads them: OpenAI's reasoning models (o1, o3, o4-mini, gpt-5 ...) name the
    completion bound ``max_completion_tokens`` and refuse ``max_tokens``; other servers read ``max_tokens``."""
    if "max_tokens" not in params or not _COMPLETION_TOKENS_MODELS.match(model):
        return params
    wired = {k: v for k, v in params.items() if k != "max_tokens"}
    wired.setdefault("max_completion_tokens", params["max_tokens"])
    return wired
