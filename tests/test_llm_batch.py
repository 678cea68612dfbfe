"""The OpenAI Batch API through the loopback server: files, batches, polling, resuming, giving up."""

import sqlite3
import time

import pytest

from babelforge.llm import Completion, Ledger, LLMClient, Request
from babelforge.llm.batch import BATCH_MISSES

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
    first = client(time_limit=1.0).complete_many([ask("x"), ask("y")])
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


def batches_table(tmp_path) -> list:
    return sqlite3.connect(tmp_path / "llm.sqlite").execute("SELECT id, misses FROM batches").fetchall()


def test_a_batch_the_endpoint_forgot_is_given_up_and_its_requests_sent_online(client, llm_server, tmp_path):
    llm_server.batch_lookup = "404"  # every poll: no such batch
    ledger = Ledger(prices=PRICES, max_budget=1.0)
    results = client(ledger=ledger).complete_many([ask("x"), ask("y")])
    assert [r.text for r in results] == ["echo: x", "echo: y"]
    assert llm_server.polls == ["batch-1"] * BATCH_MISSES
    assert paths(llm_server) == ["files", "batches", "completions", "completions"]  # not cancelled: unknown there
    (note,) = ledger.notes
    assert "batch batch-1 at" in note
    assert "no such batch; its 2 request(s) are sent online" in note
    assert batches_table(tmp_path) == []  # the dead id is forgotten
    again = client(ledger=Ledger(prices=PRICES, max_budget=1.0)).complete_many([ask("x"), ask("y")])
    assert all(r.cached for r in again)
    assert llm_server.polls == ["batch-1"] * BATCH_MISSES  # a rerun polls nothing


def test_misses_count_over_reruns(client, llm_server, tmp_path):
    llm_server.batch_lookup = "404"
    first = client(time_limit=1.0, batch_poll=0.3).complete_many([ask("x")])
    assert first[0].reason == "batch_pending"
    ((_, misses),) = batches_table(tmp_path)
    assert 1 <= misses < BATCH_MISSES
    (second,) = client().complete_many([ask("x")])
    assert second.text == "echo: x"
    assert llm_server.polls == ["batch-1"] * BATCH_MISSES


def test_a_batch_without_a_status_is_cancelled_charged_at_its_worst_case_and_sent_online(client, llm_server):
    llm_server.batch_lookup = "garbage"
    ledger = Ledger(prices=PRICES, max_budget=1.0)
    made = client(ledger=ledger, max_tokens=20)
    (result,) = made.complete_many([ask("x")])
    assert result.text == "echo: x"
    assert paths(llm_server) == ["files", "batches", "cancel", "completions"]
    worst = made.worst_case(ask("x").messages, made.sent_params(ask("x")))[2]
    assert ledger.spent >= worst * made.batch_discount  # it may have run and been billed
    assert "cancelled" in ledger.notes[0]


def test_a_batch_past_batch_max_wait_is_given_up(client, llm_server):
    llm_server.batch_polls = 10**6  # never done
    started = time.monotonic()
    ledger = Ledger()
    (result,) = client(ledger=ledger, batch_max_wait=0.3).complete_many([ask("x")])
    assert result.text == "echo: x"
    assert time.monotonic() - started < 3
    assert "batch_max_wait" in ledger.notes[0]
    assert llm_server.batches["batch-1"]["status"] == "cancelled"


class Killed(Exception):
    """The run dies here."""


@pytest.mark.parametrize("fault", ["drop", "slow"])
def test_a_create_whose_answer_is_lost_adopts_the_batch_instead_of_creating_another(client, llm_server, fault):
    llm_server.batch_create = [fault]  # the endpoint creates the batch; its answer never arrives in time
    llm_server.slow_seconds = 1.5
    ledger = Ledger(prices=PRICES, max_budget=1.0)
    started = time.monotonic()
    results = client(ledger=ledger, timeout=0.5).complete_many([ask("a"), ask("b")])
    assert [r.text for r in results] == ["echo: a", "echo: b"]
    assert list(llm_server.batches) == ["batch-1"]  # created once
    assert paths(llm_server) == ["files", "batches"]  # and nothing was sent online: billed once
    (note,) = ledger.notes
    assert "batch batch-1 at" in note
    assert "adopted" in note
    full = Ledger(prices=PRICES).price("fake-model", ledger.prompt_tokens, ledger.completion_tokens)
    assert ledger.spent == pytest.approx(full / 2)  # one batch, at the batch price
    assert time.monotonic() - started < 3


def test_a_create_that_created_nothing_is_tried_again(client, llm_server):
    llm_server.batch_create = ["lost"]  # a 500, and the listing shows no batch: safe to create again
    results = client().complete_many([ask("a")])
    assert results[0].text == "echo: a"
    assert paths(llm_server) == ["files", "batches", "batches"]
    assert list(llm_server.batches) == ["batch-1"]


def test_a_run_killed_between_create_and_its_answer_finds_the_batch_when_rerun(client, llm_server, monkeypatch):
    from babelforge.llm import batch_submit

    real_call = batch_submit.call

    async def killed_after_create(client, http, method, path, **kwargs):
        answer = await real_call(client, http, method, path, **kwargs)
        if method == "POST" and path == "batches":
            raise Killed  # the endpoint created it; this run never learnt its id
        return answer

    monkeypatch.setattr(batch_submit, "call", killed_after_create)
    with pytest.raises(Killed):
        client().complete_many([ask("x"), ask("y")])
    monkeypatch.setattr(batch_submit, "call", real_call)
    results = client().complete_many([ask("x"), ask("y")])
    assert [r.text for r in results] == ["echo: x", "echo: y"]
    assert list(llm_server.batches) == ["batch-1"]
    assert paths(llm_server) == ["files", "batches"]  # not uploaded, created or asked online again


def test_a_lost_create_on_an_endpoint_that_cannot_list_batches_is_charged_at_its_worst_case(
    client, llm_server, tmp_path
):
    llm_server.batch_create = ["drop"]
    llm_server.batch_listing = False
    ledger = Ledger(prices=PRICES, max_budget=1.0)
    made = client(ledger=ledger, max_tokens=20)
    (result,) = made.complete_many([ask("x")])
    assert result.text == "echo: x"
    assert paths(llm_server) == ["files", "batches", "completions"]
    worst = made.worst_case(ask("x").messages, made.sent_params(ask("x")))[2]
    assert ledger.spent >= worst * made.batch_discount  # the unseen batch may run: its worst case is counted
    assert "may exist unseen" in ledger.notes[0]
    assert batches_table(tmp_path) == []


def test_a_batches_table_of_an_older_version_gains_the_file_column(tmp_path):
    from babelforge.llm.batch_state import BatchState
    from babelforge.llm.cache import RequestCache

    old = sqlite3.connect(tmp_path / "llm.sqlite")
    with old:
        old.execute("CREATE TABLE batches (key TEXT PRIMARY KEY, id TEXT, endpoint TEXT, at REAL, misses INTEGER)")
        old.execute("INSERT INTO batches VALUES ('k', 'batch-9', 'http://x/v1', 1.0, 2)")
    state = BatchState(RequestCache(tmp_path / "llm.sqlite"))
    assert (state.get("k"), state.file("k")) == ("batch-9", None)
    state.uploaded("j", "file-1", "http://x/v1")
    state.put("j", "batch-10", "http://x/v1")
    assert (state.get("j"), state.file("j")) == ("batch-10", "file-1")


def test_a_create_unanswered_before_the_time_limit_is_found_by_the_rerun(client, llm_server):
    llm_server.batch_create = ["slow"]
    llm_server.slow_seconds = 2.0
    first = client(time_limit=1.0).complete_many([ask("x")])
    assert first[0].reason == "batch_pending"
    assert "its create unanswered" in first[0].detail
    (second,) = client().complete_many([ask("x")])
    assert second.text == "echo: x"
    assert list(llm_server.batches) == ["batch-1"]
    assert paths(llm_server) == ["files", "batches"]
