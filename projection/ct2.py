"""Machine translation with CTranslate2: any seq2seq checkpoint its converter supports.

NLLB-200 (distilled 600M and 1.3B), M2M100 and SMaLL-100, Marian/opus-mt and MADLAD-400 load by Hub id
or path, are converted on first use (see :mod:`babelforge.models`) and run on CUDA when present.
Sentences are translated in batches bounded by a token budget, sorted by length; repeated sentences
are translated once; a persistent translation memory makes reruns free.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from babelforge import langs
from babelforge.errors import BabelforgeError, MissingDependencyError
from babelforge.models import ResolvedModel, babelforge_home, ctranslate2_model, device, resolve_model
from babelforge.projection.memory import TranslationMemory, memory_key
from babelforge.projection.segment import fit_pieces

#: Scripts written without spaces between sentences.
_UNSPACED_SCRIPTS = {"Hans", "Hant", "Jpan", "Thai", "Laoo", "Khmr", "Mymr", "Tibt"}


#: Loaded CTranslate2 models by (folder, device, compute type), shared within a process.
_LOADED: dict[tuple[str, str, str], object] = {}


@dataclass(frozen=True)
class Decoding:
    """Decoding settings; all of them are part of the translation memory's key."""

    beam_size: int = 4
    max_decoding_length: int = 256
    length_penalty: float = 1.0
    quantization: str = "default"


class CTranslate2Translator:
    """Translate lists of texts from ``source`` to ``target`` with one model.

    Args:
        model: Hub id or local folder (a Transformers checkpoint, or an already converted CTranslate2 model
            with its tokenizer files).
        source, target: languages, any spelling :func:`babelforge.langs.resolve` accepts.
        decoding: beam size, length limits and quantization.
        max_batch_tokens: source tokens per batch (sentences are sorted by length first).
        memory: the translation memory file; ``None`` for none. Default: ``$BABELFORGE_HOME/memory.sqlite``.

    Example:
        >>> translator = CTranslate2Translator("facebook/nllb-200-distilled-600M", "en", "hau_Latn")
        >>> translator.translate(["Good morning."])  # doctest: +SKIP
        ['Barka da safiya.']
    """

    def __init__(
        self,
        model: str,
        source: str,
        target: str,
        decoding: Decoding = Decoding(),
        max_batch_tokens: int = 4096,
        memory: str | Path | None = "default",
        resolved: ResolvedModel | None = None,
    ):
        self.model_name = model
        self.source, self.target = langs.resolve(source), langs.resolve(target)
        self.decoding = decoding
        self.max_batch_tokens = max_batch_tokens
        self.resolved = resolved
        if memory == "default":
            memory = babelforge_home() / "memory.sqlite"
        self.memory = TranslationMemory(memory) if memory else None
        self._translator = None
        self._tokenizer = None
        self._max_tokens = 1022
        self._kept: dict[str, bool] = {}
        self.model_calls = 0

    def __getstate__(self) -> dict:
        # Steps travel to workers before they run: never ship a loaded model.
        return {**self.__dict__, "_translator": None, "_tokenizer": None}

    @property
    def model(self) -> ResolvedModel:
        if self.resolved is None:
            self.resolved = resolve_model(self.model_name)
        return self.resolved

    def translate(self, texts: list[str]) -> list[str]:
        """Translate ``texts`` (order kept); each distinct text is translated at most once, ever."""
        unique = [t for t in dict.fromkeys(texts) if t.strip()]
        keys = {t: self._key(t) for t in unique}
        known = self.memory.get(keys.values()) if self.memory is not None else {}
        missing = [t for t in unique if keys[t] not in known]
        fresh = dict(zip(missing, self._translate_uncached(missing), strict=True))
        if self.memory is not None and fresh:
            self.memory.put({keys[t]: translation for t, translation in fresh.items()})
        return [fresh.get(t) or known.get(keys.get(t, ""), "") for t in texts]

    def _key(self, text: str) -> str:
        settings = {**self.decoding.__dict__, "engine": "ctranslate2"}
        return memory_key(self.model_name, self.model.revision, self.source.code, self.target.code, settings, text)

    def _translate_uncached(self, texts: list[str]) -> list[str]:
        """Translate texts the memory does not know; texts longer than the model takes go by pieces."""
        if not texts:
            return []
        self._load()
        pieces = {t: fit_pieces(t, self._too_long) for t in texts if self._too_long(t)}
        flat = [t for t in texts if t not in pieces] + [t[s:e] for t in pieces for s, e in pieces[t]]
        done = dict(zip(flat, self._translate_fitting(flat), strict=True))
        joiner = "" if self.target.script in _UNSPACED_SCRIPTS else " "
        return [joiner.join(done[t[s:e]] for s, e in pieces[t]) if t in pieces else done[t] for t in texts]

    @property
    def max_tokens(self) -> int:
        """The longest token sequence (either side) the model takes."""
        self._load()
        return self._max_tokens - len(self._target_prefix() or [])

    def source_tokens(self, text: str) -> list[str]:
        """``text`` as the model's source tokens (special tokens included)."""
        self._load()
        return self._source_tokens(text)

    def target_word_tokens(self, word: str) -> list[str]:
        """One whitespace-free word as target tokens, as it reads after a space (no special tokens)."""
        self._load()
        ids = self._tokenizer(text_target=word, add_special_tokens=False).input_ids
        return self._tokenizer.convert_ids_to_tokens(ids)

    def keeps(self, separator: str) -> bool:
        """Whether the tokenizer carries ``separator`` between two words through encoding and decoding.

        A separator the tokenizer normalises away (a newline for NLLB's SentencePiece) or maps to the
        unknown token can never come back in a translation (see :mod:`~babelforge.projection.joint`).
        """
        if separator not in self._kept:
            self._load()
            probe = f"one{separator}two"
            ids = self._tokenizer(probe).input_ids
            unknown = self._tokenizer.unk_token_id
            back = self._tokenizer.decode(ids, skip_special_tokens=True)
            symbol = separator.strip() or separator
            self._kept[separator] = (unknown is None or unknown not in ids) and symbol in back
        return self._kept[separator]

    def score(self, sources: list[list[str]], targets: list[list[str]]) -> list[list[float]]:
        """Per-token log-probabilities of each target given its source (the end token last).

        The target language tag, where the family needs one, is prepended and not scored.
        """
        if not sources:
            return []
        self._load()
        prefix = self._target_prefix() or []
        results = self._translator.score_batch(
            sources, [prefix + t for t in targets], max_batch_size=self.max_batch_tokens, batch_type="tokens"
        )
        self.model_calls += 1
        return [list(r.log_probs[len(prefix) :]) for r in results]

    def _too_long(self, text: str) -> bool:
        return len(self._source_tokens(text)) > self._max_tokens

    def _translate_fitting(self, texts: list[str]) -> list[str]:
        tokens = [self._source_tokens(t) for t in texts]
        order = sorted(range(len(texts)), key=lambda i: len(tokens[i]))
        results: list[str] = [""] * len(texts)
        for batch in _token_batches(order, [len(t) for t in tokens], self.max_batch_tokens):
            prefix = self._target_prefix()
            outputs = self._translator.translate_batch(
                [tokens[i] for i in batch],
                target_prefix=[prefix] * len(batch) if prefix else None,
                beam_size=self.decoding.beam_size,
                max_decoding_length=min(self.decoding.max_decoding_length, self._max_tokens),
                length_penalty=self.decoding.length_penalty,
            )
            self.model_calls += 1
            for i, output in zip(batch, outputs, strict=True):
                results[i] = self._detokenize(output.hypotheses[0][len(prefix or ()) :])
        return results

    def _load(self) -> None:
        if self._translator is not None:
            return
        try:
            import ctranslate2
            from transformers import AutoTokenizer
        except ImportError:
            raise MissingDependencyError("the translate step", ["ctranslate2", "transformers"], "models") from None
        path = ctranslate2_model(self.model, self.decoding.quantization)
        compute = "default" if self.decoding.quantization == "default" else self.decoding.quantization
        key = (str(path), device(), compute)
        if key not in _LOADED:  # translate and project steps in one process share one loaded model
            _LOADED[key] = ctranslate2.Translator(str(path), device=device(), compute_type=compute)
        self._translator = _LOADED[key]
        self._tokenizer = AutoTokenizer.from_pretrained(str(self.model.path))
        positions = self.model.config.get("max_position_embeddings") or 1024
        self._max_tokens = min(positions, 1024) - 2
        family = self.model.family
        if family in ("nllb", "m2m100"):
            self._tokenizer.src_lang = self._tag(self.source)

    def _tag(self, language: langs.Language) -> str:
        family = self.model.family
        tag = language.tag("nllb" if family == "nllb" else "m2m100")
        if tag is None:
            raise BabelforgeError(f"{self.model_name!r} ({family}) has no language tag for {language.code}")
        return tag if family == "nllb" else tag.strip("_")

    def _source_tokens(self, text: str) -> list[str]:
        if self.model.family == "t5":  # MADLAD-400 reads the target language from a <2xx> source prefix
            text = f"<2{self.target.iso639_1 or self.target.iso639_3}> {text}"
        return self._tokenizer.convert_ids_to_tokens(self._tokenizer.encode(text))

    def _target_prefix(self) -> list[str] | None:
        family = self.model.family
        if family == "nllb":
            return [self._tag(self.target)]
        if family == "m2m100":
            return [f"__{self._tag(self.target)}__"]
        return None

    def _detokenize(self, tokens: list[str]) -> str:
        ids = self._tokenizer.convert_tokens_to_ids(tokens)
        return self._tokenizer.decode(ids, skip_special_tokens=True).strip()


def _token_batches(order: list[int], lengths: list[int], budget: int) -> list[list[int]]:
    """Consecutive indices (already sorted by length) grouped so each batch's padded size fits ``budget``."""
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        if current and lengths[i] * (len(current) + 1) > budget:
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches
