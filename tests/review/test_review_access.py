"""Who may reach the server: Host names, loopback, tokens from the environment, files and per-annotator files."""

from __future__ import annotations

import pytest

from babelforge.errors import ReviewError
from babelforge.review.access import (
    allowed_hosts,
    host_allowed,
    is_loopback,
    read_annotator_tokens,
    read_token,
    split_host,
)


def test_host_values_are_parsed_with_ports_and_brackets():
    assert split_host("Example.ORG:8080") == ("example.org", 8080)
    assert split_host("[::1]:80") == ("::1", 80)
    assert split_host("[::1]") == ("::1", None)
    assert split_host("localhost") == ("localhost", None)
    for bad in ("", "a:b", "a:99999", "[::1", "[::1]x", ":80"):
        assert split_host(bad) is None, bad


def test_loopback_binding_answers_its_loopback_names_on_its_port_only():
    hosts = allowed_hosts("127.0.0.1", 8765)
    for ok in ("127.0.0.1:8765", "localhost:8765", "[::1]:8765", "LocalHost:8765"):
        assert host_allowed(ok, hosts), ok
    for bad in ("evil.example", "evil.example:8765", "127.0.0.1:8766", "127.0.0.1", "", "127.0.0.1:8765@evil"):
        assert not host_allowed(bad, hosts), bad


def test_allowed_host_adds_names_with_or_without_a_port_and_star_opens_all():
    hosts = allowed_hosts("127.0.0.1", 8765, ["review.lan", "proxy.lan:443"])
    assert host_allowed("review.lan", hosts)
    assert host_allowed("review.lan:9000", hosts)  # a name alone: any port (behind a proxy)
    assert host_allowed("proxy.lan:443", hosts)
    assert not host_allowed("proxy.lan:80", hosts)
    assert host_allowed("anything.example", allowed_hosts("127.0.0.1", 8765, ["*"]))
    with pytest.raises(ReviewError, match="--allowed-host"):
        allowed_hosts("127.0.0.1", 8765, ["bad:port"])


def test_every_interface_binding_answers_the_machine_names():
    import socket

    hosts = allowed_hosts("0.0.0.0", 8765)
    assert host_allowed(f"{socket.gethostname()}:8765", hosts)
    assert host_allowed("127.0.0.1:8765", hosts)
    assert not host_allowed("evil.example:8765", hosts)


def test_loopback_addresses():
    for host in ("127.0.0.1", "127.1.2.3", "::1", "localhost", "[::1]"):
        assert is_loopback(host), host
    for host in ("0.0.0.0", "::", "192.168.1.10", "no-such-host.invalid"):
        assert not is_loopback(host), host


def test_the_token_comes_from_a_file_or_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("BABELFORGE_REVIEW_TOKEN", raising=False)
    assert read_token(None, None) is None
    monkeypatch.setenv("BABELFORGE_REVIEW_TOKEN", " from-env \n")
    assert read_token(None, None) == "from-env"
    file = tmp_path / "token"
    file.write_text("from-file\nsecond line ignored\n")
    assert read_token(None, file) == "from-file"  # the file wins over the environment
    assert read_token("given", None) == "given"
    with pytest.raises(ReviewError, match="both given"):
        read_token("given", file)
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(ReviewError, match="first line is empty"):
        read_token(None, tmp_path / "empty")
    with pytest.raises(ReviewError, match="cannot read"):
        read_token(None, tmp_path / "missing")


def test_annotator_tokens_file(tmp_path):
    file = tmp_path / "tokens"
    file.write_text("# name token\n\nana  t-ana\nMaría José\tt-mj\n")
    assert read_annotator_tokens(file) == {"t-ana": "ana", "t-mj": "María José"}
    for text, message in [
        ("ana\n", "one field"),
        ("ana t1\nbob t1\n", "token given twice"),
        ("ana t1\nana t2\n", "name 'ana' given twice"),
        ("# nothing\n", "no 'name token' line"),
        ("x" * 65 + " t1\n", "longer than 64"),
    ]:
        file.write_text(text)
        with pytest.raises(ReviewError, match=message):
            read_annotator_tokens(file)


def test_token_on_the_command_line_still_works_but_warns(review_output, monkeypatch):
    from typer.testing import CliRunner

    from babelforge.cli import app
    from babelforge.review import server

    seen = {}
    monkeypatch.setattr(server, "serve_review", lambda output, **kwargs: seen.update(kwargs))
    result = CliRunner().invoke(app, ["review", "serve", str(review_output), "--token", "s3cret", "--no-browser"])
    assert result.exit_code == 0, result.output
    assert "--token is deprecated" in result.output
    assert seen["token"] == "s3cret"
