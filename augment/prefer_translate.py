"""``prefer`` mode ``translate``: a preference set carried into other languages, each pair translated jointly.

A pair's prompt turns and both answers are one record of fields (``turn_1`` ... ``answer_1``,
``answer_2``) for :func:`babelforge.projection.joint.translate_joint`, the joint translation the
``translate`` step uses: an LLM (``openai:MODEL@BASE_URL``) gets one JSON-schema request per pair and
target, an MT model (NLLB, M2M100, Marian, MADLAD; a Hub id or folder) one input with a separator it
keeps, cut again. Either way the answer is checked (every field there, none empty, no field's length out
of line); a pair that fails is translated field by field instead, counted under
``joint_fallback:<reason>`` and marked in its lineage. A term the prompt and answers share thus comes
out the same on both sides, and neither side is translated with knowledge of the other's wording.

The answers travel under neutral names: a translator that knew which side is the worse might mend it;
an LLM is also told to keep the answers' mistakes and differences.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from datatrove.data import Document

from babelforge import langs
from babelforge.augment.prefer import TARGET, model_name
from babelforge.llm.client import Failure
from babelforge.projection.llm_translate import LLMTranslator, is_llm_spec
from babelforge.records import CHOSEN, CHOSEN_BY, LANGUAGE, PROMPT, PROMPT_LANG, REJECTED, REJECTED_BY
from babelforge.steps import Drop

#: Added to an LLM translator's instructions for preference pairs.
KEEP_DIFFERENCES = (
    " The fields answer_1 and answer_2 are two answers to the same conversation: keep what makes them differ, "
    "their mistakes and weaknesses included; do not correct, improve, shorten or merge them."
)
CHOSEN_FIELD, REJECTED_FIELD = "answer_1", "answer_2"


class PairLLMTranslator(LLMTranslator):
    """The LLM translator of :mod:`babelforge.projection.llm_translate`, told to keep a pair's two answers apart."""

    def _request(self, system: str, content: str, source_text: str, schema: dict | None = None):
        return super()._request(system + KEEP_DIFFERENCES, content, source_text, schema)


def pair_fields(doc: Document) -> dict[str, str]:
    """The fields a pair is translated as: ``turn_1`` ... (the prompt's turns), ``answer_1`` (chosen), ``answer_2``."""
    md = doc.metadata
    turns = {f"turn_{n}": m["content"] for n, m in enumerate(md[PROMPT], 1)}
    return {**turns, CHOSEN_FIELD: md[CHOSEN], REJECTED_FIELD: md[REJECTED]}


class TranslatedPairs:
    """``translate``: each preference record, translated jointly into its target (see the module docstring)."""

    def __init__(self, step, model: str, targets: list[str], seed: int = 0, resolved=None, **_):
        self.step, self.model, self.resolved = step, model, resolved
        # provenance names a model, never an address or a machine's folders
        self.name = model_name(model) if is_llm_spec(model) else Path(model).name if Path(model).exists() else model
        self._translators: dict[tuple[str, str], object] = {}

    def make(self, docs: list[Document]) -> list[Document | Drop]:
        results: list[Document | Drop | None] = [None] * len(docs)
        groups: dict[tuple[str, str], list[int]] = defaultdict(list)
        for i, doc in enumerate(docs):
            planned = self._plan(doc)
            if isinstance(planned, Drop):
                results[i] = planned
            else:
                groups[planned].append(i)
        for (source, target), indices in groups.items():
            records = [pair_fields(docs[i]) for i in indices]
            done, how = self._translate(self._translator(source, target), records)
            for i, translated, joint in zip(indices, done, how, strict=True):
                results[i] = self._pair(docs[i], translated, joint, source, target)
        return results

    @staticmethod
    def _plan(doc: Document) -> tuple[str, str] | Drop:
        md = doc.metadata
        if not md.get(PROMPT) or md.get(CHOSEN) is None or md.get(REJECTED) is None:
            return Drop("not_a_pair", "translate reads preference records: map prompt, chosen and rejected")
        source, target = langs.resolve(md.get(PROMPT_LANG) or md[LANGUAGE]), langs.resolve(md[TARGET])
        if source.code == target.code:
            return Drop("same_language", f"the pair is in {target.code} already")
        return source.code, target.code

    def _translator(self, source: str, target: str):
        if (source, target) not in self._translators:
            if is_llm_spec(self.model):
                translator = PairLLMTranslator(self.model, source, target, options=self.step.llm)
            else:
                from babelforge.projection.ct2 import CTranslate2Translator, Decoding

                translator = CTranslate2Translator(self.model, source, target, Decoding(), resolved=self.resolved)
            translator.accounting_step = self.step  # an LLM's usage counted in the step's llm_* stats
            self._translators[source, target] = translator
        return self._translators[source, target]

    def _translate(self, translator, records: list[dict[str, str]]) -> tuple[list[dict], list]:
        """Each record's ``{field: translation or Failure}`` and how: ``True`` (jointly) or the fallback's reason."""
        from babelforge.projection.joint import translate_fields

        return translate_fields(translator, records, count=self.step.stat_update)

    def _pair(self, doc: Document, fields: dict, joint, source: str, target: str) -> Document | Drop:
        failed = next((part for part in fields.values() if isinstance(part, Failure)), None)
        if failed is not None:
            return Drop(f"llm_{failed.reason}", failed.detail)
        if not all(isinstance(part, str) and part.strip() for part in fields.values()):
            return Drop("empty_translation", "a field came back empty")
        md = doc.metadata
        chosen, rejected = fields[CHOSEN_FIELD].strip(), fields[REJECTED_FIELD].strip()
        if chosen == rejected and md[CHOSEN].strip() != md[REJECTED].strip():
            return Drop("sides_merged", "the two answers came back the same")
        turns = [fields[f"turn_{n}"].strip() for n in range(1, len(md[PROMPT]) + 1)]
        prompt = [{"role": m["role"], "content": c} for m, c in zip(md[PROMPT], turns, strict=True)]
        made = {"method": "translate", "model": self.name}
        if self.resolved is not None:
            made["revision"] = self.resolved.revision
        origin = {"chosen": md.get(CHOSEN_BY), "rejected": md.get(REJECTED_BY)}
        details = {"joint": joint is True, **({} if joint is True else {"joint_fallback": joint})}
        return self.step.pair(
            doc, prompt, chosen, rejected, (target,) * 3, dict(made), dict(made), source=source,
            translated_from=origin, **details,
        )  # fmt: skip
