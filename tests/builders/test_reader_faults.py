"""Bad input at every reader: binary files, wrong encodings, truncated and empty files, bad spans.

Each fault either stops the read with one clear error naming the file (``on_error: fail``) or is
counted under a reason while the rest is read (``on_error: skip``).
"""

import gzip
import json
import subprocess
import sys

import pytest
from pydantic import TypeAdapter, ValidationError

from babelforge.builders.readers.base import UnreadableFileError
from babelforge.errors import BabelforgeError, InputFormatError
from babelforge.sources import Source, file_warnings

# An executable's first bytes, then every byte value: what /bin/ls looks like to a text reader.
BINARY = b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 16
GOOD = {
    "conll": "Ada\tB-PER\nsang\tO\n\nRome\tB-LOC\n",
    "jsonl": '{"text": "Ada sang"}\n{"text": "Rome"}\n',
    "text": "Ada sang\nRome\n",
    "tsv": "Ada sang\tAda ta rera\nRome\tRoma\n",
    "squad": json.dumps(
        {
            "data": [
                {
                    "title": "t",
                    "paragraphs": [
                        {
                            "context": "Ada sang",
                            "qas": [
                                {"id": "q1", "question": "Who?", "answers": [{"text": "Ada", "answer_start": 0}]},
                                {"id": "q2", "question": "Did?", "answers": []},
                            ],
                        }
                    ],
                }
            ]
        }
    ),
}
SUFFIX = {"conll": ".conll", "jsonl": ".jsonl", "text": ".txt", "tsv": ".tsv", "squad": ".json", "parquet": ".parquet"}


def settings(kind: str, path, **extra) -> dict:
    base = {"kind": kind, "path": str(path), "language": "en"}
    if kind == "tsv":
        base["target_language"] = "sw"
    return base | extra


def source_of(config: dict, on_error: str | None = None):
    """A validated source; ``on_error`` set afterwards, past the file sniff of validation."""
    source = TypeAdapter(Source).validate_python(config | {"on_error": "skip"}, context={"base_dir": "/"})
    return source.model_copy(update={"on_error": on_error or config.get("on_error", "fail")})


def read(config: dict, rank: int = 0, world_size: int = 1, on_error: str | None = None, rejects=None):
    reader = source_of(config, on_error).reader(0)
    reader.rejects_folder = str(rejects) if rejects else None
    return list(reader.run(None, rank, world_size)), reader


def drops(reader) -> dict[str, int]:
    return {k.removeprefix("dropped:"): v.total for k, v in reader.stats.stats.items() if k.startswith("dropped:")}


# -- binary files ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["conll", "jsonl", "text", "tsv", "squad"])
def test_a_binary_file_is_a_validation_problem_naming_file_and_byte(tmp_path, kind):
    path = tmp_path / f"x{SUFFIX[kind]}"
    path.write_bytes(BINARY)
    with pytest.raises(ValidationError) as error:
        TypeAdapter(Source).validate_python(settings(kind, path))
    assert f"{path}: byte 7 is a NUL byte: this is binary data, not a {kind} text file" in str(error.value)


@pytest.mark.parametrize("kind", ["conll", "jsonl", "text", "tsv", "squad"])
def test_a_binary_file_fails_the_read_with_one_line(tmp_path, kind):
    path = tmp_path / f"x{SUFFIX[kind]}"
    path.write_bytes(BINARY)
    with pytest.raises(UnreadableFileError) as error:
        read(settings(kind, path), on_error="fail")
    assert str(error.value) == f"{path}: byte 7 is a NUL byte: this is binary data, not a {kind} text file"
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("kind", ["conll", "jsonl", "text", "tsv", "squad"])
def test_a_binary_file_is_skipped_counted_and_named(tmp_path, kind):
    (tmp_path / f"a{SUFFIX[kind]}").write_text(GOOD[kind])
    (tmp_path / f"b{SUFFIX[kind]}").write_bytes(BINARY)
    config = settings(kind, tmp_path, on_error="skip")
    docs, reader = read(config, rejects=tmp_path / "rejects")
    assert len(docs) == 2
    assert drops(reader) == {"unreadable_file": 1}
    (row,) = [json.loads(line) for line in next((tmp_path / "rejects").glob("*.jsonl")).read_text().splitlines()]
    assert row["reason"] == "unreadable_file"
    assert row["detail"].startswith(f"{tmp_path / ('b' + SUFFIX[kind])}: byte 7 is a NUL byte")
    assert file_warnings([source_of(config)]) == [
        ("sources[0]", f"{row['detail']} (on_error: skip, so the run counts it as unreadable_file)")
    ]


def test_a_text_file_as_parquet(tmp_path):
    path = tmp_path / "rows.parquet"
    path.write_text('{"text": "not parquet"}\n')
    with pytest.raises(ValidationError, match=r"rows.parquet: does not start with the Parquet magic bytes b'PAR1'"):
        TypeAdapter(Source).validate_python(settings("parquet", path))
    docs, reader = read(settings("parquet", path), on_error="skip")
    assert docs == []
    assert drops(reader) == {"unreadable_file": 1}


def test_a_truncated_parquet_file(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"text": ["one", "two"]}), path)
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ValidationError, match="does not end with the Parquet footer"):
        TypeAdapter(Source).validate_python(settings("parquet", path))


def test_a_file_that_looks_like_another_kind(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text("Ada\tB-PER\n")
    with pytest.raises(ValidationError, match=r"line 1 does not start a JSON object \('Ada\\tB-PER'\)"):
        TypeAdapter(Source).validate_python(settings("jsonl", path))
    path = tmp_path / "plain.conll"
    path.write_text("Just a sentence of prose.\n")
    with pytest.raises(ValidationError, match=r"line 1 \('Just a sentence of prose.'\) has no token in column 0"):
        TypeAdapter(Source).validate_python(settings("conll", path))


def test_a_folder_without_files_of_the_kind_is_a_problem_in_either_mode(tmp_path):
    (tmp_path / "notes.md").write_text("nothing to read\n")
    for on_error in ("fail", "skip"):
        with pytest.raises(ValidationError, match=r"no input files at .* for a jsonl source"):
            TypeAdapter(Source).validate_python(settings("jsonl", tmp_path, on_error=on_error))


# -- encodings --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["conll", "jsonl", "text", "tsv"])
def test_latin1_file_needs_its_encoding(tmp_path, kind):
    path = tmp_path / f"x{SUFFIX[kind]}"
    path.write_bytes(GOOD[kind].replace("Rome", "Zoë").encode("latin-1"))
    offset = path.read_bytes().index("ë".encode("latin-1"))
    with pytest.raises(ValidationError) as error:
        TypeAdapter(Source).validate_python(settings(kind, path))
    assert f"byte {offset} (0xeb) is not utf-8 text" in str(error.value)
    assert "set the source's 'encoding' (e.g. latin-1)" in str(error.value)
    docs, _ = read(settings(kind, path, encoding="latin-1"))
    assert docs[-1].text.startswith("Zoë")


def test_unknown_encoding_is_a_problem(tmp_path):
    path = tmp_path / "x.txt"
    path.write_text("a\n")
    with pytest.raises(ValidationError, match="unknown encoding 'utf-9': use a Python codec name"):
        TypeAdapter(Source).validate_python(settings("text", path, encoding="utf-9"))


def late_bad_byte(path, lines: int = 3000) -> tuple[int, int]:
    """A JSON Lines file whose line ``lines + 1`` holds a Latin-1 byte past the sniffed head; (line, offset)."""
    good = "".join(json.dumps({"text": f"row {i}"}) + "\n" for i in range(lines))
    bad = '{"text": "caf\xe9"}\n'.encode("latin-1")
    path.write_bytes(good.encode() + bad + b'{"text": "after"}\n')
    return lines + 1, len(good.encode()) + bad.index(b"\xe9")


def test_an_undecodable_line_names_file_line_and_byte(tmp_path):
    path = tmp_path / "rows.jsonl"
    line, offset = late_bad_byte(path)
    with pytest.raises(InputFormatError) as error:
        read(settings("jsonl", path))
    assert str(error.value).startswith(f"{path}:{line}: expected utf-8 text, but byte {offset} does not decode")


def test_an_undecodable_line_is_skipped_and_counted(tmp_path):
    path = tmp_path / "rows.jsonl"
    line, _ = late_bad_byte(path)
    docs, reader = read(settings("jsonl", path, on_error="skip"))
    assert len(docs) == line
    assert docs[-1].text == "after"
    assert docs[-1].id.endswith(f":{line + 1}")
    assert drops(reader) == {"undecodable": 1}


def test_an_undecodable_conll_line_drops_its_sentence(tmp_path, monkeypatch):
    from babelforge.builders.readers import files

    monkeypatch.setattr(files, "HEAD_BYTES", 8)
    path = tmp_path / "x.conll"
    path.write_bytes(b"Ada\tB-PER\n\nZo\xeb\tB-PER\nsang\tO\n\nRome\tB-LOC\n")
    docs, reader = read(settings("conll", path, on_error="skip"), rejects=tmp_path / "rejects")
    assert [d.text for d in docs] == ["Ada", "Rome"]
    assert docs[1].id.endswith(":6")
    assert drops(reader) == {"undecodable": 1}
    (row,) = [json.loads(line) for line in next((tmp_path / "rejects").glob("*.jsonl")).read_text().splitlines()]
    assert row["detail"] == f"{path}:3: byte 13 is not utf-8 text"
    assert row["text"] == "Zo\\xeb\tB-PER\nsang\tO"
    with pytest.raises(InputFormatError, match=f"{path}:3: expected utf-8 text, but byte 13 does not decode"):
        read(settings("conll", path))


def test_utf16_files_are_read_whole(tmp_path):
    path = tmp_path / "x.txt"
    path.write_text("Zoë\r\nRome\n", encoding="utf-16")
    docs, reader = read(settings("text", path, encoding="utf-16"), rank=0, world_size=2)
    assert [d.text for d in docs] == ["Zoë", "Rome"]
    assert reader.assignment(2)[1] == []


# -- truncated and empty files -----------------------------------------------------------------------


def truncated_gzip(path, lines: int = 20000) -> None:
    data = "".join(json.dumps({"text": f"row {i} " + "x" * (i % 50)}) + "\n" for i in range(lines)).encode()
    whole = gzip.compress(data)
    path.write_bytes(whole[: len(whole) * 2 // 3])


def test_a_truncated_gzip_names_the_file(tmp_path):
    path = tmp_path / "rows.jsonl.gz"
    truncated_gzip(path)
    with pytest.raises(UnreadableFileError) as error:
        read(settings("jsonl", path))
    assert str(error.value).startswith(f"{path}: cannot be read past this point (EOFError")


def test_a_truncated_gzip_is_counted_when_skipping(tmp_path, monkeypatch):
    from babelforge.builders.readers import decoding

    monkeypatch.setattr(decoding, "CHUNK_BYTES", 4096)  # rows of the chunks before the break are kept
    path = tmp_path / "rows.jsonl.gz"
    truncated_gzip(path)
    docs, reader = read(settings("jsonl", path, on_error="skip"))
    assert 0 < len(docs) < 20000
    assert docs[-1].text.startswith(f"row {len(docs) - 1}")
    assert drops(reader) == {"unreadable_file": 1}


def test_a_small_truncated_gzip_is_caught_by_validation(tmp_path):
    path = tmp_path / "rows.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"text": "a"}\n' * 10)[:-12])
    with pytest.raises(ValidationError, match=r"rows.jsonl.gz: cannot be read \(EOFError"):
        TypeAdapter(Source).validate_python(settings("jsonl", path))


@pytest.mark.parametrize("kind", ["conll", "jsonl", "text", "tsv", "squad", "parquet"])
def test_an_empty_file_gives_no_records_and_no_error(tmp_path, kind):
    path = tmp_path / f"empty{SUFFIX[kind]}"
    path.write_bytes(b"")
    source = TypeAdapter(Source).validate_python(settings(kind, path))
    for world_size in (1, 3):
        docs = [d for rank in range(world_size) for d in source.reader(0).run(None, rank, world_size)]
        assert docs == []


# -- spans --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spans", "expected"),
    [
        ("[[0, 4]]", "as {start, end, label} objects or [start, end, label] lists, got [0, 4]"),
        ("[7]", "as {start, end, label} objects or [start, end, label] lists, got 7"),
        ("[null]", "as {start, end, label} objects or [start, end, label] lists, got None"),
        ('[[true, 2, "X"]]', "with 0 <= start < end <= 8, got [True, 2, 'X']"),
        ("[[0, 3, null]]", "with a label (a non-empty string), got [0, 3, None]"),
        ('[{"start": 0, "end": "3", "label": "X"}]', "with 0 <= start < end <= 8"),
        ("7", "a list of spans in 'spans', got 7"),
        ("null", "a list of spans in 'spans', got None"),
    ],
)
def test_bad_span_values_fail_or_are_skipped(tmp_path, spans, expected):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"text": "Ada sang", "spans": [[0, 3, "PER"]]}\n' + f'{{"text": "Ada sang", "spans": {spans}}}\n')
    config = settings("jsonl", path, fields={"spans": "spans"})
    with pytest.raises(InputFormatError) as error:
        read(config)
    assert str(error.value).startswith(f"{path}:2: expected ")
    assert expected in str(error.value)
    docs, reader = read(config, on_error="skip")
    assert len(docs) == 1
    assert drops(reader) == {"malformed_input": 1}


# -- row values: split names, huge integers, lone surrogates -------------------------------------------


@pytest.mark.parametrize("value", ["/tmp/victim", "../../../x", "dev/2020", "test-hard", "a..b", ".hidden", "x" * 101,
                                   ["train"], 1.5, True])  # fmt: skip
def test_a_row_split_that_is_not_a_plain_name_fails_or_is_skipped(tmp_path, value):
    path = tmp_path / "rows.jsonl"
    rows = [{"text": "Ada sang", "split": "dev_2020"}, {"text": "Rome", "split": value}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    config = settings("jsonl", path, fields={"split": "split"})
    with pytest.raises(InputFormatError) as error:
        read(config)
    assert str(error.value).startswith(f"{path}:2: expected a split name in 'split' (letters, digits and '_'")
    assert f"got {value!r}" in str(error.value)
    docs, reader = read(config, on_error="skip")
    assert [d.metadata["split"] for d in docs] == ["dev_2020"]
    assert drops(reader) == {"malformed_input": 1}


def test_plain_split_names_are_kept(tmp_path):
    path = tmp_path / "rows.jsonl"
    values = ["test", "test.hard", "dev_2020", 2020, "", None]  # empty and null: the source's split
    path.write_text("".join(json.dumps({"text": "Ada", "split": v}) + "\n" for v in values))
    docs, _ = read(settings("jsonl", path, fields={"split": "split"}, split="validation"))
    assert [d.metadata["split"] for d in docs] == ["test", "test.hard", "dev_2020", "2020", "validation", "validation"]


def test_a_row_split_never_writes_outside_the_output(tmp_path, write_manifest):
    victim = tmp_path / "victim"
    rows = [{"text": f"Row {i}", "split": s} for i, s in enumerate(["train", "../../../escaped", str(victim)])]
    (tmp_path / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    source = {"kind": "jsonl", "path": "rows.jsonl", "language": "en", "fields": {"split": "split"}}
    output = {"path": str(tmp_path / "deep" / "er" / "out"), "kind": "text"}
    manifest = {"name": "s", "sources": [source], "output": output}
    ran = babelforge("run", write_manifest(manifest))
    assert ran.returncode == 2
    errors = [line for line in ran.stderr.splitlines() if line.strip()]
    assert len(errors) == 1, ran.stderr
    assert "rows.jsonl:2: expected a split name in 'split'" in errors[0]
    assert "'../../../escaped'" in errors[0]
    assert not (tmp_path / "escaped").exists()
    source["on_error"] = "skip"
    ran = babelforge("run", write_manifest(manifest))
    assert ran.returncode == 0, ran.stderr
    provenance = json.loads((tmp_path / "deep" / "er" / "out" / "provenance.json").read_text())
    assert provenance["drops"] == {"jsonl:rows: malformed_input": 2}
    assert not (tmp_path / "escaped").exists()
    assert not victim.exists()


def test_a_json_integer_past_pythons_digit_limit_fails_or_is_skipped(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"text": "Ada sang"}\n{"text": "Rome", "n": ' + "9" * 5000 + "}\n")
    with pytest.raises(InputFormatError, match=rf"{path}:2: expected JSON integers of at most 4,300 digits \(write"):
        read(settings("jsonl", path))
    docs, reader = read(settings("jsonl", path), on_error="skip")
    assert [d.text for d in docs] == ["Ada sang"]
    assert drops(reader) == {"malformed_input": 1}


@pytest.mark.parametrize(
    ("row", "fields", "field"),
    [
        (r'{"text": "Ada LONE sang"}', {}, "text"),
        (r'{"text": "Ada", "spans": [[0, 3, "PLONE"]]}', {"spans": "spans"}, "spans"),
        (r'{"tokens": ["Ada", "sLONEng"], "tags": ["B-PER", "O"]}', {"tokens": "tokens", "tags": "tags"}, "tokens"),
        (r'{"m": [{"role": "user", "content": "LONE"}]}', {"text": None, "messages": "m"}, "m"),
        (r'{"text": "Ada", "id": "rLONE"}', {"id": "id"}, "id"),
    ],
)
@pytest.mark.parametrize("lone", [r"\ud800", r"\udfff", r"\udc00\ud800"])
def test_a_lone_surrogate_escape_fails_or_is_skipped_at_read_time(tmp_path, row, fields, field, lone):
    path = tmp_path / "rows.jsonl"
    path.write_text(row.replace("LONE", r"\ud83d\ude00") + "\n" + row.replace("LONE", lone) + "\n")  # a pair is fine
    config = settings("jsonl", path, fields=fields)
    with pytest.raises(InputFormatError) as error:
        read(config)
    assert str(error.value).startswith(f"{path}:2: expected Unicode text in '{field}', but character ")
    assert "is a lone surrogate" in str(error.value)
    docs, reader = read(config, on_error="skip")
    assert len(docs) == 1
    assert drops(reader) == {"malformed_input": 1}


def test_a_lone_surrogate_row_skipped_leaves_a_writable_output(tmp_path, write_manifest):
    (tmp_path / "rows.jsonl").write_text('{"text": "Ada sang"}\n{"text": "bad \\ud800"}\n')
    source = {"kind": "jsonl", "path": "rows.jsonl", "language": "en", "on_error": "skip"}
    manifest = {
        "name": "u",
        "sources": [source],
        "output": {"path": str(tmp_path / "out"), "kind": "text", "write_rejects": True},
    }
    ran = babelforge("run", write_manifest(manifest))
    assert ran.returncode == 0, ran.stderr
    provenance = json.loads((tmp_path / "out" / "provenance.json").read_text())
    assert provenance["drops"] == {"jsonl:rows: malformed_input": 1}


# -- SQuAD ---------------------------------------------------------------------------------------------


def test_a_squad_file_that_does_not_parse_is_counted_and_named(tmp_path):
    (tmp_path / "a.json").write_text(GOOD["squad"])
    (tmp_path / "b.json").write_text('{"data": [\n{"title": "cut off"')
    config = settings("squad", tmp_path, on_error="skip")
    docs, reader = read(config, rejects=tmp_path / "rejects")
    assert [d.id for d in docs] == ["q1", "q2"]
    assert drops(reader) == {"unreadable_file": 1}
    (row,) = [json.loads(line) for line in next((tmp_path / "rejects").glob("*.jsonl")).read_text().splitlines()]
    assert row["detail"].startswith(f"{tmp_path / 'b.json'}: line 2, column 20: not valid JSON")
    with pytest.raises(UnreadableFileError, match=r"b.json: line 2, column 20: not valid JSON"):
        read(config, on_error="fail")


def test_squad_without_a_data_list_and_with_odd_shapes(tmp_path):
    path = tmp_path / "odd.json"
    path.write_text(json.dumps({"data": [7, {"paragraphs": [{"context": "c", "qas": 3}]}]}))
    docs, reader = read(settings("squad", path), on_error="skip")
    assert docs == []
    assert drops(reader) == {"malformed_input": 2}
    path.write_text(json.dumps({"version": "2.0"}))
    with pytest.raises(UnreadableFileError, match='expected a SQuAD JSON object with a "data" list'):
        read(settings("squad", path))


# -- the command line -------------------------------------------------------------------------------


def babelforge(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "babelforge", *map(str, args)], capture_output=True, text=True, cwd=cwd
    )


def test_validate_and_run_report_a_binary_conll_file_in_one_line(tmp_path, write_manifest, data_dir):
    (tmp_path / "x.conll").write_bytes(BINARY)
    manifest = {"name": "bin", "sources": [{"kind": "conll", "path": "x.conll", "language": "en"}],
                "output": {"path": str(tmp_path / "out"), "kind": "ner"}}  # fmt: skip
    path = write_manifest(manifest)
    problem = f"sources[0]: {tmp_path / 'x.conll'}: byte 7 is a NUL byte: this is binary data, not a conll text file"
    checked = babelforge("validate", path)
    assert checked.returncode == 2
    assert problem in checked.stderr.splitlines()
    ran = babelforge("run", path)
    assert ran.returncode == 2
    assert "Traceback" not in ran.stderr
    assert sum(problem in line for line in ran.stderr.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_run_skips_a_binary_file_beside_a_good_one(tmp_path, write_manifest, data_dir):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.conll").write_text((data_dir / "europarl-en.conll").read_text())
    (tmp_path / "in" / "x.conll").write_bytes(BINARY)
    source = {"kind": "conll", "path": str(tmp_path / "in"), "language": "en", "on_error": "skip"}
    manifest = {"name": "bin", "sources": [source], "output": {"path": str(tmp_path / "out"), "kind": "ner"},
                "executor": {"local": {"tasks": 2}}}  # fmt: skip
    path = write_manifest(manifest)
    checked = babelforge("validate", path)
    assert checked.returncode == 0
    assert "warning sources[0]:" in checked.stderr
    assert "x.conll: byte 7 is a NUL byte" in checked.stderr
    ran = babelforge("run", path)
    assert ran.returncode == 0, ran.stderr
    provenance = json.loads((tmp_path / "out" / "provenance.json").read_text())
    assert json.dumps(provenance).count("unreadable_file") >= 1
    assert "unreadable_file" in ran.stdout


def test_no_input_error_is_a_babelforge_error(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"text": "a"}\n')
    source = source_of(settings("jsonl", path))
    path.unlink()
    with pytest.raises(BabelforgeError, match="no input files at"):
        list(source.reader(0).run(None, 0, 1))
