import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from babelforge.builders.readers.conll_layout import Columns, detect_columns
from babelforge.errors import BabelforgeError, InputFormatError
from babelforge.sources import Source
from babelforge.spans import Span

# Tokens in scripts that break naive offset code: emoji with ZWJ, CJK, Thai, RTL, combining marks.
TOKEN = st.text(alphabet=st.sampled_from("a😀👩‍👧中文สวัสดีمرحباשלוםé\u0301\u200dß"), min_size=1, max_size=5)
TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "S-ORG", "E-PER"]


def read(settings: dict, rank: int = 0, world_size: int = 1):
    source = TypeAdapter(Source).validate_python(settings, context={"base_dir": "/"})
    reader = source.reader(0)
    return list(reader.run(None, rank, world_size)), reader


def test_conll_reader_builds_text_spans_and_offsets(data_dir):
    docs, reader = read({"kind": "conll", "path": str(data_dir / "europarl-en.conll"), "language": "en"})
    assert len(docs) == 150
    doc = docs[1]
    assert doc.text.startswith("I declare resumed the session of the European Parliament")
    assert doc.metadata["language"] == "eng_Latn"
    (span,) = doc.metadata["spans"]
    assert doc.text[span.start : span.end] == "European Parliament"
    assert span.label == "ORG"
    assert doc.metadata["source_id"].endswith("europarl-en.conll:6")
    assert reader.position > 0


def test_conll_offsets_are_code_points_on_hard_scripts(data_dir):
    docs, _ = read({"kind": "conll", "path": str(data_dir / "hard-scripts.conll"), "language": "amh"})
    surfaces = [[(d.text[s.start : s.end], s.label) for s in d.metadata["spans"]] for d in docs]
    assert len(docs) == 7  # the "# sent_id" comments are skipped
    assert surfaces[0] == [("አበበ", "PER"), ("አበባ", "LOC")]
    assert surfaces[1] == [("李雷", "PER"), ("北京大学", "ORG")]
    assert surfaces[4] == [("דוד", "PER"), ("בתל אביב", "LOC")]
    assert surfaces[6] == [("Zoë", "PER"), ("São Paulo", "LOC")]
    assert docs[6].text.startswith("👩‍👩‍👧 Zoë")


def test_conll_columns_docstart_and_delimiter(tmp_path):
    path = tmp_path / "four.conll"
    path.write_text("-DOCSTART- -X- O O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\nPeter NNP B-NP B-PER\n")
    docs, _ = read({"kind": "conll", "path": str(path), "language": "en", "tag_column": 3})
    assert [d.text for d in docs] == ["EU rejects", "Peter"]
    assert docs[0].metadata["spans"] == [Span(0, 2, "ORG")]


def test_malformed_conll_line_names_file_and_line(tmp_path):
    path = tmp_path / "bad.conll"
    path.write_text("Ada\tB-PER\nLovelace\n\nRome\tB-LOC\n")
    with pytest.raises(InputFormatError) as error:
        read({"kind": "conll", "path": str(path), "language": "en"})
    assert f"{path}:2: expected a token in column 0 and a tag" in str(error.value)
    assert "'Lovelace'" in str(error.value)


def test_malformed_lines_can_be_skipped_and_counted(tmp_path):
    path = tmp_path / "bad.conll"
    path.write_text("Ada\tB-PER\nLovelace\tQ-PER\n\nRome\tB-LOC\n")
    docs, reader = read({"kind": "conll", "path": str(path), "language": "en", "on_error": "skip"})
    assert [d.text for d in docs] == ["Rome"]
    assert reader.stats["dropped:malformed_input"].total == 1


def test_jsonl_with_field_mapping(tmp_path):
    path = tmp_path / "rows.jsonl"
    rows = [
        {
            "sentence": "Musa ya tafi Kano",
            "ents": [{"start": 0, "end": 4, "label": "PER"}, [13, 17, "LOC"]],
            "lang": "ha",
        },
        {"sentence": "Audu", "ents": [], "lang": "yo"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")
    docs, _ = read(
        {"kind": "jsonl", "path": str(path), "fields": {"text": "sentence", "spans": "ents", "language": "lang"}}
    )
    assert docs[0].metadata["spans"] == [Span(0, 4, "PER"), Span(13, 17, "LOC")]
    assert [d.metadata["language"] for d in docs] == ["hau_Latn", "yor_Latn"]


def test_jsonl_tokens_and_tags(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps({"words": ["Ada", "Lovelace"], "labels": ["S-PER", "O"]}) + "\n")
    docs, _ = read(
        {"kind": "jsonl", "path": str(path), "language": "en", "fields": {"tokens": "words", "tags": "labels"}}
    )
    assert docs[0].metadata["spans"] == [Span(0, 3, "PER")]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('{"text": "a", ', "expected one JSON object per line"),
        ('{"txt": "a"}', "expected a field 'text' (the row has: txt)"),
        ('{"text": "abc", "spans": [[2, 9, "X"]]}', "expected spans in 'spans' with 0 <= start < end <= 3"),
    ],
)
def test_malformed_jsonl_names_line_and_expectation(tmp_path, line, expected):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"text": "fine", "spans": []}\n' + line + "\n")
    with pytest.raises(InputFormatError) as error:
        read({"kind": "jsonl", "path": str(path), "language": "en", "fields": {"spans": "spans"}})
    assert f"{path}:2: {expected}" in str(error.value)


def test_parquet_reader(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"text": ["one", "two", "three"], "id": ["a", "b", "c"]}), path)
    docs, _ = read({"kind": "parquet", "path": str(path), "language": "sw"})
    assert [d.text for d in docs] == ["one", "two", "three"]
    assert docs[0].metadata["language"] == "swh_Latn"


def test_plain_text_per_line_and_per_file(tmp_path):
    (tmp_path / "a.txt").write_text("first line\n\nsecond line\n")
    (tmp_path / "b.txt").write_text("another file\n")
    docs, _ = read({"kind": "text", "path": str(tmp_path / "*.txt"), "language": "en"})
    assert [d.text for d in docs] == ["first line", "second line", "another file"]
    docs, _ = read({"kind": "text", "path": str(tmp_path / "*.txt"), "language": "en", "per": "file"})
    assert len(docs) == 2


def test_tsv_bitext(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text("Good morning\tHabari ya asubuhi\nbroken line\n")
    docs, reader = read(
        {"kind": "tsv", "path": str(path), "language": "en", "target_language": "sw", "on_error": "skip"}
    )
    assert docs[0].text == "Good morning"
    assert docs[0].metadata["target_text"] == "Habari ya asubuhi"
    assert docs[0].metadata["target_language"] == "swh_Latn"
    assert reader.stats["dropped:malformed_input"].total == 1


def test_files_are_sharded_across_tasks(conll_corpus):
    counts = [len(read({"kind": "conll", "path": str(conll_corpus), "language": "en"}, r, 2)[0]) for r in (0, 1)]
    assert sum(counts) == 150
    assert all(counts)


def test_hub_reader_on_a_local_dataset_folder(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path / "ds" / "data"
    folder.mkdir(parents=True)
    pq.write_table(
        pa.table({"tokens": [["Ada", "sang"], ["Kano"]], "tags": [["B-PER", "O"], ["B-LOC"]]}),
        folder / "train-0.parquet",
    )
    settings = {
        "kind": "hf",
        "path": str(tmp_path / "ds"),
        "language": "en",
        "fields": {"tokens": "tokens", "tags": "tags"},
    }
    docs, _ = read(settings)
    assert [d.text for d in docs] == ["Ada sang", "Kano"]
    assert docs[1].metadata["spans"] == [Span(0, 4, "LOC")]


def test_hub_reader_reads_integer_class_labels_by_name(tmp_path):
    import datasets

    features = datasets.Features(
        {
            "tokens": datasets.Sequence(datasets.Value("string")),
            "ner_tags": datasets.Sequence(datasets.ClassLabel(names=["O", "B-PER", "I-PER", "B-LOC"])),
        }
    )
    data = {"tokens": [["Ada", "Lovelace", "sang"], ["Kano"]], "ner_tags": [[1, 2, 0], [3]]}
    datasets.Dataset.from_dict(data, features=features).save_to_disk(tmp_path / "saved")
    datasets.load_from_disk(tmp_path / "saved").to_parquet(tmp_path / "ds" / "data" / "train-0.parquet")
    folder = tmp_path / "ds"
    settings = {"kind": "hf", "path": str(folder), "language": "en", "fields": {"tokens": "tokens", "tags": "ner_tags"}}
    docs, _ = read(settings)
    assert docs[0].metadata["spans"] == [Span(0, 12, "PER")]
    assert docs[1].metadata["spans"] == [Span(0, 4, "LOC")]


def test_hub_reader_fails_clearly_for_an_unreachable_dataset():
    settings = {"kind": "hf", "path": "no-such-org/no-such-dataset", "language": "en"}
    with pytest.raises(BabelforgeError, match="could not load dataset 'no-such-org/no-such-dataset'"):
        read(settings)


def test_conll_chunking_keeps_sentences_and_line_numbers(data_dir, monkeypatch, tmp_path):
    from babelforge.builders.readers import decoding

    text = (data_dir / "europarl-en.conll").read_text().replace("\n\n", "\n  \n\n", 3)
    path = tmp_path / "crlf.conll"
    path.write_bytes(text.replace("\n", "\r\n").encode())
    whole, _ = read({"kind": "conll", "path": str(path), "language": "en"})
    monkeypatch.setattr(decoding, "CHUNK_BYTES", 97)
    chunked, _ = read({"kind": "conll", "path": str(path), "language": "en"})
    assert [(d.text, d.id, d.metadata["spans"]) for d in chunked] == [
        (d.text, d.id, d.metadata["spans"]) for d in whole
    ]
    assert len(whole) == 150
    assert whole[1].id.endswith(":7")  # one whitespace-only line was added before it


def test_a_folder_source_reads_only_its_kind_of_file(tmp_path, data_dir):
    import gzip
    import shutil

    shutil.copy(data_dir / "europarl-en.conll", tmp_path / "a.conll")
    with open(data_dir / "europarl-en.conll", "rb") as f, gzip.open(tmp_path / "b.conll.gz", "wb") as g:
        g.write(f.read())
    (tmp_path / "manifest.yaml").write_text("name: not data\n")
    (tmp_path / ".hidden.conll").write_text("junk line\n")
    docs, _ = read({"kind": "conll", "path": str(tmp_path), "language": "en"})
    assert len(docs) == 300


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    sentences=st.lists(
        st.lists(st.tuples(TOKEN, st.sampled_from(TAGS)), min_size=1, max_size=8), min_size=1, max_size=5
    )
)
def test_conll_round_trip_on_hard_scripts(tmp_path, sentences):
    """Whatever the script, each span's surface is its tokens joined by spaces, in code points."""
    from babelforge.spans import convert_tags, join_tokens, tags_to_spans

    path = tmp_path / "h.conll"
    path.write_text(
        "\n\n".join("\n".join(f"{tok}\t{tag}" for tok, tag in s) for s in sentences) + "\n", encoding="utf-8"
    )
    docs, _ = read({"kind": "conll", "path": str(path), "language": "en"})
    assert len(docs) == len(sentences)
    for doc, sentence in zip(docs, sentences, strict=True):
        tokens = [tok for tok, _ in sentence]
        text, offsets = join_tokens(tokens)
        assert doc.text == text
        assert doc.metadata["token_offsets"] == offsets
        assert doc.metadata["spans"] == tags_to_spans(convert_tags([tag for _, tag in sentence], "BIO"), offsets)
        for span in doc.metadata["spans"]:
            assert doc.text[span.start : span.end].split(" ")[0] in tokens


def test_skipped_input_goes_to_the_rejects_when_asked(tmp_path):
    path = tmp_path / "bad.conll"
    path.write_text("Ada\tB-PER\nLovelace\tQ-PER\n\nRome\tB-LOC\n")
    source = TypeAdapter(Source).validate_python(
        {"kind": "conll", "path": str(path), "language": "en", "on_error": "skip"}
    )
    reader = source.reader(0)
    reader.rejects_folder = str(tmp_path / "rejects")
    assert [d.text for d in reader.run(None, 0, 1)] == ["Rome"]
    (rejects,) = (tmp_path / "rejects").glob("*.jsonl")
    (row,) = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert row["reason"] == "malformed_input"
    assert row["text"] == "Ada\tB-PER\nLovelace\tQ-PER"
    assert f"{path}:2: expected a token" in row["detail"]


def conll_reader(**settings):
    path = Path(__file__).parent.parent / "data" / "europarl-en.conll"
    settings = {
        "kind": "conll",
        "path": str(path),
        "language": "en",
        "on_error": "skip",
        **settings,
    }  # skip: no sniffing
    return TypeAdapter(Source).validate_python(settings).reader(0)


CELL = st.lists(st.sampled_from(["a", "中", "é\u0301", "O", "B-PER", "-", "|"]), min_size=1, max_size=3).map("".join)
ODD = st.sampled_from(["", " ", "\t", "  ", "\u00a0", "\x0b", "|", "||", "x y"])


@st.composite
def conll_blocks(draw):
    """Mostly uniform blocks (one width, clean fields), with a few lines changed in ways that break uniformity."""
    width, joiner = draw(st.integers(1, 4)), draw(st.sampled_from([" ", "\t", "|", "  "]))
    lines = draw(st.lists(st.lists(CELL, min_size=width, max_size=width), min_size=1, max_size=5))
    for _ in range(draw(st.integers(0, 2))):
        line = draw(st.sampled_from(lines))
        at = draw(st.integers(0, len(line)))
        if draw(st.booleans()) or len(line) < 2:
            line.insert(at, draw(ODD))
        else:
            line.pop(at % len(line))
    return "\n".join(joiner.join(line) for line in lines)


@settings(max_examples=400, deadline=None)
@given(
    block=conll_blocks(),
    delimiter=st.sampled_from([None, "\t", " ", "|", "||"]),
    columns=st.sampled_from([(0, -1), (1, 0), (0, 2), (-3, -1), (0, 4)]),
)
def test_conll_blocks_split_at_once_give_the_columns_a_split_per_line_gives(block, delimiter, columns):
    """The one-pattern path for uniform blocks reads what the line-by-line path reads, or leaves the block to it."""
    if not block.strip() or any(not line.strip() for line in block.split("\n")):
        return  # blocks are runs of non-blank lines
    reader = conll_reader(delimiter=delimiter, token_column=columns[0], tag_column=columns[1])
    layout = Columns(*columns, delimiter)
    fast = reader._uniform_columns(block, layout)
    assert fast is None or fast == reader._ragged_columns(block, layout)


@pytest.mark.parametrize(
    ("delimiter", "line"), [(None, "Ada B-PER"), (None, "Ada\tB-PER"), ("\t", "Ada Lovelace\tB-PER")]
)
def test_uniform_conll_blocks_take_the_one_pattern_path(delimiter, line):
    reader = conll_reader(delimiter=delimiter)
    block = "\n".join([line, line.replace("Ada", "wrote").replace("B-PER", "O")])
    token = line.split(delimiter)[0]
    layout = Columns(0, -1, delimiter)
    assert reader._uniform_columns(block, layout) == ([token, token.replace("Ada", "wrote")], ["B-PER", "O"])
    assert reader._uniform_columns(block + "\nragged", layout) is None  # the line-by-line path names the bad line


def test_conll_edge_cases_read_as_before(tmp_path):
    """IOB1 tags, tokens with inner spaces (tab-separated), CRLF, -DOCSTART-, comments and extra blank lines."""
    path = tmp_path / "edge.conll"
    text = (
        "-DOCSTART-\tO\n\n# sent_id = 1\nNew York\tI-LOC\nis\tO\nbig\tO\n\n\n  \n"
        "Ada\tI-PER\nLovelace\tI-PER\nBabbage\tB-PER\n\nlonely line\n\nRome\tB-LOC"
    )
    path.write_bytes(text.replace("\n", "\r\n").encode())
    docs, reader = read({"kind": "conll", "path": str(path), "language": "en", "delimiter": "\t", "on_error": "skip"})
    assert [d.text for d in docs] == ["New York is big", "Ada Lovelace Babbage", "Rome"]
    assert [d.metadata["spans"] for d in docs] == [
        [Span(0, 8, "LOC")],
        [Span(0, 12, "PER"), Span(13, 20, "PER")],
        [Span(0, 4, "LOC")],
    ]
    assert [d.metadata["source_id"].rsplit(":", 1)[1] for d in docs] == ["4", "10", "16"]
    assert docs[0].metadata["token_offsets"] == [(0, 8), (9, 11), (12, 15)]
    assert reader.stats.stats["dropped:malformed_input"].total == 1


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["EU NNP B-NP B-ORG", "rejects VBZ B-VP O"], (0, 3, None)),  # CoNLL-2003: the last tag column
        (["Ada B-PER", "wrote O"], (0, 1, None)),
        (["# text = Ada wrote", "1\tAda\tB-PER\t-\t-", "2\twrote\tO\t-\t-"], (1, 2, "\t")),  # UniversalNER
        (["1\t5 000\tO\t-\t-", "2\tkr\tO\t-\t-"], (1, 2, "\t")),  # a token with a space: tabs split
        (["1-2\tdu\tO\t_", "1\tde\tO\t_", "2\tle\tO\t_"], (1, 2, "\t")),  # a CoNLL-U multiword range
        (["Ada\tB-PER", "wrote O"], (0, 1, None)),  # tabs on some lines only: any whitespace
        (["3 B-PER", "4 O"], (0, 1, None)),  # a numeric token in two columns is a token
        (["Ada PER", "wrote X"], (0, -1, None)),  # no tag column: the last one, and the reader names the line
        ([], (0, -1, None)),
    ],
)
def test_the_conll_layout_is_found_from_the_first_lines(lines, expected):
    assert detect_columns(lines, None, None, None) == expected


def test_columns_a_source_sets_are_kept():
    assert detect_columns(["1\tAda\tB-PER\t-"], "\t", 0, None) == (0, 2, "\t")
    assert detect_columns(["1 Ada B-PER -"], " ", None, 3) == (1, 3, " ")


def test_universalner_iob2_files_read_as_they_are(tmp_path):
    path = tmp_path / "en_pud.iob2"
    path.write_text(
        "# newdoc id = n1\n# sent_id = n1-1\n# text = Ada met Obama .\n"
        "1\tAda\tB-PER\t-\t-\n2\tmet\tO\t-\t-\n3\tObama\tB-PER\t-\t-\n4\t.\tO\t-\t-\n\n"
        "# sent_id = n1-2\n1\tIn\tO\t-\t-\n2\tParis\tB-LOC\t-\t-\n3\t5 000\tO\t-\t-\n"
    )
    from babelforge.projection.evaluate import read_gold

    assert read_gold(path, "iob2") == [
        ("Ada met Obama .", [Span(0, 3, "PER"), Span(8, 13, "PER")]),
        ("In Paris 5 000", [Span(3, 8, "LOC")]),
    ]
