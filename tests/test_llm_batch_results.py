"""A Batch API results file is read as hostile input: whatever its lines hold, nothing raises.

Lines without usage are counted with the tokenizer; lines whose ``custom_id`` is not one of ours (or
not even a string) are skipped; requests the file does not answer well are sent online.
"""

import json

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


def lines(edit):
    """A ``batch_output`` that applies ``edit`` to each result line, then writes them as JSONL."""

    def write(results: list[dict]) -> bytes:
        for line in results:
            edit(line)
        return "".join(json.dumps(line) + "\n" for line in results).encode()

    return write


def online(server) -> int:
    return len(server.chat_paths())


def test_result_lines_without_usage_are_counted_and_kept(client, llm_server):
    llm_server.batch_output = lines(lambda line: line["response"]["body"].pop("usage"))
    ledger = Ledger(prices=PRICES, max_budget=1.0)
    results = client(ledger=ledger).complete_many([ask("a"), ask("b")])
    assert results == [Completion("echo: a", cached=True), Completion("echo: b", cached=True)]
    assert online(llm_server) == 0
    assert ledger.estimated == 2  # counted with the tokenizer, at the batch price
    assert ledger.cost > 0


def test_result_lines_with_broken_usage_are_counted_and_kept(client, llm_server):
    broken = {"prompt_tokens": None, "completion_tokens": "5"}
    llm_server.batch_output = lines(lambda line: line["response"]["body"].update(usage=broken))
    ledger = Ledger(prices=PRICES)
    results = client(ledger=ledger).complete_many([ask("a")])
    assert results == [Completion("echo: a", cached=True)]
    assert ledger.estimated == 1


@pytest.mark.parametrize("custom_id", [["k"], {"k": 1}, None, 7])
def test_result_lines_with_a_custom_id_that_is_not_a_string_are_skipped(client, llm_server, custom_id):
    llm_server.batch_output = lines(lambda line: line.update(custom_id=custom_id))
    results = client().complete_many([ask("a"), ask("b")])
    assert results == [Completion("echo: a"), Completion("echo: b")]  # asked online
    assert online(llm_server) == 2


def test_unknown_repeated_and_garbage_lines_answer_only_what_they_match(client, llm_server):
    def write(results: list[dict]) -> bytes:
        first = results[0]
        unknown = {**first, "custom_id": "not-ours"}
        text = "".join(json.dumps(line) + "\n" for line in [first, first, unknown])
        return (text + 'NaN\n{"custom_id": \n[1]\n"x"\n').encode() + b"\xff\xfe\n"

    llm_server.batch_output = write
    results = client().complete_many([ask("a"), ask("b")])
    assert results == [Completion("echo: a", cached=True), Completion("echo: b")]
    assert [body["messages"][0]["content"] for body in llm_server.chat_paths()] == ["b"]
