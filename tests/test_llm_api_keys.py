"""An API key is sent in an HTTP header: whitespace around it (a key file's newline) is dropped, and a key
that no header can carry is one error naming where it came from, never echoing it."""

import pytest

from babelforge.embedders import OpenAIEmbedder
from babelforge.errors import BabelforgeError
from babelforge.llm import Completion, Ledger, LLMClient, Request


@pytest.mark.parametrize("key", ["sk-abc\n", "sk-abc\r\n", "  sk-abc\t"])
def test_whitespace_around_a_key_is_dropped(llm_server, key):
    ledger = Ledger(prices={"fake-model": (1.0, 1.0)})
    client = LLMClient("fake-model", base_url=llm_server.base_url, api_key=key, max_retries=0, ledger=ledger)
    assert client.complete_many([Request([{"role": "user", "content": "q"}])]) == [Completion("echo: q")]
    assert llm_server.requests[-1]["key"] == "Bearer sk-abc"


@pytest.mark.parametrize("key", ["sk-ab c", "sk-é-secret", "sk-a\nb"])
def test_a_key_no_header_can_carry_is_one_error_that_does_not_show_it(llm_server, key, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", key)
    with pytest.raises(BabelforgeError, match="OPENAI_API_KEY") as raised:
        LLMClient("fake-model", base_url=llm_server.base_url)
    assert key.strip() not in str(raised.value)
    assert llm_server.requests == []


def test_the_embedder_drops_whitespace_around_its_key_too(llm_server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-abc\r\n")
    vectors = OpenAIEmbedder("fake-model", llm_server.base_url, max_retries=0).embed(["a", "b"])
    assert vectors.shape[0] == 2
    assert llm_server.requests[-1]["key"] == "Bearer sk-abc"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-é")
    with pytest.raises(BabelforgeError, match="OPENAI_API_KEY"):
        OpenAIEmbedder("fake-model", llm_server.base_url, max_retries=0).embed(["a"])
