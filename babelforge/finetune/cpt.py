"""``babelforge train cpt``: continued pre-training on ``text`` (interleaved bilingual samples), packed.

Plain causal language modelling over every token, sequences packed into ``max_length`` blocks; full
fine-tuning, or LoRA with the input embeddings and output head trained too (``train_embeddings``:
what a new script or language usually needs).
"""

from __future__ import annotations

from babelforge.errors import MissingDependencyError
from babelforge.finetune.options import (
    TrainOptions,
    claim_run_folder,
    held_out,
    load_output,
    model_path,
    require_training,
    train_and_save,
    write_metrics,
)
from babelforge.finetune.sft import Adapter, load_causal_lm, throughput


def train_cpt(options: TrainOptions, adapter: Adapter = Adapter(), packing: bool = True) -> dict:
    """Train on the ``text`` column; write the model (or adapter) and ``metrics.json`` (with perplexity)."""
    claim_run_folder(options.output, "cpt")
    require_training()
    try:
        from trl import SFTConfig, SFTTrainer
    except ImportError:
        raise MissingDependencyError("babelforge train cpt", ["trl"], "train") from None
    import math

    data = load_output(options.dataset, "cpt")
    model, tokenizer = load_causal_lm(model_path(options.model), adapter)
    model = adapter.wrap(model)
    evaluate_on = held_out(data)
    args = SFTConfig(
        **options.arguments(
            dataset_text_field="text",
            packing=packing,
            max_length=options.max_length,
            completion_only_loss=False,
            eval_strategy="steps" if evaluate_on else "no",
            save_strategy="steps",
        )
    )
    trainer = SFTTrainer(
        model=model,
        args=args,
        train_dataset=data["train"].select_columns(["text"]),
        eval_dataset=data[evaluate_on].select_columns(["text"]) if evaluate_on else None,
        processing_class=tokenizer,
    )
    outcome, metrics = train_and_save(trainer, options, "cpt", tokenizer)
    metrics |= {
        "train": throughput(trainer, outcome),
        "adapter": {"lora": adapter.lora, "train_embeddings": adapter.train_embeddings},
        "packing": packing,
        "options": options.record(),
    }
    if evaluate_on:
        loss = trainer.evaluate()["eval_loss"]
        metrics[evaluate_on] = {"loss": loss, "perplexity": math.exp(min(loss, 50))}
    if trainer.is_world_process_zero():
        write_metrics(options.output, metrics)
    return metrics
