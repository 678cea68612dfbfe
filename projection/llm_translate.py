"""Translation by an LLM behind any OpenAI-compatible chat endpoint, through :mod:`babelforge.llm`.

Spec: ``openai:MODEL@BASE_URL`` (``openai:gpt-4o-mini@https://...``, a local vLLM or llama.cpp
server). Requests are cached (a rerun re-sends nothing), retried, throttled on 429 and counted in a
token and cost ledger with an optional budget. An answer that is empty, or that still carries the
prompt's scaffolding, is a :class:`~babelforge.llm.client.Failure` with a reason, never an empty
translation. Square-bracket markers in the source are kept around the same words (for ``markers``).
"""

from __future__ import annotations

from babelforge import langs
from babelforge.errors import BabelforgeError
from babelforge.llm.accounting import llm_usage
from babelforge.llm.client import Completion, Failure, LLMClient, Request
from babelforge.llm.ledger import Ledger
from babelforge.models import babelforge_home

SYSTEM = (
    "You are a professional translator. Translate the user's text from {source} into {target}. "
    "Where the text has words inside square brackets [ ], put the brackets around their translation. "
    "Answer with the translation only: no notes, no quotes, no explanation."
)
SCHEME = "openai:"


def is_llm_spec(model: str) -> bool:
    return model.startswith(SCHEME) and "@" in model


class LLMTranslator:
    """Translate texts with a chat model; same interface as the CTranslate2 translator.

    Example:
        >>> mt = LLMTranslator("openai:gpt-4o-mini@https://api.example/v1", "en", "hau_Latn")  # doctest: +SKIP
        >>> mt.translate(["Good morning."])  # doctest: +SKIP
        ['Barka da safiya.']
    """

    #: The pipeline step whose stats count the requests' usage (see :mod:`babelforge.llm.accounting`).
    accounting_step = None

    def __init__(
        self,
        spec: str,
        source: str,
        target: str,
        temperature: float = 0.0,
        max_budget: float | None = None,
        cache: str | None = "default",
        options=None,
    ):
        if not is_llm_spec(spec):
            raise BabelforgeError(f"LLM translator {spec!r}: expected openai:MODEL@BASE_URL")
        self.spec = spec
        self.model_name, self.base_url = spec[len(SCHEME) :].split("@", 1)
        self.source, self.target = langs.resolve(source), langs.resolve(target)
        self.temperature = temperature
        self.ledger = Ledger(max_budget=max_budget)
        self.cache = str(babelforge_home() / "llm-cache.sqlite") if cache == "default" else cache
        self.options = options
        self._client: LLMClient | None = None
        self.model_calls = 0

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_client": None}

    @property
    def client(self) -> LLMClient:
        if self._client is None:
            if self.options is not None:
                self._client = self.options.client(self.spec)
            else:
                self._client = LLMClient(self.model_name, self.base_url, cache=self.cache, ledger=self.ledger)
        return self._client

    def translate(self, texts: list[str]) -> list[str | Failure]:
        """Each text's translation, or a :class:`Failure` saying why there is none."""
        unique = [t for t in dict.fromkeys(texts) if t.strip()]
        system = SYSTEM.format(source=self.source.name, target=self.target.name)
        requests = [
            Request(
                [{"role": "system", "content": system}, {"role": "user", "content": text}],
                {"temperature": self.temperature},
            )
            for text in unique
        ]
        self.model_calls += 1
        with llm_usage(self.accounting_step, self.client):
            answers = dict(zip(unique, self.client.complete_many(requests), strict=True))
        return [self._check(answers[t]) if t in answers else Failure("empty_source") for t in texts]

    @staticmethod
    def _check(answer: Completion | Failure) -> str | Failure:
        if isinstance(answer, Failure):
            return answer
        text = answer.text.strip()
        if not text:
            return Failure("empty_answer")
        if text.lower().startswith(("translation:", "here is", "sure")):
            return Failure("chatter", text[:80])
        return text
