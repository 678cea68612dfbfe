"""Batches in flight, by the hash of their requests: in the request cache file, so a rerun finds them.

For each: its id, its endpoint, when it was created (``batch_max_wait`` counts from there, over
reruns), how many polls in a row found no such batch or no status (``misses``, over reruns too), and
the id of its uploaded input file (``file``). The file id is recorded *before* the batch is created,
with no batch id yet: a create that goes unanswered, or a run killed while it waits for the answer,
leaves that row, and the batch (which the endpoint may have created, and will bill) is looked for
by its input file instead of being created again. Without a cache file they live in memory.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time

COLUMNS = ("id", "endpoint", "at", "misses", "file")


class BatchState:
    def __init__(self, cache) -> None:
        self.db = cache.db if cache is not None else None
        self.memory: dict[str, list] = {}  # key -> [id, endpoint, created, misses, file]
        if self.db is None:
            return
        with self.db:
            self.db.execute(
                "CREATE TABLE IF NOT EXISTS batches "
                "(key TEXT PRIMARY KEY, id TEXT, endpoint TEXT, at REAL, misses INTEGER DEFAULT 0, file TEXT)"
            )
        found = {row[1] for row in self.db.execute("PRAGMA table_info(batches)")}
        for column, kind in (("misses", "INTEGER DEFAULT 0"), ("file", "TEXT")):  # an older file
            if column not in found:
                with contextlib.suppress(sqlite3.OperationalError), self.db:  # another process added it first
                    self.db.execute(f"ALTER TABLE batches ADD COLUMN {column} {kind}")

    def _row(self, key: str) -> list | None:
        if self.db is None:
            return self.memory.get(key)
        row = self.db.execute(f"SELECT {', '.join(COLUMNS)} FROM batches WHERE key = ?", (key,)).fetchone()
        return list(row) if row else None

    def get(self, key: str) -> str | None:
        """The batch's id, once the endpoint has told it."""
        row = self._row(key)
        return row[0] if row else None

    def file(self, key: str) -> str | None:
        """The id of the batch's input file, uploaded (the batch may or may not exist)."""
        row = self._row(key)
        return row[4] if row else None

    def created(self, key: str) -> float:
        row = self._row(key)
        return row[2] if row and row[2] is not None else time.time()

    def uploaded(self, key: str, file_id: str, endpoint: str) -> None:
        """Record an input file uploaded, before its batch is created."""
        self._write(key, [None, endpoint, time.time(), 0, file_id])

    def put(self, key: str, batch_id: str, endpoint: str) -> None:
        """Record a batch just created (or found), keeping its input file."""
        self._write(key, [batch_id, endpoint, time.time(), 0, self.file(key)])

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
                self.db.execute(
                    f"INSERT OR REPLACE INTO batches (key, {', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?)", (key, *row)
                )
