"""A persistent translation memory: every translation made, keyed by everything that decided it.

The key is a hash of the model, its revision, the language pair, the decoding settings and the
source text, so a rerun, a resumed run or a repeated sentence costs nothing, and a change of any of
those misses. Several tasks on one machine may share one file.
"""

from __future__ import annotations

import hashlib
import json

from babelforge.kvstore import SqliteStore


def memory_key(model: str, revision: str, source: str, target: str, settings: dict, text: str) -> str:
    blob = json.dumps([model, revision, source, target, settings, text], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


class TranslationMemory(SqliteStore):
    """``get``/``put`` many translations at once by :func:`memory_key`."""

    def get(self, keys) -> dict[str, str]:
        return self.get_many(keys)

    def put(self, translations: dict[str, str]) -> None:
        self.put_many(translations)
