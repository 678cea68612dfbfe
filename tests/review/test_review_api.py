"""The JSON API and its guards, through FastAPI's test client (real app, real database)."""

from __future__ import annotations

import pytest
from kit.hard_scripts import XSS

from babelforge.review import open_review
from babelforge.review.app import ReviewOptions, create_app
from babelforge.review.guard import CSP

LOCAL = "http://127.0.0.1:8765"


@pytest.fixture
def client(review_output):
    from fastapi.testclient import TestClient

    store, manifest = open_review(review_output)
    options = ReviewOptions(guidelines=manifest["review"]["guidelines"], labels=manifest["output"]["labels"])
    return TestClient(create_app(store, options), base_url=LOCAL)


def test_session_next_decide_progress(client):
    session = client.get("/api/session").json()
    assert session["labels"] == ["LOC", "ORG", "PER"]
    assert "<strong>people</strong>" in session["guidelines_html"]
    assert "<b>" not in session["guidelines_html"]  # raw HTML in guidelines is escaped
    got = client.get("/api/next", params={"annotator": "ann"}).json()
    item = got["item"]
    assert "row" not in item
    assert item["mine"] is None
    answer = client.post(
        f"/api/items/{item['n']}/decision", json={"annotator": "ann", "decision": "accept", "spans": [[0, 2, "PER"]]}
    )
    assert answer.status_code == 200
    assert answer.json()["progress"]["mine"] == 1
    again = client.get(f"/api/items/{item['n']}", params={"annotator": "ann"}).json()["item"]
    assert again["mine"]["spans"] == [[0, 2, "PER"]]


def test_bad_requests_get_clear_errors(client):
    bad = client.post("/api/items/1/decision", json={"annotator": "ann", "decision": "reject"})
    assert bad.status_code == 422
    assert "needs a reason" in bad.json()["detail"]
    assert client.get("/api/items/999", params={"annotator": "ann"}).status_code == 404
    assert client.get("/api/next", params={"annotator": " "}).status_code == 422


def test_every_response_forbids_inline_scripts(client):
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == CSP
    assert "script-src 'self'" in CSP
    assert "unsafe-inline" not in CSP
    assert client.get("/static/review.js").headers["content-security-policy"] == CSP


def test_injected_html_travels_as_plain_text(client):
    texts = []
    while (item := client.get("/api/next", params={"annotator": "ann"}).json()["item"]) is not None:
        texts.append(item["text"])
        client.post(f"/api/items/{item['n']}/decision", json={"annotator": "ann", "decision": "skip"})
    assert any(XSS in t for t in texts)


def test_token_is_required_on_every_request(review_output):
    from fastapi.testclient import TestClient

    store, _ = open_review(review_output)
    client = TestClient(create_app(store, ReviewOptions(token="s3cret")), base_url=LOCAL)
    assert client.get("/").status_code == 401
    assert client.get("/static/review.js").status_code == 401
    assert client.get("/api/session").status_code == 401
    assert client.get("/api/session", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/api/session", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    first = client.get("/", params={"token": "s3cret"})  # the printed link: sets the cookie
    assert first.status_code == 200
    assert client.get("/api/session").status_code == 200  # the cookie now carries it


def test_serve_on_a_busy_port_says_so(review_output):
    import socket

    from typer.testing import CliRunner

    from babelforge.cli import app

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(app, ["review", "serve", str(review_output), "--port", str(port), "--no-browser"])
    assert result.exit_code != 0
    assert "pass --port with a free one" in str(result.exception)
