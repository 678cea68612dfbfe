"""Hand a babelforge output to another trainer: its config file and dataset registration, data unchanged.

- ``llamafactory``: ``dataset_info.json`` (sharegpt ``messages`` for chat, ``text`` as a pre-training
  prompt column, an alpaca ranking set of ``prompt_text``/``chosen_text``/``rejected_text``/``system``
  for preference pairs: LLaMA-Factory reads a pair's last user turn and system turn, not earlier
  turns) and a ``llamafactory.yaml`` train config (``llamafactory-cli train llamafactory.yaml``;
  ``stage: dpo`` for preference outputs);
- ``axolotl``: ``axolotl.yaml`` with a parquet ``datasets`` block (``chat_template`` type for chat,
  ``completion`` for text, ``chat_template.default`` under ``rl: dpo`` for preference pairs)
  (``axolotl train axolotl.yaml``);
- ``trl``: ``trl.yaml`` for ``trl sft --config trl.yaml`` (the output folder as ``dataset_name``), or
  ``trl dpo --config trl.yaml`` for preference outputs (TRL reads their conversational pairs as they are).

Files go to ``DEST``, by default ``OUTPUT.trainers/TOOL`` beside the output: never inside it, where
``babelforge publish`` would upload configs holding this machine's absolute paths and the next run
of the manifest would replace them. The data files are referenced by absolute path (LLaMA-Factory's
through a folder of links per split, since it reads a file or a folder). Files already at ``DEST``
are replaced only with ``overwrite``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from babelforge.errors import BabelforgeError, OutputError

TOOLS = ("axolotl", "llamafactory", "trl")
#: Output kinds each tool can train on, and the stage it means for them.
STAGES = {"chat": "sft", "text": "pt", "preference": "dpo"}
#: DPO's beta (how far the model may move from the reference) and learning rate in every exported config.
DPO_BETA, DPO_LR = 0.1, 5.0e-6
PLACEHOLDER = "REPLACE/with-a-model-id"
#: What each tool's export writes into its folder (``data/SPLIT``: folders of links to the shards).
WRITES = {
    "axolotl": ("axolotl.yaml",),
    "llamafactory": ("dataset_info.json", "llamafactory.yaml", "data/train", "data/validation"),
    "trl": ("trl.yaml",),
}


def output_kind(output: Path) -> str:
    """The record kind of a babelforge output folder, from its provenance (or its columns).

    Raises:
        OutputError: the folder is not a complete babelforge output, or is damaged.
    """
    from babelforge.outputs import OutputFolder

    folder = OutputFolder.open(output)
    settings = (folder.provenance.get("manifest") or {}).get("output")
    kind = settings.get("kind") if isinstance(settings, dict) else None
    if isinstance(kind, str) and kind:
        return kind
    names = {f.get("name") for f in folder.info.get("features") or [] if isinstance(f, dict)}
    if {"chosen", "rejected"} <= names:
        return "preference"
    return "chat" if "messages" in names else "ner" if "ner_tags" in names else "text"


def default_dest(output: Path, tool: str) -> Path:
    """Where :func:`export_trainer` writes by default: ``OUTPUT.trainers/TOOL``, beside the output."""
    return output.with_name(output.name + ".trainers") / tool


def export_trainer(
    output: str | Path, tool: str, dest: str | Path | None = None, model: str | None = None, overwrite: bool = False
) -> list[Path]:
    """Write ``tool``'s config and dataset registration for ``output``; return the files written.

    Args:
        output: a babelforge output folder of chat, preference or text records.
        tool: one of :data:`TOOLS`.
        dest: the folder to write into (default :func:`default_dest`); not inside ``output``.
        model: the base model to name in the config (default: a placeholder to replace).
        overwrite: replace files of an earlier export at ``dest`` (refused otherwise).

    Raises:
        BabelforgeError: an unknown tool, an output of another kind or damaged, a ``dest`` inside the
            output, not a folder, or holding an earlier export (without ``overwrite``).
    """
    output = Path(output).resolve()
    if tool not in TOOLS:
        raise BabelforgeError(f"unknown trainer {tool!r}: valid: {', '.join(TOOLS)}")
    kind = output_kind(output)
    if kind not in STAGES:
        raise BabelforgeError(
            f"{output} holds {kind!r} records: {tool} trains generative models on chat, preference or text outputs"
            + ("; train taggers with `babelforge train ner`" if kind == "ner" else "")
        )
    splits = {p.name.split("-")[0] for p in (output / "data").glob("*/*.parquet")}
    config_dir = next((p for p in sorted((output / "data").iterdir()) if p.is_dir()), None)
    if config_dir is None or "train" not in splits:
        raise OutputError(f"{output} is damaged: data/ holds no train-*.parquet shards; run its manifest again")
    if tool == "llamafactory" and kind == "preference":
        _single_turn_prompts(output, config_dir)
    folder = _destination(output, tool, dest, overwrite)
    name = output.name.replace("-", "_")
    writer = {"axolotl": _axolotl, "llamafactory": _llamafactory, "trl": _trl}[tool]
    try:
        return writer(output, config_dir, kind, name, model or PLACEHOLDER, splits, folder)
    except OSError as error:
        raise BabelforgeError(
            f"cannot write {error.filename or folder} ({error.strerror or error}): check --dest {folder} and its "
            "permissions"
        ) from None


def _destination(output: Path, tool: str, dest: str | Path | None, overwrite: bool) -> Path:
    """The folder to write into, made; refused inside the output, when not a folder, or over an earlier export."""
    folder = Path(dest).resolve() if dest else default_dest(output, tool)
    shown = f"--dest {folder}" if dest else f"the default destination {folder}"
    if folder.is_relative_to(output):
        raise BabelforgeError(
            f"{shown} lies inside the output {output}: `babelforge publish` would upload it (with this "
            f"machine's paths) and the next run replaces the output; choose a folder outside it "
            f"(default {default_dest(output, tool)})"
        )
    if folder.exists() and not folder.is_dir():
        raise BabelforgeError(f"{shown} is a file, not a folder: give a folder to write {tool}'s files into")
    existing = [name for name in WRITES[tool] if os.path.lexists(folder / name)]
    if existing and not overwrite:
        raise BabelforgeError(
            f"{folder} already holds {', '.join(existing)} (an earlier export?): pass --overwrite to replace "
            "them, or give another --dest"
        )
    for name in existing:
        _replaceable(folder / name, links=name.startswith("data/"))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BabelforgeError(
            f"cannot create {shown} ({error.strerror or error}): give a folder that can be made"
        ) from None
    return folder


def _replaceable(path: Path, links: bool) -> None:
    """Refuse to replace ``path`` unless it is what an export writes there: a file, or (``links``) a folder of links."""
    is_folder = path.is_dir() and not path.is_symlink()
    if is_folder != links:
        raise BabelforgeError(
            f"{path} is a {'folder' if is_folder else 'file'}, not what an export writes: move it away"
        )
    foreign = sorted(p.name for p in path.iterdir() if not p.is_symlink()) if is_folder else []
    if foreign:
        raise BabelforgeError(
            f"{path} holds {', '.join(foreign[:3])}, which are not links an export made: move them away"
        )


def _yaml(path: Path, data: dict) -> Path:
    import yaml

    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return path


def _linked(config_dir: Path, split: str, folder: Path) -> str:
    """A folder of links to one split's shards (LLaMA-Factory reads a file or a whole folder, not a glob)."""
    target = folder / "data" / split
    target.mkdir(parents=True, exist_ok=True)
    for stale in target.iterdir():  # links of an earlier export (only links: see _replaceable)
        stale.unlink()
    for shard in sorted(config_dir.glob(f"{split}-*.parquet")):
        (target / shard.name).symlink_to(shard)
    return f"data/{split}"


def _earlier_turns(config_dir: Path) -> tuple[int, int]:
    """``(pairs whose prompt holds earlier turns, pairs)`` over every split: turns before the last user turn
    (system turns aside), which LLaMA-Factory's alpaca ranking columns cannot carry."""
    import pyarrow.parquet as pq

    earlier = total = 0
    for shard in sorted(config_dir.glob("*.parquet")):
        for prompt in pq.read_table(shard, columns=["prompt"]).column("prompt").to_pylist():
            total += 1
            earlier += sum(1 for m in prompt or () if m["role"] != "system") > 1
    return earlier, total


def _single_turn_prompts(output: Path, config_dir: Path) -> None:
    """Refuse pairs whose earlier turns LLaMA-Factory's ranking set would drop (before anything is written)."""
    earlier, total = _earlier_turns(config_dir)
    if earlier:
        raise BabelforgeError(
            f"{earlier:,} of {total:,} pairs in {output} have a prompt of several turns, and LLaMA-Factory's "
            "ranking set holds only the last user turn (the earlier ones would be lost): export them "
            "--to trl or --to axolotl, which keep every turn"
        )


def _llamafactory(output, config_dir, kind, name, model, splits, folder) -> list[Path]:
    formatting = "sharegpt" if kind == "chat" else "alpaca"
    entry = {"file_name": _linked(config_dir, "train", folder), "formatting": formatting}
    if kind == "preference":  # alpaca ranking: strings (its sharegpt ranking wants one message object per side)
        entry["ranking"] = True
        entry["columns"] = {"prompt": "prompt_text", "chosen": "chosen_text", "rejected": "rejected_text",
                            "system": "system"}  # fmt: skip
    elif kind == "chat":
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
    if kind == "preference":
        config.update(pref_beta=DPO_BETA, pref_loss="sigmoid", learning_rate=DPO_LR, num_train_epochs=1.0)
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
        elif kind == "preference":  # the prompt's turns, then the last message of each side
            block.update(
                type="chat_template.default",
                field_messages="prompt",
                field_chosen="chosen",
                field_rejected="rejected",
                message_property_mappings={"role": "role", "content": "content"},
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
    if kind == "preference":
        config = {"base_model": model, "rl": "dpo", "rl_beta": DPO_BETA, "chat_template": "tokenizer_default",
                  **{k: v for k, v in config.items() if k != "base_model"}}  # fmt: skip
        config.update(learning_rate=DPO_LR, num_epochs=1)
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
    elif kind == "preference":  # for `trl dpo`: conversational pairs, the chat template applied, prompts not trained
        config.update(beta=DPO_BETA, learning_rate=DPO_LR, num_train_epochs=1)
    else:
        config.update(dataset_text_field="text", packing=True)
    if "validation" in splits:
        config.update(dataset_test_split="validation", eval_strategy="epoch")
    return [_yaml(folder / "trl.yaml", config)]
