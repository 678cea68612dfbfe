"""Tokens and money spent on LLM calls, with a budget that stops a run cleanly."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from babelforge.errors import BabelforgeError


class BudgetExceededError(BabelforgeError):
    """The ledger's ``max_budget`` is spent: no further request is sent."""


@dataclass
class Ledger:
    """Counts per model. ``prices`` maps a model to USD per million (input, output) tokens."""

    prices: dict[str, tuple[float, float]] = field(default_factory=dict)
    max_budget: float | None = None
    requests: int = 0
    cached: int = 0
    failures: dict[str, int] = field(default_factory=dict)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def check_budget(self) -> None:
        """Raise before a request when the budget is already spent."""
        if self.max_budget is not None and self.cost >= self.max_budget:
            raise BudgetExceededError(
                f"LLM budget spent: {self.cost:.4f} USD of max_budget {self.max_budget:.4f} USD "
                f"after {self.requests} request(s); raise max_budget to go on (answers so far are cached)"
            )

    def record(self, model: str, prompt_tokens: int, completion_tokens: int) -> None:
        price_in, price_out = self.prices.get(model, (0.0, 0.0))
        with self._lock:
            self.requests += 1
            self.prompt_tokens += prompt_tokens
            self.completion_tokens += completion_tokens
            self.cost += (prompt_tokens * price_in + completion_tokens * price_out) / 1e6

    def fail(self, reason: str) -> None:
        with self._lock:
            self.failures[reason] = self.failures.get(reason, 0) + 1

    def hit(self) -> None:
        with self._lock:
            self.cached += 1

    def to_dict(self) -> dict:
        return {
            "requests": self.requests,
            "cached": self.cached,
            "failures": dict(self.failures),
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost_usd": round(self.cost, 6),
        }
