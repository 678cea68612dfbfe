"""``babelforge train sft``: TRL ``SFTTrainer`` on ``messages``, assistant-only loss, LoRA or QLoRA.

Before the first step, the loss mask is audited (:mod:`~babelforge.finetune.mask_audit`) on examples
prepared by TRL itself: the run stops unless every assistant token (end-of-turn included) is trained
and no prompt token is. After training, held-out responses are generated and scored with chrF
(sacrebleu) and line-level language fidelity (augment's gate, where lingua knows the language).
"""

from __future__ import annotations

from dataclasses import dataclass

from babelforge.errors import BabelforgeError, MissingDependencyError
from babelforge.finetune.mask_audit import NO_TAGS, LossMaskError, audit
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
from babelforge.finetune.templates import TEMPLATES

AUDITED = 32


@dataclass
class Adapter:
    """LoRA settings (``lora``) and 4-bit loading (``qlora``, CUDA only)."""

    lora: bool = False
    qlora: bool = False
    rank: int = 16
    alpha: int = 32
    dropout: float = 0.05
    train_embeddings: bool = False  # also train the input embeddings and the output head (new scripts)

    def wrap(self, model):
        """The model with LoRA adapters attached (once: the audit and the training share them)."""
        config = self.peft_config()
        if config is None:
            return model
        from peft import get_peft_model

        return get_peft_model(model, config)

    def peft_config(self):
        if not (self.lora or self.qlora):
            return None
        try:
            from peft import LoraConfig
        except ImportError:
            raise MissingDependencyError("LoRA", ["peft"], "train") from None
        return LoraConfig(
            r=self.rank,
            lora_alpha=self.alpha,
            lora_dropout=self.dropout,
            target_modules="all-linear",
            modules_to_save=["embed_tokens", "lm_head"] if self.train_embeddings else None,
            task_type="CAUSAL_LM",
        )


def load_causal_lm(path: str, adapter: Adapter, chat_template: str | None = None):
    """The model and tokenizer, 4-bit when ``qlora`` (which needs CUDA and bitsandbytes)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path)
    if chat_template:
        if chat_template not in TEMPLATES:
            raise BabelforgeError(f"unknown chat template {chat_template!r}: valid: {', '.join(TEMPLATES)}")
        tokenizer.chat_template = TEMPLATES[chat_template][0]
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    kwargs = {}
    if adapter.qlora:
        if not torch.cuda.is_available():
            raise BabelforgeError(
                "QLoRA loads the model in 4 bits with bitsandbytes, which needs a CUDA GPU: use --lora"
            )
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=torch.bfloat16
        )
    elif torch.cuda.is_available():
        kwargs["dtype"] = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
    if adapter.qlora:
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model)
    return model, tokenizer


def end_of_turn(tokenizer, chat_template: str | None) -> str:
    if chat_template:
        return TEMPLATES[chat_template][1]
    return tokenizer.eos_token or ""


def train_sft(
    options: TrainOptions, adapter: Adapter = Adapter(), packing: bool = False, chat_template: str | None = None
) -> dict:
    """Audit the loss mask, train, evaluate; write the model (or adapter) and ``metrics.json``."""
    claim_run_folder(options.output, "sft")
    require_training()
    try:
        from trl import SFTConfig, SFTTrainer
    except ImportError:
        raise MissingDependencyError("babelforge train sft", ["trl"], "train") from None

    data = load_output(options.dataset, "sft")
    model, tokenizer = load_causal_lm(model_path(options.model), adapter, chat_template)
    model = adapter.wrap(model)
    if not tokenizer.chat_template:
        raise BabelforgeError(f"{options.model!r} has no chat template: pass --chat-template chatml")
    train = data["train"].select_columns(["messages"])
    evaluate_on = held_out(data)

    def config(**more) -> SFTConfig:
        return SFTConfig(
            **options.arguments(
                assistant_only_loss=True,
                max_length=options.max_length,
                eval_strategy="no",
                save_strategy="steps",
                **more,
            )
        )

    # The audit: TRL's own preparation and collator, on unpacked examples.
    sample = train.select(range(min(AUDITED, len(train))))
    try:
        probe = SFTTrainer(model=model, args=config(packing=False), train_dataset=sample, processing_class=tokenizer)
    except (ValueError, RuntimeError) as error:
        if "generation" in str(error):  # TRL refuses a template without the tags: say so in the audit's words
            raise LossMaskError(NO_TAGS) from None
        raise BabelforgeError(f"TRL could not prepare the data for assistant-only loss: {error}") from None
    prepared = probe.train_dataset
    batch = probe.data_collator([prepared[i] for i in range(len(prepared))])
    lengths = [len(ids) for ids in prepared["input_ids"]]
    labels = [batch["labels"][i][:n].tolist() for i, n in enumerate(lengths)]
    result = audit(tokenizer, sample["messages"], prepared["input_ids"], labels, end_of_turn(tokenizer, chat_template))
    report = result.report()
    write_metrics(options.output, report, "loss_mask_audit.json")
    result.check()
    del probe

    trainer = SFTTrainer(
        model=model,
        args=config(packing=packing),
        train_dataset=train,
        processing_class=tokenizer,
    )
    outcome, metrics = train_and_save(trainer, options, "sft", tokenizer)
    metrics |= {
        "loss_mask_audit": report,
        "train": throughput(trainer, outcome),
        "adapter": {"lora": adapter.lora, "qlora": adapter.qlora, "rank": adapter.rank},
        "packing": packing,
        "options": options.record(),
    }
    if evaluate_on:
        metrics[evaluate_on] = evaluate_responses(trainer.model, tokenizer, data[evaluate_on])
    if trainer.is_world_process_zero():
        write_metrics(options.output, metrics)
    return metrics


def throughput(trainer, outcome) -> dict:
    """Loss curve, steps, wall time and trained-on tokens per second (TRL counts ``num_tokens``)."""
    history = trainer.state.log_history
    tokens = max((float(e["num_tokens"]) for e in history if "num_tokens" in e), default=0.0)
    runtime = float(outcome.metrics.get("train_runtime", 0.0))
    report = {
        "loss": outcome.training_loss,
        "steps": outcome.global_step,
        "losses": [e["loss"] for e in history if "loss" in e],
        "runtime_s": runtime,
        "tokens": tokens,
        "tokens_per_second": tokens / runtime if runtime else None,
    }
    try:
        import torch

        if torch.cuda.is_available():
            report["peak_memory_gb"] = torch.cuda.max_memory_allocated() / 2**30
    except ImportError:
        pass
    return report


def evaluate_responses(model, tokenizer, split, limit: int = 64, max_new_tokens: int = 128) -> dict:
    """chrF of generated final answers against the references, and their language fidelity."""
    import sacrebleu
    import torch

    rows = [r for r in split.select(range(min(limit, len(split)))) if r["messages"][-1]["role"] == "assistant"]
    references, hypotheses = [], []
    model.eval()
    tokenizer.padding_side = "left"
    for row in rows:
        prompt = tokenizer.apply_chat_template(
            row["messages"][:-1], add_generation_prompt=True, return_tensors="pt", return_dict=True
        ).to(model.device)
        with torch.inference_mode():
            output = model.generate(**prompt, max_new_tokens=max_new_tokens, do_sample=False)
        hypotheses.append(tokenizer.decode(output[0][prompt["input_ids"].shape[1] :], skip_special_tokens=True).strip())
        references.append(row["messages"][-1]["content"])
    scores = {"examples": len(rows), "chrf": round(sacrebleu.corpus_chrf(hypotheses, [references]).score, 2)}
    scores["fidelity"] = _fidelity(hypotheses, rows)
    return scores


def _fidelity(hypotheses: list[str], rows: list[dict]) -> dict:
    """Line-level language fidelity per requested language (``response_lang``, else ``language``)."""
    from babelforge.augment.fidelity import LanguageFidelity

    judge, by_language = LanguageFidelity(), {}
    for hypothesis, row in zip(hypotheses, rows, strict=True):
        language = row.get("response_lang") or row.get("language")
        if language:
            by_language.setdefault(language, []).append(hypothesis)
    report = {}
    for language, texts in sorted(by_language.items()):
        try:
            if not judge.known(language):
                report[language] = "not measured: lingua does not identify this language"
                continue
            found = judge.check(texts, language)
        except MissingDependencyError as error:
            return {"not measured": str(error)}
        report[language] = {"lines": found.lines, "pass_rate": round(found.rate, 4)}
    return report
