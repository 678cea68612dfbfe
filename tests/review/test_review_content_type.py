"""A state-changing request must send JSON as JSON: the guard checks the Content-Type itself (415),
whatever the FastAPI version does (FastAPI rejects a missing Content-Type on JSON routes only since
0.132; before 0.65.2 it parsed ``text/plain`` bodies as JSON, the CSRF of CVE-2021-32677)."""

from __future__ import annotations

import json

import pytest

from babelforge.review import ReviewStore, default_db, open_review
from babelforge.review.access import LOOPBACK_NAMES
from babelforge.review.app import ReviewOptions, create_app
from babelforge.review.guard import UNSAFE, RequestGuard

LOCAL = "http://127.0.0.1:8765"
BODY = json.dumps({"annotator": "ann", "decision": "accept"}).encode()
#: What a web page can send cross-site without a CORS preflight, and what is not JSON at all.
NOT_JSON = [None, "text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x", "text/json", "application/jsonp", "application/json-seq"]  # fmt: skip
JSON = ["application/json", "application/json; charset=utf-8", "Application/JSON", "application/merge-patch+json"]


@pytest.fixture
def client(review_output):
    from fastapi.testclient import TestClient

    store, _ = open_review(review_output)
    return TestClient(create_app(store, ReviewOptions()), base_url=LOCAL)


@pytest.mark.parametrize("content_type", NOT_JSON)
def test_a_decision_not_sent_as_json_is_415_naming_the_expected_type(client, review_output, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    answer = client.post("/api/items/1/decision", content=BODY, headers=headers)
    assert answer.status_code == 415
    assert "send the body as application/json" in answer.json()["detail"]
    assert ReviewStore(default_db(review_output)).decisions() == []


@pytest.mark.parametrize("content_type", JSON)
def test_a_decision_sent_as_json_is_recorded(client, content_type):
    answer = client.post("/api/items/1/decision", content=BODY, headers={"Content-Type": content_type})
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("method", UNSAFE)
def test_the_guard_itself_refuses_every_state_changing_method_without_json(method):
    from starlette.requests import Request

    guard = RequestGuard(frozenset((name, None) for name in LOOPBACK_NAMES))
    for content_type, status in [(b"text/plain", 415), (b"application/json", None)]:
        headers = [(b"host", b"127.0.0.1:8765"), (b"content-type", content_type), (b"content-length", b"2")]
        scope = {"type": "http", "method": method, "path": "/api/x", "headers": headers, "query_string": b""}
        refusal = guard.refuse(Request(scope))
        assert (refusal.status if refusal else None) == status, (method, content_type)
