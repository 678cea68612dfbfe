"""How steps talk to an LLM: the ``llm:`` block of a step's settings in a manifest.

``model: "openai:MODEL@BASE_URL"`` names the endpoint (the key comes from ``OPENAI_API_KEY``); these
options set timeouts, retries, concurrency, prices and a budget. The budget and the ledger are per
task: with ``tasks: 4``, four times ``max_budget`` can be spent in all.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from babelforge.errors import BabelforgeError

SCHEME = "openai:"


class LLMOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    timeout: float = Field(60.0, gt=0, description="seconds per request")
    max_retries: int = Field(5, ge=0)
    max_concurrency: int = Field(8, ge=1, description="requests in flight (halved on 429, grown back)")
    backoff: float = Field(1.0, ge=0, description="first retry delay in seconds, doubled each time")
    max_budget: float | None = Field(None, gt=0, description="USD per task; the run stops cleanly once spent")
    price_in: float = Field(0.0, ge=0, description="USD per million prompt tokens")
    price_out: float = Field(0.0, ge=0, description="USD per million completion tokens")

    def client(self, spec: str):
        """An :class:`~babelforge.llm.client.LLMClient` for ``openai:MODEL@BASE_URL`` with these options."""
        from babelforge.llm.client import LLMClient
        from babelforge.llm.ledger import Ledger
        from babelforge.models import babelforge_home

        if not (spec.startswith(SCHEME) and "@" in spec):
            raise BabelforgeError(f"LLM {spec!r}: expected openai:MODEL@BASE_URL")
        model, base_url = spec[len(SCHEME) :].split("@", 1)
        ledger = Ledger(prices={model: (self.price_in, self.price_out)}, max_budget=self.max_budget)
        return LLMClient(
            model, base_url, cache=str(babelforge_home() / "llm-cache.sqlite"), ledger=ledger, timeout=self.timeout,
            max_retries=self.max_retries, max_concurrency=self.max_concurrency, backoff=self.backoff,
        )  # fmt: skip
