"""What a step's LLM requests cost, in the step's own stats: the run summary and ``provenance.json`` show it.

A step wraps each batch of requests::

    with llm_usage(self, client):
        answers = client.complete_many(requests)

and the step's counts gain ``llm_requests`` (sent and billed), ``llm_cached`` (served from the cache),
``llm_prompt_tokens``, ``llm_completion_tokens`` and ``llm_usd`` (what the ledger settled, estimated
usage included), summed over the run's tasks like every other count.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

#: The step counts this module writes, in the order the summary shows them.
USAGE_KEYS = ("llm_requests", "llm_cached", "llm_prompt_tokens", "llm_completion_tokens", "llm_usd")
_LEDGER_KEYS = ("requests", "cached", "prompt_tokens", "completion_tokens", "cost_usd")


@contextmanager
def llm_usage(step, client) -> Iterator[None]:
    """Add what ``client`` spends inside the block to ``step``'s stats (also when it raises; no step: nothing)."""
    if step is None:
        yield
        return
    before = client.ledger.to_dict()
    try:
        yield
    finally:
        after = client.ledger.to_dict()
        for key, ledger_key in zip(USAGE_KEYS, _LEDGER_KEYS, strict=True):
            spent = after[ledger_key] - before[ledger_key]
            if spent:
                step.stat_update(key, value=round(spent, 6) if key == "llm_usd" else spent)


def usage_rows(steps: list[dict]) -> list[tuple[str, dict]]:
    """``(step name, {key: total})`` for each step of a run summary that talked to an LLM."""
    return [
        (step["name"], {key: step["counts"][key] for key in USAGE_KEYS if key in step["counts"]})
        for step in steps
        if any(key in step.get("counts", {}) for key in USAGE_KEYS)
    ]
