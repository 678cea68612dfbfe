"""Extractive QA: SQuAD JSON in, context translated with its answers projected, question translated."""

import json

import datasets
import pytest
from pydantic import TypeAdapter

from babelforge.errors import InputFormatError
from babelforge.manifest import load_manifest
from babelforge.runner import run_manifest
from babelforge.sources import Source


def read(settings: dict):
    source = TypeAdapter(Source).validate_python(settings, context={"base_dir": "/"})
    reader = source.reader(0)
    return list(reader.run(None, 0, 1)), reader


def test_squad_reader_realigns_offsets_and_skips_what_is_broken(data_dir):
    docs, reader = read(
        {"kind": "squad", "path": str(data_dir / "squad-mini.json"), "language": "en", "on_error": "skip"}
    )
    assert [d.id for d in docs] == ["q1", "q2", "q3", "q4", "q5", "q6"]
    answers = {d.id: [d.text[s.start : s.end] for s in d.metadata["spans"]] for d in docs}
    assert answers == {
        "q1": ["northern Nigeria"],  # the duplicate answer counted once
        "q2": ["Ado Bayero"],
        "q3": ["2014"],
        "q4": [],
        "q5": ["አዲስ አበባ"],
        "q6": ["Zoë"],
    }
    assert docs[1].metadata["question"] == "Who ruled Kano from 1963?"
    assert docs[1].metadata["title"] == "Kano"
    assert reader.stats["answer_realigned"].total == 3
    assert reader.stats["dropped"].total == 1


def test_a_broken_answer_names_the_file_and_question(data_dir):
    with pytest.raises(InputFormatError, match=r"squad-mini.json:7: .*'Timbuktu' is not in the context"):
        read({"kind": "squad", "path": str(data_dir / "squad-mini.json"), "language": "en"})


def test_qa_translate_train_through_markers(data_dir, tmp_path, write_manifest, llm_server):
    llm_server.reply = lambda r: [m["content"] for m in r["messages"] if m["role"] == "user"][-1]
    manifest = {
        "name": "squad-x",
        "sources": [{"kind": "squad", "path": str(data_dir / "squad-mini.json"), "language": "en", "on_error": "skip"}],
        "steps": [{"project": {"method": "markers", "model": f"openai:copy@{llm_server.base_url}", "target": "ha"}}],
        "output": {"path": str(tmp_path / "out"), "kind": "qa", "splits": {"train": 1.0}},
    }
    result = run_manifest(load_manifest(write_manifest(manifest)))
    rows = datasets.load_dataset(str(tmp_path / "out"), split="train")
    assert rows.features["answers"] == {
        "text": datasets.List(datasets.Value("string")),
        "answer_start": datasets.List(datasets.Value("int32")),
    }
    assert len(rows) == 6
    assert result.summary["drops"] == {"squad:squad-mini: malformed_input": 1}
    for row in rows:
        for text, start in zip(row["answers"]["text"], row["answers"]["answer_start"], strict=True):
            assert row["context"][start : start + len(text)] == text
    by_id = {r["id"]: r for r in rows}
    assert by_id["q2"]["answers"]["text"] == ["Ado Bayero"]
    assert by_id["q2"]["question"] == "Who ruled Kano from 1963?"  # translated (by a copying LLM)
    assert by_id["q4"]["answers"] == {"text": [], "answer_start": []}
    assert "(sic)" in by_id["q6"]["context"]  # literal brackets never pass for markers
    assert set(rows["language"]) == {"hau_Latn"}
    assert json.loads(by_id["q2"]["lineage"])[-1]["method"] == "markers"
