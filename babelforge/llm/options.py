"""How steps talk to an LLM: the ``llm:`` block of a step's settings in a manifest.

``model: "openai:MODEL@BASE_URL"`` names the endpoint (the key comes from ``OPENAI_API_KEY``); these
options set timeouts, retries, concurrency, prices and a budget.

The budget is a hard limit *per run* when the step was built for a run (:meth:`LLMOptions.for_run`,
as the built-in steps do): every task of the run, in any process on this machine or on a shared file
system, reserves and spends from one ledger file in the run's work folder, which also outlives a
killed attempt (a resumed run goes on with what is left). Steps of one run with the same model and
budget share it. Built outside a run, a client's budget is per process.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from babelforge.errors import BabelforgeError

SCHEME = "openai:"


class LLMOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    timeout: float = Field(60.0, gt=0, description="seconds a request may take in all (sending, waiting, reading)")
    max_retries: int = Field(5, ge=0)
    max_concurrency: int = Field(8, ge=1, description="requests in flight (halved on 429, 5xx, timeouts; grown back)")
    backoff: float = Field(1.0, ge=0, description="first retry delay in seconds, doubled each time")
    backoff_max: float = Field(60.0, ge=0, description="longest wait between tries, Retry-After included")
    time_limit: float | None = Field(
        None, gt=0, description="seconds a batch of requests may take; nothing is sent, waited for or read past it"
    )
    max_response_bytes: int = Field(
        8 * 2**20, ge=1024, description="the largest answer read; a larger one fails the request under too_large"
    )
    breaker_threshold: int = Field(5, ge=1, description="consecutive failures that pause all requests to the endpoint")
    breaker_cooldown: float = Field(5.0, ge=0, description="seconds the breaker pauses before one probe request")
    max_tokens: int | None = Field(None, ge=1, description="completion tokens per request (1024 with a budget)")
    tokenizer: str | None = Field(
        None, description="counts tokens where usage is missing: tiktoken:ENCODING, tokenizer.json, folder or hub id"
    )
    max_budget: float | None = Field(None, gt=0, description="USD per run, a hard limit; the run stops cleanly")
    confirm_above: float | None = Field(
        None, ge=0, description="USD: a run estimated above this asks first (refuses without a terminal)"
    )
    price_in: float = Field(0.0, ge=0, description="USD per million prompt tokens")
    price_out: float = Field(0.0, ge=0, description="USD per million completion tokens")
    batch: bool = Field(False, description="send through the endpoint's Batch API (about half the price, slower)")
    batch_poll: float = Field(30.0, gt=0, description="seconds between polls of a batch")
    batch_discount: float = Field(0.5, gt=0, le=1, description="batch price as a share of price_in/price_out")
    batch_max_wait: float = Field(
        24 * 3600.0, gt=0, description="seconds after its creation a batch is given up and its requests sent online"
    )
    on_outage: Literal["stop", "drop"] = Field(
        "stop",
        description="records whose requests failed after every retry because the endpoint was down (5xx, 429, "
        "timeouts, refused connections): stop leaves the task unfinished so that a rerun retries them; drop "
        "counts them as dropped and publishes without them",
    )
    _run_dir: str | None = PrivateAttr(None)

    def for_run(self, work_dir: str | Path) -> LLMOptions:
        """These options, with the budget kept in ``work_dir`` (shared by every task of the run)."""
        bound = self.model_copy()
        bound._run_dir = str(work_dir)
        return bound

    def budget_file(self, spec: str) -> str | None:
        if self._run_dir is None or self.max_budget is None:
            return None
        key = hashlib.sha256(json.dumps([spec, self.max_budget]).encode()).hexdigest()[:16]
        return str(Path(self._run_dir) / "llm" / f"budget-{key}.sqlite")

    def client(self, spec: str):
        """An :class:`~babelforge.llm.client.LLMClient` for ``openai:MODEL@BASE_URL`` with these options."""
        from babelforge.llm import recording

        if (recorder := recording.active()) is not None:
            return recorder.client(spec, self)
        return self.real_client(spec)

    def real_client(self, spec: str):
        from babelforge.llm.client import LLMClient
        from babelforge.llm.ledger import Ledger
        from babelforge.models import babelforge_home

        model, base_url = parse_spec(spec)
        ledger = Ledger(
            prices={model: (self.price_in, self.price_out)}, max_budget=self.max_budget,
            budget_file=self.budget_file(spec),
        )  # fmt: skip
        return LLMClient(
            model, base_url, cache=str(babelforge_home() / "llm-cache.sqlite"), ledger=ledger, timeout=self.timeout,
            max_retries=self.max_retries, max_concurrency=self.max_concurrency, backoff=self.backoff,
            backoff_max=self.backoff_max, max_tokens=self.max_tokens, tokenizer=self.tokenizer,
            breaker_threshold=self.breaker_threshold, breaker_cooldown=self.breaker_cooldown,
            time_limit=self.time_limit, batch=self.batch, batch_poll=self.batch_poll,
            batch_discount=self.batch_discount, max_response_bytes=self.max_response_bytes,
            batch_max_wait=self.batch_max_wait,
        )  # fmt: skip


def parse_spec(spec: str) -> tuple[str, str]:
    """``openai:MODEL@BASE_URL`` -> ``(MODEL, BASE_URL)``."""
    if not (isinstance(spec, str) and spec.startswith(SCHEME) and "@" in spec):
        raise BabelforgeError(f"LLM {spec!r}: expected openai:MODEL@BASE_URL")
    model, base_url = spec[len(SCHEME) :].split("@", 1)
    return model, base_url
