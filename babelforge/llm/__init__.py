"""The shared LLM client: any OpenAI-compatible endpoint, cached per endpoint, retried, budgeted.

Used by the LLM translator (projection) and by code-mixing and instruction synthesis (augment).
:func:`estimate_step_costs` prices a manifest's LLM steps before a run.
"""

from babelforge.llm.cache import RequestCache, normalise_url, request_key
from babelforge.llm.client import Completion, Failure, LLMClient, Request
from babelforge.llm.ledger import BudgetExceededError, Ledger
from babelforge.llm.tokens import TokenCounter, token_counter

__all__ = [
    "BudgetExceededError",
    "Completion",
    "Failure",
    "LLMClient",
    "Ledger",
    "Request",
    "RequestCache",
    "TokenCounter",
    "normalise_url",
    "request_key",
    "token_counter",
]
