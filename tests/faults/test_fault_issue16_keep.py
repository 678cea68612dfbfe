"""Issue 16 faults: kept columns that JSON cannot hold are named with their line, not a traceback."""

import datetime
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from babelforge.errors import InputFormatError, OutputError
from babelforge.manifest import load_manifest
from babelforge.runner import run_manifest


def _run(tmp_path, source: dict, columns: list[str]):
    manifest = {"name": "k", "sources": [{**source, "language": "en"}],
                "output": {"path": str(tmp_path / "out"), "kind": "text", "columns": columns}}  # fmt: skip
    (tmp_path / "k.yaml").write_text(yaml.safe_dump(manifest))
    return run_manifest(load_manifest(tmp_path / "k.yaml"))


@pytest.mark.parametrize("keep", [["premise"], "all"])
def test_a_lone_surrogate_inside_a_kept_list_names_the_line(tmp_path, keep):
    lines = ['{"id": "a", "text": "hi", "premise": ["ok", {"k": "\\ud800"}]}', json.dumps({"id": "b", "text": "yo"})]
    (tmp_path / "rows.jsonl").write_text("\n".join(lines))
    source = {"kind": "jsonl", "path": str(tmp_path / "rows.jsonl"), "fields": {"keep": keep}}
    with pytest.raises(InputFormatError, match=r"rows.jsonl:1: .*'premise'.* lone surrogate"):
        _run(tmp_path, source, ["premise"])
    assert not (tmp_path / "out" / "README.md").exists()


def test_a_kept_timestamp_is_named_and_keep_all_leaves_it_behind(tmp_path):
    table = pa.table({"id": ["a", "b"], "text": ["hi", "yo"], "when": [datetime.datetime(2020, 1, 1), None],
                      "note": ["x", "y"]})  # fmt: skip
    pq.write_table(table, tmp_path / "rows.parquet")
    source = {"kind": "parquet", "path": str(tmp_path / "rows.parquet"), "fields": {"keep": ["when"]}}
    with pytest.raises(InputFormatError, match=r"in 'when' to keep .*got datetime .*leave 'when' out of keep"):
        _run(tmp_path, source, ["when"])
    source["fields"] = {"keep": "all"}
    with pytest.raises(OutputError, match=r"output.columns 'when': no record of 2 has a value there"):
        _run(tmp_path, source, ["when", "note"])  # keep: all leaves it behind: a column of nulls is refused
    assert not (tmp_path / "out" / "README.md").exists()
    result = _run(tmp_path, source, ["note"])
    rows = pq.read_table(next((tmp_path / "out" / "data").glob("*/train-*.parquet"))).to_pylist()
    assert [r["note"] for r in sorted(rows, key=lambda r: r["id"])] == ["x", "y"]
    # left behind, but said: a note at the end of the run, and the count in the card's account
    assert [n for n in result.notes if "'when'" in n] == [
        "parquet:rows: keep: all left column 'when' out of 1 row(s): values with no JSON form (a timestamp, bytes, "
        "NaN or infinity): convert them to text first"
    ]
    assert "column_not_kept:no_json_form:when 1" in (tmp_path / "out" / "README.md").read_text()


def test_a_misspelt_column_is_refused_and_a_field_some_records_lack_is_kept(tmp_path):
    lines = [json.dumps({"id": "a", "text": "hi", "premise": "p"}), json.dumps({"id": "b", "text": "yo"})]
    (tmp_path / "rows.jsonl").write_text("\n".join(lines))
    source = {"kind": "jsonl", "path": str(tmp_path / "rows.jsonl"), "fields": {"keep": "all"}}
    with pytest.raises(OutputError, match=r"output.columns 'premis': no record of 2 .*fields.keep.*nothing was"):
        _run(tmp_path, source, ["premise", "premis"])
    assert not (tmp_path / "out").exists()
    _run(tmp_path, source, ["premise"])  # the rerun with the name fixed publishes; b has no premise: a null
    rows = pq.read_table(next((tmp_path / "out" / "data").glob("*/train-*.parquet"))).to_pylist()
    assert sorted((r["id"], r["premise"]) for r in rows) == [("rows/a", "p"), ("rows/b", None)]


def test_brackets_in_a_column_name_or_the_output_path_are_printed_as_written(tmp_path):
    import subprocess
    import sys

    row = {"id": "a", "text": "hi", "x[/b]": 1, "[red]y": 2, ":fire:": 3}
    (tmp_path / "rows.jsonl").write_text(json.dumps(row) + "\n")
    source = {"kind": "jsonl", "path": str(tmp_path / "rows.jsonl"), "language": "en", "fields": {"keep": "all"}}
    output = tmp_path / "out[/b]:+1:\\"  # markup, an emoji code and a trailing backslash: a name as any other
    manifest = {"name": "k", "sources": [source], "output": {"path": str(output), "kind": "text"}}
    (tmp_path / "k.yaml").write_text(yaml.safe_dump(manifest))
    result = subprocess.run([sys.executable, "-m", "babelforge", "run", str(tmp_path / "k.yaml")],
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    printed = " ".join(result.stdout.split())  # the console wraps long lines
    for name in ("x[/b]", "[red]y", ":fire:"):
        assert f"left column '{name}' out of 1 row(s)" in printed
    assert f"wrote {output}" in printed
    assert f"wrote {output}\\" not in printed  # no escape doubled
    shown = subprocess.run([sys.executable, "-m", "babelforge", "inspect", str(output)],
                           capture_output=True, text=True, timeout=300)  # fmt: skip
    assert shown.returncode == 0, shown.stderr  # a folder named with brackets is a name, not a glob pattern
    missing = subprocess.run([sys.executable, "-m", "babelforge", "inspect", str(tmp_path / "no[/b]:fire:\\")],
                             capture_output=True, text=True, timeout=300)  # fmt: skip
    assert missing.returncode == 2
    assert f"no output folder at {tmp_path / 'no[/b]:fire:'}\\" in " ".join(missing.stderr.split())
