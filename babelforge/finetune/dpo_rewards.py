"""DPO's implicit rewards on held-out pairs: reward accuracy and margins, overall and per language.

A pair's reward for an answer is ``beta * (log p_policy(answer | prompt) - log p_reference(answer | prompt))``,
summed over the answer's tokens exactly as the trainer scores them (TRL's preparation, collator and
fused log-probabilities; the reference is the adapter switched off, or the frozen copy). Reward accuracy
is the share of pairs whose chosen answer earns more than the rejected one (a tie is not a win: before
any step every reward is 0); the margin is chosen minus rejected.
"""

from __future__ import annotations

from collections import defaultdict

IDS = ("prompt_ids", "chosen_ids", "rejected_ids")


def held_out_rewards(trainer, batch_size: int) -> dict:
    """Reward metrics of the trainer's prepared ``eval_dataset`` (its rows keep their ``language``)."""
    dataset = trainer.eval_dataset
    by_language: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for start in range(0, len(dataset), batch_size):
        rows = [dataset[i] for i in range(start, min(start + batch_size, len(dataset)))]
        for row, rewards in zip(rows, _rewards(trainer, rows), strict=True):
            by_language[row.get("language") or "und"].append(rewards)
    everything = [pair for pairs in by_language.values() for pair in pairs]
    return {**summary(everything), "per_language": {k: summary(v) for k, v in sorted(by_language.items())}}


def summary(pairs: list[tuple[float, float]]) -> dict:
    """Pairs, reward accuracy, mean margin and mean rewards of ``(chosen reward, rejected reward)`` pairs."""
    n = len(pairs)
    if not n:
        return {"pairs": 0}
    return {
        "pairs": n,
        "reward_accuracy": round(sum(c > r for c, r in pairs) / n, 6),
        "reward_margin": round(sum(c - r for c, r in pairs) / n, 6),
        "chosen_reward": round(sum(c for c, _ in pairs) / n, 6),
        "rejected_reward": round(sum(r for _, r in pairs) / n, 6),
    }


def _rewards(trainer, rows: list[dict]) -> list[tuple[float, float]]:
    """``(chosen reward, rejected reward)`` per row, by the trainer's own scoring."""
    import torch

    batch = trainer.data_collator([{k: row[k] for k in IDS} for row in rows])
    batch = {k: v.to(trainer.accelerator.device) for k, v in batch.items()}
    model = trainer.model
    model.eval()
    labels = batch["input_ids"].masked_fill(batch["completion_mask"] == 0, -100)
    shifted = batch["completion_mask"][..., 1:]
    with torch.no_grad(), trainer.accelerator.autocast():
        out = model(
            input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], labels=labels,
            fused_lm_head=True, use_cache=False,
        )  # fmt: skip
        policy = (out.log_probs[:, -shifted.size(1) :] * shifted).sum(dim=1)
        ref_chosen, ref_rejected = trainer.compute_ref_log_probs(trainer.ref_model or model, batch)
    chosen, rejected = policy.chunk(2, dim=0)
    beta = trainer.beta
    chosen_rewards = (beta * (chosen - ref_chosen)).float().tolist()
    rejected_rewards = (beta * (rejected - ref_rejected)).float().tolist()
    return list(zip(chosen_rewards, rejected_rewards, strict=True))
