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


def test_a_translation_in_a_folder_named_with_brackets_is_an_input_and_protected(tmp_path):
    import pytest
    import yaml

    from babelforge.errors import OutputError
    from babelforge.inputs import input_files
    from babelforge.manifest import load_manifest
    from babelforge.runner import run_manifest

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "en.conll").write_text("Hello O\nWorld B-LOC\n")
    (tmp_path / "tr[1]").mkdir()
    (tmp_path / "tr[1]" / "de.txt").write_text("Hallo Welt\n")
    source = {"kind": "conll", "path": "data/en.conll", "language": "en",
              "translation": {"path": "tr[1]/de.txt", "language": "de", "format": "text"}}  # fmt: skip
    manifest = {"name": "t", "sources": [source], "output": {"path": str(tmp_path / "tr[1]"), "kind": "text"}}
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(manifest))
    loaded = load_manifest(tmp_path / "m.yaml")
    assert (tmp_path / "tr[1]" / "de.txt").resolve() in input_files(loaded)
    with pytest.raises(OutputError):
        run_manifest(loaded, overwrite=True)  # the folder holds an input: never replaced
    assert (tmp_path / "tr[1]" / "de.txt").read_text() == "Hallo Welt\n"
