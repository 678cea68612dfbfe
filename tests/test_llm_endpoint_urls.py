"""Base URLs: which spellings are one endpoint (one cache, one breaker), and which are refused in one line."""

import base64
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from babelforge.errors import BabelforgeError
from babelforge.llm import Completion, LLMClient, Request, normalise_url
from babelforge.llm.cache import RequestCache


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://127.0.0.1:8000/v1/", "http://127.0.0.1:8000/v1"),
        ("HTTP://LocalHost:8000/v1", "http://localhost:8000/v1"),
        ("https://api.example.com:443/v1", "https://api.example.com/v1"),
        ("http://api.example.com:80/v1//", "http://api.example.com/v1"),
        (" http://h/v1 ", "http://h/v1"),
        ("http://[::1]:8000/v1", "http://[::1]:8000/v1"),
        ("http://[::1]:80/v1/", "http://[::1]/v1"),
        ("http://[FE80::1]:8000/v1", "http://[fe80::1]:8000/v1"),
        ("http://user:secret@h:8000/v1", "http://h:8000/v1"),  # credentials never reach a key or a record
    ],
)
def test_spellings_of_one_endpoint_are_normalised_alike(given, expected):
    assert normalise_url(given) == expected


@pytest.mark.parametrize(
    ("one", "other"),
    [("http://h/v1", "https://h/v1"), ("http://h:8000/v1", "http://h:8001/v1"), ("http://h/v1", "http://h/v2")],
)
def test_different_endpoints_stay_apart(one, other):
    assert normalise_url(one) != normalise_url(other)


@pytest.mark.parametrize(
    "given",
    ["localhost:8000/v1", "127.0.0.1:8000/v1", "http://h:abc/v1", "http://h:99999/v1", "ftp://h/v1", "http:///v1"],
)
def test_a_url_that_is_no_base_url_is_one_error_naming_it(given):
    with pytest.raises(BabelforgeError, match="is not a base URL: give http"):
        LLMClient("m", base_url=given)


class _Handler(BaseHTTPRequestHandler):
    seen: list = []  # noqa: RUF012 - shared by the test's servers

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.seen.append(self.headers.get("Authorization", ""))
        content = "v6: " + body["messages"][-1]["content"]
        data = json.dumps(
            {"choices": [{"message": {"content": content}}], "usage": {"prompt_tokens": 3, "completion_tokens": 2}}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def ipv6_server():
    class Server(ThreadingHTTPServer):
        address_family = socket.AF_INET6

    try:
        server = Server(("::1", 0), _Handler)
    except OSError:
        pytest.skip("no IPv6 loopback here")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Handler.seen = []
    yield f"http://[::1]:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_an_ipv6_endpoint_is_asked_and_cached_under_its_bracketed_url(ipv6_server, tmp_path):
    client = LLMClient("m", base_url=ipv6_server + "/", api_key="t", cache=tmp_path / "c.sqlite", max_retries=0)
    assert client.complete_many([Request([{"role": "user", "content": "x"}])]) == [Completion("v6: x")]
    assert set(RequestCache(tmp_path / "c.sqlite").stats()) == {ipv6_server}


def test_credentials_in_the_url_are_sent_but_never_stored(ipv6_server, tmp_path):
    with_user = ipv6_server.replace("http://", "http://ada:s3cret@")
    client = LLMClient("m", base_url=with_user, api_key="t", cache=tmp_path / "c.sqlite", max_retries=0)
    assert client.complete_many([Request([{"role": "user", "content": "x"}])]) == [Completion("v6: x")]
    assert _Handler.seen == ["Basic " + base64.b64encode(b"ada:s3cret").decode()]
    stored = RequestCache(tmp_path / "c.sqlite").db.execute("SELECT key || value FROM store").fetchall()
    assert len(stored) == 1
    assert "s3cret" not in stored[0][0]
    assert client.base_url == ipv6_server
