"""Batches in flight, by the hash of their requests: in the request cache file, so a rerun finds them.

For each: its id, its endpoint, when it was created (``batch_max_wait`` counts from there, over
reruns) and how many polls in a row found no such batch or no status (``misses``, over reruns too).
Without a cache file they live in memory.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time


class BatchState:
    def __init__(self, cache) -> None:
        self.db = cache.db if cache is not None else None
        self.memory: dict[str, list] = {}  # key -> [id, endpoint, created, misses]
        if self.db is None:
            return
        with self.db:
            self.db.execute(
                "CREATE TABLE IF NOT EXISTS batches "
                "(key TEXT PRIMARY KEY, id TEXT, endpoint TEXT, at REAL, misses INTEGER DEFAULT 0)"
            )
        if "misses" not in {row[1] for row in self.db.execute("PRAGMA table_info(batches)")}:  # an older file
            with contextlib.suppress(sqlite3.OperationalError), self.db:  # another process added it first
                self.db.execute("ALTER TABLE batches ADD COLUMN misses INTEGER DEFAULT 0")

    def _row(self, key: str) -> list | None:
        if self.db is None:
            return self.memory.get(key)
        row = self.db.execute("SELECT id, endpoint, at, misses FROM batches WHERE key = ?", (key,)).fetchone()
        return list(row) if row else None

    def get(self, key: str) -> str | None:
        row = self._row(key)
        return row[0] if row else None

    def created(self, key: str) -> float:
        row = self._row(key)
        return row[2] if row and row[2] is not None else time.time()

    def put(self, key: str, batch_id: str, endpoint: str) -> None:
        """Record a batch just created."""
        self._write(key, [batch_id, endpoint, time.time(), 0])

    def missed(self, key: str) -> int:
        """Count one more poll in a row that found no batch; returns how many so far."""
        row = self._row(key)
        if row is None:
            return 1
        row[3] = (row[3] or 0) + 1
        self._write(key, row)
        return row[3]

    def seen(self, key: str) -> None:
        row = self._row(key)
        if row is not None and row[3]:
            row[3] = 0
            self._write(key, row)

    def drop(self, key: str) -> None:
        self.memory.pop(key, None)
        if self.db is not None:
            with self.db:
                self.db.execute("DELETE FROM batches WHERE key = ?", (key,))

    def _write(self, key: str, row: list) -> None:
        self.memory[key] = row
        if self.db is not None:
            with self.db:
                self.db.execute("INSERT OR REPLACE INTO batches VALUES (?, ?, ?, ?, ?)", (key, *row))
