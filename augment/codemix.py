"""The ``codemix`` step: make each record code-mixed, with per-token language labels and metrics.

Methods: ``lexicon`` (dictionary substitution), ``alignment`` (aligned phrases swapped in from the
record's translation: needs ``target_text``, from a ``translate`` step or a parallel source) and
``llm`` (a lexicon draft smoothed by an LLM, optionally judged). Writes the mixed text (spans moved
with it), ``mix_tokens``, ``mix_langs`` (one label per token: language codes, or ``other``),
``mix_metrics`` and ``source_text``. A record whose mixing misses the requested CMI, or that the LLM
or judge fails, is dropped under that reason, never written unmixed.

Function words are found per language in the text being mixed (:mod:`~babelforge.augment.function_words`):
each task derives them from its first batch (up to :attr:`CodeMixStep.batch_size` records) for the
matrix language, and from their translations or the lexicon for the embedded one; every method then
switches content words and whole phrases first (:mod:`~babelforge.augment.codemix_choice`). Each
record's ``mix_metrics`` and the step's counts report what was switched
(:mod:`~babelforge.augment.codemix_report`): ``switched_tokens``, ``switched_function_words``,
``switched_runs`` and, where an alignment is known, ``duplicated_meaning``.
"""

from __future__ import annotations

from datatrove.data import Document

from babelforge import langs
from babelforge.augment.codemix_report import REPORT_COUNTS
from babelforge.augment.lexicon import Lexicon
from babelforge.augment.mix_lexicon import LexiconMixer, Mixed, Rejected
from babelforge.records import (
    LANGUAGE,
    MIX_LANGS,
    MIX_METRICS,
    MIX_TOKENS,
    SOURCE_TEXT,
    SPANS,
    TARGET_TEXT,
    TOKEN_OFFSETS,
)
from babelforge.spans import Span
from babelforge.steps import Drop, RecordStep


class CodeMixStep(RecordStep):
    """Code-mix a batch of records with one method (models, lexicons and clients load once per task).

    Example (manifest)::

        steps:
          - codemix: {method: lexicon, lexicon: data/en-de.tsv, embedded: de, cmi: 30, tolerance: 5}
    """

    name = "codemix"
    reads = (LANGUAGE, SPANS, TARGET_TEXT)
    writes = (MIX_TOKENS, MIX_LANGS, MIX_METRICS, SOURCE_TEXT)
    batch_size = 256  # the first batch of a task is also where its function words are found

    def __init__(self, method: str, embedded: str, matrix: str | None, cmi: float, tolerance: float, seed: int,
                 lexicon: str | None = None, aligner: str | None = None, model: str | None = None,
                 judge: bool = False, llm=None, function_share: float | None = None):  # fmt: skip
        super().__init__()
        self.function_share = function_share  # None: each mixer's own default
        self.method, self.embedded, self.matrix = method, embedded, matrix
        self.cmi, self.tolerance, self.seed = cmi, tolerance, seed
        self.lexicon_path, self.aligner_spec, self.model, self.judge = lexicon, aligner, model, judge
        from babelforge.llm.options import LLMOptions

        self.llm = llm or LLMOptions()
        self._mixers: dict = {}
        self._lexicon: Lexicon | None = None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_mixers": {}, "_lexicon": None}

    def _lexicon_mixer(self, matrix: str) -> LexiconMixer:
        if self._lexicon is None:
            self._lexicon = Lexicon.read(self.lexicon_path)
        share = {} if self.function_share is None else {"function_share": self.function_share}
        return LexiconMixer(self._lexicon, matrix, self.embedded, self.cmi, self.tolerance, self.seed, **share)

    def _mixer(self, matrix: str, group: list[Document]):
        if matrix not in self._mixers:
            self._mixers[matrix] = self._new_mixer(matrix)
            translations = [d.metadata[TARGET_TEXT] for d in group if d.metadata.get(TARGET_TEXT)]
            self._mixers[matrix].prepare([d.text for d in group], translations)
        return self._mixers[matrix]

    def _new_mixer(self, matrix: str):
        if self.method == "lexicon":
            return self._lexicon_mixer(matrix)
        if self.method == "alignment":
            from babelforge.augment.mix_alignment import AlignmentMixer
            from babelforge.projection.align import aligner

            word_aligner = aligner(self.aligner_spec)
            share = {} if self.function_share is None else {"function_share": self.function_share}
            return AlignmentMixer(word_aligner, matrix, self.embedded, self.cmi, self.tolerance, self.seed, **share)
        from babelforge.augment.mix_llm import LLMMixer

        client = self.llm.client(self.model)
        names = (langs.resolve(matrix).name, langs.resolve(self.embedded).name)
        mixer = LLMMixer(self._lexicon_mixer(matrix), client, *names, judge=self.judge)
        mixer.accounting_step = self
        return mixer

    def process_batch(self, docs: list[Document]) -> list[Document | Drop]:
        by_matrix: dict[str, list[int]] = {}
        for i, doc in enumerate(docs):
            by_matrix.setdefault(self.matrix or doc.metadata.get(LANGUAGE) or "matrix", []).append(i)
        results: list[Document | Drop] = list(docs)
        for matrix, indices in by_matrix.items():
            group = [docs[i] for i in indices]
            mixer = self._mixer(matrix, group)
            spans = [[Span(*s) for s in d.metadata.get(SPANS, ())] for d in group]
            if self.method == "llm":
                mixed = mixer.mix_many([(d.text, s, str(d.id)) for d, s in zip(group, spans, strict=True)])
            elif self.method == "alignment":
                mixed = self._align_mix(mixer, group, spans)
            else:
                mixed = [mixer.mix(d.text, s, str(d.id)) for d, s in zip(group, spans, strict=True)]
            for i, result in zip(indices, mixed, strict=True):
                results[i] = self._apply(docs[i], result)
        return results

    @staticmethod
    def _align_mix(mixer, group: list[Document], spans: list[list[Span]]) -> list[Mixed | Rejected]:
        """Records with a translation are mixed in one batch (aligned together); the others are rejected."""
        mixed: list[Mixed | Rejected] = [Rejected("no_translation")] * len(group)
        ready = [i for i, d in enumerate(group) if d.metadata.get(TARGET_TEXT)]
        items = [(group[i].text, group[i].metadata[TARGET_TEXT], spans[i], str(group[i].id)) for i in ready]
        for i, result in zip(ready, mixer.mix_many(items), strict=True):
            mixed[i] = result
        return mixed

    def _apply(self, doc: Document, result: Mixed | Rejected) -> Document | Drop:
        if isinstance(result, Rejected):
            return Drop(result.reason, result.detail)
        md = doc.metadata
        md[SOURCE_TEXT], doc.text = doc.text, result.text
        if SPANS in md:
            md[SPANS] = result.spans
        md[TOKEN_OFFSETS] = result.offsets
        md[MIX_TOKENS], md[MIX_LANGS] = result.tokens, result.langs
        metrics = {**result.metrics.as_dict(), **result.report.as_dict()}
        md[MIX_METRICS] = {k: round(v, 4) if isinstance(v, float) else v for k, v in metrics.items()}
        for name in REPORT_COUNTS:
            value = getattr(result.report, name)
            if value is not None:
                self.stat_update(name, value=value)
        md.pop(TARGET_TEXT, None)
        self.note(doc, method=self.method, cmi=round(result.metrics.cmi, 2), embedded=self.embedded)
        return doc
