"""Translation by an LLM behind any OpenAI-compatible chat endpoint, through :mod:`babelforge.llm`.

Spec: ``openai:MODEL@BASE_URL`` (``openai:gpt-4o-mini@https://...``, a local vLLM or llama.cpp
server). Requests are cached (a rerun re-sends nothing), retried, throttled on 429 and counted in a
token and cost ledger with an optional budget. An answer that is empty, or that still carries the
prompt's scaffolding, is a :class:`~babelforge.llm.client.Failure` with a reason, never an empty
translation. Square-bracket markers in the source are kept around the same words (for ``markers``).

With a dictionary (:class:`~babelforge.projection.dictionary_hints.DictionaryHints`), the instructions
of each request end with chain-of-dictionary entries for the rarest words of its text the lexicon
knows; the step's counts gain ``dictionary_hints`` (entries sent), ``dictionary_hinted`` (requests
that carried any) and ``dictionary_hints_cut`` (known words the bound left out).

:meth:`LLMTranslator.translate_joint` translates several fields of one record in one request: the
user message is a JSON object of the fields, and the answer must be a JSON object with the same keys
(a JSON schema the client checks, re-asking a bounded number of times).
"""

from __future__ import annotations

import json

from babelforge import langs
from babelforge.errors import BabelforgeError
from babelforge.llm.accounting import llm_usage
from babelforge.llm.client import Completion, Failure, LLMClient, Request
from babelforge.llm.ledger import Ledger
from babelforge.models import babelforge_home
from babelforge.projection.dictionary_hints import hint_block

SYSTEM = (
    "You are a professional translator. Translate the user's text from {source} into {target}. "
    "Where the text has words inside square brackets [ ], put the brackets around their translation. "
    "Answer with the translation only: no notes, no quotes, no explanation."
)
JOINT_SYSTEM = (
    "You are a professional translator. The user sends a JSON object whose values are the fields of one "
    "record ({fields}). Translate every value from {source} into {target}, and translate a term the same way "
    "in every field where it occurs. Where a value has words inside square brackets [ ], put the brackets "
    "around their translation. Answer with a JSON object with exactly the same keys, each value the "
    "translation only: no notes, no quotes, no explanation."
)
SCHEME = "openai:"
#: How an answer that still carries the prompt's scaffolding starts.
CHATTER = ("translation:", "here is", "sure")


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
        hints=None,
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
        self.hints = hints
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
        requests = [self._request(system, text, text) for text in unique]
        answers = dict(zip(unique, self._complete(requests), strict=True))
        return [self._check(answers[t]) if t in answers else Failure("empty_source") for t in texts]

    def translate_joint(self, records: list[dict[str, str]]) -> list[dict[str, str] | Failure]:
        """Translate each record's fields (``{name: text}``) in one request; the answer has the same keys.

        Returns:
            Per record, ``{name: translation}``, or a :class:`Failure` (``invalid_output`` for an answer
            that is no JSON object with those keys after the re-asks, ``empty_answer`` or ``chatter``
            for a field that came back so, or the request's own failure).
        """
        keyed = {json.dumps(r, ensure_ascii=False): r for r in records}
        requests = []
        for body, record in keyed.items():
            system = JOINT_SYSTEM.format(fields=", ".join(record), source=self.source.name, target=self.target.name)
            requests.append(self._request(system, body, "\n\n".join(record.values()), joint_schema(list(record))))
        answers = dict(zip(keyed, self._complete(requests), strict=True))
        return [self._check_joint(answers[json.dumps(r, ensure_ascii=False)], r) for r in records]

    def _request(self, system: str, content: str, source_text: str, schema: dict | None = None) -> Request:
        if self.hints is not None:
            hints = self.hints.for_text(source_text, self.source.code)
            system += hint_block(hints)
            self._count_hints(hints)
        messages = [{"role": "system", "content": system}, {"role": "user", "content": content}]
        return Request(messages, {"temperature": self.temperature}, schema)

    def _complete(self, requests: list[Request]) -> list[Completion | Failure]:
        self.model_calls += 1
        with llm_usage(self.accounting_step, self.client):
            return self.client.complete_many(requests)

    def _count_hints(self, hints) -> None:
        step = self.accounting_step
        if step is None:
            return
        if hints.lines:
            step.stat_update("dictionary_hints", value=len(hints.lines))
            step.stat_update("dictionary_hinted")
        if hints.cut:
            step.stat_update("dictionary_hints_cut", value=hints.cut)

    @classmethod
    def _check_joint(cls, answer: Completion | Failure, record: dict[str, str]) -> dict[str, str] | Failure:
        if isinstance(answer, Failure):
            return answer
        done = {}
        for name in record:
            value = cls._check(Completion(str(answer.data[name])))
            if isinstance(value, Failure):
                return Failure(value.reason, f"field {name!r}: {value.detail}".rstrip(": "))
            done[name] = value
        return done

    @staticmethod
    def _check(answer: Completion | Failure) -> str | Failure:
        if isinstance(answer, Failure):
            return answer
        text = answer.text.strip()
        if not text:
            return Failure("empty_answer")
        if text.lower().startswith(CHATTER):
            return Failure("chatter", text[:80])
        return text


def joint_schema(fields: list[str]) -> dict:
    """The JSON schema of a joint answer: an object with exactly these keys, each a non-empty string."""
    return {
        "type": "object",
        "properties": {name: {"type": "string", "minLength": 1} for name in fields},
        "required": list(fields),
        "additionalProperties": False,
    }
