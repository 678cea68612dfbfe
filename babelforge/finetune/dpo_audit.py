"""The pair audit: check, before DPO's first step, that only the answers are trained, never the prompt.

DPO scores each answer by the log-probability of its tokens after the prompt. TRL finds where the
answer starts by tokenizing the prompt alone and the prompt with the answer, and takes the common
prefix; a chat template that renders the prompt differently in the two cases, or tokens that merge
across the boundary, move that start, and prompt tokens are then scored (and trained) as the answer.
The audit renders each audited pair (both sides), finds the answer and the end-of-turn marker after
it by character offsets, and compares that with the completion mask that TRL's own preparation and
collator built: prompt tokens must be 0% trained, answer tokens and the end-of-turn token 100%. What
the template writes after the end-of-turn marker (ChatML's line break) is reported, not judged.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from babelforge.finetune.mask_audit import LossMaskError

SIDES = ("chosen", "rejected")


@dataclass
class PairAudit:
    pairs: int
    prompt_tokens: int = 0
    prompt_trained: int = 0
    answer_tokens: int = 0
    answer_trained: int = 0
    end_of_turn_tokens: int = 0
    end_of_turn_trained: int = 0
    trailing_tokens: int = 0
    trailing_trained: int = 0
    truncated: int = 0  # sides cut by max_length: audited on what is left
    skipped: int = 0  # sides whose tokens could not be matched to the rendered text

    @property
    def prompt_share(self) -> float:
        return self.prompt_trained / self.prompt_tokens if self.prompt_tokens else 0.0

    @property
    def answer_share(self) -> float:
        return self.answer_trained / self.answer_tokens if self.answer_tokens else 0.0

    @property
    def end_of_turn_share(self) -> float:
        return self.end_of_turn_trained / self.end_of_turn_tokens if self.end_of_turn_tokens else 0.0

    def report(self) -> dict:
        shares = {k: round(getattr(self, k), 6) for k in ("prompt_share", "answer_share", "end_of_turn_share")}
        return {**asdict(self), **shares}

    def check(self) -> None:
        """Raise :class:`LossMaskError` unless no prompt token and every answer token is trained."""
        if self.answer_tokens == 0:
            raise LossMaskError(f"pair audit: no answer tokens found in the {self.pairs} audited pairs")
        if self.prompt_trained:
            raise LossMaskError(
                f"pair audit: {self.prompt_share:.1%} of prompt tokens would be trained as part of the answers "
                "(want 0%): the chat template renders the prompt differently alone and before an answer, or its "
                "last tokens merge with the answer's first; fix the template or pass --chat-template chatml"
            )
        if self.answer_share < 1.0:
            raise LossMaskError(
                f"pair audit: only {self.answer_share:.1%} of answer tokens would be trained (want 100%)"
            )
        if self.end_of_turn_tokens and self.end_of_turn_share < 1.0:
            raise LossMaskError(
                f"pair audit: the end-of-turn token is trained in {self.end_of_turn_share:.0%} of answers: the "
                "model would not learn to stop"
            )


def audit_pairs(tokenizer, rows: list[dict], batch, end: str) -> PairAudit:
    """Compare the completion mask of a collated ``batch`` (chosen rows first, then rejected) with the answer
    spans of ``rows`` (``prompt``, ``chosen``, ``rejected`` as lists of messages), rendered by ``tokenizer``."""
    found = PairAudit(pairs=len(rows))
    for s, side in enumerate(SIDES):
        for i, row in enumerate(rows):
            r = s * len(rows) + i
            length = int(batch["attention_mask"][r].sum())
            ids = batch["input_ids"][r][:length].tolist()
            mask = batch["completion_mask"][r][:length].tolist()
            _audit_side(found, tokenizer, row["prompt"] + row[side], ids, mask, end)
    return found


def _audit_side(found: PairAudit, tokenizer, messages: list[dict], ids: list[int], mask: list[int], end: str):
    text = tokenizer.apply_chat_template(messages, tokenize=False)
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    if list(encoded["input_ids"][: len(ids)]) != ids:
        found.skipped += 1
        return
    start, stop, marker = _answer_range(text, messages, end)
    if start < 0:  # the template changed the answer's text: nothing to compare with
        found.skipped += 1
        return
    found.truncated += len(ids) < len(encoded["input_ids"])
    for (a, b), trained in zip(encoded["offset_mapping"][: len(ids)], mask, strict=True):
        in_marker = marker is not None and a < marker[1] and marker[0] < b
        if in_marker:
            found.end_of_turn_tokens += 1
            found.end_of_turn_trained += trained
        if (a < stop and start < b) or in_marker:
            found.answer_tokens += 1
            found.answer_trained += trained
        elif b <= start:
            found.prompt_tokens += 1
            found.prompt_trained += trained
        else:
            found.trailing_tokens += 1
            found.trailing_trained += trained


def _answer_range(text: str, messages: list[dict], end: str) -> tuple[int, int, tuple[int, int] | None]:
    """Character range of the last message (the answer) in ``text``, and of the end-of-turn marker after it."""
    cursor = 0
    for message in messages[:-1]:
        at = text.find(message["content"], cursor)
        cursor = at + len(message["content"]) if at >= 0 else cursor
    start = text.find(messages[-1]["content"], cursor)
    stop = start + len(messages[-1]["content"])
    at = text.find(end, stop) if end else -1
    return start, stop, (at, at + len(end)) if at >= 0 else None
