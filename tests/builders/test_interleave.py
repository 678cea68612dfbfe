"""Interleaving: every sample within the context in the tokenizer's tokens, every sentence accounted for."""

from pathlib import Path

import datasets
import pytest
from datatrove.data import Document

from babelforge.builders.interleave import InterleaveStep, load_tokenizer, sentences
from babelforge.errors import BabelforgeError
from babelforge.manifest import load_manifest
from babelforge.runner import run_manifest

REPO = Path(__file__).parents[2]
TOKENIZER = str(REPO / "manifests" / "data" / "tokenizer" / "tokenizer.json")


def pair(anchor: str, other: str, key: str = "d1") -> Document:
    return Document(anchor, key, metadata={"language": "eng_Latn", "target_text": other, "target_language": "deu_Latn"})


def run(step, docs):
    return list(step.run(docs, 0, 1))


def covered(samples, text: str, language: str) -> str:
    """The characters of ``text`` that some segment of ``language`` holds (others as spaces)."""
    marks = [" "] * len(text)
    for sample in samples:
        for seg in sample.metadata["segments"]:
            if seg["language"] == language:
                piece = sample.text[seg["offset"] : seg["offset"] + seg["end"] - seg["start"]]
                assert piece == text[seg["start"] : seg["end"]]
                marks[seg["start"] : seg["end"]] = text[seg["start"] : seg["end"]]
    return "".join(marks)


def test_samples_fit_the_context_and_cover_every_sentence():
    english = (REPO / "manifests" / "data" / "europarl-docs" / "en-0.txt").read_text()
    german = (REPO / "manifests" / "data" / "europarl-docs" / "de-0.txt").read_text()
    step = InterleaveStep(TOKENIZER, context=300, chunk_tokens=80, overlap=0, separator="\n\n")
    samples = run(step, [pair(english, german)])
    count = load_tokenizer(TOKENIZER)
    assert samples
    assert max(count(s.text) for s in samples) <= 300
    assert samples[0].metadata["segments"][0]["language"] == "eng_Latn"  # the anchor opens
    for text, language in ((english, "eng_Latn"), (german, "deu_Latn")):
        assert covered(samples, text, language).split() == text.split()  # 100% of the words, in order


@pytest.mark.parametrize("number", [0, 1])
def test_every_sample_opens_with_the_anchor_and_the_languages_alternate(number):
    english = (REPO / "manifests" / "data" / "europarl-docs" / f"en-{number}.txt").read_text()
    german = (REPO / "manifests" / "data" / "europarl-docs" / f"de-{number}.txt").read_text()
    step = InterleaveStep(TOKENIZER, context=512, chunk_tokens=128, overlap=0, separator="\n\n")
    samples = run(step, [pair(english, german)])
    order = [seg["language"] for sample in samples for seg in sample.metadata["segments"]]
    english_chunks = order.count("eng_Latn")
    both = 2 * min(english_chunks, order.count("deu_Latn"))
    assert order[:both] == ["eng_Latn", "deu_Latn"] * (both // 2)  # strict turns until a side runs out
    assert len(set(order[both:])) <= 1
    for sample in samples:
        opens = sample.metadata["segments"][0]["language"]
        assert sample.metadata["language"] == opens
        seen = sum(
            seg["language"] == "eng_Latn" for s in samples[: samples.index(sample)] for seg in s.metadata["segments"]
        )
        assert opens == "eng_Latn" or seen == english_chunks  # German opens a sample only once English ran out


def test_a_pair_longer_than_the_context_goes_to_samples_of_its_own():
    step = InterleaveStep(TOKENIZER, context=20, chunk_tokens=12, overlap=0, separator="\n")
    samples = run(step, [pair("The committee met in Brussels. The vote follows.", "Der Ausschuss tagte in Brüssel.")])
    assert [[seg["language"] for seg in s.metadata["segments"]] for s in samples][:2] == [["eng_Latn"], ["deu_Latn"]]
    assert step.stats["pair_split"].total == 1


def test_a_sentence_longer_than_a_chunk_is_cut_and_counted():
    long_sentence = " ".join(f"word{i}" for i in range(400)) + "."
    step = InterleaveStep(TOKENIZER, context=200, chunk_tokens=50, overlap=0, separator="\n")
    samples = run(step, [pair(long_sentence, "Kurz.")])
    count = load_tokenizer(TOKENIZER)
    assert all(count(s.text) <= 200 for s in samples)
    assert covered(samples, long_sentence, "eng_Latn").split() == long_sentence.split()
    assert step.stats["sentence_cut"].total == 1


def test_empty_documents_are_dropped_under_a_reason():
    step = InterleaveStep(TOKENIZER, context=100, chunk_tokens=50, overlap=0, separator="\n")
    assert run(step, [pair("Something.", "   ")]) == []
    assert step.stats["dropped"].total == 1


def test_sentences_in_many_scripts():
    assert len(sentences("ሰላም ነው። እንዴት ነህ።", "amh_Ethi")) == 2
    assert len(sentences("नमस्ते। आप कैसे हैं।", "hin_Deva")) == 2
    assert len(sentences("你好。你好吗？", "zho_Hans")) == 2
    assert len(sentences("สวัสดีครับ วันนี้อากาศดี", "tha_Thai")) == 2
    assert len(sentences("First line without a stop\nSecond line.", "eng_Latn")) == 2


def test_an_unknown_tokenizer_is_named():
    with pytest.raises(BabelforgeError, match="tokenizer 'no-such/tokenizer' could not be loaded"):
        load_tokenizer("no-such/tokenizer")


@pytest.mark.slow
def test_the_bundled_interleaving_manifest_runs_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("BABELFORGE_OUT", str(tmp_path))
    run_manifest(load_manifest(REPO / "manifests" / "interleave-europarl.yaml"))
    rows = datasets.load_dataset(str(tmp_path / "interleaved-en-de"), split="train")
    count = load_tokenizer(TOKENIZER)
    assert len(rows) > 10
    assert max(count(t) for t in rows["text"]) <= 512
    languages = {s["language"] for r in rows for s in r["segments"]}
    assert languages == {"eng_Latn", "deu_Latn"}
    pairs = {(s["source_id"].split("/")[-1]) for r in rows for s in r["segments"]}
    assert pairs == {"en-0.txt:1", "de-0.txt:1", "en-1.txt:1", "de-1.txt:1"}  # each document with its own
