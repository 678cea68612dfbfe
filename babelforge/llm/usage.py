"""Whether the token counts an endpoint reports can be believed.

The ledger charges what ``usage`` says, so a wrong one misleads the budget both ways: ``{0, 0}`` on
long answers lets a run spend past its budget unseen, and ``10**15`` tokens stops a run on a bill no
one sent. :func:`judge_usage` compares the counts with the tokenizer's and with what the request
could take at most:

- *absurd*: more completion tokens than the request's ``max_tokens`` allows, prompt tokens far past
  its bound, or more than any request takes. The answer is a ``malformed_response`` (retried) and
  the request is charged at its worst case.
- *implausible*: under a tenth of the tokenizer's count (zero included) for a prompt or an answer
  that is not empty. The tokenizer's counts are charged instead, marked estimated.
- otherwise the endpoint's counts stand (its tokenizer is the model's own).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Reported counts below the tokenizer's divided by this are not believed (tokenizers differ, not tenfold).
IMPLAUSIBLE_RATIO = 10
#: Prompt tokens past ``PROMPT_RATIO * bound + PROMPT_SLACK`` are absurd (a chat template adds a few).
PROMPT_RATIO, PROMPT_SLACK = 2, 1024
#: Completion tokens an endpoint may report past ``max_tokens`` (an end-of-text token counted, say).
COMPLETION_SLACK = 16
#: More tokens than any one request takes, prompt or completion.
ABSURD_TOKENS = 10_000_000


@dataclass(frozen=True)
class Verdict:
    """``kind`` is ``"ok"``, ``"implausible"`` or ``"absurd"``; ``detail`` says why when not ok."""

    kind: str
    detail: str = ""


def judge_usage(reported: tuple[int, int], counted: tuple[int, int], bound: tuple[int, int]) -> Verdict:
    """Judge reported ``(prompt, completion)`` tokens.

    Args:
        reported: the endpoint's ``usage`` counts.
        counted: the same counted with the tokenizer (:mod:`babelforge.llm.tokens`).
        bound: the request's worst case: prompt tokens (bounded) and ``max_tokens`` (0: not bounded).

    Returns:
        A :class:`Verdict`.
    """
    (prompt, completion), (bound_prompt, bound_completion) = reported, bound
    prompt_ceiling = min(ABSURD_TOKENS, PROMPT_RATIO * bound_prompt + PROMPT_SLACK)
    completion_ceiling = bound_completion + COMPLETION_SLACK if bound_completion else ABSURD_TOKENS
    if prompt > prompt_ceiling or completion > completion_ceiling:
        return Verdict(
            "absurd",
            f"usage reports {prompt} prompt + {completion} completion tokens, more than this request can take "
            f"({bound_prompt} prompt tokens at most, max_tokens {bound_completion or 'unset'})",
        )
    for name, said, found in (("prompt", prompt, counted[0]), ("completion", completion, counted[1])):
        if found > 0 and said * IMPLAUSIBLE_RATIO < found:
            return Verdict("implausible", f"usage reports {said} {name} tokens where the tokenizer counts {found}")
    return Verdict("ok")
