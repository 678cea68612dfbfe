"""``babelforge train dpo``: TRL ``DPOTrainer`` on ``preference`` outputs, LoRA or QLoRA as ``sft``.

The pairs are TRL's conversational preference format (a babelforge ``preference`` output, or any
dataset with ``prompt``, ``chosen`` and ``rejected`` columns; plain strings are read as one user turn
and one assistant answer), so the model's chat template renders them and only the answers are scored.
Before the first step the completion masks that TRL's own preparation built are audited
(:mod:`~babelforge.finetune.dpo_audit`): the run stops unless no prompt token and every answer token
is trained. After training, each held-out pair (``validation``, else ``test``, else a seeded share of
``train`` kept out of training; an output re-split by ``splits`` is better, since it keeps the pairs
made from one record in every language in one split) gets its implicit rewards: ``beta`` times the
policy's log-probability of the answer over the reference model's. ``metrics.json`` reports reward
accuracy (the share of pairs whose chosen answer earns the higher reward) and mean margins, overall
and per language.
"""

from __future__ import annotations

from babelforge.errors import BabelforgeError, MissingDependencyError
from babelforge.finetune.dpo_audit import audit_pairs
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
from babelforge.finetune.sft import Adapter, end_of_turn, load_causal_lm, throughput

AUDITED = 32
COLUMNS = ("prompt", "chosen", "rejected")
#: Share of ``train`` held out for the reward metrics when the dataset has no validation or test split.
HELD_OUT_SHARE = 0.1


def train_dpo(
    options: TrainOptions, adapter: Adapter = Adapter(), beta: float = 0.1, chat_template: str | None = None
) -> dict:
    """Audit the pairs' masks, train, measure held-out rewards; write the model (or adapter) and ``metrics.json``."""
    _check_steps(options.max_steps)
    claim_run_folder(options.output, "dpo")
    require_training()
    try:
        from trl import DPOConfig, DPOTrainer
    except ImportError:
        raise MissingDependencyError("babelforge train dpo", ["trl"], "train") from None

    data = load_output(options.dataset, "dpo")
    train, evaluate_on, held = _splits(data, options.seed)
    untaught = {name: n for name, n in left_out(data).items() if n}
    if not len(train):
        raise BabelforgeError(
            f"dataset {options.dataset!r} has no pair to train on in 'train': every pair has the same answer "
            "twice or an empty one; give pairs whose chosen and rejected answers differ"
        )
    model, tokenizer = load_causal_lm(model_path(options.model), adapter, chat_template)
    if not tokenizer.chat_template:
        raise BabelforgeError(f"{options.model!r} has no chat template: pass --chat-template chatml")
    args = DPOConfig(
        **options.arguments(beta=beta, max_length=options.max_length, eval_strategy="no", save_strategy="steps")
    )
    trainer = DPOTrainer(
        model=model, args=args, train_dataset=train, eval_dataset=held, processing_class=tokenizer,
        peft_config=adapter.peft_config(),
    )  # fmt: skip
    report = _audit(trainer, tokenizer, end_of_turn(tokenizer, chat_template), options.output)
    outcome, metrics = train_and_save(trainer, options, "dpo", tokenizer)
    metrics |= {
        "pair_audit": report,
        "train": throughput(trainer, outcome),
        "adapter": {"lora": adapter.lora, "qlora": adapter.qlora, "rank": adapter.rank},
        "beta": beta,
        "pairs_left_out": {"same_or_empty_answers": untaught},
        "options": options.record(),
    }
    if held is not None:
        from babelforge.finetune.dpo_rewards import held_out_rewards

        metrics[evaluate_on] = held_out_rewards(trainer, options.batch_size)
    if trainer.is_world_process_zero():
        write_metrics(options.output, metrics)
    return metrics


def _check_steps(max_steps: int) -> None:
    if max_steps == 0 or max_steps < -1:
        raise BabelforgeError(f"--max-steps {max_steps}: give a number of steps above 0, or -1 to train by --epochs")


def _splits(data, seed: int):
    """``(train pairs, name of the held-out split, held-out pairs with their language)``, conversational."""
    evaluate_on = held_out(data)
    train = _conversational(data["train"])
    if evaluate_on is not None:
        return train.select_columns(list(COLUMNS)), evaluate_on, _conversational(data[evaluate_on])
    if len(train) < 2:
        return train.select_columns(list(COLUMNS)), None, None
    parted = train.train_test_split(test_size=HELD_OUT_SHARE, seed=seed)
    return parted["train"].select_columns(list(COLUMNS)), "held_out", parted["test"]


def _conversational(split):
    """The split with ``prompt``/``chosen``/``rejected`` as messages (strings become one user turn, one answer)
    and a ``language`` column (``und`` where the dataset has none)."""
    if "language" not in split.column_names:
        split = split.add_column("language", ["und"] * len(split))
    split = split.select_columns([*COLUMNS, "language"])
    if len(split) and not all(isinstance(split[0][c], list) for c in COLUMNS):
        split = split.map(_as_turns)
    return split.filter(_teaches) if len(split) else split


def _teaches(row: dict) -> bool:
    """A pair trains something only when its answers differ and neither is empty (a tie in a Hub set, say)."""
    answers = [" ".join(str(m.get("content") or "") for m in row[c] or ()).strip() for c in ("chosen", "rejected")]
    return all(answers) and answers[0] != answers[1]


def left_out(data) -> dict[str, int]:
    """Pairs per split that :func:`_teaches` leaves out."""
    return {name: len(split) - len(_conversational(split)) for name, split in data.items()}


def _as_turns(row: dict) -> dict:
    roles = {"prompt": "user", "chosen": "assistant", "rejected": "assistant"}
    return {c: row[c] if isinstance(row[c], list) else [{"role": roles[c], "content": row[c]}] for c in COLUMNS}


def _audit(trainer, tokenizer, end: str, output: str) -> dict:
    """The pair audit on TRL's own prepared examples and collator, before any step; stops a wrong run."""
    prepared = trainer.train_dataset
    rows = [prepared[i] for i in range(min(AUDITED, len(prepared)))]
    batch = trainer.data_collator([{k: row[k] for k in ("prompt_ids", "chosen_ids", "rejected_ids")} for row in rows])
    result = audit_pairs(tokenizer, rows, batch, end)
    report = result.report()
    write_metrics(output, report, "pair_audit.json")
    result.check()
    return report
