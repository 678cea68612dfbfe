"""`babelforge train ner|sft|cpt` on tiny models and toy outputs, on CPU: loss, mask audit, resumption."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from babelforge.finetune.cpt import train_cpt
from babelforge.finetune.mask_audit import LossMaskError
from babelforge.finetune.ner import train_ner
from babelforge.finetune.options import TrainOptions
from babelforge.finetune.sft import Adapter, train_sft

REPO = Path(__file__).parents[2]


def options(dataset: Path, model: Path, output: Path, **more) -> TrainOptions:
    settings = {"max_steps": 40, "lr": 1e-2, "batch_size": 8, "save_steps": 20, "eval_steps": 20, **more}
    return TrainOptions(dataset=str(dataset), model=str(model), output=str(output), **settings)


def test_train_ner_on_the_quickstart_output(tmp_path, tiny_bert, monkeypatch):
    from babelforge.manifest import load_manifest
    from babelforge.runner import run_manifest

    monkeypatch.setenv("BABELFORGE_OUT", str(tmp_path))
    run_manifest(load_manifest(REPO / "manifests" / "quickstart.yaml"))
    command = [
        sys.executable, "-m", "babelforge", "train", "ner", "--dataset", str(tmp_path / "quickstart"),
        "--model", str(tiny_bert), "--output", str(tmp_path / "tagger"), "--max-steps", "6", "--batch-size", "4",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    metrics = json.loads((tmp_path / "tagger" / "metrics.json").read_text())
    assert metrics["train"]["steps"] == 6
    for split in ("validation", "test"):
        assert set(metrics[split]["overall"]) == {"precision", "recall", "f1"}
        assert "eng_Latn" in metrics[split]["per_language"]
    config = json.loads((tmp_path / "tagger" / "config.json").read_text())
    assert config["id2label"]["0"] == "O"
    assert (tmp_path / "tagger" / "model.safetensors").exists()


def test_ner_memorises_a_toy_set(ner_output, tiny_bert, tmp_path):
    metrics = train_ner(options(ner_output, tiny_bert, tmp_path / "ner", lr=5e-3))
    losses = metrics["train"]["losses"]
    assert losses[-1] < 0.5 * losses[0], losses
    assert metrics["labels"] == ["O", "B-LOC", "I-LOC"]


def test_ner_labels_sit_on_first_subwords(tiny_bert):
    from transformers import AutoTokenizer

    from babelforge.finetune.ner import align_labels

    tokenizer = AutoTokenizer.from_pretrained(tiny_bert)
    encoded = align_labels(tokenizer, {"tokens": [["Niamey", "is", "hot"]], "ner_tags": [[1, 0, 0]]}, 64)
    words, labels = encoded.word_ids(0), encoded["labels"][0]
    assert labels[0] == labels[-1] == -100  # [CLS], [SEP]
    firsts = [i for i, w in enumerate(words) if w is not None and (i == 0 or words[i - 1] != w)]
    assert [labels[i] for i in firsts] == [1, 0, 0]
    assert all(labels[i] == -100 for i, w in enumerate(words) if i not in firsts)


def test_sft_audits_the_mask_and_learns(chat_output, chat_models, tmp_path):
    metrics = train_sft(options(chat_output, chat_models["turn"], tmp_path / "sft"))
    audit = metrics["loss_mask_audit"]
    assert (audit["assistant_share"], audit["end_of_turn_share"], audit["prompt_share"]) == (1.0, 1.0, 0.0)
    assert audit["skipped"] == 0
    losses = metrics["train"]["losses"]
    assert losses[-1] < 0.5 * losses[0], losses
    assert "chrf" in metrics["validation"]
    assert json.loads((tmp_path / "sft" / "loss_mask_audit.json").read_text()) == audit


@pytest.mark.parametrize(
    ("tags", "message"),
    [("none", "no {% generation %}"), ("content", "end-of-turn token is trained in 0%")],
)
def test_the_audit_stops_a_wrong_template(chat_output, chat_models, tmp_path, tags, message):
    with pytest.raises(LossMaskError, match=message):
        train_sft(options(chat_output, chat_models[tags], tmp_path / tags, max_steps=2))
    assert not (tmp_path / tags / "model.safetensors").exists()


def test_a_template_babelforge_supplies_fixes_it(chat_output, chat_models, tmp_path):
    metrics = train_sft(
        options(chat_output, chat_models["none"], tmp_path / "fixed", max_steps=2), chat_template="chatml"
    )
    assert metrics["loss_mask_audit"]["assistant_share"] == 1.0


def test_sft_with_lora_and_packing_writes_an_adapter(chat_output, chat_models, tmp_path):
    metrics = train_sft(
        options(chat_output, chat_models["turn"], tmp_path / "lora", max_steps=20, lr=5e-3, max_length=64),
        Adapter(lora=True, rank=4),
        packing=True,
    )
    assert (tmp_path / "lora" / "adapter_config.json").exists()
    assert metrics["packing"] is True
    losses = metrics["train"]["losses"]
    assert losses[-1] < losses[0]


def test_qlora_without_cuda_is_a_clear_error(chat_output, chat_models, tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    from babelforge.errors import BabelforgeError

    with pytest.raises(BabelforgeError, match=r"QLoRA .* needs a CUDA GPU: use --lora"):
        train_sft(options(chat_output, chat_models["turn"], tmp_path / "q", max_steps=1), Adapter(qlora=True))


def test_cpt_learns_the_text_and_lora_trains_embeddings(text_output, chat_models, tmp_path):
    metrics = train_cpt(options(text_output, chat_models["turn"], tmp_path / "cpt", max_length=64))
    losses = metrics["train"]["losses"]
    assert losses[-1] < 0.5 * losses[0], losses
    assert metrics["validation"]["perplexity"] > 1
    train_cpt(
        options(text_output, chat_models["turn"], tmp_path / "cpt-lora", max_steps=4, max_length=64),
        Adapter(lora=True, rank=4, train_embeddings=True),
    )
    adapter = json.loads((tmp_path / "cpt-lora" / "adapter_config.json").read_text())
    assert set(adapter["modules_to_save"]) == {"embed_tokens", "lm_head"}


def test_training_resumes_from_the_last_checkpoint(chat_output, chat_models, tmp_path):
    first = train_sft(options(chat_output, chat_models["turn"], tmp_path / "run", max_steps=6, save_steps=3))
    assert first["resumed_from"] is None
    assert (tmp_path / "run" / "checkpoint-6").is_dir()
    second = train_sft(options(chat_output, chat_models["turn"], tmp_path / "run", max_steps=10, save_steps=3))
    assert second["resumed_from"].endswith("checkpoint-6")
    assert second["train"]["steps"] == 10


def test_a_dataset_of_the_wrong_kind_is_named(chat_output, tiny_bert, tmp_path):
    from babelforge.errors import BabelforgeError

    with pytest.raises(BabelforgeError, match=r"has no tokens, ner_tags column: `babelforge train ner` reads"):
        train_ner(options(chat_output, tiny_bert, tmp_path / "x"))


def test_config_file_overrides_flags_and_passes_training_arguments(tmp_path):
    config = tmp_path / "train.yaml"
    config.write_text("lr: 0.001\nwarmup_steps: 3\n")
    loaded = TrainOptions.with_config(str(config), dataset="d", model="m", output="o", lr=0.5)
    assert loaded.lr == 0.001
    assert loaded.arguments()["warmup_steps"] == 3


def test_a_killed_run_resumes_where_it_stopped(chat_output, chat_models, tmp_path):
    import os
    import signal
    import time

    output = tmp_path / "killed"
    command = [
        sys.executable, "-m", "babelforge", "train", "sft", "--dataset", str(chat_output),
        "--model", str(chat_models["turn"]), "--output", str(output), "--max-steps", "400", "--batch-size", "2",
        "--lr", "1e-3", "--no-gradient-checkpointing", "--config", str(tmp_path / "save.yaml"),
    ]  # fmt: skip
    (tmp_path / "save.yaml").write_text("save_steps: 20\nsave_total_limit: 3\n")
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while not (output / "checkpoint-40" / "trainer_state.json").exists():
        assert process.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert not (output / "metrics.json").exists()
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    metrics = json.loads((output / "metrics.json").read_text())
    resumed = int(metrics["resumed_from"].rsplit("-", 1)[1])
    assert 40 <= resumed < 400
    assert metrics["train"]["steps"] == 400
