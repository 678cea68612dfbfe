"""The ``translate`` step: each record's text, translated into the target language.

Reads ``text`` and ``language``; writes ``target_text`` and ``target_language`` and a lineage entry
with the model and its revision. Spans stay on the source text: a ``project`` step carries them over.
Records whose text is empty, or whose translation comes back empty, are dropped and counted.
"""

from __future__ import annotations

from collections import defaultdict

from datatrove.data import Document

from babelforge.projection.ct2 import CTranslate2Translator, Decoding
from babelforge.records import LANGUAGE, TARGET_LANGUAGE, TARGET_TEXT
from babelforge.steps import Drop, RecordStep


class TranslateStep(RecordStep):
    """Translate records with CTranslate2, a batch of records at a time, grouped by source language.

    Example (manifest)::

        steps:
          - translate: {model: facebook/nllb-200-distilled-600M, target: hau_Latn, quantization: int8}
    """

    name = "translate"
    reads = (LANGUAGE,)
    writes = (TARGET_TEXT, TARGET_LANGUAGE)
    batch_size = 256

    def __init__(
        self, model: str, target: str, source: str | None, decoding: Decoding, max_batch_tokens: int, memory, resolved
    ):
        super().__init__()
        self.model, self.target, self.source = model, target, source
        self.decoding, self.max_batch_tokens, self.memory, self.resolved = decoding, max_batch_tokens, memory, resolved
        self.models = [{"name": model, "revision": resolved.revision, "engine": "ctranslate2", **decoding.__dict__}]
        self._translators: dict[str, CTranslate2Translator] = {}

    def _translator(self, source: str) -> CTranslate2Translator:
        if source not in self._translators:
            self._translators[source] = CTranslate2Translator(
                self.model, source, self.target, self.decoding, self.max_batch_tokens, self.memory, self.resolved
            )
        return self._translators[source]

    def process_batch(self, docs: list[Document]) -> list[Document | Drop]:
        by_language: dict[str, list[int]] = defaultdict(list)
        for i, doc in enumerate(docs):
            by_language[self.source or doc.metadata.get(LANGUAGE)].append(i)
        results: list[Document | Drop] = list(docs)
        for language, indices in by_language.items():
            translations = self._translator(language).translate([docs[i].text for i in indices])
            for i, translation in zip(indices, translations, strict=True):
                results[i] = self._attach(docs[i], translation)
        return results

    def _attach(self, doc: Document, translation: str) -> Document | Drop:
        if not doc.text.strip():
            return Drop("empty_text")
        if not translation:
            return Drop("empty_translation")
        doc.metadata[TARGET_TEXT] = translation
        doc.metadata[TARGET_LANGUAGE] = self.target
        self.note(doc, model=self.model, revision=self.resolved.revision, method="ctranslate2")
        return doc
