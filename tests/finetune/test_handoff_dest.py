"""Where `babelforge export-trainer` writes: beside the output, never inside it, never over files silently."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from babelforge.errors import BabelforgeError
from babelforge.finetune.handoff import export_trainer


@pytest.fixture
def output(chat_output, tmp_path) -> Path:
    """A copy of the chat output of its own, so that each test finds no earlier export."""
    copy = tmp_path / "chat-out"
    shutil.copytree(chat_output, copy)
    return copy


def babelforge(*args):
    return subprocess.run([sys.executable, "-m", "babelforge", *map(str, args)], capture_output=True, text=True)


def one_error_line(result) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_the_default_destination_is_beside_the_output_not_inside_it(output):
    before = sorted(p.relative_to(output) for p in output.rglob("*"))
    (path,) = export_trainer(output, "axolotl", model="some/model")
    assert path == output.parent / "chat-out.trainers" / "axolotl" / "axolotl.yaml"
    assert sorted(p.relative_to(output) for p in output.rglob("*")) == before  # the output is as it was
    config = yaml.safe_load(path.read_text())
    assert config["output_dir"] == str(path.parent / "run")


def test_a_destination_inside_the_output_is_refused(output):
    for dest in (output / "trainers", output, output / "data" / "x"):
        with pytest.raises(BabelforgeError, match=r"lies inside the output .*`babelforge publish` would upload it"):
            export_trainer(output, "trl", dest=dest)
    assert not (output / "trainers").exists()


EXPORTS = [
    ("axolotl", "axolotl.yaml"),
    ("trl", "trl.yaml"),
    ("llamafactory", "dataset_info.json, llamafactory.yaml, data/train"),
]


@pytest.mark.parametrize(("tool", "names"), EXPORTS)
def test_an_earlier_export_is_replaced_only_when_asked(output, tmp_path, tool, names):
    dest = tmp_path / "handoff"
    first = export_trainer(output, tool, dest=dest, model="first/model")
    with pytest.raises(BabelforgeError, match=rf"{dest} already holds {names}.*: pass --overwrite to replace them"):
        export_trainer(output, tool, dest=dest, model="second/model")
    assert "first/model" in first[-1].read_text()
    again = export_trainer(output, tool, dest=dest, model="second/model", overwrite=True)
    assert again == first
    assert "second/model" in again[-1].read_text()


def test_overwrite_leaves_files_it_did_not_write(output, tmp_path):
    dest = tmp_path / "lf"
    export_trainer(output, "llamafactory", dest=dest)
    (dest / "data" / "train" / "notes.txt").write_text("mine")
    with pytest.raises(BabelforgeError, match=r"data/train holds notes.txt, which are not links an export made"):
        export_trainer(output, "llamafactory", dest=dest, overwrite=True)
    assert (dest / "data" / "train" / "notes.txt").read_text() == "mine"


def test_the_command_line_says_each_refusal_in_one_line(output, tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    line = one_error_line(babelforge("export-trainer", output, "--to", "axolotl", "--dest", a_file))
    assert f"--dest {a_file} is a file, not a folder" in line
    under_a_file = a_file / "sub"
    line = one_error_line(babelforge("export-trainer", output, "--to", "axolotl", "--dest", under_a_file))
    assert f"cannot create --dest {under_a_file} (Not a directory)" in line
    wrote = babelforge("export-trainer", output, "--to", "axolotl")
    assert wrote.returncode == 0, wrote.stderr
    default = output.parent / "chat-out.trainers" / "axolotl" / "axolotl.yaml"
    assert f"wrote {default}" in wrote.stdout
    line = one_error_line(babelforge("export-trainer", output, "--to", "axolotl"))
    assert "already holds axolotl.yaml" in line
    assert "pass --overwrite" in line
    assert babelforge("export-trainer", output, "--to", "axolotl", "--overwrite").returncode == 0
    (output / "provenance.json").write_text('{"manifest": ')
    line = one_error_line(babelforge("export-trainer", output, "--to", "trl"))
    assert f"{output} is damaged: provenance.json is not JSON" in line
