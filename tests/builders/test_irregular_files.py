"""Entries of a source folder that are not regular files: named pipes and dangling links.

A named pipe would block a reader (or the sniff of ``validate``) forever, and a dangling link has
nothing to read: the listing leaves both out, and validation names each one (a problem under
``on_error: fail``, a warning under ``skip``).
"""

import os
import subprocess
import sys

import pytest
from pydantic import TypeAdapter, ValidationError

from babelforge.builders.readers.files import irregular_source_files, list_source_files
from babelforge.sources import Source, file_warnings

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need a POSIX system")

GOOD = '{"text": "Ada sang"}\n{"text": "Rome"}\n'
FIFO = "is not a regular file but a named pipe (FIFO): babelforge reads only regular files"


@pytest.fixture
def folder(tmp_path):
    """``src/`` with a good ``a.jsonl``, a named pipe ``b.jsonl`` and a dangling link ``c.jsonl``."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.jsonl").write_text(GOOD)
    os.mkfifo(src / "b.jsonl")
    (src / "c.jsonl").symlink_to(tmp_path / "gone.jsonl")
    return src


def babelforge(*args, timeout: float = 120):
    command = [sys.executable, "-m", "babelforge", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def test_the_listing_holds_only_regular_files_and_names_the_rest(folder, tmp_path):
    extensions = (".jsonl",)
    assert list_source_files(str(folder), extensions) == ["a.jsonl"]
    assert list_source_files(str(folder / "*.jsonl"), extensions) == ["a.jsonl"]
    left_out = dict(irregular_source_files(str(folder), extensions))
    assert sorted(left_out) == ["b.jsonl", "c.jsonl"]
    assert left_out["b.jsonl"].startswith(FIFO)
    gone = tmp_path / "gone.jsonl"
    assert (
        left_out["c.jsonl"] == f"is a dangling symbolic link (to {gone}, which does not exist): fix or remove the link"
    )
    (folder / "d.jsonl").symlink_to(folder / "a.jsonl")  # a link to a regular file is read
    assert list_source_files(str(folder), extensions) == ["a.jsonl", "d.jsonl"]


def test_validation_names_each_one_under_fail_and_warns_under_skip(folder):
    config = {"kind": "jsonl", "path": str(folder), "language": "en"}
    with pytest.raises(ValidationError) as error:
        TypeAdapter(Source).validate_python(config)
    assert f"{folder / 'b.jsonl'}: {FIFO}" in str(error.value)
    assert "(and 1 more file(s) like it)" in str(error.value)
    source = TypeAdapter(Source).validate_python(config | {"on_error": "skip"})
    warnings = [message for _, message in file_warnings([source])]
    assert len(warnings) == 2
    assert warnings[0].startswith(f"{folder / 'b.jsonl'}: {FIFO}")
    assert warnings[1].startswith(f"{folder / 'c.jsonl'}: is a dangling symbolic link")


def test_a_source_that_is_only_a_named_pipe_says_so(tmp_path):
    os.mkfifo(tmp_path / "only.jsonl")
    with pytest.raises(ValidationError) as error:
        TypeAdapter(Source).validate_python({"kind": "jsonl", "path": str(tmp_path), "language": "en"})
    assert f"{tmp_path / 'only.jsonl'}: {FIFO}" in str(error.value)


def test_validate_and_run_neither_hang_nor_read_a_named_pipe(folder, tmp_path, write_manifest):
    source = {"kind": "jsonl", "path": str(folder), "language": "en"}
    manifest = {"name": "p", "sources": [source], "output": {"path": str(tmp_path / "out"), "kind": "text"}}
    path = write_manifest(manifest)
    for command in ("validate", "run"):
        result = babelforge(command, path)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        assert f"b.jsonl: {FIFO}" in result.stderr
    source["on_error"] = "skip"
    path = write_manifest(manifest)
    checked = babelforge("validate", path)
    assert checked.returncode == 0, checked.stderr
    assert "b.jsonl: is not a regular file" in checked.stderr
    ran = babelforge("run", path)
    assert ran.returncode == 0, ran.stderr
    assert "Traceback" not in ran.stderr
    import datasets

    assert datasets.load_dataset(str(tmp_path / "out"), split="train")["text"] == ["Ada sang", "Rome"]


def test_a_skipping_run_counts_each_one_as_unreadable_file(folder):
    source = TypeAdapter(Source).validate_python(
        {"kind": "jsonl", "path": str(folder), "language": "en"} | {"on_error": "skip"}
    )
    reader = source.reader(0)
    docs = list(reader.run(None, 0, 1))
    assert [d.text for d in docs] == ["Ada sang", "Rome"]
    dropped = {k: v.total for k, v in reader.stats.stats.items() if k.startswith("dropped:")}
    assert dropped == {"dropped:unreadable_file": 2}
