"""Issue 16 faults: `babelforge train dpo` refuses a step count of 0 and a folder of the user's own."""

import subprocess
import sys

import pytest

from babelforge.errors import BabelforgeError, OutputError
from babelforge.finetune.dpo import claim_run_folder, train_dpo
from babelforge.finetune.options import TrainOptions


def _options(tmp_path, output, **more):
    return TrainOptions(dataset=str(tmp_path / "pairs"), model=str(tmp_path / "model"), output=str(output), **more)


@pytest.mark.parametrize("steps", [0, -2])
def test_max_steps_zero_is_refused_and_nothing_is_written(tmp_path, steps):
    with pytest.raises(BabelforgeError, match=rf"--max-steps {steps}: give a number of steps above 0, or -1"):
        train_dpo(_options(tmp_path, tmp_path / "run", max_steps=steps))
    assert not (tmp_path / "run").exists()


def test_a_folder_with_the_users_files_is_refused_and_left_as_it_was(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "config.json").write_text('{"mine": true}')
    with pytest.raises(OutputError, match=r"--output .*mine: is not a folder that `babelforge train dpo` made"):
        train_dpo(_options(tmp_path, folder, max_steps=2))
    assert sorted(p.name for p in folder.iterdir()) == ["config.json"]
    assert (folder / "config.json").read_text() == '{"mine": true}'


def test_the_cli_says_so_in_one_line(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    command = [sys.executable, "-m", "babelforge", "train", "dpo", "--dataset", str(tmp_path / "pairs"),
               "--model", "tiny", "--output", str(tmp_path / "mine"), "--max-steps", "2"]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "give --output a new folder" in result.stdout + result.stderr
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_a_new_folder_is_marked_and_an_earlier_run_resumes_in_it(tmp_path):
    claim_run_folder(str(tmp_path / "run"))
    (tmp_path / "run" / "checkpoint-2").mkdir()
    claim_run_folder(str(tmp_path / "run"))  # a rerun: its own folder
    legacy = tmp_path / "legacy"  # a run made before runs carried a marker
    legacy.mkdir()
    (legacy / "pair_audit.json").write_text("{}")
    claim_run_folder(str(legacy))
    assert (tmp_path / "run" / ".babelforge").is_file()
