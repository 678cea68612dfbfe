"""The loss-mask audit: check, before training, that exactly the assistant's tokens are trained.

Assistant-only loss depends on the chat template (TRL trains what ``{% generation %}`` tags enclose),
and templates get it wrong in two common ways: no tags at all (nothing, or everything, is trained)
and the end-of-turn token left outside them (the model never learns to stop). The audit renders each
conversation, finds every assistant message and the end-of-turn marker after it by character
offsets, and compares that with the labels the trainer's own data pipeline produced. Assistant tokens
must be 100% trained and prompt tokens 0%, or the run stops with the reason.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from babelforge.errors import BabelforgeError

NO_TAGS = (
    "loss-mask audit: 0% of assistant tokens would be trained. The chat template has no "
    "{% generation %} ... {% endgeneration %} tags around assistant turns, which assistant-only loss "
    "needs: add them to the template (around the content and the end-of-turn token), or pass --chat-template chatml"
)


class LossMaskError(BabelforgeError):
    """The trainer would train the wrong tokens; the message says why and how to fix it."""


@dataclass
class MaskAudit:
    examples: int
    assistant_tokens: int
    assistant_trained: int
    end_of_turn_tokens: int
    end_of_turn_trained: int
    prompt_tokens: int
    prompt_trained: int
    skipped: int  # examples whose tokenisation could not be matched to the rendered text

    @property
    def assistant_share(self) -> float:
        return self.assistant_trained / self.assistant_tokens if self.assistant_tokens else 0.0

    @property
    def prompt_share(self) -> float:
        return self.prompt_trained / self.prompt_tokens if self.prompt_tokens else 0.0

    @property
    def end_of_turn_share(self) -> float:
        return self.end_of_turn_trained / self.end_of_turn_tokens if self.end_of_turn_tokens else 0.0

    def report(self) -> dict:
        return {
            **asdict(self),
            "assistant_share": round(self.assistant_share, 6),
            "end_of_turn_share": round(self.end_of_turn_share, 6),
            "prompt_share": round(self.prompt_share, 6),
        }

    def check(self) -> None:
        """Raise :class:`LossMaskError` unless assistant tokens are all trained and prompt tokens none."""
        if self.assistant_tokens == 0:
            raise LossMaskError("loss-mask audit: no assistant tokens found in the audited examples")
        if self.assistant_trained == 0:
            raise LossMaskError(NO_TAGS)
        if self.end_of_turn_share < 1.0:
            raise LossMaskError(
                f"loss-mask audit: the end-of-turn token is trained in {self.end_of_turn_share:.0%} of assistant "
                "turns: the model would never learn to stop. Move it inside the template's {% generation %} tags"
            )
        if self.assistant_share < 1.0 or self.prompt_share > 0.0:
            raise LossMaskError(
                f"loss-mask audit: {self.assistant_share:.1%} of assistant tokens and {self.prompt_share:.1%} of "
                "prompt tokens would be trained (want 100% and 0%): the template's {% generation %} tags do not "
                "enclose exactly the assistant messages"
            )


def audit(tokenizer, conversations: list[list[dict]], input_ids: list[list[int]], labels: list[list[int]], end: str):
    """Compare the trained positions (``labels != -100``) with the assistant spans of each conversation."""
    counts = dict.fromkeys(
        ("assistant_tokens", "assistant_trained", "end_of_turn_tokens", "end_of_turn_trained", "prompt_tokens"), 0
    )
    counts["prompt_trained"] = counts["skipped"] = 0
    for messages, ids, row in zip(conversations, input_ids, labels, strict=True):
        text = tokenizer.apply_chat_template(messages, tokenize=False)
        encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        if list(encoded["input_ids"]) != list(ids):
            counts["skipped"] += 1
            continue
        answer, stops = _assistant_ranges(text, messages, end)
        for (start, stop), label in zip(encoded["offset_mapping"], row, strict=False):
            trained = label != -100
            if any(start < b and a < stop for a, b in stops):
                counts["end_of_turn_tokens"] += 1
                counts["end_of_turn_trained"] += trained
            if any(start < b and a < stop for a, b in answer + stops):
                counts["assistant_tokens"] += 1
                counts["assistant_trained"] += trained
            else:
                counts["prompt_tokens"] += 1
                counts["prompt_trained"] += trained
    return MaskAudit(examples=len(conversations), **counts)


def _assistant_ranges(text: str, messages: list[dict], end: str):
    """Character ranges of each assistant message's content, and of the end-of-turn marker after it."""
    answers, stops, cursor = [], [], 0
    for message in messages:
        at = text.find(message["content"], cursor)
        if at < 0:
            continue
        cursor = at + len(message["content"])
        if message["role"] == "assistant":
            answers.append((at, cursor))
            marker = text.find(end, cursor) if end else -1
            if marker >= 0:
                stops.append((marker, marker + len(end)))
    return answers, stops
