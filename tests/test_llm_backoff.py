"""The circuit breaker and the concurrency limit belong to an endpoint, shared by every client of the process."""

import asyncio
import threading
import time

from babelforge.llm import LLMClient
from babelforge.llm.backoff import (
    CLOSED,
    PROBE,
    REFUSED,
    AdaptiveLimit,
    BreakerState,
    CircuitBreaker,
    SharedLimit,
    endpoint_health,
    forget_endpoints,
)


def test_clients_of_one_endpoint_share_its_health_whatever_the_spelling_of_its_url():
    forget_endpoints()
    one = LLMClient("m", base_url="HTTP://Example.test:80/v1/", api_key="k")
    two = LLMClient("other-model", base_url="http://example.test/v1", api_key="k")
    elsewhere = LLMClient("m", base_url="http://example.test:8080/v1", api_key="k")
    assert one.breaker.state is two.breaker.state is endpoint_health("http://example.test/v1", 1).breaker
    assert one.limit.shared is two.limit.shared
    assert elsewhere.breaker.state is not one.breaker.state
    forget_endpoints()


def test_each_client_applies_its_own_threshold_and_cooldown_to_the_shared_state():
    state = BreakerState()
    patient = CircuitBreaker(threshold=5, cooldown=60.0, state=state)
    eager = CircuitBreaker(threshold=2, cooldown=0.0, state=state)
    patient.failure("server_error")
    assert not eager.is_open
    eager.failure("server_error")  # the second failure in a row: eager's threshold
    assert patient.is_open
    assert state.trips == 1
    assert patient.admit() == REFUSED  # patient waits a minute
    assert eager.admit() == PROBE  # eager's cooldown is over: it probes, once
    assert patient.admit() == eager.admit() == REFUSED
    eager.success()
    assert patient.admit() == CLOSED


def test_a_late_failure_of_an_earlier_request_does_not_end_the_probe():
    breaker = CircuitBreaker(threshold=1, cooldown=0.0)
    breaker.failure("server_error")
    assert breaker.admit() == PROBE
    breaker.failure("server_error")  # sent before the breaker opened, answered now
    breaker.neutral(probe=False)
    assert breaker.admit() == REFUSED  # the probe is still in flight: nobody else goes
    breaker.failure("server_error", probe=True)
    assert breaker.state.doublings == 1  # the next cooldown twice as long (0 s here)


def test_the_shared_limit_holds_across_threads_and_event_loops():
    shared = SharedLimit(3)
    in_flight, peak, lock = [0], [0], threading.Lock()

    async def request(limit: AdaptiveLimit) -> None:
        async with limit:
            with lock:
                in_flight[0] += 1
                peak[0] = max(peak[0], in_flight[0])
            await asyncio.sleep(0.005)
            with lock:
                in_flight[0] -= 1

    async def client_batch() -> None:
        limit = AdaptiveLimit(3, shared).bind()  # each client allows 3 of its own: together still 3
        await asyncio.gather(*(request(limit) for _ in range(30)))

    threads = [threading.Thread(target=asyncio.run, args=(client_batch(),)) for _ in range(3)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert peak[0] == 3
    assert shared.active == 0
    assert time.monotonic() - started < 5


def test_a_cancelled_wait_for_the_shared_limit_loses_no_slot():
    shared = SharedLimit(2)
    shared.throttled()  # one in flight, though the client itself allows two

    async def main() -> None:
        limit = AdaptiveLimit(2, shared).bind()
        await limit.__aenter__()
        waiting = asyncio.ensure_future(limit.__aenter__())
        await asyncio.sleep(0.01)
        waiting.cancel()
        assert shared.active == 1
        await asyncio.gather(waiting, return_exceptions=True)
        await limit.__aexit__(None, None, None)
        async with limit:  # the slot came back, and so did the client's own
            assert shared.active == 1

    asyncio.run(asyncio.wait_for(main(), 5))
    assert shared.active == 0


def test_a_client_allowing_more_widens_the_shared_maximum():
    shared = SharedLimit(2)
    AdaptiveLimit(8, shared)
    assert (shared.limit, shared.maximum) == (8, 8)
    shared.throttled()
    AdaptiveLimit(16, shared)
    assert (shared.limit, shared.maximum) == (12, 16)
