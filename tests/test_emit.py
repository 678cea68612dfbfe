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


def _ner_docs():
    from datatrove.data import Document

    from babelforge.spans import Span, join_tokens

    def doc(i, tokens, spans, **metadata):
        text, offsets = join_tokens(tokens)
        return Document(text, f"d{i}", metadata={"spans": spans, "token_offsets": offsets, **metadata})

    return [
        doc(0, ["Ada", "Lovelace", "wrote"], [Span(0, 12, "PER")]),
        doc(1, ["Ada", "Bob", "met"], [Span(0, 3, "PER"), Span(4, 7, "PER")], language="eng_Latn"),
        doc(2, ["New York", "is", "big"], [Span(0, 8, "LOC")]),  # a token with a space of its own
        doc(3, ["University", "of", "Rome"], [Span(0, 18, "ORG"), Span(14, 18, "LOC")]),  # nested: kept aside
        doc(4, ["Ada", "wrote"], [[0, 3, "Big PER"]]),  # a label with a space; spans as JSON gives them back
        Document("Ada  wrote  Notes", "d5", metadata={"spans": [Span(0, 3, "PER")]}),  # no offsets: tokenized
        Document("", "d6", metadata={"spans": [], "token_offsets": []}),
        doc(7, ["nothing", "here"], []),
    ]


@pytest.mark.parametrize("scheme", ["BIO", "IOB1", "BIOES"])
@pytest.mark.parametrize("picked", [range(8), (0, 1, 5, 7)])  # the second: every row joins, the batch splits in Arrow
def test_ner_shards_hold_the_tokens_and_tags_spans_give(tmp_path, scheme, picked):
    import pyarrow.parquet as pq

    from babelforge.shards import NER_TAGS_KEY, ShardWriter
    from babelforge.spans import Span, spans_to_tags, tokenize

    docs = [_ner_docs()[i] for i in picked]
    expected = []
    for d in docs:
        spans = [Span(*s) for s in d.metadata["spans"]]
        offsets = d.metadata.get("token_offsets") or tokenize(d.text, spans)
        expected.append(([d.text[a:b] for a, b in offsets], spans_to_tags(spans, offsets, scheme).tags))
    writer = ShardWriter(str(tmp_path), "ner", scheme)
    assert len(list(writer.run(iter(docs)))) == len(docs)
    shard = tmp_path / "train" / "00000.parquet"
    rows = pq.read_table(shard).to_pylist()
    assert [(r["tokens"], r["ner_tags"]) for r in rows] == expected
    tags = {tag for _, row_tags in expected for tag in row_tags} - {"O"}
    assert json.loads(pq.read_metadata(shard).metadata[NER_TAGS_KEY]) == sorted(tags)
    if len(docs) == 8:
        assert json.loads(rows[3]["lineage"]) == [{"step": "shards", "kept_aside": [[14, 18, "LOC"]]}]


def test_labels_come_from_shard_footers_or_else_their_rows(tmp_path):
    import pyarrow.parquet as pq

    from babelforge.emit import _labels_in
    from babelforge.shards import ShardWriter

    list(ShardWriter(str(tmp_path / "a"), "ner", "BIOES").run(iter(_ner_docs())))
    shard = tmp_path / "a" / "train" / "00000.parquet"
    plain = tmp_path / "b" / "00000.parquet"
    plain.parent.mkdir()
    pq.write_table(pq.read_table(shard).replace_schema_metadata(None), plain)  # as an older babelforge wrote it
    assert _labels_in({"train": [shard]}) == _labels_in({"train": [plain]}) == ["Big PER", "LOC", "ORG", "PER"]


def test_tag_ids_are_the_same_from_dictionary_and_plain_columns(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from babelforge.emit import _NER_TAG_VALUES, _tags_to_ids
    from babelforge.errors import OutputError

    tags = [["O", "B-PER"], ["I-PER"], [], ["B-LOC", "O", "O"], ["O"]]
    column = pa.chunked_array([pa.array(tags[:3]), pa.array(tags).slice(3)], type=pa.list_(pa.string()))
    table = pa.table({"id": [str(i) for i in range(5)], "ner_tags": column})
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=2)
    names = ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
    expected = [[names.index(t) for t in row] for row in tags]
    for read in (table, pq.read_table(tmp_path / "t.parquet", read_dictionary=_NER_TAG_VALUES)):
        assert _tags_to_ids(read, names).column("ner_tags").to_pylist() == expected
    with pytest.raises(OutputError, match=r"tags \['B-LOC'\] are not in output.labels"):
        _tags_to_ids(pq.read_table(tmp_path / "t.parquet", read_dictionary=_NER_TAG_VALUES), ["O", "B-PER", "I-PER"])
