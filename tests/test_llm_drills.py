"""Drills: the LLM client against a misbehaving endpoint, over real HTTP on loopback.

Targets: no exception escapes; under an always-500 endpoint at most ``max_retries + 1`` requests per
record (far fewer once the breaker opens, for every client of the process); the budget is never
overrun at concurrency 8; no answer is served across endpoints.
"""

import itertools
import threading
import time

import pytest

from babelforge.llm import BudgetExceededError, Completion, Failure, Ledger, LLMClient, Request
from babelforge.llm.cache import RequestCache

MALFORMED = ["html", "empty-choice", "choices-oops", "malformed"]
PRICES = {"fake-model": (1.0, 1.0)}  # 1 USD a million tokens


def ask(text: str) -> Request:
    return Request([{"role": "user", "content": text}])


@pytest.fixture
def client(llm_server, tmp_path):
    def make(base_url=None, **kwargs):
        settings = {"cache": tmp_path / "llm.sqlite", "backoff": 0.01, "backoff_max": 0.05, "max_retries": 3,
                    "breaker_cooldown": 0.05, "api_key": "t", **kwargs}  # fmt: skip
        return LLMClient("fake-model", base_url=base_url or llm_server.base_url, **settings)

    return make


def chat_requests(server) -> list[dict]:
    return server.chat_paths()


@pytest.mark.parametrize("shape", MALFORMED)
def test_a_malformed_answer_is_retried_then_answered(client, llm_server, shape):
    llm_server.script(shape)
    ledger = Ledger()
    (result,) = client(ledger=ledger).complete_many([ask("habari")])
    assert result == Completion("echo: habari")
    assert len(chat_requests(llm_server)) == 2


@pytest.mark.parametrize("shape", MALFORMED)
def test_an_endpoint_that_always_answers_malformed_fails_each_record_alone(client, llm_server, shape):
    llm_server.mode = shape
    ledger = Ledger()
    results = client(ledger=ledger, max_retries=2).complete_many([ask(f"r{i}") for i in range(3)])
    assert all(isinstance(r, Failure) and r.reason == "malformed_response" for r in results)
    assert len(chat_requests(llm_server)) <= 3 * 3
    assert ledger.failures == {"malformed_response": 3}


@pytest.mark.parametrize("shape", ["null-usage", "no-usage"])
def test_missing_usage_is_counted_with_the_tokenizer_and_marked_estimated(client, llm_server, shape):
    llm_server.mode = shape
    ledger = Ledger(prices=PRICES)
    (result,) = client(ledger=ledger).complete_many([ask("one two three four")])
    assert result.text == "echo: one two three four"
    assert ledger.estimated == 1
    assert ledger.cost > 0
    assert ledger.estimated_cost == ledger.cost
    assert ledger.prompt_tokens > 0
    assert ledger.completion_tokens > 0


def test_the_budget_holds_when_no_usage_comes_back(client, llm_server):
    llm_server.mode = "no-usage"
    ledger = Ledger(prices=PRICES, max_budget=100e-6)
    with pytest.raises(BudgetExceededError):
        client(ledger=ledger, max_tokens=16, max_concurrency=8).complete_many([ask(f"r{i}") for i in range(20)])
    assert 0 < ledger.spent <= ledger.max_budget
    assert len(chat_requests(llm_server)) < 20


def test_a_good_answer_with_the_wrong_content_type_is_read(client, llm_server):
    llm_server.mode = "text-plain"
    (result,) = client().complete_many([ask("x")])
    assert result == Completion("echo: x")


def test_a_429_storm_gives_up_per_record_and_lowers_concurrency(client, llm_server):
    llm_server.mode = "429"
    made = client(max_retries=2, max_concurrency=8)
    results = made.complete_many([ask(f"r{i}") for i in range(10)])
    assert all(isinstance(r, Failure) and r.reason == "rate_limited" for r in results)
    assert len(chat_requests(llm_server)) <= 10 * 3
    assert made.limit.limit == 1


def test_a_500_storm_opens_the_breaker(client, llm_server):
    llm_server.mode = "500"
    made = client(max_retries=3, max_concurrency=8, breaker_threshold=5, breaker_cooldown=10.0)
    started = time.monotonic()
    results = made.complete_many([ask(f"r{i}") for i in range(50)])
    assert all(isinstance(r, Failure) and r.reason == "server_error" for r in results)
    sent = len(chat_requests(llm_server))
    assert sent <= 5 + 8  # the threshold, plus what was in flight when the breaker opened
    assert sent / 50 <= made.max_retries + 1
    assert made.limit.limit < 8
    assert time.monotonic() - started < 5


def test_after_an_outage_one_probe_closes_the_breaker(client, llm_server):
    llm_server.script(*["500"] * 5)
    made = client(max_retries=6, max_concurrency=1, breaker_threshold=5, breaker_cooldown=0.1, backoff_max=0.2)
    results = made.complete_many([ask(f"r{i}") for i in range(4)])
    assert [r.text for r in results] == [f"echo: r{i}" for i in range(4)]
    assert not made.breaker.is_open
    assert made.breaker.trips == 1
    assert len(chat_requests(llm_server)) == 5 + 4


def in_threads(*jobs):
    """Run each job in a thread of its own (each client then runs its own event loop), all at once."""
    results, start = [None] * len(jobs), threading.Barrier(len(jobs))

    def run(i, job):
        start.wait()
        results[i] = job()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_a_breaker_opened_by_one_client_pauses_a_client_in_another_thread(client, llm_server):
    llm_server.mode = "500"
    settings = {"max_retries": 3, "max_concurrency": 4, "breaker_threshold": 5, "breaker_cooldown": 10.0}
    first = client(api_key="first", **settings)
    first.complete_many([ask(f"a{i}") for i in range(10)])
    assert first.breaker.is_open
    sent = len(chat_requests(llm_server))
    started = time.monotonic()
    second = client(api_key="second", **settings)  # another step, say: its own client, in its own thread
    (results,) = in_threads(lambda: second.complete_many([ask(f"b{i}") for i in range(10)]))
    assert len(chat_requests(llm_server)) == sent  # the endpoint is paused for the second client too
    assert all(isinstance(r, Failure) and r.reason == "server_error" for r in results)
    assert all("circuit breaker open" in r.detail for r in results)
    assert time.monotonic() - started < 2  # each record spent its tries waiting at most backoff_max


def test_two_threads_against_a_500_storm_share_one_breaker_and_probe_one_at_a_time(client, llm_server):
    llm_server.mode = "500"
    cooldown, records = 0.3, 25
    settings = {"max_retries": 3, "max_concurrency": 8, "breaker_threshold": 5, "breaker_cooldown": cooldown,
                "backoff_max": 0.5}  # fmt: skip
    made = [client(api_key=name, **settings) for name in ("left", "right")]
    started = time.monotonic()
    results = in_threads(*[lambda c=c, n=n: c.complete_many([ask(f"{n}{i}") for i in range(records)])
                           for c, n in zip(made, "lr", strict=True)])  # fmt: skip
    elapsed = time.monotonic() - started
    assert all(isinstance(r, Failure) and r.reason == "server_error" for batch in results for r in batch)
    times = sorted(r["at"] for r in llm_server.requests)
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    burst = next((i + 1 for i, gap in enumerate(gaps) if gap > cooldown / 2), len(times))
    assert burst <= 5 + 8  # the threshold, plus what was in flight (one limit for both clients)
    probes = gaps[burst:]  # after the burst, nobody sends but the probe, once per cooldown (or more)
    assert probes
    assert all(gap >= 0.9 * cooldown for gap in probes), [round(gap, 3) for gap in gaps]
    per_record = len(times) / (2 * records)
    assert per_record <= 0.5  # far fewer than max_retries + 1
    assert elapsed < 5
    print(f"two clients, 500 storm: {len(times)} requests for {2 * records} records "
          f"({per_record:.2f} per record, {len(probes) + 1} probes) in {elapsed:.2f}s")  # fmt: skip


def test_a_slow_endpoint_times_out_and_lowers_concurrency(client, llm_server):
    llm_server.slow_seconds = 0.6
    llm_server.mode = "slow"
    made = client(timeout=0.15, max_retries=1, max_concurrency=4)
    results = made.complete_many([ask(f"r{i}") for i in range(4)])
    assert all(isinstance(r, Failure) and r.reason == "timeout" for r in results)
    assert made.limit.limit < 4


def test_retry_after_is_capped_by_backoff_max(client, llm_server):
    llm_server.script("429-long")
    started = time.monotonic()
    (result,) = client(backoff_max=0.2).complete_many([ask("x")])
    assert result.text == "echo: x"
    assert time.monotonic() - started < 2


def test_no_wait_goes_past_the_time_limit(client, llm_server):
    llm_server.mode = "429-long"
    started = time.monotonic()
    (result,) = client(backoff_max=3600, time_limit=0.5).complete_many([ask("x")])
    assert result.reason == "rate_limited"  # an endpoint still refusing: a run stops, and its rerun asks again
    assert "time_limit of 0.5s reached after 429" in result.detail
    assert time.monotonic() - started < 2


def test_two_endpoints_with_one_model_name_never_share_answers(client, llm_server):
    from kit.openai_server import FakeOpenAIServer

    other = FakeOpenAIServer(reply=lambda request: "from the other endpoint").start()
    try:
        (first,) = client().complete_many([ask("same question")])
        (second,) = client(base_url=other.base_url).complete_many([ask("same question")])
        assert first == Completion("echo: same question")
        assert second == Completion("from the other endpoint")  # asked, not served from the first's cache
        assert len(other.chat_paths()) == 1
        (again,) = client(base_url=other.base_url + "/").complete_many([ask("same question")])
        assert again.cached
        assert again.text == "from the other endpoint"
    finally:
        other.stop()


def test_answers_cached_under_the_old_key_are_never_served(client, llm_server, tmp_path):
    import hashlib
    import json

    messages = [{"role": "user", "content": "old"}]
    old_key = hashlib.sha256(json.dumps(["fake-model", messages, {}, None], sort_keys=True).encode()).hexdigest()
    RequestCache(tmp_path / "llm.sqlite").put(old_key, {"text": "answer of some other endpoint", "data": None})
    (result,) = client().complete_many([Request(messages)])
    assert result == Completion("echo: old")


def test_a_budget_at_concurrency_8_is_never_overrun(client, llm_server):
    budget = 200e-6
    ledger = Ledger(prices=PRICES, max_budget=budget)
    with pytest.raises(BudgetExceededError):
        client(ledger=ledger, max_concurrency=8, max_tokens=20).complete_many([ask(f"r{i}") for i in range(40)])
    assert ledger.spent <= budget
    billed = sum(_billed(body, llm_server) for body in chat_requests(llm_server))
    assert billed * 1e-6 <= budget  # what the endpoint would charge, counted its own way
    assert ledger.requests == len(chat_requests(llm_server)) > 1


def _billed(body: dict, server) -> int:
    completion = server.completion(body, server.reply(body))["usage"]
    return completion["prompt_tokens"] + completion["completion_tokens"]


def test_steps_drop_records_of_an_html_endpoint_under_malformed_response(tmp_path, write_manifest, llm_server):
    import subprocess
    import sys

    llm_server.mode = "html"
    (tmp_path / "seeds.txt").write_text("Write a haiku about rain.\nName three rivers.\n")
    options = {"backoff": 0.01, "backoff_max": 0.05, "max_retries": 2, "breaker_cooldown": 0.05}
    manifest = {
        "name": "html-endpoint",
        "sources": [{"kind": "text", "path": str(tmp_path / "seeds.txt"), "language": "en"}],
        "steps": [{"instruct": {"mode": "xl_instruct", "model": f"openai:html@{llm_server.base_url}",
                                "response_language": "de", "llm": options}}],
        "output": {"path": str(tmp_path / "out"), "kind": "chat"},
    }  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "babelforge", "run", str(write_manifest(manifest))],
        capture_output=True, text=True, timeout=120, env=_env(tmp_path),
    )  # fmt: skip
    assert "Traceback" not in done.stderr + done.stdout
    assert done.returncode == 2
    assert "llm_malformed_response 2" in done.stderr.replace("\n", " ")
    assert len(chat_requests(llm_server)) <= 2 * 3


def _env(tmp_path):
    import os

    return {**os.environ, "BABELFORGE_HOME": str(tmp_path / "home")}
