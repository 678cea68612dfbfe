"""Issue 16 faults: `babelforge train dpo` refuses a step count of 0 and a folder of the user's own."""

import subprocess
import sys

import pytest

from babelforge.errors import BabelforgeError, OutputError
from babelforge.finetune.dpo import train_dpo
from babelforge.finetune.options import TrainOptions, claim_run_folder


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
    with pytest.raises(OutputError, match=r"--output .*mine: is not a folder that `babelforge train` made"):
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
    claim_run_folder(str(tmp_path / "run"), "dpo")
    (tmp_path / "run" / "checkpoint-2").mkdir()
    claim_run_folder(str(tmp_path / "run"), "dpo")  # a rerun: its own folder
    legacy = tmp_path / "legacy"  # a run made before runs carried a marker
    legacy.mkdir()
    (legacy / "pair_audit.json").write_text("{}")
    claim_run_folder(str(legacy), "dpo")
    assert (tmp_path / "run" / ".babelforge").is_file()


def _hub_like(folder, pairs):
    """A plain Parquet preference set (as a Hub set is): string prompt, chosen and rejected."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir()
    rows = {c: [p[i] for p in pairs] for i, c in enumerate(("prompt", "chosen", "rejected"))}
    pq.write_table(pa.table(rows), folder / "train.parquet")
    return folder


def test_ties_and_empty_answers_are_left_out_and_counted(tmp_path):
    from babelforge.finetune.dpo import _splits, left_out
    from babelforge.finetune.options import load_output

    pairs = [(f"q{i}?", f"good {i}", f"bad {i}") for i in range(8)] + [("q?", "same", "same"), ("q?", " ", "x")]
    data = load_output(str(_hub_like(tmp_path / "set", pairs)), "dpo")
    train, _, held = _splits(data, seed=1)
    assert len(train) + len(held) == 8  # before: 10, two of them pairs that teach nothing
    assert left_out(data) == {"train": 2}


def test_a_set_of_ties_only_is_refused_before_the_model_loads(tmp_path):
    folder = _hub_like(tmp_path / "ties", [(f"q{i}?", "same", "same") for i in range(4)])
    with pytest.raises(BabelforgeError, match=r"no pair to train on .*same answer twice or an empty one"):
        train_dpo(
            TrainOptions(dataset=str(folder), model=str(tmp_path / "none"), output=str(tmp_path / "run"), max_steps=2)
        )


@pytest.mark.parametrize("task", ["sft", "ner", "cpt"])
def test_every_trainer_refuses_a_folder_of_the_users_own(tmp_path, task):
    from babelforge.finetune.cpt import train_cpt
    from babelforge.finetune.ner import train_ner
    from babelforge.finetune.sft import train_sft

    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "config.json").write_text('{"mine": true}')
    train = {"sft": train_sft, "ner": train_ner, "cpt": train_cpt}[task]
    options = TrainOptions(dataset=str(tmp_path / "none"), model="tiny", output=str(folder))
    with pytest.raises(OutputError, match="give --output a new folder"):
        train(options)  # refused before the dataset or the model is even looked for
    assert (folder / "config.json").read_text() == '{"mine": true}'
