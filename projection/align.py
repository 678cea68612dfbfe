"""Word alignment, and the ``align`` projection method built on it.

Aligner specs: ``simalign:MODEL`` (itermax), ``simalign-argmax:MODEL``, ``simalign-itermax:MODEL`` and
``simalign-match:MODEL``, where MODEL is any Hugging Face encoder by id or path (``bert-base-multilingual-cased``,
``xlm-roberta-base``). Alignments are 0-indexed ``(source word, target word)`` pairs.

The ``align`` projector aligns the words of each sentence pair, maps every source span to the
target words aligned to its words, takes the tightest contiguous cover, and rejects the span when
too few of its words are aligned (``min_coverage``) or when its cover overlaps a span already placed.
"""

from __future__ import annotations

import logging

from babelforge.errors import BabelforgeError, MissingDependencyError
from babelforge.projection.projector import ProjectionInput, ProjectionResult, Projector
from babelforge.spans import Span
from babelforge.words import word_spans

ALIGNER_SPECS = ("simalign:MODEL", "simalign-argmax:MODEL", "simalign-itermax:MODEL", "simalign-match:MODEL")
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


def aligner(spec: str) -> SimAlignAligner:
    """The aligner a spec names.

    Raises:
        BabelforgeError: for a spec that is none of :data:`ALIGNER_SPECS`.
    """
    kind, _, model = spec.partition(":")
    if kind == "simalign" and model:
        return SimAlignAligner(model)
    if kind.startswith("simalign-") and model:
        return SimAlignAligner(model, kind.removeprefix("simalign-"))
    raise BabelforgeError(f"unknown aligner {spec!r}: valid: {', '.join(ALIGNER_SPECS)}")


class AlignProjector(Projector):
    """Project spans through word alignments (see the module docstring)."""

    name = "align"

    def __init__(self, aligner_spec: str, min_coverage: float = 0.5):
        self.aligner = aligner(aligner_spec)
        self.min_coverage = min_coverage

    def project(self, inputs: list[ProjectionInput]) -> list[ProjectionResult]:
        return [self._project_one(item) for item in inputs]

    def _project_one(self, item: ProjectionInput) -> ProjectionResult:
        source, target = word_spans(item.source_text), word_spans(item.target_text)
        links = self.aligner.align(
            [item.source_text[a:b] for a, b in source], [item.target_text[a:b] for a, b in target]
        )
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
        return ProjectionResult(spans, scores, self.name)
