"""`babelforge export-trainer`: what each tool's own loaders and schemas accept, on the toy outputs."""

import json

import datasets
import pytest
import yaml

from babelforge.errors import BabelforgeError
from babelforge.finetune.handoff import export_trainer

#: LLaMA-Factory's dataset_info.json keys and values (data/README.md of hiyouga/LLaMA-Factory).
LLAMAFACTORY_KEYS = {
    "file_name",
    "formatting",
    "columns",
    "tags",
    "ranking",
    "subset",
    "split",
    "folder",
    "num_samples",
}
SHAREGPT_COLUMNS = {"messages", "system", "tools", "images", "videos", "audios", "chosen", "rejected", "kto_tag"}
ALPACA_COLUMNS = {"prompt", "query", "response", "history", "system", "tools", "images", "videos", "audios"}


def test_trl_config_parses_with_trls_own_parser(chat_output):
    from trl import ModelConfig, ScriptArguments, SFTConfig, TrlParser

    (path,) = export_trainer(chat_output, "trl", model="some/model")
    parser = TrlParser((ScriptArguments, SFTConfig, ModelConfig))
    script, config, model = parser.parse_args_and_config(["--config", str(path), "--bf16", "false"])
    assert config.assistant_only_loss is True
    assert model.model_name_or_path == "some/model"
    train = datasets.load_dataset(script.dataset_name, split=script.dataset_train_split)
    assert "messages" in train.column_names
    assert len(datasets.load_dataset(str(chat_output))["train"]) == len(train)  # the output still loads as before


def test_llamafactory_registration_reads_the_data_unchanged(chat_output, text_output):
    for output, formatting, allowed in (
        (chat_output, "sharegpt", SHAREGPT_COLUMNS),
        (text_output, "alpaca", ALPACA_COLUMNS),
    ):
        info, config = export_trainer(output, "llamafactory")
        registry = json.loads(info.read_text())
        settings = yaml.safe_load(config.read_text())
        entry = registry[settings["dataset"]]
        assert set(entry) <= LLAMAFACTORY_KEYS
        assert entry["formatting"] == formatting
        assert set(entry["columns"]) <= allowed
        assert settings["stage"] == ("sft" if formatting == "sharegpt" else "pt")
        folder = info.parent / entry["file_name"]  # LLaMA-Factory joins dataset_dir and file_name
        files = sorted(str(p) for p in folder.iterdir())
        rows = datasets.load_dataset("parquet", data_files=files, split="train")
        source = datasets.load_dataset(str(output), split="train")
        assert rows[:] == source[:]
        for column in entry["columns"].values():
            assert column in rows.column_names
        if formatting == "sharegpt":
            roles = {m[entry["tags"]["role_tag"]] for r in rows for m in r["messages"]}
            assert roles <= {entry["tags"]["user_tag"], entry["tags"]["assistant_tag"], entry["tags"]["system_tag"]}
        assert f"{settings['dataset']}_validation" in registry


def test_axolotl_datasets_block_loads(chat_output):
    (path,) = export_trainer(chat_output, "axolotl", model="some/model")
    config = yaml.safe_load(path.read_text())
    assert config["base_model"] == "some/model"
    (block,) = config["datasets"]
    assert block["type"] == "chat_template"
    assert block["train_on_eos"] == "turn"
    rows = datasets.load_dataset(block["ds_type"], data_files=block["data_files"], split="train")
    messages = rows[0][block["field_messages"]]
    mapping = block["message_property_mappings"]
    assert {mapping["role"], mapping["content"]} <= set(messages[0])
    assert set(block["roles_to_train"]) <= {m[mapping["role"]] for r in rows for m in r[block["field_messages"]]}
    assert config["test_datasets"][0]["data_files"][0].endswith(".parquet")


def test_an_ner_output_is_refused_with_the_right_pointer(ner_output):
    with pytest.raises(BabelforgeError, match="train taggers with `babelforge train ner`"):
        export_trainer(ner_output, "axolotl")


def test_accelerate_configs_load_with_accelerates_loader():
    from accelerate.commands.config.config_args import load_config_from_file

    from babelforge.finetune.accelerate import CONFIGS

    assert set(CONFIGS) == {"ddp", "fsdp"}
    kinds = {name: str(load_config_from_file(str(path)).distributed_type) for name, path in CONFIGS.items()}
    assert kinds == {"ddp": "DistributedType.MULTI_GPU", "fsdp": "DistributedType.FSDP"}


def test_two_processes_train_through_accelerate_launch(ner_output, tiny_bert, tmp_path):
    """Data parallel on two CPU processes: the same entry point accelerate launches on GPUs."""
    import subprocess
    import sys

    command = [
        sys.executable, "-m", "accelerate.commands.launch", "--cpu", "--num_processes", "2", "--num_machines", "1",
        "--mixed_precision", "no", "--dynamo_backend", "no", "-m", "babelforge", "train", "ner",
        "--dataset", str(ner_output), "--model", str(tiny_bert), "--output", str(tmp_path / "ddp"),
        "--max-steps", "4", "--batch-size", "4",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((tmp_path / "ddp" / "metrics.json").read_text())
    assert metrics["train"]["steps"] == 4
