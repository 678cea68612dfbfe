"""How long an LLM step's answers are, for :mod:`babelforge.llm.estimate`.

Prompt tokens can be counted before anything is sent; answer tokens cannot. They are found, best
first:

1. **measured on a pilot**: ``pilot`` real requests sent now (and cached, so that the run does not
   pay for them twice), priced by the endpoint's own usage;
2. **measured on cached answers** of the pilot draw: answers an earlier pilot (``babelforge llm
   estimate --pilot N``) or an earlier run left in the cache, counted with the model's tokenizer;
   nothing is sent;
3. **assumed** as long as the text the request carries (right for translation and rewriting, low for
   open questions): the estimate then also gives the worst case, every answer as long as
   ``max_tokens``.

A measured length is either *per token sent* (answers grow with the text: translation) or *per
request* (answers of about one length whatever was asked: open instructions), whichever the measured
answers support: the ratio where answer and text lengths correlate enough for a ratio estimator to
beat the mean (Cochran: correlation above half the ratio of their coefficients of variation).

The pilot draw is a sample of its own (another seed than the priced sample), so the answers it
leaves in the cache are as likely to fall on any record as on the priced ones: the priced sample's
share of cached requests stays a fair estimate of the run's.
"""

from __future__ import annotations

import dataclasses
import statistics
from dataclasses import dataclass

from babelforge.errors import BabelforgeError


@dataclass(frozen=True)
class AnswerLength:
    """Completion tokens per token of the text sent (or per request), and the prompt count's correction."""

    ratio: float = 1.0
    prompt_scale: float = 1.0
    how: str = "assumed as long as the text sent"
    measured: bool = False
    per_request: float | None = None
    failed: str = ""  # why a pilot measured nothing

    def completion(self, sent: int) -> float:
        """Completion tokens expected for a request carrying ``sent`` tokens of text."""
        return self.per_request if self.per_request is not None else self.ratio * sent


def _measured(sent: list[int], got: list[int], scale: float, how: str) -> AnswerLength:
    """The better of the two models for answers ``got`` to texts ``sent`` (counts), billed ``scale`` times."""
    per_request = scale * statistics.fmean(got)
    ratio = scale * sum(got) / sum(sent)
    if len(got) > 2 and _ratio_beats_mean(sent, got):
        return AnswerLength(ratio, 1.0, f"{how}: {ratio:.2f} per token sent", measured=True)
    return AnswerLength(ratio, 1.0, f"{how}: {per_request:.0f} per request", measured=True, per_request=per_request)


def _ratio_beats_mean(sent: list[int], got: list[int]) -> bool:
    cv_sent = statistics.pstdev(sent) / statistics.fmean(sent)
    cv_got = statistics.pstdev(got) / max(statistics.fmean(got), 1e-9)
    if cv_got == 0 or cv_sent == 0:
        return cv_got != 0  # constant answers: the mean; constant texts: either (the ratio)
    return statistics.correlation(sent, got) > cv_sent / (2 * cv_got)


def answer_length(client, counter, requests: list, pilot: int) -> AnswerLength:
    """Measure on ``pilot`` real requests, else on those of ``requests`` already cached, else assume.

    Args:
        client: the step's real :class:`~babelforge.llm.client.LLMClient`.
        counter: the model's token counter (:func:`babelforge.llm.tokens.token_counter`).
        requests: the pilot draw's requests, in draw order.
        pilot: how many of them to send (0: send nothing).
    """
    if pilot > 0:
        return _piloted(client, counter, requests[:pilot])
    known = [(r, found) for r in requests if (found := _cached(client, r)) is not None]
    sent = [counter.count(last_user(r.messages)) for r, _ in known]
    if not sum(sent):
        return AnswerLength()
    billed = [found.get("completion_tokens") for _, found in known]
    if all(isinstance(n, int) for n in billed):  # the endpoint's own counts, as a pilot measures them
        return _measured(sent, billed, 1.0, f"measured on {len(known)} cached answer(s) (endpoint's usage)")
    got = [counter.count(str(found.get("text") or "")) for _, found in known]
    return _measured(sent, got, 1.0, f"measured on {len(known)} cached answer(s)")


def _piloted(client, counter, tried: list) -> AnswerLength:
    before = client.ledger.to_dict()
    try:
        answers = client.complete_many(tried)
    except BabelforgeError as error:  # a budget too small even for the pilot
        return AnswerLength(how=f"assumed as long as the text sent (no pilot: {error})", failed=f"no pilot: {error}")
    after = client.ledger.to_dict()
    answered = [(r, a) for r, a in zip(tried, answers, strict=True) if _ok(a)]
    sent = [counter.count(last_user(r.messages)) for r, _ in answered]
    if not sum(sent):
        failed = f"the {len(tried)} pilot request(s) to {client.base_url} got no answer{_failures(answers)}"
        return AnswerLength(how=f"assumed as long as the text sent ({failed})", failed=failed)
    got = [counter.count(a.text) for _, a in answered]
    scale, prompt_scale = 1.0, 1.0
    billed = after["requests"] - before["requests"]
    if (
        billed == len(answered)
        and not any(a.cached for _, a in answered)
        and (after["estimated_requests"] == before["estimated_requests"])
    ):  # every answer billed with the endpoint's own usage: its counts correct the tokenizer's
        scale = (after["completion_tokens"] - before["completion_tokens"]) / max(1, sum(got))
        prompt_scale = (after["prompt_tokens"] - before["prompt_tokens"]) / max(
            1, sum(counter.count_messages(r.messages) for r, _ in answered)
        )
    length = _measured(sent, got, scale, f"measured on {len(tried)} pilot request(s)")
    return dataclasses.replace(length, prompt_scale=prompt_scale)


def _failures(answers: list) -> str:
    """``": 3 rejected (400: no such model)"``: the commonest failure of a pilot, so a broken endpoint shows
    before the run."""
    from collections import Counter

    from babelforge.llm.client import Failure

    failed = [a for a in answers if isinstance(a, Failure)]
    if not failed:
        return ""
    reason, count = Counter(f.reason for f in failed).most_common(1)[0]
    detail = next(f.detail for f in failed if f.reason == reason)
    return f": {count} {reason}" + (f" ({detail[:160]})" if detail else "")


def _cached(client, request) -> dict | None:
    if client.cache is None:
        return None
    found = client.cache.get(client.key(request))
    return found if isinstance(found, dict) else None


def _ok(answer) -> bool:
    from babelforge.llm.client import Completion

    return isinstance(answer, Completion)


def last_user(messages: list[dict]) -> str:
    """The last user turn's text (what a request carries to be answered)."""
    users = [m.get("content") or "" for m in messages if m.get("role") == "user"]
    return str(users[-1]) if users else ""
