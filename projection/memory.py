"""A persistent translation memory: every translation made, keyed by everything that decided it.

The key is a hash of the model, its revision, the language pair, the decoding settings and the
source text, so a rerun, a resumed run or a repeated sentence costs nothing, and a change of any of
those misses. SQLite in WAL mode: several tasks on one machine may share one file.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path


def memory_key(model: str, revision: str, source: str, target: str, settings: dict, text: str) -> str:
    blob = json.dumps([model, revision, source, target, settings, text], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


class TranslationMemory:
    """``get``/``put`` many translations at once by key. Opened lazily, so it pickles to workers."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._db: sqlite3.Connection | None = None

    def __getstate__(self) -> dict:
        return {"path": self.path, "_db": None}

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=60)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS memory (key TEXT PRIMARY KEY, translation TEXT NOT NULL)")
        return self._db

    def get(self, keys: Iterable[str]) -> dict[str, str]:
        keys = list(dict.fromkeys(keys))
        found: dict[str, str] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            marks = ",".join("?" * len(chunk))
            found.update(self.db.execute(f"SELECT key, translation FROM memory WHERE key IN ({marks})", chunk))
        return found

    def put(self, translations: dict[str, str]) -> None:
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO memory VALUES (?, ?)", translations.items())

    def __len__(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM memory").fetchone()[0]

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
