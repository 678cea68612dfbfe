"""Drills against a real ``review serve`` process over loopback HTTP: DNS rebinding, cross-origin
writes, per-annotator tokens, malformed decision bodies, and four annotators at once."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import httpx
import pytest
from review_server import serving

from babelforge.review import ReviewStore, default_db

ACCEPT = {"annotator": "ann", "decision": "accept"}


def post(client: httpx.Client, n: int, body: dict, **headers: str) -> httpx.Response:
    return client.post(f"/api/items/{n}/decision", json=body, headers=headers)


def test_a_rebound_host_is_refused(review_output):
    with serving(review_output) as url, httpx.Client(base_url=url, timeout=10) as client:
        port = url.rsplit(":", 1)[1]
        for path in ("/api/stats", "/", "/static/review.js", "/api/next?annotator=ann"):
            assert client.get(path, headers={"Host": "evil.example"}).status_code == 400, path
        assert client.get("/api/stats", headers={"Host": f"evil.example:{port}"}).status_code == 400
        assert client.get("/api/stats", headers={"Host": "127.0.0.1:1"}).status_code == 400  # another port
        assert post(client, 1, ACCEPT, Host="evil.example").status_code == 400
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", f"LOCALHOST:{port}"):
            assert client.get("/api/stats", headers={"Host": host}).status_code == 200, host
    assert ReviewStore(default_db(review_output)).decisions() == []


def test_a_cross_origin_write_is_refused(review_output):
    with serving(review_output) as url, httpx.Client(base_url=url, timeout=10) as client:
        assert post(client, 1, ACCEPT, Origin="http://evil.example").status_code == 403
        assert post(client, 1, ACCEPT, Origin=url.replace("127.0.0.1", "localhost")).status_code == 403
        assert post(client, 1, ACCEPT, Origin="null").status_code == 403
        assert post(client, 1, ACCEPT, **{"Sec-Fetch-Site": "cross-site"}).status_code == 403
        assert post(client, 1, ACCEPT, **{"Sec-Fetch-Site": "same-site"}).status_code == 403
        cross_site = {"Sec-Fetch-Site": "cross-site"}  # an <img src=".../api/next"> on another site
        assert client.get("/api/next", params={"annotator": "ann"}, headers=cross_site).status_code == 403
        assert client.get("/", headers=cross_site).status_code == 200  # a link to the page is fine
        form = client.post("/api/items/1/decision", data=ACCEPT)  # a plain HTML form's body
        assert form.status_code == 415
        assert ReviewStore(default_db(review_output)).decisions() == []
        assert post(client, 1, ACCEPT, Origin=url).status_code == 200  # the page itself
        assert post(client, 2, ACCEPT).status_code == 200  # a program (no Origin): not a forgery


def test_each_annotator_token_acts_only_under_its_owner(review_output, tmp_path):
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("# who  token\nana  ana-secret-0123456789\nbob b  bob-secret-0123456789\n")
    with serving(review_output, "--tokens", str(tokens)) as url, httpx.Client(base_url=url, timeout=10) as client:
        ana = {"Authorization": "Bearer ana-secret-0123456789"}
        assert client.get("/api/session").status_code == 401
        session = client.get("/api/session", headers=ana).json()
        assert (session["annotator"], session["annotator_locked"]) == ("ana", True)
        assert post(client, 1, {**ACCEPT, "annotator": "bob b"}, **ana).status_code == 403
        assert client.get("/api/next", params={"annotator": "bob b"}, headers=ana).status_code == 403
        assert post(client, 1, {**ACCEPT, "annotator": "ana"}, **ana).status_code == 200
        bob = {"Authorization": "Bearer bob-secret-0123456789"}
        assert post(client, 2, {**ACCEPT, "annotator": "bob b"}, **bob).status_code == 200
    by = {(d["n"], d["annotator"]) for d in ReviewStore(default_db(review_output)).decisions()}
    assert by == {(1, "ana"), (2, "bob b")}


SPAN_BODIES = [
    ([[1, 2]], "spans[0][2]"),
    ([{"start": 1, "end": 2}], "spans[0]"),
    ([{"start": 1, "end": 2, "label": "LOC"}], "spans[0]"),
    ([[True, 2, "LOC"]], "spans[0][0]"),
    ([[1, False, "LOC"]], "spans[0][1]"),
    ([[1.0, 2, "LOC"]], "spans[0][0]"),
    ([["1", 2, "LOC"]], "spans[0][0]"),
    ([[1, 2, "NOT_A_LABEL"]], "spans[0]"),
    ([[1, 2, "_OC"]], "spans[0]"),
    ([[1, 2, ""]], "spans[0][2]"),
    ([[1, 2, None]], "spans[0][2]"),
    ([[1, 2, "LOC", "extra"]], "spans[0]"),
    ([[2, 2, "LOC"]], "spans[0]"),
    ([[3, 1, "LOC"]], "spans[0]"),
    ([[-1, 2, "LOC"]], "spans[0]"),
    ([[0, 10_000, "LOC"]], "spans[0]"),
    ([[0, 2**70, "LOC"]], "spans[0]"),
    ([[0, 1, "LOC"], [1, 2, "???"]], "spans[1]"),
    ("0,2,LOC", "spans"),
    ({"0": [0, 2, "LOC"]}, "spans"),
]
OTHER_BODIES = [
    ({"decision": "accept"}, "annotator"),
    ({"annotator": "", "decision": "accept"}, "annotator"),
    ({"annotator": "x" * 65, "decision": "accept"}, "annotator"),
    ({"annotator": 7, "decision": "accept"}, "annotator"),
    ({"annotator": "ann", "decision": "maybe"}, "decision"),
    ({"annotator": "ann", "decision": "reject"}, "reason"),
    ({"annotator": "ann", "decision": "accept", "comment": 5}, "comment"),
    ({"annotator": "ann", "decision": "accept", "comment": "c" * 10_001}, "comment"),
    ({"annotator": "ann", "decision": "accept", "is_admin": True}, "is_admin"),
]
RAW_BODIES = [  # (bytes, content type)
    (b"{", "application/json"),
    (b"", "application/json"),
    (b"[]", "application/json"),
    (b"null", "application/json"),
    (b'"accept"', "application/json"),
    (b'{"annotator": "\\ud800", "decision": "accept"}', "application/json"),
    (b'{"annotator": "\xff\xfe", "decision": "accept"}', "application/json"),
    (b"[" * 100_000 + b"]" * 100_000, "application/json"),
    (b'{"annotator": "ann", "decision": "accept"}', "text/plain"),
    (b'{"annotator": "ann", "decision": "accept"}', ""),
    (b"annotator=ann&decision=accept", "application/x-www-form-urlencoded"),
    (b'{"annotator": "ann", "decision": "accept", "comment": "' + b"x" * (1 << 20) + b'"}', "application/json"),
]


def test_every_malformed_body_is_a_4xx_naming_the_field(review_output):
    with serving(review_output) as url, httpx.Client(base_url=url, timeout=30) as client:
        n = client.get("/api/next", params={"annotator": "ann"}).json()["item"]["n"]
        for spans, field in SPAN_BODIES:
            answer = post(client, n, {**ACCEPT, "spans": spans})
            assert answer.status_code == 422, (spans, answer.text)
            assert answer.json()["detail"].startswith(field), (spans, answer.json()["detail"])
        for body, field in OTHER_BODIES:
            answer = post(client, n, body)
            assert answer.status_code == 422, (body, answer.text)
            assert field in answer.json()["detail"], (body, answer.json()["detail"])
        for raw, content_type in RAW_BODIES:
            headers = {"Content-Type": content_type} if content_type else {}
            answer = client.post(f"/api/items/{n}/decision", content=raw, headers=headers)
            assert 400 <= answer.status_code < 500, (raw[:60], content_type, answer.text)
        for path in ("/api/items/99999999999999999999999/decision", "/api/items/-1/decision", "/api/items/x/decision"):
            assert 400 <= client.post(path, json=ACCEPT).status_code < 500, path
        assert client.post("/api/items/999/decision", json=ACCEPT).status_code == 404
        assert ReviewStore(default_db(review_output)).decisions() == []
        good = post(client, n, {**ACCEPT, "spans": [[0, 2, "LOC"], [3, 5, "PER"]]})
        assert good.status_code == 200, good.text


def test_a_label_filter_matches_the_label_not_a_pattern(review_output):
    with serving(review_output) as url, httpx.Client(base_url=url, timeout=10) as client:
        for pattern in ("_OC", "%", "L%", "%LOC%"):
            assert client.get("/api/next", params={"annotator": "ann", "label": pattern}).json()["item"] is None
        item = client.get("/api/next", params={"annotator": "ann", "label": "LOC"}).json()["item"]
        assert "LOC" in {label for _, _, label in item["spans"]}


@pytest.mark.slow
def test_four_annotators_at_once_never_share_an_item_and_lose_no_decision(many_output, tmp_path):
    db = tmp_path / "drill.db"
    served: dict[str, list[int]] = {}
    failures: list[str] = []

    def annotate(name: str, url: str) -> None:
        mine = served.setdefault(name, [])
        with httpx.Client(base_url=url, timeout=30) as client:
            for i in range(500):
                item = client.get("/api/next", params={"annotator": name}).json()["item"]
                mine.append(item["n"])
                body = {"annotator": name, "decision": "reject" if i % 5 == 0 else "accept", "reason": "r"}
                answer = post(client, item["n"], body)
                if answer.status_code != 200:
                    failures.append(answer.text)

    started = time.monotonic()
    with serving(many_output, "--db", str(db)) as url:
        threads = [threading.Thread(target=annotate, args=(f"a{k}", url)) for k in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=240)
    assert failures == []
    every = [n for ns in served.values() for n in ns]
    assert len(every) == 2000
    assert len(set(every)) == 2000, "an item was served to two annotators with overlap 1"
    decisions = ReviewStore(db).decisions()
    assert len(decisions) == 2000  # none lost
    assert {(d["annotator"], d["n"]) for d in decisions} == {(a, n) for a, ns in served.items() for n in ns}
    assert time.monotonic() - started < 240


def _serve_command(output, *args: str) -> list[str]:
    return [sys.executable, "-m", "babelforge", "review", "serve", str(output), "--no-browser", *args]


def test_a_public_address_without_a_token_is_an_error_of_one_line(review_output):
    result = subprocess.run(
        _serve_command(review_output, "--host", "0.0.0.0", "--port", "0"),
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if k != "BABELFORGE_REVIEW_TOKEN"},
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "not loopback" in lines[0]
    assert "--insecure" in lines[0]
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize("how", ["env", "file"])
def test_the_token_comes_from_the_environment_or_a_file(review_output, tmp_path, how):
    secret = "from-" + how + "-0123456789abcdef"
    (tmp_path / "token").write_text(secret + "\n")
    args, env = (("--token-file", str(tmp_path / "token")), None) if how == "file" else ((), None)
    if how == "env":
        env = {"BABELFORGE_REVIEW_TOKEN": secret}
    with serving(review_output, *args, env=env) as url, httpx.Client(base_url=url, timeout=10) as client:
        assert client.get("/api/session").status_code == 401
        assert client.get("/api/session", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
