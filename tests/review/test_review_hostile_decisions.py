"""Decisions the export cannot keep, or text that reaches an operator's terminal, are refused where they enter.

A NER output holds one tag per token, so overlapping spans cannot all be exported: refused with a
422 naming both spans (the export used to drop the later ones silently). A span given twice is
refused for every kind. Control characters (ESC opens terminal escape sequences when ``review
stats`` prints a name or a reason) are refused in names, reasons and comments; a tokens file saved
with a byte-order mark gives its first annotator their own name.
"""

from __future__ import annotations

import json

import httpx
import pytest
from review_server import serving

from babelforge.errors import ReviewError
from babelforge.review import ReviewStore, default_db
from babelforge.review.access import read_annotator_tokens, read_token


def post(client: httpx.Client, n: int, body: dict) -> httpx.Response:
    return client.post(f"/api/items/{n}/decision", json=body)


@pytest.fixture(scope="module")
def ner_output(tmp_path_factory, data_dir):
    """A finished NER output (CoNLL sentences with their tags), made by the real ``run`` path."""
    from babelforge.manifest import load_manifest
    from babelforge.runner import run_manifest

    root = tmp_path_factory.mktemp("review-ner")
    source = {"kind": "conll", "path": str(data_dir / "europarl-en.conll"), "language": "en", "limit": 5}
    manifest = root / "ner.yaml"
    spec = {"name": "ner", "sources": [source], "output": {"path": str(root / "out"), "kind": "ner"}}
    manifest.write_text(json.dumps(spec))
    run_manifest(load_manifest(manifest))
    return root / "out"


def test_a_ner_review_refuses_overlapping_spans_naming_both(ner_output, tmp_path):
    import shutil

    output = tmp_path / "out"
    shutil.copytree(ner_output, output)
    with serving(output) as url, httpx.Client(base_url=url, timeout=10) as client:
        labels = client.get("/api/session").json()["labels"]
        item = client.get("/api/next", params={"annotator": "ann"}).json()["item"]
        one, other = labels[0], labels[-1]
        for spans in ([[0, 4, one], [2, 6, other]], [[0, 4, one], [0, 4, other]]):
            answer = post(client, item["n"], {"annotator": "ann", "decision": "accept", "spans": spans})
            assert answer.status_code == 422, answer.text
            assert "spans[1]" in answer.json()["detail"]
            assert "overlaps spans[0]" in answer.json()["detail"]
        side_by_side = [[0, 4, one], [5, 9, other]]
        answer = post(client, item["n"], {"annotator": "ann", "decision": "accept", "spans": side_by_side})
        assert answer.status_code == 200, answer.text
    assert [d["spans"] for d in ReviewStore(default_db(output)).decisions()] == [side_by_side]


def test_a_span_given_twice_is_refused(review_output):
    with serving(review_output) as url, httpx.Client(base_url=url, timeout=10) as client:
        n = client.get("/api/next", params={"annotator": "ann"}).json()["item"]["n"]
        twice = [[0, 2, "PER"], [3, 5, "LOC"], [0, 2, "PER"]]
        answer = post(client, n, {"annotator": "ann", "decision": "accept", "spans": twice})
        assert answer.status_code == 422, answer.text
        assert answer.json()["detail"].startswith("spans[2]: repeats spans[0]")
        nested = [[0, 5, "PER"], [0, 2, "LOC"]]  # a spans output holds overlapping spans as they are
        assert post(client, n, {"annotator": "ann", "decision": "accept", "spans": nested}).status_code == 200


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("annotator", "ann\x1b[2J"),
        ("annotator", "ann\x00"),
        ("annotator", "ann\x9b31m"),
        ("reason", "bad \x1b]0;pwned\x07"),
        ("comment", "see \x1b[31mthis"),
    ],
)
def test_control_characters_are_refused_in_names_reasons_and_comments(review_output, field, value):
    with serving(review_output) as url, httpx.Client(base_url=url, timeout=10) as client:
        n = client.get("/api/next", params={"annotator": "ann"}).json()["item"]["n"]
        body = {"annotator": "ann", "decision": "reject", "reason": "wrong", field: value}
        answer = post(client, n, body)
        assert answer.status_code == 422, answer.text
        assert answer.json()["detail"].startswith(field)
        if field == "annotator":
            assert client.get("/api/next", params={"annotator": value}).status_code == 422
        fine = {"annotator": "ann", "decision": "reject", "reason": "two\tlines\nof it", "comment": "a\r\nb"}
        assert post(client, n, fine).status_code == 200
    assert len(ReviewStore(default_db(review_output)).decisions()) == 1


def test_a_tokens_file_with_a_byte_order_mark_names_its_first_annotator_plainly(tmp_path):
    tokens = tmp_path / "tokens.txt"
    tokens.write_bytes("\ufeffana ana-secret-0123456789\r\nbob bob-secret-0123456789\r\n".encode())
    assert read_annotator_tokens(tokens) == {"ana-secret-0123456789": "ana", "bob-secret-0123456789": "bob"}
    secret = tmp_path / "token.txt"
    secret.write_bytes("\ufeffshared-secret-0123456789\r\n".encode())
    assert read_token(None, secret) == "shared-secret-0123456789"


def test_a_tokens_file_name_with_control_characters_is_refused_naming_the_line(tmp_path):
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("ana ana-secret-0123456789\nb\x1bob bob-secret-0123456789\n")
    with pytest.raises(ReviewError, match=r"tokens\.txt:2: annotator name"):
        read_annotator_tokens(tokens)
