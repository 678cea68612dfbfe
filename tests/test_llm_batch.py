"""The OpenAI Batch API through the loopback server: files, batches, polling, resuming."""

import pytest

from babelforge.llm import Completion, Ledger, LLMClient, Request

PRICES = {"fake-model": (1.0, 1.0)}


def ask(text: str) -> Request:
    return Request([{"role": "user", "content": text}])


@pytest.fixture
def client(llm_server, tmp_path):
    def make(**kwargs):
        settings = {"cache": tmp_path / "llm.sqlite", "backoff": 0.01, "batch": True, "batch_poll": 0.02, **kwargs}
        return LLMClient("fake-model", base_url=llm_server.base_url, api_key="t", **settings)

    return make


def paths(server) -> list[str]:
    return [r["path"].rsplit("/", 1)[-1] for r in server.requests]


def test_a_batch_answers_into_the_cache_at_the_batch_price(client, llm_server):
    llm_server.batch_polls = 3
    ledger = Ledger(prices=PRICES)
    results = client(ledger=ledger).complete_many([ask("a"), ask("b"), ask("a")])
    assert results == [Completion(f"echo: {t}", cached=True) for t in "aba"]  # read back from the cache
    assert paths(llm_server) == ["files", "batches"]  # nothing went online
    full = Ledger(prices=PRICES).price("fake-model", ledger.prompt_tokens, ledger.completion_tokens)
    assert ledger.cost == pytest.approx(full / 2)
    assert ledger.requests == 2
    again = client().complete_many([ask("a"), ask("b")])
    assert all(r.cached for r in again)
    assert paths(llm_server) == ["files", "batches"]


def test_a_killed_wait_polls_the_same_batch_when_rerun(client, llm_server):
    llm_server.batch_polls = 10**6  # never done while the first client waits
    first = client(time_limit=0.2).complete_many([ask("x"), ask("y")])
    assert [r.reason for r in first] == ["batch_pending", "batch_pending"]
    assert paths(llm_server) == ["files", "batches"]
    llm_server.batch_polls = 0
    second = client().complete_many([ask("x"), ask("y")])
    assert [r.text for r in second] == ["echo: x", "echo: y"]
    assert paths(llm_server) == ["files", "batches"]  # polled, not submitted again


def test_an_endpoint_without_the_batch_api_is_asked_online(client, llm_server):
    llm_server.batch_api = False
    (result,) = client().complete_many([ask("z")])
    assert result.text == "echo: z"
    assert paths(llm_server)[-1] == "completions"
