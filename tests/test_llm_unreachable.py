"""An endpoint where no server takes a connection stops the run in one line, unless it answered before."""

import socket

import pytest

from babelforge.llm import Failure, LLMClient, Request
from babelforge.llm.backoff import forget_endpoints
from babelforge.llm.client import EndpointUnreachableError


@pytest.fixture
def closed_url():
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    forget_endpoints(url)
    yield url
    forget_endpoints(url)


def test_a_server_never_reached_stops_the_run(closed_url):
    client = LLMClient("m", base_url=closed_url, api_key="k", max_retries=2, backoff=0.01, breaker_cooldown=0.01)
    with pytest.raises(EndpointUnreachableError) as caught:
        client.complete_many([Request([{"role": "user", "content": f"q{i}"}]) for i in range(5)])
    message = str(caught.value)
    assert "\n" not in message
    assert closed_url in message
    assert "refused, ConnectError" in message
    assert "start the server" in message
    assert client.ledger.spent == 0


def test_a_server_that_answered_before_is_an_outage_counted_per_record(closed_url):
    client = LLMClient("m", base_url=closed_url, api_key="k", max_retries=1, backoff=0.01)
    client.breaker.success()  # it answered earlier in this process: now it restarts, say
    (result,) = client.complete_many([Request([{"role": "user", "content": "q"}])])
    assert isinstance(result, Failure)
    assert result.reason == "connection"
