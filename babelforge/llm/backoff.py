"""Back-off that protects both sides: adaptive concurrency, retry delays and a circuit breaker.

- :class:`AdaptiveLimit`: at most ``limit`` requests in flight; halved on a 429, a 5xx or a timeout,
  grown by one after a run of successes.
- :func:`retry_delay`: exponential with jitter, or the endpoint's ``Retry-After``, never above
  ``backoff_max`` (one ``Retry-After: 3600`` must not freeze a run for an hour).
- :class:`CircuitBreaker`: after ``threshold`` consecutive failures it opens and no request goes to
  the endpoint for ``cooldown`` seconds; then one probe is let through; a success closes it, a failure
  opens it again for twice as long (up to ``backoff_max``). A request that finds it open spends one
  of its retries without sending anything, so an endpoint that always fails sees far fewer requests
  than ``records * (max_retries + 1)``.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time


class AdaptiveLimit:
    """The limit's value outlives one event loop (a client answers many batches); its lock does not."""

    def __init__(self, maximum: int):
        self.maximum = self.limit = maximum
        self.active = self.streak = 0
        self._condition: asyncio.Condition | None = None

    def bind(self) -> AdaptiveLimit:
        """Attach to the running event loop (call at the start of each batch)."""
        self.active, self._condition = 0, asyncio.Condition()
        return self

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


class CircuitBreaker:
    """Closed, open (nothing is sent) or half-open (one probe in flight) for one endpoint."""

    def __init__(self, threshold: int = 5, cooldown: float = 5.0, cooldown_max: float = 60.0):
        self.threshold, self.base_cooldown, self.cooldown_max = threshold, cooldown, cooldown_max
        self.cooldown = cooldown
        self.failures = 0
        self.opened_at: float | None = None
        self.probing = False
        self.last_reason = ""
        self.trips = 0

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None

    def admit(self) -> bool:
        """May a request be sent now? In half-open state only the first asker (the probe) may."""
        if self.opened_at is None:
            return True
        if self.probing or time.monotonic() - self.opened_at < self.cooldown:
            return False
        self.probing = True
        return True

    def wait_s(self) -> float:
        """Seconds until the breaker lets a probe through (0 when closed)."""
        if self.opened_at is None:
            return 0.0
        return max(0.0, self.cooldown - (time.monotonic() - self.opened_at))

    def success(self) -> None:
        self.failures, self.opened_at, self.probing, self.cooldown = 0, None, False, self.base_cooldown

    def failure(self, reason: str) -> None:
        self.failures += 1
        self.last_reason = reason
        if self.probing:  # the probe failed: stay open, longer
            self.probing = False
            self.cooldown = min(self.cooldown_max, self.cooldown * 2)
            self.opened_at = time.monotonic()
        elif self.opened_at is None and self.failures >= self.threshold:
            self.opened_at = time.monotonic()
            self.trips += 1

    def neutral(self) -> None:
        """A probe that ended neither way (a 429, a 4xx): let another one through."""
        self.probing = False


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
