"""Hand a babelforge output to another trainer: its config file and dataset registration, data unchanged.

- ``llamafactory``: ``dataset_info.json`` (sharegpt ``messages`` for chat, ``text`` as a pre-training
  prompt column) and a ``llamafactory.yaml`` train config (``llamafactory-cli train llamafactory.yaml``);
- ``axolotl``: ``axolotl.yaml`` with a parquet ``datasets`` block (``chat_template`` type for chat,
  ``completion`` for text) (``axolotl train axolotl.yaml``);
- ``trl``: ``trl.yaml`` for ``trl sft --config trl.yaml`` (the output folder as ``dataset_name``).

Files go to ``DEST`` (default ``OUTPUT/trainers/TOOL``; the output's own ``dataset_info.json`` is
the Hugging Face one and stays). The data files are referenced by absolute path (LLaMA-Factory's
through a folder of links per split, since it reads a file or a folder).
"""

from __future__ import annotations

import json
from pathlib import Path

from babelforge.errors import BabelforgeError

TOOLS = ("axolotl", "llamafactory", "trl")
#: Output kinds each tool can train on, and the stage it means for them.
STAGES = {"chat": "sft", "text": "pt"}
PLACEHOLDER = "REPLACE/with-a-model-id"


def output_kind(output: Path) -> str:
    """The record kind of a babelforge output folder, from its provenance (or its columns)."""
    provenance = output / "provenance.json"
    if provenance.is_file():
        manifest = json.loads(provenance.read_text()).get("manifest", {})
        kind = manifest.get("output", {}).get("kind")
        if kind:
            return kind
    info = output / "dataset_info.json"
    if info.is_file():
        features = json.loads(info.read_text()).get("features", {})
        return "chat" if "messages" in features else "ner" if "ner_tags" in features else "text"
    raise BabelforgeError(f"{output} is not a babelforge output folder (no provenance.json or dataset_info.json)")


def export_trainer(
    output: str | Path, tool: str, dest: str | Path | None = None, model: str | None = None
) -> list[Path]:
    """Write ``tool``'s config and dataset registration for ``output``; return the files written."""
    output = Path(output).resolve()
    if tool not in TOOLS:
        raise BabelforgeError(f"unknown trainer {tool!r}: valid: {', '.join(TOOLS)}")
    kind = output_kind(output)
    if kind not in STAGES:
        raise BabelforgeError(
            f"{output} holds {kind!r} records: {tool} trains generative models on chat or text outputs"
            + ("; train taggers with `babelforge train ner`" if kind == "ner" else "")
        )
    folder = Path(dest) if dest else output / "trainers" / tool
    folder.mkdir(parents=True, exist_ok=True)
    splits = {p.name.split("-")[0] for p in (output / "data").glob("*/*.parquet")}
    config_dir = next((output / "data").iterdir())
    name = output.name.replace("-", "_")
    model = model or PLACEHOLDER
    files = {"axolotl": _axolotl, "llamafactory": _llamafactory, "trl": _trl}[tool](
        output, config_dir, kind, name, model, splits, folder
    )
    return files


def _yaml(path: Path, data: dict) -> Path:
    import yaml

    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return path


def _linked(config_dir: Path, split: str, folder: Path) -> str:
    """A folder of links to one split's shards (LLaMA-Factory reads a file or a whole folder, not a glob)."""
    target = folder / "data" / split
    target.mkdir(parents=True, exist_ok=True)
    for stale in target.iterdir():
        stale.unlink()
    for shard in sorted(config_dir.glob(f"{split}-*.parquet")):
        (target / shard.name).symlink_to(shard)
    return f"data/{split}"


def _llamafactory(output, config_dir, kind, name, model, splits, folder) -> list[Path]:
    formatting = "sharegpt" if kind == "chat" else "alpaca"
    entry = {"file_name": _linked(config_dir, "train", folder), "formatting": formatting}
    if kind == "chat":
        entry["columns"] = {"messages": "messages"}
        entry["tags"] = {
            "role_tag": "role",
            "content_tag": "content",
            "user_tag": "user",
            "assistant_tag": "assistant",
            "system_tag": "system",
        }
    else:
        entry["columns"] = {"prompt": "text"}
    registry = {name: entry}
    if "validation" in splits:
        registry[f"{name}_validation"] = {**entry, "file_name": _linked(config_dir, "validation", folder)}
    info = folder / "dataset_info.json"
    info.write_text(json.dumps(registry, indent=2) + "\n")
    config = {
        "model_name_or_path": model,
        "stage": STAGES[kind],
        "do_train": True,
        "finetuning_type": "lora",
        "lora_target": "all",
        "dataset": name,
        "dataset_dir": str(folder),
        "template": "default",
        "cutoff_len": 2048,
        "output_dir": str(folder / "run"),
        "per_device_train_batch_size": 4,
        "learning_rate": 1.0e-4,
        "num_train_epochs": 3.0,
        "bf16": True,
    }
    if "validation" in splits:
        config["eval_dataset"] = f"{name}_validation"
    return [info, _yaml(folder / "llamafactory.yaml", config)]


def _axolotl(output, config_dir, kind, name, model, splits, folder) -> list[Path]:
    def dataset(split: str) -> dict:
        shards = [str(p) for p in sorted(config_dir.glob(f"{split}-*.parquet"))]
        block = {"path": str(config_dir), "ds_type": "parquet", "data_files": shards}
        if kind == "chat":
            block.update(
                type="chat_template",
                field_messages="messages",
                message_property_mappings={"role": "role", "content": "content"},
                roles_to_train=["assistant"],
                train_on_eos="turn",
            )
        else:
            block.update(type="completion", field="text")
        return block

    config = {
        "base_model": model,
        "datasets": [dataset("train")],
        "dataset_prepared_path": str(folder / "prepared"),
        "output_dir": str(folder / "run"),
        "sequence_len": 2048,
        "sample_packing": kind == "text",
        "adapter": "lora",
        "lora_r": 16,
        "lora_alpha": 32,
        "lora_target_linear": True,
        "micro_batch_size": 4,
        "num_epochs": 3,
        "learning_rate": 1.0e-4,
        "bf16": "auto",
    }
    if "validation" in splits:
        config["test_datasets"] = [{**dataset("validation"), "split": "train"}]
    else:
        config["val_set_size"] = 0.0
    return [_yaml(folder / "axolotl.yaml", config)]


def _trl(output, config_dir, kind, name, model, splits, folder) -> list[Path]:
    config = {
        "model_name_or_path": model,
        "dataset_name": str(output),
        "dataset_train_split": "train",
        "output_dir": str(folder / "run"),
        "learning_rate": 1.0e-4,
        "num_train_epochs": 3,
        "per_device_train_batch_size": 4,
        "max_length": 2048,
        "use_peft": True,
        "lora_r": 16,
        "lora_alpha": 32,
        "lora_target_modules": "all-linear",
    }
    if kind == "chat":
        config["assistant_only_loss"] = True
    else:
        config.update(dataset_text_field="text", packing=True)
    if "validation" in splits:
        config.update(dataset_test_split="validation", eval_strategy="epoch")
    return [_yaml(folder / "trl.yaml", config)]
