"""Large files are read by several tasks at once: the same records and ids as one task reading them."""

import gzip
import json
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from babelforge.builders.readers.ranges import ByteRange, InputFile, assign_ranges
from babelforge.sources import Source

# Characters of 1 to 4 bytes in UTF-8, so that cuts fall inside multibyte characters.
CHARS = st.sampled_from([*"ab z\t\r", "é", "ß", "中", "ส", "😀", "👩", "\u200d", "\u0301", "\u00a0", "\u2028"])
LINE = st.text(alphabet=CHARS, min_size=0, max_size=12)
ENDINGS = st.sampled_from(["\n", "\r\n"])


def source_of(config: dict):
    return TypeAdapter(Source).validate_python(config | {"language": "en"}, context={"base_dir": "/"})


def read_split(config: dict, world_size: int) -> tuple[list[tuple], list]:
    """Every task's records, concatenated in rank order, as (id, text, metadata); and the readers."""
    source, rows, readers = source_of(config), [], []
    for rank in range(world_size):
        reader = source.reader(0)
        rows += [(d.id, d.text, d.metadata) for d in reader.run(None, rank, world_size)]
        readers.append(reader)
    return rows, readers


def assert_same_as_unsplit(config: dict, world_sizes=(2, 3, 5, 8)) -> list[tuple]:
    whole, _ = read_split(config, 1)
    for world_size in world_sizes:
        rows, _ = read_split(config, world_size)
        assert rows == whole, f"world_size={world_size}"
    return whole


# -- the assignment ------------------------------------------------------------------------------------


def test_assignment_balances_bytes_and_covers_each_file_once():
    files = [InputFile("a.jsonl", 1000, True), InputFile("b.jsonl", 10, True), InputFile("c.jsonl.gz", 300, False)]
    tasks = assign_ranges(files, 4)
    assert tasks == assign_ranges(files, 4)  # deterministic
    for file in files:
        parts = sorted((r.start, r.end) for share in tasks for r in share if r.path == file.path)
        assert parts[0][0] == 0
        assert parts[-1][1] == file.size
        assert all(a[1] == b[0] for a, b in pairwise(parts))
    assert [r for share in tasks for r in share if r.path == "c.jsonl.gz"] == [ByteRange("c.jsonl.gz", 0, 300, 300)]
    sizes = [sum(r.end - r.start for r in share) for share in tasks]
    assert max(sizes) - min(sizes) <= 300  # at most the unsplittable file apart


def test_assignment_of_small_files_and_many_tasks():
    tasks = assign_ranges([InputFile("a.txt", 3, True), InputFile("b.txt", 0, True)], 8)
    assert len(tasks) == 8
    assert [r for share in tasks for r in share] == [ByteRange("a.txt", i, i + 1, 3) for i in range(3)]
    assert assign_ranges([], 3) == [[], [], []]


def test_compressed_files_go_whole_to_the_nearer_task():
    files = [InputFile(f"{i}.jsonl.gz", 100, False) for i in range(6)]
    tasks = assign_ranges(files, 4)
    assert [[r.path for r in share] for share in tasks] == [
        ["0.jsonl.gz", "1.jsonl.gz"],
        ["2.jsonl.gz"],
        ["3.jsonl.gz", "4.jsonl.gz"],
        ["5.jsonl.gz"],
    ]
    assert all(r.whole for share in tasks for r in share)


@given(
    sizes=st.lists(st.tuples(st.integers(0, 500), st.booleans()), max_size=6),
    world_size=st.integers(1, 9),
)
def test_assignment_is_a_partition(sizes, world_size):
    files = [InputFile(f"{i}", size, splittable) for i, (size, splittable) in enumerate(sizes)]
    tasks = assign_ranges(files, world_size)
    assert len(tasks) == world_size
    flat = [r for share in tasks for r in share]
    assert flat == sorted(flat, key=lambda r: (int(r.path), r.start))  # file order, then byte order
    for file in files:
        parts = [r for r in flat if r.path == file.path]
        assert sum(r.end - r.start for r in parts) == file.size
        assert file.splittable or len(parts) <= 1


# -- the readers ---------------------------------------------------------------------------------------


def test_jsonl_split_reads_the_same_rows_and_ids(tmp_path):
    path = tmp_path / "rows.jsonl"
    rows = [json.dumps({"text": f"row {i} " + "é" * (i % 7), "n": i}, ensure_ascii=False) for i in range(200)]
    path.write_text("\n".join(rows[:100]) + "\n\n\r\n" + "\r\n".join(rows[100:]))  # blank lines, CRLF, no last newline
    whole = assert_same_as_unsplit({"kind": "jsonl", "path": str(path)})
    assert len(whole) == 200
    assert whole[150][0] == f"rows/rows.jsonl:{150 + 3}"


def test_each_task_reads_its_share_and_position_adds_up(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps({"text": f"row {i}"}) + "\n" for i in range(1000)))
    _, readers = read_split({"kind": "jsonl", "path": str(path)}, 4)
    counts = [reader.stats["read"].total for reader in readers]
    assert sum(counts) == 1000
    assert min(counts) >= 240
    assert sum(reader.position for reader in readers) == path.stat().st_size


def test_text_and_tsv_split(tmp_path):
    text = tmp_path / "lines.txt"
    text.write_bytes("".join(f"line {i} ส😀\r\n" if i % 3 else "\n" for i in range(300)).encode())
    assert len(assert_same_as_unsplit({"kind": "text", "path": str(text)})) == 200
    tsv = tmp_path / "pairs.tsv"
    tsv.write_text("".join(f"src {i}\ttgt {i}\n" for i in range(300)) + "broken\n")
    config = {"kind": "tsv", "path": str(tsv), "target_language": "sw", "on_error": "skip"}
    assert len(assert_same_as_unsplit(config)) == 300


def test_conll_split_at_blank_lines(tmp_path, data_dir):
    text = (data_dir / "europarl-en.conll").read_text().replace("\n\n", "\n \t\n\n", 5)  # whitespace-only lines
    path = tmp_path / "crlf.conll"
    path.write_bytes(("-DOCSTART- O\n\n" + text).replace("\n", "\r\n").encode())
    whole = assert_same_as_unsplit({"kind": "conll", "path": str(path)}, world_sizes=(2, 3, 7, 40))
    assert len(whole) == 150


def test_conll_with_a_translation_is_not_split(tmp_path):
    (tmp_path / "en.conll").write_text("Ada\tB-PER\n\nRome\tB-LOC\n")
    (tmp_path / "de.txt").write_text("Ada\nRom\n")
    translation = {"path": str(tmp_path / "de.txt"), "language": "de", "format": "text"}
    config = {"kind": "conll", "path": str(tmp_path / "en.conll"), "translation": translation}
    reader = source_of(config).reader(0)
    assert reader.assignment(2)[1] == []
    rows = assert_same_as_unsplit(config, world_sizes=(2,))
    assert [r[2]["target_text"] for r in rows] == ["Ada", "Rom"]


def test_a_file_smaller_than_the_task_count(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text("a\nb")
    assert [r[1] for r in assert_same_as_unsplit({"kind": "text", "path": str(path)}, world_sizes=(2, 3, 4, 9))] == [
        "a",
        "b",
    ]


def test_gzip_files_are_read_whole_by_one_task(tmp_path):
    for i in range(3):
        with gzip.open(tmp_path / f"{i}.jsonl.gz", "wt") as f:
            f.write("".join(json.dumps({"text": f"{i}-{j}"}) + "\n" for j in range(50)))
    rows = assert_same_as_unsplit({"kind": "jsonl", "path": str(tmp_path)}, world_sizes=(2, 3, 4))
    assert len(rows) == 150


def test_parquet_split_by_row_groups(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"text": [f"row {i} " * 20 for i in range(1000)]}), path, row_group_size=100)
    rows = assert_same_as_unsplit({"kind": "parquet", "path": str(path)}, world_sizes=(2, 3, 16))
    assert rows[250][0] == "rows/rows.parquet:251"
    _, readers = read_split({"kind": "parquet", "path": str(path)}, 3)
    assert all(reader.stats["read"].total >= 100 for reader in readers)  # a row group or more each


def test_limit_stays_per_task(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps({"text": f"row {i:02d}"}) + "\n" for i in range(100)))
    rows, _ = read_split({"kind": "jsonl", "path": str(path), "limit": 3}, 2)
    assert [r[1] for r in rows] == ["row 00", "row 01", "row 02", "row 50", "row 51", "row 52"]


@pytest.mark.parametrize("chunk", [5, 64])
def test_small_chunks_and_ranges_together(tmp_path, monkeypatch, chunk):
    from babelforge.builders.readers import decoding

    path = tmp_path / "rows.txt"
    path.write_text("".join(f"{'中' * (i % 9)}line {i}\n" for i in range(120)))
    whole = assert_same_as_unsplit({"kind": "text", "path": str(path)})
    monkeypatch.setattr(decoding, "CHUNK_BYTES", chunk)
    assert assert_same_as_unsplit({"kind": "text", "path": str(path)}) == whole


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.tuples(LINE, ENDINGS), max_size=25), last_newline=st.booleans(), world_size=st.integers(2, 9))
def test_text_split_matches_unsplit_for_any_lines(tmp_path, lines, last_newline, world_size):
    content = "".join(line + ending for line, ending in lines)
    if not last_newline and content:
        content = content.rstrip("\r\n")
    path = tmp_path / "h.txt"
    path.write_bytes(content.encode())
    whole, _ = read_split({"kind": "text", "path": str(path)}, 1)
    assert [r[1] for r in whole] == [line.rstrip("\r\n") for line in content.split("\n") if line.strip()]
    assert read_split({"kind": "text", "path": str(path)}, world_size)[0] == whole


TOKEN = st.text(alphabet=st.sampled_from(["a", "é", "中", "😀", "ส"]), min_size=1, max_size=4)
TAGGED = st.tuples(TOKEN, st.sampled_from(["O", "B-PER", "I-PER"]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    sentences=st.lists(st.lists(TAGGED, min_size=1, max_size=4), max_size=10),
    separator=st.sampled_from(["\n\n", "\n\n\n", "\n \n", "\r\n\r\n"]),
    world_size=st.integers(2, 9),
)
def test_conll_split_matches_unsplit_for_any_sentences(tmp_path, sentences, separator, world_size):
    path = tmp_path / "h.conll"
    path.write_bytes((separator.join("\n".join(f"{t}\t{g}" for t, g in s) for s in sentences) + "\n").encode())
    whole, _ = read_split({"kind": "conll", "path": str(path)}, 1)
    assert len(whole) == len(sentences)
    assert read_split({"kind": "conll", "path": str(path)}, world_size)[0] == whole
