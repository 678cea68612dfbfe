"""The ``codemix`` step: make each record code-mixed, with per-token language labels and metrics.

Methods: ``lexicon`` (dictionary substitution), ``alignment`` (aligned phrases swapped in from the
record's translation: needs ``target_text``, from a ``translate`` step or a parallel source) and
``llm`` (a lexicon draft smoothed by an LLM, optionally judged). Writes the mixed text (spans moved
with it), ``mix_tokens``, ``mix_langs`` (one label per token: language codes, or ``other``),
``mix_metrics`` and ``source_text``. A record whose mixing misses the requested CMI, or that the LLM
or judge fails, is dropped under that reason, never written unmixed.
"""

from __future__ import annotations

from datatrove.data import Document

from babelforge import langs
from babelforge.augment.lexicon import Lexicon
from babelforge.augment.mix_lexicon import LexiconMixer, Mixed, Rejected
from babelforge.records import LANGUAGE, SPANS, TARGET_TEXT, TOKEN_OFFSETS
from babelforge.spans import Span
from babelforge.steps import Drop, RecordStep

MIX_TOKENS, MIX_LANGS, MIX_METRICS = "mix_tokens", "mix_langs", "mix_metrics"


class CodeMixStep(RecordStep):
    """Code-mix a batch of records with one method (models, lexicons and clients load once per task).

    Example (manifest)::

        steps:
          - codemix: {method: lexicon, lexicon: data/en-de.tsv, embedded: de, cmi: 30, tolerance: 5}
    """

    name = "codemix"
    reads = (LANGUAGE, SPANS, TARGET_TEXT)
    writes = (MIX_TOKENS, MIX_LANGS, MIX_METRICS, "source_text")
    batch_size = 64

    def __init__(self, method: str, embedded: str, matrix: str | None, cmi: float, tolerance: float, seed: int,
                 lexicon: str | None = None, aligner: str | None = None, model: str | None = None,
                 judge: bool = False, llm=None):  # fmt: skip
        super().__init__()
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
        return LexiconMixer(self._lexicon, matrix, self.embedded, self.cmi, self.tolerance, self.seed)

    def _mixer(self, matrix: str):
        if matrix not in self._mixers:
            if self.method == "lexicon":
                self._mixers[matrix] = self._lexicon_mixer(matrix)
            elif self.method == "alignment":
                from babelforge.augment.mix_alignment import AlignmentMixer
                from babelforge.projection.align import aligner

                word_aligner = aligner(self.aligner_spec)
                self._mixers[matrix] = AlignmentMixer(
                    word_aligner, matrix, self.embedded, self.cmi, self.tolerance, self.seed
                )
            else:
                from babelforge.augment.mix_llm import LLMMixer

                client = self.llm.client(self.model)
                names = (langs.resolve(matrix).name, langs.resolve(self.embedded).name)
                self._mixers[matrix] = LLMMixer(self._lexicon_mixer(matrix), client, *names, judge=self.judge)
                self._mixers[matrix].accounting_step = self
        return self._mixers[matrix]

    def process_batch(self, docs: list[Document]) -> list[Document | Drop]:
        by_matrix: dict[str, list[int]] = {}
        for i, doc in enumerate(docs):
            by_matrix.setdefault(self.matrix or doc.metadata.get(LANGUAGE) or "matrix", []).append(i)
        results: list[Document | Drop] = list(docs)
        for matrix, indices in by_matrix.items():
            mixer = self._mixer(matrix)
            group = [docs[i] for i in indices]
            spans = [[Span(*s) for s in d.metadata.get(SPANS, ())] for d in group]
            if self.method == "llm":
                mixed = mixer.mix_many([(d.text, s, str(d.id)) for d, s in zip(group, spans, strict=True)])
            elif self.method == "alignment":
                mixed = [
                    mixer.mix(d.text, d.metadata[TARGET_TEXT], s, str(d.id))
                    if d.metadata.get(TARGET_TEXT)
                    else Rejected("no_translation")
                    for d, s in zip(group, spans, strict=True)
                ]
            else:
                mixed = [mixer.mix(d.text, s, str(d.id)) for d, s in zip(group, spans, strict=True)]
            for i, result in zip(indices, mixed, strict=True):
                results[i] = self._apply(docs[i], result)
        return results

    def _apply(self, doc: Document, result: Mixed | Rejected) -> Document | Drop:
        if isinstance(result, Rejected):
            return Drop(result.reason, result.detail)
        md = doc.metadata
        md["source_text"], doc.text = doc.text, result.text
        if SPANS in md:
            md[SPANS] = result.spans
        md[TOKEN_OFFSETS] = result.offsets
        md[MIX_TOKENS], md[MIX_LANGS] = result.tokens, result.langs
        md[MIX_METRICS] = {k: round(v, 4) if isinstance(v, float) else v for k, v in result.metrics.as_dict().items()}
        md.pop(TARGET_TEXT, None)
        self.note(doc, method=self.method, cmi=round(result.metrics.cmi, 2), embedded=self.embedded)
        return doc
