"""``babelforge llm cache stats|clear``: the request cache per endpoint."""

from typer.testing import CliRunner

from babelforge.cli.llm_cmd import app
from babelforge.llm import LLMClient, Request
from babelforge.llm.cache import RequestCache


def fill(llm_server, path, other_url: str) -> None:
    for url in (llm_server.base_url, other_url):
        client = LLMClient("fake-model", base_url=url, api_key="t", cache=path, max_retries=0)
        client.remember(client.key(Request([{"role": "user", "content": "q"}])), "an answer", None)
    RequestCache(path).put("0" * 64, {"text": "cached before v2", "data": None})


def invoke(*args):
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_stats_and_clear_per_endpoint(llm_server, tmp_path):
    path, other = tmp_path / "llm.sqlite", "HTTP://Other.example:80/v1/"
    fill(llm_server, path, other)
    stats = invoke("cache", "stats", "--cache", str(path))
    assert f"{llm_server.base_url}: 1 answer(s), 1 model(s)" in stats
    assert "http://other.example/v1: 1 answer(s)" in stats
    assert "(no endpoint: written before v2, never served): 1 answer(s)" in stats
    assert "1 answer(s)" in invoke("cache", "stats", "--cache", str(path), "--endpoint", other)
    assert "removed 1 cached answer(s) (http://other.example/v1)" in invoke(
        "cache", "clear", "--cache", str(path), "--endpoint", other
    )
    assert "other.example" not in invoke("cache", "stats", "--cache", str(path))
    assert "removed 1" in invoke("cache", "clear", "--cache", str(path), "--legacy")
    assert "removed 1" in invoke("cache", "clear", "--cache", str(path))
    assert "the LLM cache is empty" in invoke("cache", "stats", "--cache", str(path))


def test_estimate_names_a_manifest_without_llm_steps(data_dir, tmp_path, write_manifest):
    spec = {
        "name": "plain",
        "sources": [{"kind": "conll", "path": str(data_dir / "europarl-en.conll"), "language": "en", "limit": 3}],
        "output": {"path": str(tmp_path / "out"), "kind": "ner"},
    }
    assert "no LLM step" in invoke("estimate", str(write_manifest(spec)))


def test_clearing_an_endpoint_nothing_was_cached_for_names_the_cached_ones(llm_server, tmp_path):
    path = tmp_path / "llm.sqlite"
    fill(llm_server, path, "http://other.example/v1")
    result = CliRunner().invoke(app, ["cache", "clear", "--cache", str(path), "--endpoint", "http://other.example"])
    assert result.exit_code != 0
    message = str(result.exception)
    assert "no answers cached for http://other.example" in message
    assert "http://other.example/v1" in message  # the endpoint the user probably meant
    assert "1 answer(s)" in invoke("cache", "stats", "--cache", str(path), "--endpoint", "http://other.example/v1")


def test_reading_an_absent_cache_creates_no_file(tmp_path):
    path = tmp_path / "none.sqlite"
    assert "the LLM cache is empty" in invoke("cache", "stats", "--cache", str(path))
    assert "nothing to remove" in invoke("cache", "clear", "--cache", str(path))
    assert not path.exists()


def test_a_pilot_against_a_dead_endpoint_names_the_failure_and_fails(data_dir, tmp_path, write_manifest, monkeypatch):
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("BABELFORGE_HOME", str(tmp_path / "home"))
    (tmp_path / "seeds.txt").write_text("What is rain?\nWhy is the sky blue?\n")
    llm = {"backoff": 0.01, "max_retries": 5, "timeout": 5}
    spec = {
        "name": "dead",
        "sources": [{"kind": "text", "path": str(tmp_path / "seeds.txt"), "language": "en"}],
        "steps": [{"instruct": {"mode": "xl_instruct", "model": f"openai:m@http://127.0.0.1:{port}/v1",
                                "response_language": "sw", "llm": llm}}],
        "output": {"path": str(tmp_path / "out"), "kind": "chat"},
    }  # fmt: skip
    result = CliRunner().invoke(app, ["estimate", str(write_manifest(spec)), "--pilot", "2"])
    assert result.exit_code != 0
    assert "the pilot measured nothing" in str(result.exception)
    assert f"127.0.0.1:{port}" in str(result.exception)
