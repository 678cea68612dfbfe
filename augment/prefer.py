"""The ``prefer`` step: preference pairs (prompt, chosen, rejected) for DPO, in the languages asked for.

Modes (one LLM request or two per pair, all through :mod:`babelforge.llm`: cached, retried, budgeted,
and counted in the step's ``llm_*`` stats):

- ``translate``: preference records (an English preference set read with ``prompt``/``chosen``/
  ``rejected`` fields) translated into each of ``targets`` by an LLM or an MT model. Prompt, chosen
  and rejected are translated *jointly* (:mod:`babelforge.augment.prefer_translate`, on the joint
  translation of :mod:`babelforge.projection.joint`: one JSON-schema request, or one MT input with a
  separator, checked and re-split, else field by field under ``joint_fallback:<reason>``), so a term
  the fields share is translated alike and the sides keep their differences; a record becomes one
  pair per target language (ids ``ID/TARGET``; the step's counts are per pair, and an output re-split
  by ``splits`` keeps a record's pairs in one split).
- ``language_confusion``: chat or text records become pairs that punish answering in the wrong
  language. The prompt is asked in each of ``targets``; chosen is an answer in that language, rejected
  the same content in another (``confuse_with``; by default the record's own language when it differs
  from the target, else the manifest's source language): wholly (``wrong_language``) or sentence by
  sentence alternating with the right one (``mixed``), drawn per pair in the shares of ``rejected``.
  What the record already holds (its prompt and answer, in their languages) is used as it is; one
  request with a JSON schema asks for the rest (the translated prompt, the answer, its translation).
- ``judge``: for chat or text records, two answers in the asked language (two models, or one sampled
  twice) ranked by a judge LLM with a rubric (:mod:`babelforge.augment.judge`), asked in both orders;
  a tie, or a verdict that changes with the order (position bias), drops the pair under its reason.

Writes the preference keys of :mod:`babelforge.records`; gate the pairs with ``gate`` (both sides).
"""

from __future__ import annotations

import copy
import hashlib

from datatrove.data import Document

from babelforge.records import (
    CHOSEN,
    CHOSEN_BY,
    CHOSEN_LANG,
    LANGUAGE,
    MESSAGES,
    PROMPT,
    PROMPT_LANG,
    REJECTED,
    REJECTED_BY,
    REJECTED_LANG,
    RESPONSE_LANG,
    SPANS,
    SPLIT_GROUP,
    TARGET_LANGUAGE,
    TARGET_TEXT,
    TOKEN_OFFSETS,
)
from babelforge.steps import Drop, RecordStep

#: Metadata key a record carries between the fan-out and the mode: the language its pair is made in.
TARGET = "_prefer_target"
#: Keys of other record kinds that a pair no longer holds.
_SUPERSEDED = (MESSAGES, RESPONSE_LANG, SPANS, TOKEN_OFFSETS, TARGET_TEXT, TARGET_LANGUAGE, TARGET)


class Ask:
    """What a record asks: the prompt turns, their language, and the record's own answer (if any) with its language."""

    __slots__ = ("answer", "answer_lang", "language", "prompt")

    def __init__(self, prompt: list[dict], language: str, answer: str | None, answer_lang: str | None):
        self.prompt, self.language, self.answer, self.answer_lang = prompt, language, answer, answer_lang


def ask_of(doc: Document) -> Ask | None:
    """The prompt of a chat record (turns up to its last user turn, the answer after it), a preference
    record (its prompt and chosen answer), or a text record (its text as one user turn); ``None``: no prompt."""
    md = doc.metadata
    language = md.get(PROMPT_LANG) or md.get(LANGUAGE)
    if md.get(PROMPT):
        return Ask(md[PROMPT], language, md.get(CHOSEN), md.get(CHOSEN_LANG) or language)
    messages = md.get(MESSAGES)
    if messages:
        last = max((i for i, m in enumerate(messages) if m["role"] == "user"), default=None)
        if last is None:
            return None
        answer = next((m["content"] for m in messages[last + 1 :] if m["role"] == "assistant"), None)
        return Ask(messages[: last + 1], language, answer, md.get(RESPONSE_LANG) or language)
    if not doc.text.strip():
        return None
    return Ask([{"role": "user", "content": doc.text}], language, None, None)


def _teaches(result: Document | Drop) -> Document | Drop:
    """``result``, unless it is a pair that teaches nothing: an empty side, or the same answer twice."""
    if isinstance(result, Drop):
        return result
    chosen, rejected = (str(result.metadata.get(key) or "").strip() for key in (CHOSEN, REJECTED))
    if not chosen or not rejected:
        return Drop("empty_answer", f"the {'chosen' if not chosen else 'rejected'} answer is empty")
    if chosen == rejected:
        return Drop("same_answers", f"chosen and rejected are the same text ({chosen[:60]!r})")
    return result


def model_name(spec: str | None) -> str | None:
    """The model of an ``openai:MODEL@BASE_URL`` spec, as provenance records it (never the address)."""
    from babelforge.llm.options import parse_spec

    return parse_spec(spec)[0] if spec else None


class PreferStep(RecordStep):
    """Make preference pairs from preference, chat or text records; one mode per step.

    Example (manifest)::

        steps:
          - prefer: {mode: language_confusion, model: "openai:MODEL@BASE_URL", targets: [yor_Latn, swh_Latn]}
          - gate: {min_chars: 2}
        output: {path: out/confusion, kind: preference}
    """

    name = "prefer"
    reads = (LANGUAGE, MESSAGES, PROMPT_LANG, RESPONSE_LANG, PROMPT, CHOSEN, REJECTED)
    writes = (PROMPT, CHOSEN, REJECTED, PROMPT_LANG, CHOSEN_LANG, REJECTED_LANG, CHOSEN_BY, REJECTED_BY)
    batch_size = 32

    def __init__(self, mode: str, settings: dict, llm=None):
        super().__init__()
        from babelforge.llm.options import LLMOptions

        self.mode, self.settings = mode, settings
        self.llm = llm or LLMOptions()
        self._maker = None
        self._clients: dict = {}

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_maker": None, "_clients": {}}

    def run(self, data, rank: int = 0, world_size: int = 1):
        if self.mode in ("translate", "language_confusion"):
            data = self._per_target(data or ())
        yield from super().run(data, rank, world_size)

    def _per_target(self, data):
        """One copy of each record per target language (``ID/TARGET``), each made into its own pair."""
        for doc in data:
            for target in self.settings["targets"]:
                md = copy.deepcopy(doc.metadata)
                md[TARGET] = target
                md.setdefault(SPLIT_GROUP, str(doc.id))  # every language's pair in the split of the record
                yield Document(doc.text, f"{doc.id}/{target}", media=doc.media, metadata=md)

    def process_batch(self, docs: list[Document]) -> list[Document | Drop]:
        if self._maker is None:
            self._maker = self._make_maker()
        return [_teaches(result) for result in self._maker.make(docs)]

    def outage_endpoint(self, drop: Drop) -> str | None:
        endpoint = self.settings.get("judge") if drop.reason.startswith("judge_") else None
        return endpoint or self.settings.get("model")

    def _make_maker(self):
        from babelforge.augment.judge import JudgedPairs
        from babelforge.augment.prefer_modes import ConfusionPairs
        from babelforge.augment.prefer_translate import TranslatedPairs

        makers = {"translate": TranslatedPairs, "language_confusion": ConfusionPairs, "judge": JudgedPairs}
        return makers[self.mode](self, **self.settings)

    def client(self, spec: str):
        """The LLM client for ``spec``, one per task (its cache, ledger and budget)."""
        if spec not in self._clients:
            self._clients[spec] = self.llm.client(spec)
        return self._clients[spec]

    def draw(self, key: str) -> float:
        """A stable number in [0, 1) per record and seed."""
        seed = self.settings.get("seed", 0)
        return int(hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()[:12], 16) / 16**12

    def pair(self, doc: Document, prompt: list[dict], chosen: str, rejected: str, languages: tuple[str, str, str],
             chosen_by: dict, rejected_by: dict, **details) -> Document:  # fmt: skip
        """``doc`` made a preference pair: its prompt, answers, their languages and how each side was made."""
        md = doc.metadata
        for key in _SUPERSEDED:
            md.pop(key, None)
        md[PROMPT], md[CHOSEN], md[REJECTED] = prompt, chosen, rejected
        md[PROMPT_LANG], md[CHOSEN_LANG], md[REJECTED_LANG] = languages
        md[LANGUAGE] = languages[0]
        md[CHOSEN_BY], md[REJECTED_BY] = chosen_by, rejected_by
        doc.text = next((m["content"] for m in reversed(prompt) if m["role"] == "user"), doc.text)
        self.note(doc, mode=self.mode, chosen=chosen_by, rejected=rejected_by, **details)
        return doc
