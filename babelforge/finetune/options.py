"""What every ``babelforge train`` command shares: options, the dataset, the model, checkpoints."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from babelforge.errors import BabelforgeError, MissingDependencyError

#: The output kinds each trainer reads, and the columns it needs.
NEEDS = {"ner": ("tokens", "ner_tags"), "sft": ("messages",), "cpt": ("text",), "dpo": ("prompt", "chosen", "rejected")}
#: The output kind each trainer reads.
KINDS = {"ner": "ner", "sft": "chat", "cpt": "text", "dpo": "preference"}


@dataclass
class TrainOptions:
    """Options of one training run (command line flags, then ``--config`` YAML, which wins)."""

    dataset: str
    model: str
    output: str
    max_steps: int = -1
    epochs: float = 3.0
    lr: float = 5e-5
    batch_size: int = 8
    max_length: int = 512
    eval_steps: int = 50
    save_steps: int = 50
    seed: int = 13
    gradient_checkpointing: bool = False
    bf16: bool | None = None  # None: on where the GPU supports it
    extra: dict[str, Any] = field(default_factory=dict)  # further TrainingArguments from --config

    @classmethod
    def with_config(cls, config: str | None, **flags) -> TrainOptions:
        """Flags, overridden by a YAML ``--config`` file; its unknown keys go to ``TrainingArguments``."""
        options = cls(**flags)
        if not config:
            return options
        import yaml

        path = Path(config)
        if not path.is_file():
            raise BabelforgeError(f"no config file at {config}")
        loaded = yaml.safe_load(path.read_text()) or {}
        if not isinstance(loaded, dict):
            raise BabelforgeError(f"{config}: expected a mapping of options, got {type(loaded).__name__}")
        known = {f for f in cls.__dataclass_fields__ if f != "extra"}
        for key, value in loaded.items():
            if key in known:
                setattr(options, key, value)
            else:
                options.extra[key] = value
        return options

    def arguments(self, **overrides) -> dict[str, Any]:
        """Keyword arguments shared by ``TrainingArguments`` and TRL's configs."""
        import torch

        bf16 = (
            self.bf16 if self.bf16 is not None else bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())
        )
        return {
            "output_dir": self.output,
            "max_steps": self.max_steps,
            "num_train_epochs": self.epochs,
            "learning_rate": self.lr,
            "per_device_train_batch_size": self.batch_size,
            "per_device_eval_batch_size": self.batch_size,
            "eval_steps": self.eval_steps,
            "save_steps": self.save_steps,
            "logging_steps": max(1, min(10, self.save_steps)),
            "seed": self.seed,
            "bf16": bf16,
            "gradient_checkpointing": self.gradient_checkpointing,
            "save_total_limit": 2,
            "report_to": [],
            "disable_tqdm": True,
            **overrides,
            **self.extra,
        }

    def record(self) -> dict[str, Any]:
        return asdict(self)


def require_training() -> None:
    try:
        import accelerate  # noqa: F401
        import transformers  # noqa: F401
    except ImportError:
        raise MissingDependencyError("babelforge train", ["transformers", "accelerate"], "train") from None


def load_output(dataset: str, kind: str):
    """A babelforge output folder (or Hub id) as a ``DatasetDict``, checked to hold ``kind`` records.

    Raises:
        BabelforgeError: naming the dataset and what is missing.
    """
    import datasets

    try:
        loaded = datasets.load_dataset(dataset, cache_dir=_version_cache(dataset))
    except Exception as error:  # noqa: BLE001 - every loader failure becomes one clear message
        raise BabelforgeError(
            f"could not load dataset {dataset!r}: {error}. Give a babelforge output folder or a Hub dataset id"
        ) from None
    columns = set(next(iter(loaded.values())).column_names)
    missing = [c for c in NEEDS[kind] if c not in columns]
    if missing:
        raise BabelforgeError(
            f"dataset {dataset!r} has no {', '.join(missing)} column: `babelforge train {kind}` reads outputs of kind "
            f"{KINDS[kind]} (it has: {', '.join(sorted(columns))})"
        )
    return loaded


def _version_cache(dataset: str) -> str | None:
    """A cache folder of its own for each version of a local babelforge output (None for anything else).

    ``datasets`` keys a local folder's cache on its files' paths and modification times, so an output
    rewritten in place with its times kept (``cp -p``, ``rsync -a``, a coarse clock) would load the old
    rows; keyed on the output's identity (its provenance and its files' sizes), a new version never does.
    """
    from babelforge.outputs import output_identity

    folder = Path(dataset)
    if not (folder / "provenance.json").is_file() or not (folder / "data").is_dir():
        return None
    import datasets

    digest = output_identity(folder)["digest"][:16]
    return str(Path(datasets.config.HF_DATASETS_CACHE) / "babelforge-outputs" / digest)


#: The ownership marker's role in a run folder (:mod:`babelforge.ownership`).
RUN_ROLE = "train"
#: Files only a babelforge training run writes: a folder holding one is an earlier run's, made before
#: runs carried a marker.
_RUN_FILES = ("pair_audit.json", "loss_mask_audit.json")


def claim_run_folder(output: str, task: str) -> None:
    """Make ``output`` this run's folder, or resume in it when an earlier ``babelforge train`` made it.

    A run writes its model, tokenizer and checkpoints into ``output`` by their usual names (``config.json``,
    ``README.md`` ...), so a folder babelforge did not make is refused: they would overwrite the user's files.

    Raises:
        OutputError: ``output`` is a file, a link, or a folder with files babelforge did not write.
    """
    from babelforge.errors import OutputError
    from babelforge.ownership import inspect_path, write_marker

    folder = Path(output)
    state = inspect_path(folder, RUN_ROLE).state
    real_folder = folder.is_dir() and not folder.is_symlink()
    if state == "foreign" and real_folder and any((folder / name).is_file() for name in _RUN_FILES):
        state = "ours"
    if state == "foreign":
        entries = sorted(p.name for p in folder.iterdir())[:3] if real_folder else []
        held = f" (it holds {', '.join(entries)}{' ...' if len(entries) == 3 else ''})" if entries else ""
        raise OutputError(
            f"--output {folder}: is not a folder that `babelforge train` made{held}, and the run would "
            "write its model and checkpoints over files there: give --output a new folder"
        )
    folder.mkdir(parents=True, exist_ok=True)
    if state != "ours":
        write_marker(folder, RUN_ROLE, task=task)


def model_path(name: str) -> str:
    """A model folder for ``name`` (Hub id or folder), or a clear error naming it."""
    from babelforge.models import resolve_model

    return str(resolve_model(name).path)


def last_checkpoint(output: str) -> str | None:
    """The newest ``checkpoint-N`` folder in ``output`` that finished saving, if any."""
    from transformers.trainer_utils import get_last_checkpoint

    folder = Path(output)
    return get_last_checkpoint(str(folder)) if folder.is_dir() else None


def held_out(data) -> str | None:
    """The split to evaluate on while training: ``validation``, else ``test``, else none."""
    return next((s for s in ("validation", "test") if s in data), None)


def write_metrics(output: str, metrics: dict, name: str = "metrics.json") -> Path:
    path = Path(output) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(metrics, indent=2, ensure_ascii=False, default=str) + "\n")
    return path


def train_and_save(trainer, options: TrainOptions, task: str, tokenizer=None):
    """Train (from the last checkpoint when there is one), save the model; return the outcome and the
    metrics every task starts with."""
    resumed = last_checkpoint(options.output)
    outcome = trainer.train(resume_from_checkpoint=resumed)
    trainer.save_model(options.output)
    if tokenizer is not None:
        tokenizer.save_pretrained(options.output)
    return outcome, {"task": task, "model": options.model, "dataset": options.dataset, "resumed_from": resumed}
