"""Counting tokens the way an endpoint's model does, without the endpoint.

Used where an answer carries no usable ``usage`` (the cost is then *estimated*), to reserve a
request's worst-case cost before it is sent, and to estimate a step's cost before a run. The
tokenizer is found, in order:

1. ``tokenizer`` when given: ``tiktoken:ENCODING``, a ``tokenizer.json`` file or a folder holding
   one, or a Hugging Face id found in the local hub cache (never downloaded);
2. tiktoken's encoding for an OpenAI model name (``gpt-4o-mini``, ``o3``...), when its BPE file can be
   had (tiktoken downloads it on first use and caches it under ``TIKTOKEN_CACHE_DIR``; offline and
   uncached, this step is skipped);
3. the model name itself as a Hugging Face tokenizer in the local hub cache;
4. characters / 4, marked inexact. Low-resource languages take several times more tokens per word
   than English under most tokenizers, so a real tokenizer is worth naming.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

#: Tokens a chat request adds per message and once per request (role markers, priming).
PER_MESSAGE, PER_REQUEST = 4, 3
TIKTOKEN_WAIT_S = 15.0
OPENAI_PREFIXES = ("gpt-", "o1", "o3", "o4", "chatgpt-", "text-embedding-", "davinci", "babbage")


@dataclass(frozen=True)
class TokenCounter:
    """``count(text)`` tokens; ``exact`` when it is the model's own tokenizer (or a named one)."""

    name: str
    exact: bool
    _count: Callable[[str], int]

    def count(self, text: str) -> int:
        return self._count(text) if text else 0

    def count_messages(self, messages: list[dict]) -> int:
        """Prompt tokens of a chat request, with the chat format's per-message overhead."""
        content = sum(self.count(_text(m.get("content"))) for m in messages)
        return content + PER_MESSAGE * len(messages) + PER_REQUEST

    def bound_messages(self, messages: list[dict]) -> int:
        """A count the endpoint's own will not exceed: a 10% margin on an exact tokenizer's count;
        UTF-8 bytes otherwise (a byte-level tokenizer never makes more tokens than bytes)."""
        if self.exact:
            return int(self.count_messages(messages) * 1.1) + 8
        content = sum(len(_text(m.get("content")).encode()) for m in messages)
        return content + PER_MESSAGE * len(messages) + PER_REQUEST


def _text(content) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: [{"type": "text", "text": ...}]
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return "" if content is None else str(content)


def chars_counter() -> TokenCounter:
    return TokenCounter("characters/4", False, lambda text: max(1, round(len(text) / 4)))


@lru_cache(maxsize=32)
def token_counter(model: str, tokenizer: str | None = None) -> TokenCounter:
    """The best counter available offline for ``model`` (see the module's docstring)."""
    if tokenizer:
        found = _tiktoken_encoding(tokenizer.removeprefix("tiktoken:")) if tokenizer.startswith("tiktoken:") else None
        found = found or _hf_tokenizer(tokenizer)
        if found is not None:
            return found
    openai = model.lower().startswith(OPENAI_PREFIXES)
    if openai and (found := _tiktoken_model(model)) is not None:
        return found
    found = _hf_tokenizer(model) or chars_counter()
    if tokenizer and not found.exact:
        return replace(found, name=f"{found.name}, tokenizer {tokenizer!r} not found offline")
    if openai and not found.exact:
        why = (
            f"tiktoken's {encoding} is not available offline"
            if (encoding := _encoding_name(model))
            else ("tiktoken does not know this model")
        )
        return replace(found, name=f"{found.name} ({why}: set llm.tokenizer)")
    return found


def _encoding_name(model: str) -> str | None:
    try:
        import tiktoken

        return tiktoken.encoding_name_for_model(model)
    except (ImportError, KeyError):
        return None


def _tiktoken_model(model: str) -> TokenCounter | None:
    try:
        import tiktoken

        name = tiktoken.encoding_name_for_model(model)
    except (ImportError, KeyError):
        return None
    return _tiktoken_encoding(name)


def _tiktoken_encoding(name: str) -> TokenCounter | None:
    """tiktoken's encoding, or ``None``: not installed, unknown, or its BPE file not had in time
    (tiktoken downloads it on first use, with no timeout of its own: an offline machine must not hang)."""
    found: list = []

    def load() -> None:
        try:
            import tiktoken

            found.append(tiktoken.get_encoding(name))
        except Exception:  # noqa: BLE001 - any failure means: no tiktoken here
            pass

    loader = threading.Thread(target=load, name="babelforge-tiktoken", daemon=True)
    loader.start()
    loader.join(TIKTOKEN_WAIT_S)
    if not found:
        return None
    encoding = found[0]
    return TokenCounter(f"tiktoken:{name}", True, lambda text: len(encoding.encode(text, disallowed_special=())))


def _hf_tokenizer(name: str) -> TokenCounter | None:
    """A ``tokenizers`` tokenizer from a file, a folder, or the local hub cache; never a download."""
    path = _tokenizer_file(name)
    if path is None:
        return None
    try:
        from tokenizers import Tokenizer

        loaded = Tokenizer.from_file(str(path))
        loaded.no_padding()  # a saved tokenizer may pad or cut every text to a fixed length: count it all
        loaded.no_truncation()
    except Exception:  # noqa: BLE001 - not installed or not a tokenizer file: fall through to the next way
        return None
    return TokenCounter(f"tokenizer:{name}", True, lambda text: len(loaded.encode(text, add_special_tokens=False)))


def _tokenizer_file(name: str) -> Path | None:
    path = Path(os.path.expanduser(name))
    if path.is_file():
        return path
    if (path / "tokenizer.json").is_file():
        return path / "tokenizer.json"
    if name.count("/") != 1 or path.exists():
        return None
    try:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(name, "tokenizer.json")
    except Exception:  # noqa: BLE001 - an id the hub library rejects is simply not cached
        return None
    return Path(found) if isinstance(found, str) else None
