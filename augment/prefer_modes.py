"""``prefer`` mode ``language_confusion``: the right language chosen, the wrong or a mixed one rejected.

Each pair is one LLM request with a JSON schema: what the record lacks (its prompt translated, an answer,
the answer in the wrong language) asked for together, so the two sides say the same thing (see
:mod:`babelforge.augment.prefer`). ``translate`` lives in :mod:`babelforge.augment.prefer_translate`.
"""

from __future__ import annotations

import json
import re

from datatrove.data import Document

from babelforge import langs
from babelforge.augment.prefer import TARGET, ask_of, model_name
from babelforge.llm.accounting import llm_usage
from babelforge.steps import Drop

CONFUSION = (
    "You prepare chat data that teaches a model to answer in the language it is asked in. The user sends a "
    "JSON object: `prompt`, the turns of a conversation in {source}{given}. Reply with only a JSON object with "
    "these keys:{wanted}"
)
WANTED = {
    "prompt": "\n- `prompt`: the turns translated into {target}, as many strings as there are turns, in order",
    "answer": "\n- `answer`: the assistant's answer to the last turn, written in {target} only",
    "answer_translated": "\n- `answer`: the given answer translated into {target}, faithfully",
    "translation": "\n- `translation`: the same answer as `answer`, same content, translated into {wrong} only",
}
#: Where a sentence ends: after final punctuation and a space, or at a line break (CJK stops need no space).
_SENTENCE_END = re.compile(r"(?<=[.!?;؟।॥።])\s+|(?<=[。！？])|\n+")


def _text(minimum: int = 1) -> dict:
    return {"type": "string", "minLength": minimum}


def _turns(n: int) -> dict:
    return {"type": "array", "items": _text(), "minItems": n, "maxItems": n}


def _schema(properties: dict) -> dict:
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


def _request(system: str, payload: dict, schema: dict):
    from babelforge.llm.client import Request

    user = json.dumps(payload, ensure_ascii=False, indent=1)
    messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
    return Request(messages, {"temperature": 0}, schema)


def _ask_all(step, spec: str, prepared: dict[int, tuple]) -> dict[int, object]:
    """Send the prepared requests (``{index: (request, ...)}``) in one batch; their answers by index."""
    if not prepared:
        return {}
    client = step.client(spec)
    with llm_usage(step, client):
        answers = client.complete_many([prepared[i][0] for i in prepared])
    return dict(zip(prepared, answers, strict=True))


def _failed(answer) -> Drop | None:
    from babelforge.llm.client import Failure

    return Drop(f"llm_{answer.reason}", answer.detail) if isinstance(answer, Failure) else None


def _retold(prompt: list[dict], contents: list[str]) -> list[dict]:
    return [{"role": m["role"], "content": c.strip()} for m, c in zip(prompt, contents, strict=True)]


class ConfusionPairs:
    """``language_confusion``: chosen in the language asked, rejected in another one, wholly or mixed."""

    def __init__(self, step, model: str, targets: list[str], rejected: dict[str, float], source_language: str,
                 confuse_with: str | None = None, seed: int = 0, **_):  # fmt: skip
        self.step, self.model, self.name = step, model, model_name(model)
        self.shares, self.source_language, self.confuse_with = rejected, source_language, confuse_with

    def make(self, docs: list[Document]) -> list[Document | Drop]:
        results: list[Document | Drop | None] = [None] * len(docs)
        prepared = {}
        for i, doc in enumerate(docs):
            plan = self._plan(doc)
            if isinstance(plan, Drop):
                results[i] = plan
            else:
                prepared[i] = plan
        for i, answer in _ask_all(self.step, self.model, prepared).items():
            results[i] = _failed(answer) or self._pair(docs[i], answer.data, *prepared[i][1:])
        return results

    def _plan(self, doc: Document):
        """The request for what the record lacks, with the record's ask and the two languages; or a drop."""
        ask = ask_of(doc)
        if ask is None:
            return Drop("no_prompt", "a chat record with a user turn, or a text record with text")
        right = langs.resolve(doc.metadata[TARGET])
        asked = langs.resolve(ask.language)
        wrong = langs.resolve(self.confuse_with or (asked.code if asked.code != right.code else self.source_language))
        if wrong.code == right.code:
            return Drop("same_language", f"asked in {right.code} and confused with it: set confuse_with")
        answer_lang = langs.resolve(ask.answer_lang).code if ask.answer else None
        wanted = [
            *(["prompt"] if asked.code != right.code else []),
            *([] if answer_lang == right.code else ["answer_translated" if ask.answer else "answer"]),
            *([] if answer_lang == wrong.code else ["translation"]),
        ]
        given = f", and the assistant's `answer` in {langs.resolve(ask.answer_lang).name}" if ask.answer else ""
        names = {"target": right.name, "wrong": wrong.name}
        asked_for = "".join(WANTED[w].format(**names) for w in wanted)
        system = CONFUSION.format(source=asked.name, given=given, wanted=asked_for)
        properties = {"prompt": _turns(len(ask.prompt)), "answer": _text(), "translation": _text()}
        keys = [w.removesuffix("_translated") for w in wanted]
        payload = {"prompt": [m["content"] for m in ask.prompt], **({"answer": ask.answer} if ask.answer else {})}
        request = _request(system, payload, _schema({k: properties[k] for k in keys}))
        return request, ask, right.code, wrong.code, answer_lang

    def _pair(self, doc: Document, data: dict, ask, right: str, wrong: str, answer_lang: str | None):
        prompt = _retold(ask.prompt, data["prompt"]) if "prompt" in data else ask.prompt
        chosen = data["answer"].strip() if "answer" in data else ask.answer
        in_wrong = data["translation"].strip() if "translation" in data else ask.answer
        chosen_by = {"method": "source", "model": None} if "answer" not in data else {
            "method": "translate" if ask.answer else "llm_answer", "model": self.name}  # fmt: skip
        kind = self._kind(str(doc.id))
        rejected = mix_sentences(chosen, in_wrong) if kind == "mixed" else in_wrong
        if rejected is None:  # too few sentences to alternate: the whole answer in the wrong language
            self.step.stat_update("mixed_too_short")
            kind, rejected = "wrong_language", in_wrong
        rejected_by = {"method": kind, "model": self.name if "translation" in data else None}
        return self.step.pair(
            doc, prompt, chosen, rejected, (right, right, wrong), chosen_by, rejected_by, asked_in=ask.language
        )

    def _kind(self, key: str) -> str:
        """``wrong_language`` or ``mixed``, drawn per pair in the configured shares."""
        total, point, cumulative = sum(self.shares.values()), self.step.draw(key), 0.0
        for kind, share in self.shares.items():
            cumulative += share / total
            if point < cumulative:
                return kind
        return next(reversed(self.shares))


def sentences(text: str) -> list[str]:
    """``text`` cut into sentences (final punctuation, line breaks)."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def mix_sentences(right: str, wrong: str) -> str | None:
    """The answer with its sentences alternating between the right and the wrong language (the Language
    Confusion Benchmark's line-level confusion); ``None`` when either has fewer than two sentences.

    With as many sentences on both sides, every second sentence is the wrong language's; otherwise the
    first half of the right answer is followed by the wrong one from the same point on.
    """
    a, b = sentences(right), sentences(wrong)
    if len(a) < 2 or len(b) < 2:
        return None
    if len(a) == len(b):
        return " ".join(b[i] if i % 2 else a[i] for i in range(len(a)))
    half = len(a) // 2
    return " ".join(a[:half] + b[round(len(b) * half / len(a)) :])
