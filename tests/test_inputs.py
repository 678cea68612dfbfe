"""The identity of a run's inputs (babelforge.inputs): what a rerun compares."""

from babelforge.inputs import _named_files, changes


def test_a_file_hashed_now_but_not_then_cannot_be_called_unchanged():
    before = {"/d/a.jsonl": {"size": 10, "mtime_ns": 1}}
    after = {"/d/a.jsonl": {"size": 10, "mtime_ns": 1, "sha256": "ab"}}
    assert changes(before, after) == [
        "/d/a.jsonl was not hashed by the earlier attempt, so its content cannot be compared"
    ]
    assert changes(after, after) == []


def test_changes_name_each_file_and_how():
    before = {"/d/a": {"size": 1, "mtime_ns": 1, "sha256": "x"}, "/d/b": {"size": 1, "mtime_ns": 1}}
    after = {"/d/a": {"size": 1, "mtime_ns": 2, "sha256": "y"}, "/d/c": {"size": 1, "mtime_ns": 1}}
    assert changes(before, after) == ["/d/c appeared", "/d/b disappeared", "/d/a changed (content)"]


def test_settings_name_files_by_path_by_spec_and_by_folder(tmp_path):
    model = tmp_path / "lid.bin"
    model.write_bytes(b"x")
    folder = tmp_path / "tok"
    folder.mkdir()
    (folder / "tokenizer.json").write_text("{}")
    assert _named_files(str(model)) == [model.resolve()]
    assert _named_files(f"fasttext:{model}") == [model.resolve()]
    assert _named_files(str(folder)) == [(folder / "tokenizer.json").resolve()]
    assert _named_files("gpt-4o-mini") == []
    assert _named_files("relative/path") == []
