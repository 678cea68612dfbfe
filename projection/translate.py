"""The ``translate`` step: each record's fields, translated into the target language.

Reads ``text``, ``language`` and the fields named in ``fields`` (default: the text, and a QA record's
``question`` where it has one; see :mod:`~babelforge.projection.record_fields` for how names map to a
record); writes ``target_text`` (the text's translation), ``target_<field>`` for each other field,
``target_language``, and a lineage entry with the model and its revision. Spans stay on the source
text: a ``project`` step carries them over.

With ``joint: true`` a record's fields are translated together (one JSON request to an LLM, or one
separated input to an MT model; :mod:`~babelforge.projection.joint`), and a record whose joint
translation fails its checks is translated field by field, counted under ``joint_fallback:<reason>``
(``joint_records``: those translated jointly).

Records with two fields or more get a term-consistency report
(:mod:`~babelforge.projection.term_consistency`) in ``term_consistency`` and in their lineage; the
step counts ``terms_shared``, ``terms_identical`` and ``terms_undecided`` over the run (the run's share
is identical / (shared - undecided)).

Dropped and counted: an empty text (``empty_text``), a named field the record lacks or leaves empty
(``missing_field:<name>``), an empty translation (``empty_translation``) and an LLM's failure
(``llm_<reason>``).
"""

from __future__ import annotations

from collections import defaultdict

from datatrove.data import Document

from babelforge.llm.client import Failure
from babelforge.projection.ct2 import CTranslate2Translator, Decoding
from babelforge.projection.llm_translate import LLMTranslator, is_llm_spec
from babelforge.projection.record_fields import DEFAULT_FIELDS, DEFAULT_OPTIONAL, TEXT, read_fields, target_key
from babelforge.records import LANGUAGE, TARGET_LANGUAGE, TARGET_TEXT
from babelforge.steps import Drop, RecordStep

#: The metadata key of a record's term-consistency report.
TERM_CONSISTENCY = "term_consistency"


class TranslateStep(RecordStep):
    """Translate records with CTranslate2 or an LLM, a batch of records at a time, grouped by source language.

    Example (manifest)::

        steps:
          - translate: {model: facebook/nllb-200-distilled-600M, target: hau_Latn, quantization: int8}
          - translate: {model: "openai:gpt-4o-mini@https://api.openai.com/v1", target: hau_Latn,
                        fields: [premise, hypothesis], joint: true,
                        dictionary: en-multi.tsv, auxiliary: [fra_Latn, deu_Latn]}
    """

    name = "translate"
    reads = (LANGUAGE,)
    writes = (TARGET_TEXT, TARGET_LANGUAGE, TERM_CONSISTENCY)
    batch_size = 256

    def __init__(
        self, model: str, target: str, source: str | None, decoding: Decoding, max_batch_tokens: int, memory, resolved,
        llm=None, fields: tuple[str, ...] | None = None, joint: bool = False, separator: str | None = None,
        hints=None, consistency=None,
    ):  # fmt: skip
        super().__init__()
        self.llm = llm
        self.model, self.target, self.source = model, target, source
        self.decoding, self.max_batch_tokens, self.memory, self.resolved = decoding, max_batch_tokens, memory, resolved
        self.fields = tuple(fields) if fields else DEFAULT_FIELDS
        self.optional = () if fields else DEFAULT_OPTIONAL
        self.joint, self.separator, self.hints = joint, separator, hints
        #: A :class:`~babelforge.projection.term_consistency.ConsistencyJudge` (default: the heuristic).
        self.consistency = consistency
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
                self.llm, self.hints,
            )  # fmt: skip
            self._translators[source].accounting_step = self  # an LLM's usage counted in this step's stats
        return self._translators[source]

    def process_batch(self, docs: list[Document]) -> list[Document | Drop]:
        by_language: dict[str, list[int]] = defaultdict(list)
        for i, doc in enumerate(docs):
            by_language[self.source or doc.metadata.get(LANGUAGE)].append(i)
        results: list[Document | Drop] = list(docs)
        for language, indices in by_language.items():
            read = {i: read_fields(docs[i], self.fields, self.optional) for i in indices}
            ready = [i for i in indices if not read[i][1]]
            for i in indices:
                if read[i][1]:
                    results[i] = self._missing(read[i][1])
            done, joint = self._translate_fields(self._translator(language), [read[i][0] for i in ready])
            for i, translated, how in zip(ready, done, joint, strict=True):
                results[i] = self._attach(docs[i], read[i][0], translated, language, how)
        return results

    @staticmethod
    def _missing(missing: list[str]) -> Drop:
        if TEXT in missing:
            return Drop("empty_text")
        named = ", ".join(map(repr, missing))
        keep = ", ".join(missing)
        return Drop(
            f"missing_field:{missing[0]}",
            f"the record has no text in {named} (a jsonl, parquet or hf source carries a column along with "
            f"`fields: {{keep: [{keep}]}}`)",
        )

    def _translate_fields(self, translator, records: list[dict[str, str]]) -> tuple[list[dict], list]:
        """Each record's ``{field: translation or Failure}`` and how (see ``joint.translate_fields``)."""
        from babelforge.projection.joint import translate_fields

        return translate_fields(translator, records, self.joint, self.separator, self.stat_update)

    def _attach(self, doc: Document, sources: dict[str, str], translated: dict, language: str, how) -> Document | Drop:
        for part in translated.values():
            if isinstance(part, Failure):
                return Drop(f"llm_{part.reason}", part.detail)
        if not all(translated.values()):
            return Drop("empty_translation")
        for name, translation in translated.items():
            doc.metadata[target_key(doc, name)] = translation
        doc.metadata[TARGET_LANGUAGE] = self.target
        if self.resolved is None:
            details = {"method": "llm"}
        else:
            details = {"revision": self.resolved.revision, "method": "ctranslate2"}
        if self.fields != DEFAULT_FIELDS:
            details["fields"] = list(sources)
        if how is not None:
            details["joint"] = how is True
            if how is not True:
                details["joint_fallback"] = how
        if len(sources) >= 2:
            details[TERM_CONSISTENCY] = self._consistency(doc, sources, translated, language)
        self.note(doc, model=self.model, **details)
        return doc

    def _consistency(self, doc: Document, sources: dict[str, str], translated: dict, language: str) -> dict:
        from babelforge.projection.term_consistency import ConsistencyJudge

        if self.consistency is None:
            self.consistency = ConsistencyJudge()
        report = self.consistency.measure(list(sources.values()), [translated[n] for n in sources], language)
        report = report.to_dict()
        doc.metadata[TERM_CONSISTENCY] = report
        for key in ("shared", "identical", "undecided"):
            if report[key]:
                self.stat_update(f"terms_{key}", value=report[key])
        return report


def make_translator(
    model: str, source: str, target: str, decoding: Decoding, max_batch_tokens=4096, memory="default", resolved=None,
    llm=None, hints=None,
):  # fmt: skip
    """A CTranslate2 translator for a Hub id or folder; an LLM translator for ``openai:MODEL@BASE_URL``.

    ``hints`` (:class:`~babelforge.projection.dictionary_hints.DictionaryHints`) go to an LLM's prompts only.
    """
    if is_llm_spec(model):
        return LLMTranslator(model, source, target, cache="default" if memory else None, options=llm, hints=hints)
    return CTranslate2Translator(model, source, target, decoding, max_batch_tokens, memory, resolved)
