"""An answer the endpoint cut short (``finish_reason: length`` or ``content_filter``) is not an answer.

It is a failure of its record (``truncated``, ``content_filter``), charged what it cost, never cached
and never served as if whole; asking again would be cut again, so it is not retried.
"""

import pytest

from babelforge.llm import Completion, Failure, Ledger, LLMClient, Request

PRICES = {"fake-model": (1.0, 1.0)}


def ask(text: str, **kwargs) -> Request:
    return Request([{"role": "user", "content": text}], **kwargs)


@pytest.fixture
def client(llm_server, tmp_path):
    def make(**kwargs):
        settings = {"cache": tmp_path / "llm.sqlite", "backoff": 0.01, "backoff_max": 0.05, "max_retries": 3, **kwargs}
        return LLMClient("fake-model", base_url=llm_server.base_url, api_key="t", **settings)

    return make


@pytest.mark.parametrize(("shape", "reason"), [("length", "truncated"), ("content-filter", "content_filter")])
def test_an_answer_cut_short_is_a_failure_charged_and_not_cached(client, llm_server, shape, reason):
    llm_server.script(shape)
    ledger = Ledger(prices=PRICES)
    (result,) = client(ledger=ledger).complete_many([ask("a long sentence to translate")])
    assert isinstance(result, Failure)
    assert result.reason == reason
    assert "finish_reason" in result.detail
    assert len(llm_server.chat_paths()) == 1  # not retried: it would be cut again
    assert ledger.failures == {reason: 1}
    assert ledger.requests == 1  # the endpoint billed it
    assert ledger.cost > 0
    (again,) = client().complete_many([ask("a long sentence to translate")])
    assert again == Completion("echo: a long sentence to translate")  # nothing was cached


def test_a_schema_answer_cut_short_is_not_re_asked(client, llm_server):
    llm_server.reply = lambda request: '["one", "two", "three"]'
    llm_server.script("length")
    (result,) = client().complete_many([ask("list", schema={"type": "array"})])
    assert result.reason == "truncated"
    assert len(llm_server.chat_paths()) == 1


def test_a_cut_answer_does_not_open_the_breaker(client, llm_server):
    llm_server.mode = "length"
    results = client(breaker_threshold=2).complete_many([ask(f"question {i}") for i in range(6)])
    assert [r.reason for r in results] == ["truncated"] * 6
    assert len(llm_server.chat_paths()) == 6  # each asked once: the endpoint is well


def test_a_batch_answer_cut_short_fails_its_record_without_paying_again_online(client, llm_server, tmp_path):
    def cut(results: list[dict]) -> bytes:
        import json

        for line in results:
            line["response"]["body"]["choices"][0]["finish_reason"] = "length"
        return "".join(json.dumps(line) + "\n" for line in results).encode()

    llm_server.batch_output = cut
    ledger = Ledger(prices=PRICES)
    (result,) = client(batch=True, batch_poll=0.02, ledger=ledger).complete_many([ask("a")])
    assert result.reason == "truncated"  # asked online, it would be cut again, at twice the price
    assert llm_server.chat_paths() == []
    assert ledger.failures == {"truncated": 1}
    assert ledger.requests == 1  # billed once, at the batch price
    (again,) = client().complete_many([ask("a")])
    assert again == Completion("echo: a")  # nothing was cached: a later run asks again
