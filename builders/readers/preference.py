"""Preference pairs read as they are: ``prompt``, ``chosen`` and ``rejected`` fields in any of TRL's layouts.

A source maps the fields (``fields: {prompt: prompt, chosen: chosen, rejected: rejected}``); each row
becomes a preference record (see :mod:`babelforge.records`). The layouts read:

- standard, explicit prompt: ``prompt``, ``chosen`` and ``rejected`` are strings;
- conversational, explicit prompt: ``prompt`` a list of ``{role, content}`` messages, ``chosen`` and
  ``rejected`` one-message lists (or single message objects, as LLaMA-Factory and axolotl write them);
- implicit prompt (no ``prompt`` field mapped): ``chosen`` and ``rejected`` are whole conversations;
  the turns they share are the prompt, as TRL's ``extract_prompt`` takes them;
- mixed, as UltraFeedback has it: a string ``prompt`` and whole conversations that repeat it.

Each side must come down to one assistant answer with text after the prompt, the two answers must differ
(an equal pair teaches nothing), and the prompt's last user turn must hold text.
A row that does not is a :class:`~babelforge.builders.readers.fields.FieldError`, which the source's
``on_error`` stops on or counts (``malformed_input``). Both sides are taken to be in the row's language
and made by the data set's own method (``chosen_by``/``rejected_by``: ``{"method": "source"}``).
"""

from __future__ import annotations

from typing import Any

from babelforge.records import CHOSEN, CHOSEN_BY, PROMPT, REJECTED, REJECTED_BY

#: How each side of a pair read as it is was made.
READ_AS_IS = {"method": "source", "model": None}


def preference_metadata(row: dict, fields) -> dict[str, Any]:
    """The preference keys of a record for one row: ``prompt`` turns, ``chosen`` and ``rejected`` answers.

    Raises:
        FieldError: naming the field and what it should hold.
    """
    from babelforge.builders.readers.fields import FieldError, _get

    if not (fields.chosen and fields.rejected):
        raise FieldError("both 'chosen' and 'rejected' mapped in fields (a preference pair has two sides)")
    chosen = _side(_get(row, fields.chosen), fields.chosen)
    rejected = _side(_get(row, fields.rejected), fields.rejected)
    shared = _shared_prefix(chosen, rejected)
    given = row.get(fields.prompt) if fields.prompt else None  # none: the implicit prompt, what the sides share
    prompt = _prompt(given, fields.prompt) if given is not None else []
    if shared and prompt[-len(shared) :] != shared:
        prompt = prompt + shared
    if not any(m["role"] == "user" for m in prompt):
        where = f"'{fields.prompt}' or in " if fields.prompt else ""
        sides = f"the turns '{fields.chosen}' and '{fields.rejected}' share"
        raise FieldError(f"a user turn in {where}{sides} (the prompt of the pair)")
    if not last_user_turn(prompt).strip():
        raise FieldError(f"a user turn with text in '{fields.prompt or fields.chosen}' (the prompt is empty)")
    answers = _answer(chosen[len(shared) :], fields.chosen), _answer(rejected[len(shared) :], fields.rejected)
    if answers[0] == answers[1]:
        raise FieldError(
            f"two different answers in '{fields.chosen}' and '{fields.rejected}', got the same one twice "
            f"({answers[0][:60]!r}): a pair of equal answers teaches nothing"
        )
    return {
        PROMPT: prompt,
        CHOSEN: answers[0],
        REJECTED: answers[1],
        CHOSEN_BY: dict(READ_AS_IS),
        REJECTED_BY: dict(READ_AS_IS),
    }


def last_user_turn(prompt: list[dict[str, str]]) -> str:
    """The content of the prompt's last user turn (a preference record's text)."""
    return next((m["content"] for m in reversed(prompt) if m["role"] == "user"), "")


def _prompt(value: Any, field: str) -> list[dict[str, str]]:
    from babelforge.builders.readers.fields import _messages, _unicode

    if isinstance(value, str):
        return [{"role": "user", "content": _unicode(value, field)}]
    return _messages(value, field)


def _side(value: Any, field: str) -> list[dict[str, str]]:
    """One side as messages: a string is the assistant's answer; a message object, a one-message list."""
    from babelforge.builders.readers.fields import FieldError, _messages, _unicode

    if isinstance(value, str):
        return [{"role": "assistant", "content": _unicode(value, field)}]
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise FieldError(f"a string, a {{role, content}} message or a list of them in '{field}', got {value!r}")
    return _messages(value, field)


def _shared_prefix(chosen: list[dict], rejected: list[dict]) -> list[dict]:
    """The turns both sides open with (the prompt of an implicit-prompt pair), never a side's last turn."""
    shared = 0
    while shared < min(len(chosen), len(rejected)) - 1 and chosen[shared] == rejected[shared]:
        shared += 1
    return chosen[:shared]


def _answer(rest: list[dict[str, str]], field: str) -> str:
    from babelforge.builders.readers.fields import FieldError

    if len(rest) != 1 or rest[0]["role"] != "assistant":
        roles = ", ".join(m["role"] for m in rest) or "none"
        raise FieldError(
            f"one assistant answer in '{field}' after the prompt (a string, a {{role, content}} message, or "
            f"turns that end in it), got these turns after the shared ones: {roles}"
        )
    if not rest[0]["content"].strip():
        raise FieldError(f"an answer with text in '{field}', got {rest[0]['content']!r}")
    return rest[0]["content"]
