"""`babelforge train dpo` on a tiny model and a toy preference output, on CPU; export-trainer's DPO configs."""

import json
import subprocess
import sys
from pathlib import Path

import datasets
import pytest
import yaml

from babelforge.finetune.dpo import train_dpo
from babelforge.finetune.handoff import export_trainer
from babelforge.finetune.mask_audit import LossMaskError
from babelforge.finetune.options import TrainOptions
from babelforge.manifest import load_manifest
from babelforge.runner import run_manifest

#: Answers in the language asked (chosen) against the same content in English (rejected): language confusion.
RIGHT = {
    "swh_Latn": ["Mji mkuu ni Abuja, mji mzuri sana.", "Maji ni muhimu kwa afya ya kila mtu.",
                 "Wakulima hulima shamba kabla ya mvua."],
    "yor_Latn": ["Olú ìlú ni Abuja, ìlú tó dára gan-an.", "Omi ṣe pàtàkì fún ìlera gbogbo ènìyàn.",
                 "Àwọn àgbẹ̀ ń ro oko kí òjò tó rọ̀."],
}  # fmt: skip
WRONG = ["The capital is Abuja, a fine city.", "Water matters for the health of everyone.",
         "Farmers plough the field before the rain."]  # fmt: skip


def preference_output(folder: Path, name: str, splits: dict | None) -> Path:
    rows = [
        {"id": f"{language[:3]}{i}", "lang": language, "prompt": f"Swali {i}: niambie jambo la {i % 3}?",
         "chosen": RIGHT[language][i % 3], "rejected": WRONG[i % 3]}
        for language in RIGHT for i in range(16)
    ]  # fmt: skip
    (folder / f"{name}.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    fields = {"prompt": "prompt", "chosen": "chosen", "rejected": "rejected", "language": "lang"}
    manifest = {
        "name": name,
        "sources": [{"kind": "jsonl", "path": str(folder / f"{name}.jsonl"), "language": "sw", "fields": fields}],
        "output": {"path": str(folder / name), "kind": "preference", **({"splits": splits} if splits else {})},
    }
    (folder / f"{name}.yaml").write_text(yaml.safe_dump(manifest))
    run_manifest(load_manifest(folder / f"{name}.yaml"))
    return folder / name


@pytest.fixture(scope="module")
def pairs(tmp_path_factory) -> Path:
    return preference_output(tmp_path_factory.mktemp("pairs"), "pairs", {"train": 0.75, "validation": 0.25})


def options(dataset: Path, model: Path, output: Path, **more) -> TrainOptions:
    settings = {"max_steps": 4, "lr": 1e-3, "batch_size": 8, "save_steps": 100, "max_length": 128, **more}
    return TrainOptions(dataset=str(dataset), model=str(model), output=str(output), **settings)


def test_dpo_audits_the_pairs_and_learns_to_prefer_the_asked_language(pairs, chat_models, tmp_path):
    metrics = train_dpo(options(pairs, chat_models["turn"], tmp_path / "dpo"))
    audit = metrics["pair_audit"]
    assert (audit["prompt_share"], audit["answer_share"], audit["end_of_turn_share"]) == (0.0, 1.0, 1.0)
    assert audit["prompt_tokens"] > 0
    assert audit["skipped"] == 0
    held = metrics["validation"]
    assert held["reward_accuracy"] > 0.5
    assert held["reward_margin"] > 0
    assert set(held["per_language"]) == {"swh_Latn", "yor_Latn"}
    assert sum(v["pairs"] for v in held["per_language"].values()) == held["pairs"]
    assert all(0 <= v["reward_accuracy"] <= 1 for v in held["per_language"].values())
    written = json.loads((tmp_path / "dpo" / "metrics.json").read_text())
    assert written["validation"] == held
    assert json.loads((tmp_path / "dpo" / "pair_audit.json").read_text()) == audit
    assert (tmp_path / "dpo" / "model.safetensors").exists()


def test_the_cli_trains_lora_and_holds_out_pairs_itself(tmp_path, chat_models):
    dataset = preference_output(tmp_path, "unsplit", None)
    command = [
        sys.executable, "-m", "babelforge", "train", "dpo", "--dataset", str(dataset),
        "--model", str(chat_models["turn"]), "--output", str(tmp_path / "run"), "--max-steps", "3",
        "--batch-size", "4", "--lora", "--lora-rank", "4", "--lr", "1e-3", "--no-gradient-checkpointing",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "prompt tokens trained 0.0%" in result.stdout
    assert "held_out: reward accuracy" in result.stdout
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["held_out"]["pairs"] == 4  # a tenth of 32, kept out of training
    assert metrics["train"]["steps"] == 3
    assert (tmp_path / "run" / "adapter_config.json").exists()


def test_the_audit_stops_a_template_that_renders_the_prompt_differently(pairs, chat_models, tmp_path):
    from transformers import AutoTokenizer

    from babelforge.finetune.templates import CHATML

    broken = tmp_path / "broken"
    broken.mkdir()
    for file in chat_models["turn"].iterdir():
        (broken / file.name).write_bytes(file.read_bytes())
    tokenizer = AutoTokenizer.from_pretrained(broken)
    header = "{{- '<|im_start|>' + message['role'] + '\\n' }}"
    assert header in CHATML
    tokenizer.chat_template = CHATML.replace(
        header, header + "{%- if message['role'] == 'assistant' %}{{- 'Answer: ' }}{%- endif %}"
    )
    tokenizer.save_pretrained(broken)
    with pytest.raises(LossMaskError, match="of prompt tokens would be trained"):
        train_dpo(options(pairs, broken, tmp_path / "run", max_steps=1))
    assert not (tmp_path / "run" / "model.safetensors").exists()
    assert json.loads((tmp_path / "run" / "pair_audit.json").read_text())["prompt_trained"] > 0


def test_a_dataset_of_another_kind_is_named(chat_output, chat_models, tmp_path):
    from babelforge.errors import BabelforgeError

    wrong = r"has no chosen, rejected column: `babelforge train dpo` reads outputs of kind preference"
    with pytest.raises(BabelforgeError, match=wrong):
        train_dpo(options(chat_output, chat_models["turn"], tmp_path / "x"))


def test_string_pairs_become_one_user_turn_and_one_answer():
    from babelforge.finetune.dpo import _conversational

    split = datasets.Dataset.from_list([{"prompt": "Q?", "chosen": "A", "rejected": "B", "extra": 1}])
    row = _conversational(split)[0]
    assert row["prompt"] == [{"role": "user", "content": "Q?"}]
    assert row["rejected"] == [{"role": "assistant", "content": "B"}]
    assert row["language"] == "und"


def test_trl_dpo_config_parses_with_trls_own_parser(pairs):
    from trl import DPOConfig, ModelConfig, ScriptArguments, TrlParser

    (path,) = export_trainer(pairs, "trl", model="some/model")
    parser = TrlParser((ScriptArguments, DPOConfig, ModelConfig))
    script, config, model = parser.parse_args_and_config(["--config", str(path), "--bf16", "false"])
    assert (config.beta, model.model_name_or_path, model.use_peft) == (0.1, "some/model", True)
    train = datasets.load_dataset(script.dataset_name, split=script.dataset_train_split)
    assert isinstance(train[0]["prompt"], list)
    assert train[0]["chosen"][-1]["role"] == "assistant"
    assert script.dataset_test_split == "validation"


def test_llamafactory_registers_a_ranking_set_of_the_pairs(pairs):
    info, config = export_trainer(pairs, "llamafactory")
    settings = yaml.safe_load(config.read_text())
    entry = json.loads(info.read_text())[settings["dataset"]]
    assert (settings["stage"], entry["ranking"], entry["formatting"]) == ("dpo", True, "alpaca")
    assert settings["pref_beta"] == 0.1
    files = sorted(str(p) for p in (info.parent / entry["file_name"]).iterdir())
    rows = datasets.load_dataset("parquet", data_files=files, split="train")
    for role, column in entry["columns"].items():
        assert column in rows.column_names, role
    first = rows[0]
    assert isinstance(first[entry["columns"]["chosen"]], str)  # alpaca ranking reads strings
    assert first[entry["columns"]["chosen"]] == first["chosen"][-1]["content"]


def test_axolotl_dpo_block_reads_the_pairs(pairs):
    (path,) = export_trainer(pairs, "axolotl", model="some/model")
    config = yaml.safe_load(path.read_text())
    assert (config["rl"], config["rl_beta"], config["sample_packing"]) == ("dpo", 0.1, False)
    (block,) = config["datasets"]
    assert block["type"] == "chat_template.default"
    rows = datasets.load_dataset(block["ds_type"], data_files=block["data_files"], split="train")
    mapping = block["message_property_mappings"]
    assert {mapping["role"], mapping["content"]} <= set(rows[0][block["field_messages"]][0])
    for side in (block["field_chosen"], block["field_rejected"]):
        assert rows[0][side][-1][mapping["role"]] == "assistant"
