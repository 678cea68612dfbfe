"""The ``codemix`` step: make each record code-mixed, with per-token language labels and metrics.

Writes the mixed text (spans moved with it), ``mix_tokens``, ``mix_langs`` (one label per token:
language codes, or ``other``), ``mix_metrics`` and ``source_text``. A record whose mixing cannot reach
the requested CMI within the tolerance is dropped under that reason, never written unmixed.
"""

from __future__ import annotations

from datatrove.data import Document

from babelforge.augment.lexicon import Lexicon
from babelforge.augment.mix_lexicon import LexiconMixer, Rejected
from babelforge.records import LANGUAGE, SPANS, TOKEN_OFFSETS
from babelforge.spans import Span
from babelforge.steps import Drop, RecordStep

MIX_TOKENS, MIX_LANGS, MIX_METRICS = "mix_tokens", "mix_langs", "mix_metrics"


class CodeMixStep(RecordStep):
    """Lexicon code-mixing, a record at a time (the lexicon loads once per task).

    Example (manifest)::

        steps:
          - codemix: {method: lexicon, lexicon: data/en-de.tsv, embedded: de, cmi: 30, tolerance: 5}
    """

    name = "codemix"
    reads = (LANGUAGE, SPANS)
    writes = (MIX_TOKENS, MIX_LANGS, MIX_METRICS, "source_text")

    def __init__(self, lexicon: str, embedded: str, matrix: str | None, cmi: float, tolerance: float, seed: int):
        super().__init__()
        self.lexicon_path, self.embedded, self.matrix = lexicon, embedded, matrix
        self.cmi, self.tolerance, self.seed = cmi, tolerance, seed
        self._mixers: dict[str, LexiconMixer] = {}
        self._lexicon: Lexicon | None = None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_mixers": {}, "_lexicon": None}

    def _mixer(self, matrix: str) -> LexiconMixer:
        if matrix not in self._mixers:
            if self._lexicon is None:
                self._lexicon = Lexicon.read(self.lexicon_path)
            self._mixers[matrix] = LexiconMixer(
                self._lexicon, matrix, self.embedded, self.cmi, self.tolerance, self.seed
            )
        return self._mixers[matrix]

    def process(self, doc: Document) -> Document | Drop:
        md = doc.metadata
        matrix = self.matrix or md.get(LANGUAGE) or "matrix"
        spans = [Span(*s) for s in md.get(SPANS, ())]
        result = self._mixer(matrix).mix(doc.text, spans, str(doc.id))
        if isinstance(result, Rejected):
            return Drop(result.reason, result.detail)
        md["source_text"], doc.text = doc.text, result.text
        if SPANS in md:
            md[SPANS] = result.spans
        md[TOKEN_OFFSETS] = result.offsets
        md[MIX_TOKENS], md[MIX_LANGS] = result.tokens, result.langs
        md[MIX_METRICS] = {k: round(v, 4) if isinstance(v, float) else v for k, v in result.metrics.as_dict().items()}
        self.note(doc, method="lexicon", cmi=round(result.metrics.cmi, 2), embedded=self.embedded)
        return doc
