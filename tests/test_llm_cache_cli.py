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
