"""The shared LLM client: any OpenAI-compatible endpoint, cached, retried, budgeted.

Used by the LLM translator (projection) and by code-mixing and instruction synthesis (augment).
"""

from babelforge.llm.cache import RequestCache, request_key
from babelforge.llm.client import Completion, Failure, LLMClient, Request
from babelforge.llm.ledger import BudgetExceededError, Ledger

__all__ = [
    "BudgetExceededError",
    "Completion",
    "Failure",
    "LLMClient",
    "Ledger",
    "Request",
    "RequestCache",
    "request_key",
]
