"""`python -m babelforge.finetune.dpo_tiny`: the tiny offline model the README gives new users for `train dpo`."""

import subprocess
import sys

from test_dpo import preference_output

from babelforge.finetune.dpo import train_dpo
from babelforge.finetune.options import TrainOptions


def test_a_tiny_model_built_offline_trains_dpo_with_a_clean_audit(tmp_path):
    pairs = preference_output(tmp_path, "pairs", {"train": 0.75, "validation": 0.25})
    built = subprocess.run(
        [sys.executable, "-m", "babelforge.finetune.dpo_tiny", str(tmp_path / "tiny"), "--dataset", str(pairs)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "tiny" / "config.json").exists()
    assert "{% generation %}" in (tmp_path / "tiny" / "chat_template.jinja").read_text()
    options = TrainOptions(dataset=str(pairs), model=str(tmp_path / "tiny"), output=str(tmp_path / "run"),
                           max_steps=2, batch_size=8, save_steps=100, max_length=128)  # fmt: skip
    metrics = train_dpo(options)
    assert metrics["pair_audit"]["prompt_share"] == 0.0
    assert metrics["pair_audit"]["answer_share"] == 1.0
    assert set(metrics["validation"]["per_language"]) == {"swh_Latn", "yor_Latn"}


def test_a_folder_that_is_no_dataset_is_one_line(tmp_path):
    built = subprocess.run(
        [sys.executable, "-m", "babelforge.finetune.dpo_tiny", str(tmp_path / "tiny"), "--dataset",
         str(tmp_path / "nothing")], capture_output=True, text=True,
    )  # fmt: skip
    assert built.returncode == 2
    assert built.stderr.startswith("error: could not read")
    assert "Traceback" not in built.stderr
