"""The shared LLM client against the loopback OpenAI-compatible server."""

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from babelforge.llm import BudgetExceededError, Completion, Failure, Ledger, LLMClient, Request
from babelforge.llm.client import REASK

SCHEMA = {"type": "object", "properties": {"translation": {"type": "string"}}, "required": ["translation"]}


def ask(text: str, **kwargs) -> Request:
    return Request([{"role": "user", "content": text}], **kwargs)


@pytest.fixture
def client(llm_server, tmp_path):
    def make(**kwargs):
        settings = {"cache": tmp_path / "llm.sqlite", "backoff": 0.01, "max_retries": 3, **kwargs}
        return LLMClient("fake-model", base_url=llm_server.base_url, api_key="test", **settings)

    return make


def test_answers_are_cached_and_never_asked_twice(client, llm_server):
    first = client().complete_many([ask("a"), ask("b"), ask("a")])
    assert [r.text for r in first] == ["echo: a", "echo: b", "echo: a"]
    sent = len(llm_server.requests)
    assert sent <= 3
    again = client().complete_many([ask("a"), ask("b")])
    assert all(isinstance(r, Completion) and r.cached for r in again)
    assert len(llm_server.requests) == sent


def test_transient_errors_are_retried(client, llm_server):
    llm_server.script("429", "500", "malformed")
    ledger = Ledger()
    (result,) = client(ledger=ledger).complete_many([ask("habari")])
    assert result.text == "echo: habari"
    assert len(llm_server.requests) == 4
    assert ledger.requests == 2  # the answer, and the malformed 200 (it may have been billed: estimated)
    assert ledger.estimated == 1
    assert ledger.prompt_tokens > 0


def test_a_request_that_keeps_failing_is_a_counted_failure_not_an_empty_string(client, llm_server):
    llm_server.script("500", "500", "500", "500")
    ledger = Ledger()
    (result,) = client(ledger=ledger).complete_many([ask("x")])
    assert result == Failure("server_error", result.detail)
    assert ledger.failures == {"server_error": 1}
    (retry,) = client().complete_many([ask("x")])  # failures are not cached
    assert retry.text == "echo: x"


def test_timeouts(client, llm_server):
    llm_server.slow_seconds = 1.0
    llm_server.script("slow", "slow")
    (result,) = client(timeout=0.2, max_retries=1).complete_many([ask("x")])
    assert result.reason == "timeout"


def test_schema_answers_are_validated_and_re_asked(client, llm_server, monkeypatch):
    monkeypatch.setattr(llm_server, "reply", lambda request: '{"translation": "ruwa"}')
    llm_server.script("garbage")
    (result,) = client().complete_many([ask("water", schema=SCHEMA)])
    assert result.data == {"translation": "ruwa"}
    second = llm_server.requests[1]["body"]["messages"]
    assert second[-1]["content"].startswith(REASK.split("{")[0])


def test_an_answer_that_never_fits_the_schema_fails(client, llm_server, monkeypatch):
    monkeypatch.setattr(llm_server, "reply", lambda request: '{"wrong": 1}')
    (result,) = client(max_reasks=2).complete_many([ask("water", schema=SCHEMA)])
    assert result.reason == "invalid_output"
    assert "does not match the schema" in result.detail
    assert len(llm_server.requests) == 3


def test_the_budget_stops_the_run_cleanly(client, llm_server):
    ledger = Ledger(prices={"fake-model": (1.0, 1.0)}, max_budget=25e-6)  # 1 USD a million tokens
    make = client(ledger=ledger, max_concurrency=1, max_tokens=10)  # worst case 18 tokens; each costs 10
    with pytest.raises(BudgetExceededError, match="LLM budget spent"):
        make.complete_many([ask("a"), ask("b"), ask("c")])
    assert len(llm_server.requests) == 1  # the second could have crossed the budget: not sent
    assert ledger.spent <= ledger.max_budget


def test_no_request_is_sent_whose_worst_case_exceeds_the_budget(client, llm_server):
    ledger = Ledger(prices={"fake-model": (1e6, 1e6)}, max_budget=1.0)  # 1 USD a token
    with pytest.raises(BudgetExceededError, match="below one request's worst case"):
        client(ledger=ledger).complete_many([ask("a")])
    assert llm_server.requests == []


SCRIPT = """
import sys
from babelforge.llm import LLMClient, Request
client = LLMClient("fake-model", base_url=sys.argv[1], api_key="t", cache=sys.argv[2], max_concurrency=1)
client.complete_many([Request([{"role": "user", "content": f"prompt {i}"}]) for i in range(12)])
"""


@pytest.mark.slow
def test_a_killed_run_resends_no_completed_request(llm_server, tmp_path):
    cache = tmp_path / "llm.sqlite"
    llm_server.slow_seconds = 0.3
    llm_server.script(*["slow"] * 12)
    process = subprocess.Popen([sys.executable, "-c", SCRIPT, llm_server.base_url, str(cache)])
    deadline = time.time() + 60
    done = 0
    while time.time() < deadline and done < 5:
        time.sleep(0.05)
        if cache.exists():
            try:
                done = sqlite3.connect(cache).execute("SELECT COUNT(*) FROM store").fetchone()[0]
            except sqlite3.OperationalError:
                continue
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    before = {r["body"]["messages"][0]["content"] for r in llm_server.requests}
    finished = sqlite3.connect(cache).execute("SELECT COUNT(*) FROM store").fetchone()[0]
    assert 5 <= finished < 12
    llm_server.script()  # answer fast now
    subprocess.run([sys.executable, "-c", SCRIPT, llm_server.base_url, str(cache)], check=True, timeout=60)
    prompts = [r["body"]["messages"][0]["content"] for r in llm_server.requests]
    assert sorted(set(prompts)) == sorted(f"prompt {i}" for i in range(12))
    resent = [p for p in set(prompts) if prompts.count(p) > 1]
    assert len(resent) <= len(before) - finished  # only what was in flight at the kill went out twice


def test_tokens_are_counted_with_a_named_tokenizer_file(minilm_path):
    from babelforge.llm.tokens import PER_MESSAGE, PER_REQUEST, token_counter

    counter = token_counter("some-model", str(minilm_path / "tokenizer.json"))
    assert counter.exact
    assert counter.count("water") == 1  # not padded to the tokenizer's fixed length
    assert counter.count("Alinileta kahawa.") > counter.count("He brought me.")
    messages = [{"role": "user", "content": "water"}]
    assert counter.count_messages(messages) == 1 + PER_MESSAGE + PER_REQUEST
    assert counter.bound_messages(messages) >= counter.count_messages(messages)


def test_without_a_tokenizer_tokens_are_characters_over_4_and_bounded_by_bytes():
    from babelforge.llm.tokens import token_counter

    counter = token_counter("unknown-model", "no/such-tokenizer")
    assert not counter.exact
    assert "not found offline" in counter.name
    assert counter.count("x" * 40) == 10
    amharic = [{"role": "user", "content": "ሰላም ነው"}]
    assert counter.bound_messages(amharic) >= len("ሰላም ነው".encode())


def test_endpoints_are_one_however_their_url_is_spelled():
    from babelforge.llm.cache import normalise_url, request_key

    assert normalise_url("HTTPS://Api.Example.com:443/v1/") == "https://api.example.com/v1"
    assert normalise_url("http://127.0.0.1:8000/v1") == "http://127.0.0.1:8000/v1"
    messages = [{"role": "user", "content": "x"}]

    def key(url):
        return request_key(url, "m", messages, {}, None)

    assert key("http://a/v1") == key("http://A:80/v1/")
    assert key("http://a/v1") != key("http://b/v1")


def test_retry_after_reads_seconds_and_dates():
    import email.utils

    from babelforge.llm.backoff import parse_retry_after, retry_delay

    assert parse_retry_after("3600") == 3600
    assert parse_retry_after("soon") is None
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 < parse_retry_after(later) <= 31
    assert retry_delay(0, 1.0, 2.0, retry_after=3600) == 2.0


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"<html>502</html>", "not JSON"),
        (b'{"choices": [{}]}', "choices[0].message"),
        (b'{"choices": "oops"}', "'choices' is str"),
        (b'{"choices": []}', "'choices' is list"),
        (b"[1, 2]", "not an object"),
        (b'{"error": {"message": "quota"}}', "carrying an error"),
        (b'{"choices": [{"message": {"content": 7}}]}', "not a string"),
    ],
)
def test_malformed_bodies_are_named_not_raised(body, why):
    from babelforge.llm.answers import Malformed, read_completion

    found = read_completion(body)
    assert isinstance(found, Malformed)
    assert why in found.detail


def test_usage_is_taken_only_when_both_counts_are_counts():
    from babelforge.llm.answers import read_completion

    message = {"choices": [{"message": {"content": "ok"}}]}
    assert read_completion({**message, "usage": {"prompt_tokens": 3, "completion_tokens": 1}}).has_usage
    for usage in ({"prompt_tokens": None, "completion_tokens": 1}, {"prompt_tokens": True, "completion_tokens": 1},
                  {"prompt_tokens": -1, "completion_tokens": 1}, "lots", None):  # fmt: skip
        assert not read_completion({**message, "usage": usage}).has_usage


@pytest.mark.parametrize(
    ("model", "sent"),
    [("o3-mini", "max_completion_tokens"), ("gpt-5", "max_completion_tokens"), ("llama-3", "max_tokens")],
)
def test_openai_reasoning_models_get_their_bound_as_max_completion_tokens(llm_server, tmp_path, model, sent):
    client = LLMClient(model, base_url=llm_server.base_url, api_key="t", cache=None, max_tokens=64)
    assert isinstance(client.complete_many([Request([{"role": "user", "content": "hi"}])])[0], Completion)
    (body,) = llm_server.chat_paths()
    assert body[sent] == 64
    assert {"max_tokens", "max_completion_tokens"} - {sent} & set(body) == set()


def test_a_budget_below_one_requests_worst_case_says_so(llm_server):
    ledger = Ledger(prices={"fake-model": (1000.0, 1000.0)}, max_budget=0.0001)
    client = LLMClient(
        "fake-model", base_url=llm_server.base_url, api_key="t", cache=None, ledger=ledger, max_tokens=100
    )
    with pytest.raises(BudgetExceededError, match=r"max_budget 0.0001 USD is below one request's worst case"):
        client.complete_many([Request([{"role": "user", "content": "hi"}])])
    assert llm_server.chat_paths() == []
