"""``babelforge train ner|sft|dpo|cpt`` and ``babelforge export-trainer``: fine-tune on babelforge outputs."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from babelforge.cli.console import out

app = typer.Typer(help="Fine-tune models on babelforge outputs (the train extra).", no_args_is_help=True)

DATASET = typer.Option(..., "--dataset", help="A babelforge output folder or a Hub dataset id.")
MODEL = typer.Option(..., "--model", help="A Hub id or a local model folder.")
OUTPUT = typer.Option(..., "--output", help="Where checkpoints, the model and metrics.json go.")
CONFIG = typer.Option(None, "--config", help="YAML: these options, plus any TrainingArguments.")
MAX_STEPS = typer.Option(-1, "--max-steps", help="Stop after N optimizer steps (-1: by epochs).")
EPOCHS = typer.Option(3.0, "--epochs")
BATCH = typer.Option(8, "--batch-size", help="Per device.")
CHECKPOINTING = typer.Option(
    True, "--gradient-checkpointing/--no-gradient-checkpointing", help="Recompute activations: less memory."
)
LORA = typer.Option(False, "--lora", help="Train LoRA adapters instead of all weights.")
QLORA = typer.Option(False, "--qlora", help="LoRA over a 4-bit model (CUDA and bitsandbytes).")
RANK = typer.Option(16, "--lora-rank")
CHAT_TEMPLATE = typer.Option(None, "--chat-template", help="Use babelforge's template: chatml.")


def _options(dataset, model, output, config, max_steps, epochs, lr, batch_size, **more):
    from babelforge.finetune.options import TrainOptions

    return TrainOptions.with_config(
        config,
        dataset=dataset,
        model=model,
        output=str(output),
        max_steps=max_steps,
        epochs=epochs,
        lr=lr,
        batch_size=batch_size,
        **more,
    )


def _summary(metrics: dict, output, describe) -> None:
    """Steps and loss, one line per held-out split (``describe`` words its scores), and where it all is."""
    out.print(f"trained {metrics['train']['steps']} steps, loss {metrics['train']['loss']:.4f}", highlight=False)
    for split in ("validation", "test", "held_out"):
        if split in metrics:
            out.print(f"  {split}: {describe(metrics[split])}", highlight=False, markup=False)
    out.print(f"model and metrics.json in {output}", highlight=False)


def _quiet() -> None:
    import logging

    from babelforge.cli.console import quiet_library_logs

    quiet_library_logs()
    for name in ("transformers", "trl", "peft", "accelerate"):
        logging.getLogger(name).setLevel(logging.ERROR)


@app.command("ner")
def ner(
    dataset: str = DATASET,
    model: str = MODEL,
    output: Path = OUTPUT,
    config: str | None = CONFIG,
    max_steps: int = MAX_STEPS,
    epochs: float = EPOCHS,
    lr: float = typer.Option(5e-5, "--lr"),
    batch_size: int = BATCH,
) -> None:
    """Token classification: labels on first sub-words; seqeval F1 overall, per label and per language."""
    from babelforge.finetune.ner import train_ner

    _quiet()
    metrics = train_ner(_options(dataset, model, output, config, max_steps, epochs, lr, batch_size))
    _summary(metrics, output, lambda m: "P {precision:.3f} R {recall:.3f} F1 {f1:.3f}".format(**m["overall"]))


@app.command("sft")
def sft(
    dataset: str = DATASET,
    model: str = MODEL,
    output: Path = OUTPUT,
    config: str | None = CONFIG,
    max_steps: int = MAX_STEPS,
    epochs: float = EPOCHS,
    lr: float = typer.Option(2e-4, "--lr"),
    batch_size: int = BATCH,
    max_length: int = typer.Option(1024, "--max-length", help="Tokens per sequence (or per packed block)."),
    lora: bool = LORA,
    qlora: bool = QLORA,
    rank: int = RANK,
    packing: bool = typer.Option(False, "--packing", help="Pack conversations into max-length blocks."),
    chat_template: str | None = CHAT_TEMPLATE,
    gradient_checkpointing: bool = CHECKPOINTING,
) -> None:
    """Supervised fine-tuning on chat ``messages``: assistant-only loss, audited before the first step."""
    from babelforge.finetune.sft import Adapter, train_sft

    _quiet()
    options = _options(
        dataset, model, output, config, max_steps, epochs, lr, batch_size,
        max_length=max_length, gradient_checkpointing=gradient_checkpointing,
    )  # fmt: skip
    metrics = train_sft(options, Adapter(lora=lora, qlora=qlora, rank=rank), packing, chat_template)
    audit = metrics["loss_mask_audit"]
    out.print(
        f"loss-mask audit: assistant tokens trained {audit['assistant_share']:.1%} (end-of-turn "
        f"{audit['end_of_turn_share']:.1%}), prompt tokens trained {audit['prompt_share']:.1%}",
        highlight=False,
    )
    _summary(metrics, output, lambda m: f"chrF {m['chrf']:.1f}, fidelity {m['fidelity']}")


@app.command("dpo")
def dpo(
    dataset: str = DATASET,
    model: str = MODEL,
    output: Path = OUTPUT,
    config: str | None = CONFIG,
    max_steps: int = MAX_STEPS,
    epochs: float = typer.Option(1.0, "--epochs"),
    lr: float = typer.Option(5e-6, "--lr"),
    batch_size: int = BATCH,
    max_length: int = typer.Option(1024, "--max-length", help="Tokens per prompt and answer."),
    beta: float = typer.Option(0.1, "--beta", help="How far the model may move from the reference (DPO's beta)."),
    lora: bool = LORA,
    qlora: bool = QLORA,
    rank: int = RANK,
    chat_template: str | None = CHAT_TEMPLATE,
    gradient_checkpointing: bool = CHECKPOINTING,
) -> None:
    """Preference optimisation (DPO) on ``preference`` pairs: prompts never trained, audited before the first step."""
    from babelforge.finetune.dpo import train_dpo
    from babelforge.finetune.sft import Adapter

    _quiet()
    options = _options(
        dataset, model, output, config, max_steps, epochs, lr, batch_size,
        max_length=max_length, gradient_checkpointing=gradient_checkpointing,
    )  # fmt: skip
    metrics = train_dpo(options, Adapter(lora=lora, qlora=qlora, rank=rank), beta, chat_template)
    audit = metrics["pair_audit"]
    out.print(
        f"pair audit: answer tokens trained {audit['answer_share']:.1%} (end-of-turn "
        f"{audit['end_of_turn_share']:.1%}), prompt tokens trained {audit['prompt_share']:.1%}",
        highlight=False,
    )
    _summary(metrics, output, _rewards)


def _rewards(scores: dict) -> str:
    if not scores.get("pairs"):
        return "no held-out pairs"
    languages = ", ".join(f"{k} {v['reward_accuracy']:.2f}" for k, v in scores["per_language"].items())
    return (
        f"reward accuracy {scores['reward_accuracy']:.3f}, margin {scores['reward_margin']:.3f} over "
        f"{scores['pairs']} pairs ({languages})"
    )


@app.command("cpt")
def cpt(
    dataset: str = DATASET,
    model: str = MODEL,
    output: Path = OUTPUT,
    config: str | None = CONFIG,
    max_steps: int = MAX_STEPS,
    epochs: float = typer.Option(1.0, "--epochs"),
    lr: float = typer.Option(1e-4, "--lr"),
    batch_size: int = BATCH,
    max_length: int = typer.Option(2048, "--max-length", help="Tokens per packed block."),
    lora: bool = LORA,
    train_embeddings: bool = typer.Option(False, "--train-embeddings", help="With LoRA: train embeddings and head."),
    gradient_checkpointing: bool = CHECKPOINTING,
) -> None:
    """Continued pre-training on ``text`` (interleaved samples), packed into max-length blocks."""
    from babelforge.finetune.cpt import train_cpt
    from babelforge.finetune.sft import Adapter

    _quiet()
    options = _options(
        dataset, model, output, config, max_steps, epochs, lr, batch_size,
        max_length=max_length, gradient_checkpointing=gradient_checkpointing,
    )  # fmt: skip
    metrics = train_cpt(options, Adapter(lora=lora, train_embeddings=train_embeddings))
    _summary(metrics, output, lambda m: f"loss {m['loss']:.4f}, perplexity {m['perplexity']:.2f}")


class Target(str, Enum):
    axolotl = "axolotl"
    llamafactory = "llamafactory"
    trl = "trl"


def export_trainer(
    output: Path = typer.Argument(..., help="A babelforge output folder (chat, preference or text records)."),
    to: Target = typer.Option(..., "--to", help="The trainer to hand over to."),
    dest: Path | None = typer.Option(
        None, "--dest", help="A folder outside the output to write into (default: OUTPUT.trainers/TOOL beside it)."
    ),
    model: str | None = typer.Option(None, "--model", help="The base model to put in the config."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace the files of an earlier export at DEST."),
) -> None:
    """Write another trainer's config and dataset registration for an output; the data stay as they are."""
    from babelforge.finetune.handoff import export_trainer as write

    for path in write(output, to.value, dest, model, overwrite=overwrite):
        out.print(f"wrote {path}", highlight=False, markup=False)
