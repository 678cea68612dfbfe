"""Back-off that protects both sides: adaptive concurrency, retry delays and a circuit breaker.

- :class:`AdaptiveLimit`: at most ``limit`` requests in flight to an endpoint; halved on a 429, a 5xx
  or a timeout, grown by one after a run of successes.
- :func:`retry_delay`: exponential with jitter, or the endpoint's ``Retry-After``, never above
  ``backoff_max`` (one ``Retry-After: 3600`` must not freeze a run for an hour).
- :class:`CircuitBreaker`: after ``threshold`` consecutive failures it opens and no request goes to
  the endpoint for ``cooldown`` seconds; then one probe is let through; a success closes it, a failure
  opens it again for twice as long (up to ``backoff_max``). A request that finds it open spends one
  of its retries without sending anything, so an endpoint that always fails sees far fewer requests
  than ``records * (max_retries + 1)``.

Both belong to the endpoint, not to a client: every client of the process that talks to the same
normalised base URL (every step, task and thread) shares one breaker and one limit
(:func:`endpoint_health`), each applying its own settings (threshold, cooldown, ``max_concurrency``).
An endpoint that fails for one step is paused for all of them, and a 429 slows them all down.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import os
import random
import threading
import time
from dataclasses import dataclass, field


class SharedLimit:
    """Requests in flight to one endpoint from every client and event loop of the process, and its limit."""

    def __init__(self, maximum: int):
        self.maximum = self.limit = maximum
        self.active = self.streak = 0
        self._lock = threading.Lock()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future]] = []

    def widen(self, maximum: int) -> None:
        """A client allowing more concurrency joined: the limit may grow up to its maximum."""
        with self._lock:
            if maximum > self.maximum:
                self.limit, self.maximum = self.limit + maximum - self.maximum, maximum

    async def acquire(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            with self._lock:
                if self.active < self.limit:
                    self.active += 1
                    return
                waiter = loop.create_future()
                self._waiters.append((loop, waiter))
            await waiter

    def release(self) -> None:
        with self._lock:
            self.active -= 1
        self._wake()

    def throttled(self) -> None:
        with self._lock:
            self.limit, self.streak = max(1, self.limit // 2), 0

    def succeeded(self) -> None:
        with self._lock:
            self.streak += 1
            grown = self.streak >= 2 * self.limit and self.limit < self.maximum
            if grown:
                self.limit, self.streak = self.limit + 1, 0
        if grown:
            self._wake()

    def _wake(self) -> None:
        """Let every waiter check again (few: each client lets at most its own maximum wait here)."""
        with self._lock:
            waiters, self._waiters = self._waiters, []
        for loop, waiter in waiters:
            with contextlib.suppress(RuntimeError):  # its event loop has ended: nobody waits there
                loop.call_soon_threadsafe(_resolve, waiter)


def _resolve(waiter: asyncio.Future) -> None:
    if not waiter.done():
        waiter.set_result(None)


class AdaptiveLimit:
    """One client's gate to its endpoint: at most ``maximum`` of its own requests in flight, and at most
    the endpoint's shared limit from the whole process. The limit's value outlives one event loop (a
    client answers many batches); the client's own semaphore does not (:meth:`bind` each batch)."""

    def __init__(self, maximum: int, shared: SharedLimit | None = None):
        self.maximum = maximum
        self.shared = shared or SharedLimit(maximum)
        self.shared.widen(maximum)
        self._own: asyncio.Semaphore | None = None

    @property
    def limit(self) -> int:
        return min(self.shared.limit, self.maximum)

    def bind(self) -> AdaptiveLimit:
        """Attach to the running event loop (call at the start of each batch)."""
        self._own = asyncio.Semaphore(self.maximum)
        return self

    async def __aenter__(self) -> None:
        await self._own.acquire()
        try:
            await self.shared.acquire()
        except BaseException:
            self._own.release()
            raise

    async def __aexit__(self, *exc) -> None:
        self.shared.release()
        self._own.release()

    def throttled(self) -> None:
        self.shared.throttled()

    def succeeded(self) -> None:
        self.shared.succeeded()


#: What :meth:`CircuitBreaker.admit` answers: not now, a request while closed, or the one probe.
REFUSED, CLOSED, PROBE = "", "closed", "probe"


@dataclass
class BreakerState:
    """One endpoint's breaker, as every client of the process sees it."""

    failures: int = 0
    opened_at: float | None = None
    probing: bool = False
    doublings: int = 0  # failed probes in a row: each doubles the cooldown
    last_reason: str = ""
    trips: int = 0
    answered: bool = False  # the endpoint answered once in this process: a refused connection is then an outage
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)


class CircuitBreaker:
    """Closed, open (nothing is sent) or half-open (one probe in flight) for one endpoint.

    Args:
        threshold, cooldown, cooldown_max: this client's settings.
        state: the endpoint's state, shared with the other clients (:func:`endpoint_health`); a
            breaker of its own when not given.
    """

    def __init__(self, threshold: int = 5, cooldown: float = 5.0, cooldown_max: float = 60.0,
                 state: BreakerState | None = None):  # fmt: skip
        self.threshold, self.base_cooldown, self.cooldown_max = threshold, cooldown, cooldown_max
        self.state = state or BreakerState()

    @property
    def is_open(self) -> bool:
        return self.state.opened_at is not None

    @property
    def failures(self) -> int:
        return self.state.failures

    @property
    def trips(self) -> int:
        return self.state.trips

    @property
    def last_reason(self) -> str:
        return self.state.last_reason

    @property
    def cooldown(self) -> float:
        return min(self.cooldown_max, self.base_cooldown * 2**self.state.doublings)

    def admit(self) -> str:
        """May a request be sent now? :data:`CLOSED` or :data:`PROBE` (the first asker once the
        cooldown is over) if so, :data:`REFUSED` (falsy) if not."""
        with self.state.lock:
            state = self.state
            if state.opened_at is None:
                return CLOSED
            if state.probing or time.monotonic() - state.opened_at < self.cooldown:
                return REFUSED
            state.probing = True
            return PROBE

    def wait_s(self) -> float:
        """Seconds until the breaker lets a probe through (0 when closed)."""
        opened_at = self.state.opened_at
        if opened_at is None:
            return 0.0
        return max(0.0, self.cooldown - (time.monotonic() - opened_at))

    @property
    def answered(self) -> bool:
        return self.state.answered

    def success(self) -> None:
        with self.state.lock:
            self.state.failures, self.state.opened_at, self.state.probing, self.state.doublings = 0, None, False, 0
            self.state.answered = True

    def failure(self, reason: str, probe: bool = False) -> None:
        """One more consecutive failure; ``probe``: it was the answer to this breaker's probe."""
        with self.state.lock:
            state = self.state
            state.failures += 1
            state.last_reason = reason
            if probe and state.opened_at is not None:  # the probe failed: stay open, longer
                state.probing = False
                state.doublings = min(state.doublings + 1, 30)
                state.opened_at = time.monotonic()
            elif state.opened_at is None and state.failures >= self.threshold:
                state.opened_at = time.monotonic()
                state.trips += 1

    def neutral(self, probe: bool = True) -> None:
        """A probe that ended neither way (a 429, a 4xx, never sent): let another one through."""
        if probe:
            with self.state.lock:
                self.state.probing = False


@dataclass
class EndpointHealth:
    breaker: BreakerState
    limit: SharedLimit


_ENDPOINTS: dict[str, EndpointHealth] = {}
_ENDPOINTS_LOCK = threading.Lock()


def endpoint_health(base_url: str, max_concurrency: int) -> EndpointHealth:
    """The breaker state and the concurrency limit of the endpoint at ``base_url`` (normalised), for
    the whole process."""
    with _ENDPOINTS_LOCK:
        found = _ENDPOINTS.get(base_url)
        if found is None:
            found = _ENDPOINTS[base_url] = EndpointHealth(BreakerState(), SharedLimit(max_concurrency))
        return found


def forget_endpoints(base_url: str | None = None) -> None:
    """Forget what is known of one endpoint's health (all of them without ``base_url``); clients made
    before keep theirs. A test's fresh server on a reused address, a process forked from another."""
    with _ENDPOINTS_LOCK:
        if base_url is None:
            _ENDPOINTS.clear()
        else:
            _ENDPOINTS.pop(base_url, None)


def _forget_after_fork() -> None:
    global _ENDPOINTS_LOCK
    _ENDPOINTS_LOCK = threading.Lock()  # another thread may have held it at the fork
    _ENDPOINTS.clear()  # the parent's waiters and in-flight counts are not this process's


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


def retry_delay(attempt: int, backoff: float, backoff_max: float, retry_after: float | None = None) -> float:
    """Seconds to wait before retry number ``attempt + 1``."""
    if retry_after is not None:
        return min(backoff_max, retry_after)
    return min(backoff_max, backoff * 2**attempt * (0.5 + random.random()))


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds (a number or an HTTP date); ``None`` when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
