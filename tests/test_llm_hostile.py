"""Drills: what a hostile endpoint sends cannot hang, crash or mislead the client (over real HTTP on loopback).

A slow drip is cut at ``timeout`` (and ``time_limit``); an answer past ``max_response_bytes`` is not
read; JSON nested too deep, invalid UTF-8 and lone surrogates are malformed answers, retried; usage
of zero is recounted with the tokenizer and usage past the worst case is a malformed answer.
"""

import time

import pytest

from babelforge.llm import BudgetExceededError, Completion, Failure, Ledger, LLMClient, Request

PRICES = {"fake-model": (1.0, 1.0)}  # 1 USD a million tokens
SCHEMA = {"type": "array"}


def ask(text: str, **kwargs) -> Request:
    return Request([{"role": "user", "content": text}], **kwargs)


@pytest.fixture
def client(llm_server, tmp_path):
    def make(**kwargs):
        settings = {"cache": tmp_path / "llm.sqlite", "backoff": 0.01, "backoff_max": 0.05, "max_retries": 2,
                    "breaker_cooldown": 0.05, **kwargs}  # fmt: skip
        return LLMClient("fake-model", base_url=llm_server.base_url, api_key="t", **settings)

    return make


def test_a_slow_drip_is_cut_at_the_request_timeout(client, llm_server):
    llm_server.mode = "drip"  # headers at once, then a byte every 0.25 s: no single read ever times out
    ledger = Ledger(prices=PRICES)
    started = time.monotonic()
    (result,) = client(ledger=ledger, timeout=1.0, max_retries=0).complete_many([ask("x")])
    assert time.monotonic() - started < 3
    assert result.reason == "timeout"
    assert ledger.requests == 1  # it may have been billed: charged at its worst case
    assert ledger.cost > 0


def test_a_slow_drip_is_cut_at_the_time_limit(client, llm_server):
    llm_server.mode = "drip"
    started = time.monotonic()
    results = client(timeout=60.0, max_retries=5, time_limit=1.0).complete_many([ask("x"), ask("y")])
    assert time.monotonic() - started < 3
    assert all(isinstance(r, Failure) and r.reason in ("timeout", "time_limit") for r in results)


def test_an_answer_past_max_response_bytes_is_not_read(client, llm_server):
    llm_server.script("huge")  # 8 MB in chunks, no length declared
    started = time.monotonic()
    (result,) = client(max_response_bytes=64 * 1024, max_retries=0).complete_many([ask("x")])
    assert result.reason == "too_large"
    assert "max_response_bytes" in result.detail
    assert time.monotonic() - started < 3
    (again,) = client(max_response_bytes=64 * 1024).complete_many([ask("x")])
    assert again == Completion("echo: x")


@pytest.mark.parametrize("shape", ["deep", "bad-utf8", "surrogate"])
def test_unreadable_answers_are_malformed_retried_and_never_stored(client, llm_server, shape):
    llm_server.script(shape)
    (result,) = client().complete_many([ask("habari")])
    assert result == Completion("echo: habari")
    assert len(llm_server.chat_paths()) == 2
    llm_server.mode = shape
    ledger = Ledger()
    (failed,) = client(ledger=ledger).complete_many([ask("another")])
    assert failed.reason == "malformed_response"
    assert ledger.failures == {"malformed_response": 1}


@pytest.mark.parametrize(
    ("answer", "why"),
    [("[" * 100_000 + "]" * 100_000, "nested too deeply"), ('["caf\\ud800"]', "not valid Unicode")],
)
def test_schema_answers_that_cannot_be_read_or_stored_are_re_asked_not_raised(client, llm_server, answer, why):
    llm_server.reply = lambda request: answer
    (result,) = client(max_reasks=1).complete_many([ask("list", schema=SCHEMA)])
    assert result.reason == "invalid_output"
    assert why in result.detail
    assert len(llm_server.chat_paths()) == 2


def test_zero_usage_on_long_answers_is_recounted_and_the_budget_holds(client, llm_server):
    llm_server.reply = lambda request: " ".join(["word"] * 500)
    llm_server.mode = "zero-usage"
    budget = 0.002
    ledger = Ledger(prices=PRICES, max_budget=budget)
    made = client(ledger=ledger, max_tokens=600, max_concurrency=8)
    with pytest.raises(BudgetExceededError):
        made.complete_many([ask(f"r{i}") for i in range(50)])
    sent = llm_server.chat_paths()
    billed = sum(len(llm_server.reply(b).split()) + 7 + len(b["messages"][0]["content"].split()) for b in sent)
    assert billed * 1e-6 <= budget  # the endpoint's own count of what it did
    assert 0 < ledger.spent <= budget
    assert ledger.estimated == ledger.implausible_usage == ledger.requests == len(sent) < 50


def test_absurd_usage_is_a_malformed_answer_charged_at_the_worst_case(client, llm_server):
    llm_server.script("absurd-usage")  # 10**15 tokens
    ledger = Ledger(prices=PRICES, max_budget=1.0)
    (result,) = client(ledger=ledger, max_tokens=20).complete_many([ask("x")])
    assert result == Completion("echo: x")  # retried
    assert ledger.spent < 0.001  # not 2e9 USD
    llm_server.mode = "absurd-usage"
    (failed,) = client(ledger=ledger, max_tokens=20).complete_many([ask("y")])
    assert failed.reason == "malformed_response"
    assert "usage reports" in failed.detail
    assert ledger.spent < 0.001
