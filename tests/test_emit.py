"""Every record kind round-trips through emit: `datasets.load_dataset` returns the Features written."""

import json

import datasets
import pytest

from babelforge.manifest import load_manifest
from babelforge.records import features_for
from babelforge.runner import run_manifest

ROWS = {
    "spans": [
        {"text": "Musa ya tafi Kano 🇳🇬", "ents": [[0, 4, "PER"], [13, 17, "LOC"]]},
        {"text": "Babu komai", "ents": []},
    ],
    "chat": [{"messages": [{"role": "user", "content": "Sannu"}, {"role": "assistant", "content": "Yauwa"}]}],
    "text": [{"text": "Wani rubutu."}, {"text": "Another line."}],
}
FIELDS = {"spans": {"spans": "ents"}, "chat": {"messages": "messages", "text": None}, "text": {}}


@pytest.mark.parametrize("kind", ["spans", "chat", "text"])
def test_each_kind_loads_back_with_its_features(tmp_path, write_manifest, kind):
    data = tmp_path / "rows.jsonl"
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS[kind]) + "\n", encoding="utf-8")
    manifest = {
        "name": kind,
        "license": "cc0-1.0",
        "sources": [{"kind": "jsonl", "path": str(data), "language": "hau", "fields": FIELDS[kind]}],
        "output": {"path": str(tmp_path / "out"), "kind": kind},
    }
    run_manifest(load_manifest(write_manifest(manifest)))
    loaded = datasets.load_dataset(str(tmp_path / "out"), split="train")
    assert loaded.features == features_for(kind)
    assert len(loaded) == len(ROWS[kind])
    assert set(loaded["language"]) == {"hau_Latn"}
    if kind == "spans":
        first = loaded[0]
        assert [first["text"][s["start"] : s["end"]] for s in first["spans"]] == ["Musa", "Kano"]
    if kind == "chat":
        assert loaded[0]["messages"][1] == {"role": "assistant", "content": "Yauwa"}


def test_bitext_loads_back(tmp_path, write_manifest):
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("Good morning\tIna kwana\nThank you\tNa gode\n")
    manifest = {
        "name": "bitext",
        "sources": [{"kind": "tsv", "path": str(pairs), "language": "en", "target_language": "ha"}],
        "output": {"path": str(tmp_path / "out"), "kind": "bitext"},
    }
    run_manifest(load_manifest(write_manifest(manifest)))
    loaded = datasets.load_dataset(str(tmp_path / "out"), split="train")
    assert loaded.features == features_for("bitext")
    assert loaded[1]["target_text"] == "Na gode"
    assert loaded[1]["target_language"] == "hau_Latn"


def test_declared_labels_fix_the_class_names(tmp_path, write_manifest, data_dir):
    manifest = {
        "name": "labels",
        "sources": [{"kind": "conll", "path": str(data_dir / "europarl-en.conll"), "language": "en"}],
        "output": {
            "path": str(tmp_path / "out"),
            "labels": ["PER", "ORG", "LOC", "MISC", "DATE"],
            "tag_scheme": "BIOES",
        },
    }
    run_manifest(load_manifest(write_manifest(manifest)))
    names = datasets.load_dataset(str(tmp_path / "out"), split="train").features["ner_tags"].feature.names
    assert names[0] == "O"
    assert len(names) == 1 + 4 * 5
    assert "S-DATE" in names


def test_a_tag_missing_from_declared_labels_is_a_clear_error(tmp_path, write_manifest, data_dir):
    from babelforge.errors import OutputError

    manifest = {
        "name": "labels",
        "sources": [{"kind": "conll", "path": str(data_dir / "europarl-en.conll"), "language": "en"}],
        "output": {"path": str(tmp_path / "out"), "labels": ["PER"]},
    }
    with pytest.raises(OutputError, match=r"are not in output.labels .*map them away with a map_labels step"):
        run_manifest(load_manifest(write_manifest(manifest)))
    assert not (tmp_path / "out").exists()


def test_nested_spans_are_kept_aside_and_counted_for_ner(tmp_path, write_manifest):
    data = tmp_path / "rows.jsonl"
    rows = [{"text": "University of Rome staff", "ents": [[0, 18, "ORG"], [14, 18, "LOC"]]}]
    data.write_text(json.dumps(rows[0]) + "\n")
    manifest = {
        "name": "nested",
        "sources": [{"kind": "jsonl", "path": str(data), "language": "en", "fields": {"spans": "ents"}}],
        "output": {"path": str(tmp_path / "out"), "kind": "ner"},
    }
    result = run_manifest(load_manifest(write_manifest(manifest)))
    loaded = datasets.load_dataset(str(tmp_path / "out"), split="train")
    row, names = loaded[0], loaded.features["ner_tags"].feature.names
    assert [names[t] for t in row["ner_tags"]] == ["B-ORG", "I-ORG", "I-ORG", "O"]
    assert json.loads(row["lineage"])[-1]["kept_aside"] == [[14, 18, "LOC"]]
    shards = next(s for s in result.summary["steps"] if s["name"] == "shards")
    assert shards["counts"]["spans_kept_aside"] == 1
