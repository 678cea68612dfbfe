"""The ``translate`` step: each record's text, translated into the target language.

Reads ``text`` and ``language``; writes ``target_text`` and ``target_language`` and a lineage entry
with the model and its revision. Spans stay on the source text: a ``project`` step carries them over.
Records whose text is empty, or whose translation comes back empty, are dropped and counted.
"""

from __future__ import annotations

from collections import defaultdict

from datatrove.data import Document

from babelforge.llm.client import Failure
from babelforge.projection.ct2 import CTranslate2Translator, Decoding
from babelforge.projection.llm_translate import LLMTranslator, is_llm_spec
from babelforge.records import LANGUAGE, QUESTION, TARGET_LANGUAGE, TARGET_QUESTION, TARGET_TEXT
from babelforge.steps import Drop, RecordStep


class TranslateStep(RecordStep):
    """Translate records with CTranslate2 or an LLM, a batch of records at a time, grouped by source language.

    Example (manifest)::

        steps:
          - translate: {model: facebook/nllb-200-distilled-600M, target: hau_Latn, quantization: int8}
          - translate: {model: "openai:gpt-4o-mini@https://api.openai.com/v1", target: hau_Latn}
    """

    name = "translate"
    reads = (LANGUAGE,)
    writes = (TARGET_TEXT, TARGET_LANGUAGE)
    batch_size = 256

    def __init__(
        self, model: str, target: str, source: str | None, decoding: Decoding, max_batch_tokens: int, memory, resolved,
        llm=None,
    ):  # fmt: skip
        super().__init__()
        self.llm = llm
        self.model, self.target, self.source = model, target, source
        self.decoding, self.max_batch_tokens, self.memory, self.resolved = decoding, max_batch_tokens, memory, resolved
        if resolved is None:  # an LLM endpoint
            self.models = [{"name": model, "engine": "openai-compatible"}]
        else:
            self.models = [{"name": model, "revision": resolved.revision, "engine": "ctranslate2", **decoding.__dict__}]
        self._translators: dict[str, CTranslate2Translator | LLMTranslator] = {}

    def run(self, data, rank: int = 0, world_size: int = 1):
        from babelforge.models import require_models

        require_models([self])  # a model found missing when the step was built stops the task before a record
        yield from super().run(data, rank, world_size)

    def _translator(self, source: str) -> CTranslate2Translator | LLMTranslator:
        if source not in self._translators:
            self._translators[source] = make_translator(
                self.model, source, self.target, self.decoding, self.max_batch_tokens, self.memory, self.resolved,
                self.llm,
            )  # fmt: skip
            self._translators[source].accounting_step = self  # an LLM's usage counted in this step's stats
        return self._translators[source]

    def process_batch(self, docs: list[Document]) -> list[Document | Drop]:
        by_language: dict[str, list[int]] = defaultdict(list)
        for i, doc in enumerate(docs):
            by_language[self.source or doc.metadata.get(LANGUAGE)].append(i)
        results: list[Document | Drop] = list(docs)
        for language, indices in by_language.items():
            translations, questions = translate_with_questions(self._translator(language), [docs[i] for i in indices])
            for i, translation, question in zip(indices, translations, questions, strict=True):
                results[i] = self._attach(docs[i], translation, question)
        return results

    def _attach(self, doc: Document, translation, question=None) -> Document | Drop:
        if not doc.text.strip():
            return Drop("empty_text")
        for part in (translation, question):
            if isinstance(part, Failure):
                return Drop(f"llm_{part.reason}", part.detail)
        if not translation or (question is not None and not question):
            return Drop("empty_translation")
        if question is not None:
            doc.metadata[TARGET_QUESTION] = question
        doc.metadata[TARGET_TEXT] = translation
        doc.metadata[TARGET_LANGUAGE] = self.target
        if self.resolved is None:
            self.note(doc, model=self.model, method="llm")
        else:
            self.note(doc, model=self.model, revision=self.resolved.revision, method="ctranslate2")
        return doc


def translate_with_questions(translator, docs: list[Document]) -> tuple[list, list]:
    """Translate the records' texts and, for QA records, their questions, in one call (repeats once).

    Returns:
        ``(translations, questions)``; a record without a question gets ``None`` for it.
    """
    asked = [i for i, doc in enumerate(docs) if isinstance(doc.metadata.get(QUESTION), str)]
    done = translator.translate([doc.text for doc in docs] + [docs[i].metadata[QUESTION] for i in asked])
    questions: list = [None] * len(docs)
    for i, question in zip(asked, done[len(docs) :], strict=True):
        questions[i] = question
    return done[: len(docs)], questions


def make_translator(
    model: str, source: str, target: str, decoding: Decoding, max_batch_tokens=4096, memory="default", resolved=None,
    llm=None,
):  # fmt: skip
    """A CTranslate2 translator for a Hub id or folder; an LLM translator for ``openai:MODEL@BASE_URL``."""
    if is_llm_spec(model):
        return LLMTranslator(model, source, target, cache="default" if memory else None, options=llm)
    return CTranslate2Translator(model, source, target, decoding, max_batch_tokens, memory, resolved)
