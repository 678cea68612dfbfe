"""Records an LLM endpoint left unanswered because it was down: a task stops rather than drop them.

A request that still fails after every retry with a 5xx, a 429, a timeout or a refused connection
(or that the circuit breaker held back after such failures) says nothing about its record: the
endpoint was down. Dropping the record would finish its task without it, and a rerun resumes
finished tasks, so the record would stay lost once the server is back. So a record step that
dropped any record for such a reason stops its task when the task ends (:func:`outage_error`): the
task is left unfinished, nothing is published, and the rerun runs it again, with the requests that
were answered served from the request cache. ``llm: {on_outage: drop}`` keeps the old behaviour
(counted drops, published without them) for an endpoint known to fail some requests for good.
"""

from __future__ import annotations

from babelforge.errors import BabelforgeError

#: Failures of an endpoint that was down, not of its answer.
DOWN = ("server_error", "rate_limited", "timeout", "connection")
#: Drop reasons of a record whose request met such a failure (``llm_`` the answering model, ``judge_`` a judge).
OUTAGE = frozenset(f"{who}_{reason}" for who in ("llm", "judge") for reason in DOWN)


class LLMOutageError(BabelforgeError):
    """Records failed because the endpoint was down: the task stops so that a rerun retries them."""


def outage_error(step: str, endpoint: str | None, failed: int, seen: int, reason: str, detail: str) -> LLMOutageError:
    """The error that stops a task in which ``failed`` of ``seen`` records met an endpoint that was down.

    Args:
        endpoint: the step's ``openai:MODEL@BASE_URL`` spec, if known (its address is named, never a password).
        reason, detail: the first such record's drop reason and detail.
    """
    from babelforge.llm.cache import without_userinfo

    where = f" at {without_userinfo(endpoint.split('@', 1)[1])}" if endpoint and "@" in endpoint else ""
    return LLMOutageError(
        f"{step}: the LLM endpoint{where} answered no request for {failed} of {seen} record(s) after every retry "
        f"({reason}: {detail[:160]}); the task is left unfinished and nothing is published: check or "
        "restart the server, then run the same command again: finished tasks are kept and answered requests "
        "come from the cache (or set llm: {on_outage: drop} to publish without these records: the changed "
        "manifest starts the run over, its answers from the cache)"
    )
