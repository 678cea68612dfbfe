"""The ``instruct`` step: cross-lingual instructions as chat ``messages``, with prompt and response languages.

Modes:

- ``from_ner``: labelled data becomes questions about itself (``List the people mentioned in this
  sentence``), asked and answered in the record's language, one instruction per label present (and
  one for a label absent, answered ``none``). Templates per language come from the manifest;
  English ships built in. Offline.
- ``translation``: translation-following demonstrations from bitext records (``text`` and
  ``target_text``): the instruction asks for the text in the other language, the human or machine
  translation is the answer. Offline.
- ``xl_instruct``: XL-Instruct style: each record's text is an instruction (any language); an LLM
  answers it in ``response_language``. Through :mod:`babelforge.llm` (cache, retries, budget); a failed
  request drops the record under its reason.
"""

from __future__ import annotations

import hashlib

from datatrove.data import Document

from babelforge import langs
from babelforge.records import LANGUAGE, MESSAGES, PROMPT_LANG, RESPONSE_LANG, SPANS, TARGET_LANGUAGE, TARGET_TEXT
from babelforge.spans import Span
from babelforge.steps import Drop, RecordStep

#: English templates for ``from_ner``: {label} is the label's plural noun, {text} the sentence.
NER_TEMPLATES = {
    "eng_Latn": {
        "ask": "List the {label} mentioned in this sentence, one per line, or answer none.\n\n{text}",
        "none": "none",
        "labels": {"PER": "people", "LOC": "places", "ORG": "organisations", "MISC": "other names", "DATE": "dates"},
    }
}
TRANSLATE_TEMPLATE = "Translate this {source} text into {target}.\n\n{text}"
XL_SYSTEM = "Answer the user's request in {target}, whatever language it is written in. Use {target} only."


class InstructStep(RecordStep):
    """Make chat records from labelled data, bitext or seed instructions.

    Example (manifest)::

        steps:
          - instruct: {mode: from_ner}
          - instruct: {mode: xl_instruct, model: "openai:MODEL@BASE_URL", response_language: hau_Latn}
    """

    name = "instruct"
    reads = (LANGUAGE, SPANS, TARGET_TEXT)
    writes = (MESSAGES, PROMPT_LANG, RESPONSE_LANG)
    batch_size = 64

    def __init__(self, mode: str, templates: dict, model: str | None, response_language: str | None, seed: int):
        super().__init__()
        self.mode, self.templates, self.model = mode, {**NER_TEMPLATES, **templates}, model
        self.response_language, self.seed = response_language, seed
        self._client = None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_client": None}

    def process_batch(self, docs: list[Document]) -> list[Document | Drop]:
        if self.mode == "xl_instruct":
            return self._xl_instruct(docs)
        make = self._from_ner if self.mode == "from_ner" else self._translation
        return [make(doc) for doc in docs]

    def _from_ner(self, doc: Document) -> Document | Drop:
        language = doc.metadata.get(LANGUAGE)
        template = self.templates.get(language)
        if template is None:
            return Drop("no_template", f"no from_ner template for {language}: add one under templates")
        spans = [Span(*s) for s in doc.metadata.get(SPANS, ())]
        present = sorted({s.label for s in spans} & set(template["labels"]))
        absent = sorted(set(template["labels"]) - {s.label for s in spans})
        if not present and not absent:
            return Drop("no_labels")
        # one label present (or, for an entity-free sentence, one absent), chosen stably per record
        choices = present or absent
        label = choices[int(hashlib.sha256(f"{self.seed}:{doc.id}".encode()).hexdigest(), 16) % len(choices)]
        surfaces = list(dict.fromkeys(doc.text[s.start : s.end] for s in spans if s.label == label))
        prompt = template["ask"].format(label=template["labels"][label], text=doc.text)
        answer = "\n".join(surfaces) if surfaces else template["none"]
        return self._chat(doc, prompt, answer, language, language, task=f"from_ner:{label}")

    def _translation(self, doc: Document) -> Document | Drop:
        target_text, target = doc.metadata.get(TARGET_TEXT), doc.metadata.get(TARGET_LANGUAGE)
        if not target_text or not target:
            return Drop("no_translation")
        source = doc.metadata.get(LANGUAGE)
        prompt = TRANSLATE_TEMPLATE.format(
            source=langs.resolve(source).name, target=langs.resolve(target).name, text=doc.text
        )
        return self._chat(doc, prompt, target_text, source, target, task="translation")

    def _xl_instruct(self, docs: list[Document]) -> list[Document | Drop]:
        from babelforge.llm.client import Failure, LLMClient, Request
        from babelforge.models import babelforge_home

        if self._client is None:
            model, base_url = self.model[len("openai:") :].split("@", 1)
            self._client = LLMClient(model, base_url, cache=str(babelforge_home() / "llm-cache.sqlite"))
        target = langs.resolve(self.response_language)
        system = XL_SYSTEM.format(target=target.name)
        requests = [Request([{"role": "system", "content": system}, {"role": "user", "content": d.text}]) for d in docs]
        results: list[Document | Drop] = []
        for doc, answer in zip(docs, self._client.complete_many(requests), strict=True):
            if isinstance(answer, Failure):
                results.append(Drop(f"llm_{answer.reason}", answer.detail))
            elif not answer.text.strip():
                results.append(Drop("llm_empty_answer"))
            else:
                language = doc.metadata.get(LANGUAGE)
                results.append(
                    self._chat(doc, doc.text, answer.text.strip(), language, target.code, task="xl_instruct")
                )
        return results

    def _chat(self, doc: Document, prompt: str, answer: str, prompt_lang, response_lang, task: str) -> Document:
        md = doc.metadata
        md[MESSAGES] = [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}]
        md[PROMPT_LANG], md[RESPONSE_LANG] = prompt_lang, response_lang
        md.pop(SPANS, None)
        md.pop(TARGET_TEXT, None)
        self.note(doc, task=task, prompt_lang=prompt_lang, response_lang=response_lang)
        return doc
