"""A damaged LLM cache file is one error naming it (never a traceback); a damaged entry is a miss."""

import subprocess
import sys

import pytest

from babelforge.errors import BabelforgeError
from babelforge.llm import Completion, LLMClient, Request
from babelforge.llm.cache import LEGACY, RequestCache


def ask(text: str) -> Request:
    return Request([{"role": "user", "content": text}])


@pytest.fixture
def garbage(tmp_path):
    path = tmp_path / "llm.sqlite"
    path.write_bytes(b"this is not a database\n" * 500)
    return path


def test_a_run_with_a_damaged_cache_stops_in_one_error_naming_it(llm_server, garbage):
    client = LLMClient("fake-model", base_url=llm_server.base_url, api_key="t", cache=garbage)
    with pytest.raises(BabelforgeError, match=f"LLM cache {garbage} cannot be used"):
        client.complete_many([ask("a")])
    assert llm_server.chat_paths() == []  # nothing was asked (and paid) that could not be kept


@pytest.mark.parametrize("command", [["stats"], ["clear"], ["clear", "--endpoint", "http://h/v1"]])
def test_cache_commands_on_a_damaged_file_say_so_in_one_line(garbage, command):
    done = subprocess.run(
        [sys.executable, "-m", "babelforge", "llm", "cache", *command, "--cache", str(garbage)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    assert "cannot be used" in done.stderr + done.stdout


def test_an_entry_that_is_not_json_is_a_miss_counted_as_unservable(llm_server, tmp_path):
    path = tmp_path / "llm.sqlite"
    client = LLMClient("fake-model", base_url=llm_server.base_url, api_key="t", cache=path, max_retries=0)
    key = client.key(ask("a"))
    cache = RequestCache(path)
    cache.put_many({key: "{not json", "1" * 64: '["a list"]', "2" * 64: '{"text": 5}'})
    assert cache.stats()[LEGACY]["entries"] == 3
    assert set(cache.stats()) == {LEGACY}
    assert cache.clear(endpoint="http://h/v1") == 0
    assert client.complete_many([ask("a")]) == [Completion("echo: a")]  # asked again, not a crash
    assert client.complete_many([ask("a")]) == [Completion("echo: a", cached=True)]  # and the entry repaired
    assert cache.clear(legacy=True) == 2
