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
- ``crossin``: CrossIn mixes of chat records (instruction and answer in one language): by stable
  draw per record, in the set ``proportions``, the answer is translated (``en_x``: ask in the source
  language, answer in ``response_language``), or the instruction is (``x_en``), or the record becomes
  a translation task for its instruction (``translate``). Translations by an LLM (``model``).
- ``xicl``: cross-lingual in-context learning: each chat record's instruction is preceded by ``shots``
  demonstrations (other records of the batch, instruction and answer) whose words are partly replaced
  by their translations (lexicon code-mixing at ``cmi``); the answer stays. Offline.
"""

from __future__ import annotations

import hashlib

from datatrove.data import Document

from babelforge import langs
from babelforge.llm.accounting import llm_usage
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

    def __init__(
        self, mode: str, templates: dict, model: str | None, response_language: str | None, seed: int,
        proportions: dict[str, float] | None = None, lexicon: str | None = None, shots: int = 2, cmi: float = 30.0,
        llm=None,
    ):  # fmt: skip
        super().__init__()
        self.mode, self.templates, self.model = mode, {**NER_TEMPLATES, **templates}, model
        self.response_language, self.seed = response_language, seed
        self.proportions = proportions or {"en_x": 0.4, "x_en": 0.3, "translate": 0.3}
        self.lexicon, self.shots, self.cmi = lexicon, shots, cmi
        from babelforge.llm.options import LLMOptions

        self.llm = llm or LLMOptions()
        self._client = None
        self._translator = None
        self._mixer = None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_client": None, "_translator": None, "_mixer": None}

    def process_batch(self, docs: list[Document]) -> list[Document | Drop]:
        if self.mode == "xl_instruct":
            return self._xl_instruct(docs)
        if self.mode == "crossin":
            return self._crossin(docs)
        if self.mode == "xicl":
            return self._xicl(docs)
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
        from babelforge.llm.client import Failure, Request

        if self._client is None:
            self._client = self.llm.client(self.model)
        target = langs.resolve(self.response_language)
        system = XL_SYSTEM.format(target=target.name)
        requests = [Request([{"role": "system", "content": system}, {"role": "user", "content": d.text}]) for d in docs]
        results: list[Document | Drop] = []
        with llm_usage(self, self._client):
            answers = self._client.complete_many(requests)
        for doc, answer in zip(docs, answers, strict=True):
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

    def _draw(self, key: str) -> float:
        """A stable number in [0, 1) per record."""
        return int(hashlib.sha256(f"{self.seed}:{key}".encode()).hexdigest()[:12], 16) / 16**12

    def _crossin(self, docs: list[Document]) -> list[Document | Drop]:
        from babelforge.llm.client import Failure
        from babelforge.projection.llm_translate import LLMTranslator

        target = langs.resolve(self.response_language)
        pairs = [_turn(d) for d in docs]
        tasks, cumulative = [], 0.0
        bounds = []
        total = sum(self.proportions.values())
        for name, share in self.proportions.items():
            cumulative += share / total
            bounds.append((cumulative, name))
        for doc in docs:
            draw = self._draw(str(doc.id))
            tasks.append(next((name for bound, name in bounds if draw < bound), bounds[-1][1]))
        wanted = [
            (pair[1] if task == "en_x" else pair[0]) if pair else None for pair, task in zip(pairs, tasks, strict=True)
        ]
        by_source: dict[str, list[int]] = {}
        for i, doc in enumerate(docs):
            if wanted[i] is not None:
                by_source.setdefault(doc.metadata.get(LANGUAGE), []).append(i)
        translated: dict[int, object] = {}
        for source, indices in by_source.items():
            if self._translator is None or self._translator.source.code != langs.resolve(source).code:
                self._translator = LLMTranslator(self.model, source, target.code, options=self.llm)
                self._translator.accounting_step = self
            for i, text in zip(indices, self._translator.translate([wanted[i] for i in indices]), strict=True):
                translated[i] = text
        results: list[Document | Drop] = []
        for i, (doc, pair, task) in enumerate(zip(docs, pairs, tasks, strict=True)):
            if pair is None:
                results.append(Drop("no_chat"))
                continue
            text = translated.get(i)
            if isinstance(text, Failure) or not text:
                results.append(Drop(f"llm_{text.reason}" if isinstance(text, Failure) else "llm_empty_answer"))
                continue
            source = doc.metadata.get(LANGUAGE)
            prompt, answer = pair
            if task == "en_x":
                results.append(self._chat(doc, prompt, text, source, target.code, task="crossin:en_x"))
            elif task == "x_en":
                results.append(self._chat(doc, text, answer, target.code, source, task="crossin:x_en"))
            else:
                ask = TRANSLATE_TEMPLATE.format(source=langs.resolve(source).name, target=target.name, text=prompt)
                results.append(self._chat(doc, ask, text, source, target.code, task="crossin:translate"))
        return results

    def _xicl(self, docs: list[Document]) -> list[Document | Drop]:
        from babelforge.augment.lexicon import Lexicon
        from babelforge.augment.mix_lexicon import LexiconMixer, Mixed

        pairs = [_turn(d) for d in docs]
        usable = [i for i, p in enumerate(pairs) if p]
        results: list[Document | Drop] = []
        for i, doc in enumerate(docs):
            if pairs[i] is None:
                results.append(Drop("no_chat"))
                continue
            others = [j for j in usable if j != i]
            if len(others) < self.shots:
                results.append(Drop("too_few_demonstrations", f"{len(others)} other records in the batch"))
                continue
            language = doc.metadata.get(LANGUAGE) or "matrix"
            if self._mixer is None or self._mixer.matrix != language:
                lexicon = Lexicon.read(self.lexicon)
                self._mixer = LexiconMixer(
                    lexicon, language, self.response_language, self.cmi, tolerance=50, seed=self.seed
                )
                same = [k for k in usable if (docs[k].metadata.get(LANGUAGE) or "matrix") == language]
                self._mixer.prepare([part for k in same for part in pairs[k]])  # the language's function words
            start = int(self._draw(str(doc.id)) * len(others))
            chosen = [others[(start + k) % len(others)] for k in range(self.shots)]
            blocks = []
            for j in chosen:
                shown = []
                for part in pairs[j]:
                    mixed = self._mixer.mix(part, [], f"{doc.id}:{j}:{len(shown)}")
                    shown.append(mixed.text if isinstance(mixed, Mixed) else part)
                blocks.append(f"{shown[0]}\n{shown[1]}")
            prompt = "\n\n".join([*blocks, pairs[i][0]])
            results.append(self._chat(doc, prompt, pairs[i][1], language, language, task="xicl"))
        return results

    def _chat(self, doc: Document, prompt: str, answer: str, prompt_lang, response_lang, task: str) -> Document:
        md = doc.metadata
        md[MESSAGES] = [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}]
        md[PROMPT_LANG], md[RESPONSE_LANG] = prompt_lang, response_lang
        md.pop(SPANS, None)
        md.pop(TARGET_TEXT, None)
        self.note(doc, task=task, prompt_lang=prompt_lang, response_lang=response_lang)
        return doc


def _turn(doc: Document) -> tuple[str, str] | None:
    """The last user instruction of a chat record and the assistant answer after it."""
    messages = doc.metadata.get(MESSAGES) or []
    for i in range(len(messages) - 1, -1, -1):
        if messages[i]["role"] == "user":
            answer = next((m["content"] for m in messages[i + 1 :] if m["role"] == "assistant"), None)
            return (messages[i]["content"], answer) if answer else None
    return None
