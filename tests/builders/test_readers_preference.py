"""Preference sets read as they are: jsonl, parquet and hf sources map prompt, chosen and rejected fields."""

import json

import datasets
import pytest
from pydantic import TypeAdapter

from babelforge.errors import InputFormatError
from babelforge.manifest import load_manifest
from babelforge.runner import run_manifest
from babelforge.sources import Source

FIELDS = {"prompt": "prompt", "chosen": "chosen", "rejected": "rejected"}
USER = {"role": "user", "content": "Capital of Kenya?"}
SYSTEM = {"role": "system", "content": "Be brief."}
#: One pair in each of the layouts TRL, UltraFeedback, axolotl and LLaMA-Factory write.
LAYOUTS = {
    "standard": {"prompt": "Capital of Kenya?", "chosen": "Nairobi.", "rejected": "Mombasa."},
    "conversational": {
        "prompt": [SYSTEM, USER],
        "chosen": [{"role": "assistant", "content": "Nairobi."}],
        "rejected": [{"role": "assistant", "content": "Mombasa."}],
    },
    "message objects": {
        "prompt": [USER],
        "chosen": {"role": "assistant", "content": "Nairobi."},
        "rejected": {"role": "assistant", "content": "Mombasa."},
    },
    "implicit prompt": {
        "chosen": [USER, {"role": "assistant", "content": "Nairobi."}],
        "rejected": [USER, {"role": "assistant", "content": "Mombasa."}],
    },
    "ultrafeedback": {
        "prompt": "Capital of Kenya?",
        "chosen": [USER, {"role": "assistant", "content": "Nairobi."}],
        "rejected": [USER, {"role": "assistant", "content": "Mombasa."}],
    },
}


def read(settings: dict):
    source = TypeAdapter(Source).validate_python(settings, context={"base_dir": "/"})
    reader = source.reader(0)
    return list(reader.run(None, 0, 1)), reader


def jsonl(tmp_path, rows: list[dict]) -> str:
    path = tmp_path / "pairs.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return str(path)


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_each_layout_reads_as_one_pair(tmp_path, layout):
    docs, _ = read({"kind": "jsonl", "path": jsonl(tmp_path, [LAYOUTS[layout]]), "language": "en", "fields": FIELDS})
    md = docs[0].metadata
    assert md["prompt"] == ([SYSTEM, USER] if layout == "conversational" else [USER])
    assert (md["chosen"], md["rejected"], docs[0].text) == ("Nairobi.", "Mombasa.", "Capital of Kenya?")
    assert md["chosen_by"] == md["rejected_by"] == {"method": "source", "model": None}


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ({"prompt": "Q?", "chosen": "A"}, "a field 'rejected'"),
        ({"prompt": "Q?", "chosen": 3, "rejected": "B"}, r"a string, a \{role, content\} message or a list"),
        ({"prompt": "Q?", "chosen": [{"role": "user", "content": "more"}], "rejected": "B"}, "one assistant answer"),
        ({"chosen": ["x"], "rejected": "B"}, r"a list of \{role, content\} objects in 'chosen'"),
        ({"prompt": [SYSTEM], "chosen": "A", "rejected": "B"}, "a user turn in 'prompt'"),
    ],
)
def test_a_row_that_is_no_pair_names_the_field(tmp_path, row, expected):
    with pytest.raises(InputFormatError, match=expected):
        read({"kind": "jsonl", "path": jsonl(tmp_path, [row]), "language": "en", "fields": FIELDS})


def test_parquet_and_hub_sources_map_the_same_fields(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"question": ["Capital of Kenya?"], "good": ["Nairobi."], "bad": ["Mombasa."], "id": ["k"]})
    pq.write_table(table, tmp_path / "pairs.parquet")
    folder = tmp_path / "hub" / "data"
    folder.mkdir(parents=True)
    pq.write_table(table, folder / "train-0.parquet")
    fields = {"prompt": "question", "chosen": "good", "rejected": "bad"}
    for settings in (
        {"kind": "parquet", "path": str(tmp_path / "pairs.parquet"), "language": "sw", "fields": fields},
        {"kind": "hf", "path": str(tmp_path / "hub"), "language": "sw", "fields": fields},
    ):
        docs, _ = read(settings)
        assert (docs[0].metadata["prompt"], docs[0].metadata["chosen"]) == ([USER], "Nairobi.")
        assert docs[0].metadata["language"] == "swh_Latn"


def test_a_preference_source_writes_a_preference_output(tmp_path, write_manifest):
    rows = [dict(layout, id=name) for name, layout in LAYOUTS.items()] + [{"prompt": "Q?", "chosen": "A"}]
    manifest = {
        "name": "pairs",
        "sources": [{"kind": "jsonl", "path": jsonl(tmp_path, rows), "language": "sw", "fields": FIELDS,
                     "on_error": "skip"}],
        "output": {"path": str(tmp_path / "out"), "kind": "preference"},
    }  # fmt: skip
    result = run_manifest(load_manifest(write_manifest(manifest)))
    assert result.summary["drops"] == {"jsonl:pairs: malformed_input": 1}
    data = datasets.load_dataset(str(tmp_path / "out"), split="train")
    assert len(data) == len(LAYOUTS)
    row = next(r for r in data if r["id"].endswith("conversational"))
    assert row["prompt"] == [SYSTEM, USER]
    assert row["chosen"] == [{"role": "assistant", "content": "Nairobi."}]
    assert (row["prompt_text"], row["system"], row["chosen_text"], row["rejected_text"]) == (
        "Capital of Kenya?", "Be brief.", "Nairobi.", "Mombasa.")  # fmt: skip
    assert (row["language"], row["languages"], row["chosen_lang"], row["rejected_method"]) == (
        "swh_Latn", ["swh_Latn"], "swh_Latn", "source")  # fmt: skip
    card = (tmp_path / "out" / "README.md").read_text()
    assert "text-generation" in card
    assert "preference" in card


def test_only_a_source_with_both_sides_feeds_a_preference_output(tmp_path, write_manifest):
    from babelforge.manifest import ManifestError

    manifest = {
        "name": "pairs",
        "sources": [{"kind": "jsonl", "path": jsonl(tmp_path, [LAYOUTS["standard"]]), "language": "en",
                     "fields": {"prompt": "prompt", "chosen": "chosen"}}],
        "output": {"path": str(tmp_path / "out"), "kind": "preference"},
    }  # fmt: skip
    with pytest.raises(ManifestError, match=r"cannot feed output\.kind 'preference'"):
        load_manifest(write_manifest(manifest))


@pytest.mark.parametrize("kind", ["parquet", "hf"])
def test_parquet_and_hub_preference_sets_write_a_preference_output(tmp_path, write_manifest, kind):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({
        "id": ["k", "n"], "question": ["Capital of Kenya?", "Capital of Nigeria?"],
        "good": ["Nairobi.", "Abuja."], "bad": ["Mombasa.", "Lagos."], "lang": ["sw", "yo"],
    })  # fmt: skip
    folder = tmp_path / "hub" / "data"
    folder.mkdir(parents=True)
    pq.write_table(table, folder / "train-0.parquet")
    path = str(folder / "train-0.parquet") if kind == "parquet" else str(tmp_path / "hub")
    fields = {"prompt": "question", "chosen": "good", "rejected": "bad", "language": "lang"}
    manifest = {
        "name": "pairs",
        "sources": [{"kind": kind, "path": path, "fields": fields}],
        "output": {"path": str(tmp_path / "out"), "kind": "preference"},
    }
    result = run_manifest(load_manifest(write_manifest(manifest)))
    assert result.summary["drops"] == {}
    rows = {r["id"].rsplit("/", 1)[-1]: r for r in datasets.load_dataset(str(tmp_path / "out"), split="train")}
    assert rows["n"]["prompt"] == [{"role": "user", "content": "Capital of Nigeria?"}]
    assert rows["n"]["chosen"] == [{"role": "assistant", "content": "Abuja."}]
    assert (rows["n"]["rejected_text"], rows["n"]["language"], rows["k"]["chosen_lang"]) == (
        "Lagos.", "yor_Latn", "swh_Latn")  # fmt: skip
    assert (rows["k"]["chosen_method"], rows["k"]["rejected_method"]) == ("source", "source")
