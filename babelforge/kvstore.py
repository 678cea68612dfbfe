"""A small persistent key-value store on SQLite (WAL): the translation memory and the LLM request cache.

Opened lazily, so objects holding one pickle to workers; every write is committed at once, so a run
killed at any point keeps everything it stored.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

#: How long opening a store waits for other connections (tasks starting at once on a new file).
SETUP_SECONDS = 60


def _set_up(db: sqlite3.Connection) -> None:
    """WAL mode and the table, retried while another connection holds the file.

    Switching a new file to WAL takes a lock that SQLite does not wait for when connections meet
    (it answers "database is locked" at once, busy timeout or not): several tasks opening a new
    cache together would fail. Each try waits a little longer, up to :data:`SETUP_SECONDS` in all.
    """
    deadline, pause = time.monotonic() + SETUP_SECONDS, 0.01
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS store (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() + pause > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 1.0)


class SqliteStore:
    """String keys to string values in one SQLite file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._db: sqlite3.Connection | None = None

    def __getstate__(self) -> dict:
        return {"path": self.path, "_db": None}

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=SETUP_SECONDS, check_same_thread=False)
            try:
                _set_up(db)
            except sqlite3.Error:
                db.close()
                raise
            self._db = db
        return self._db

    def get_many(self, keys: Iterable[str]) -> dict[str, str]:
        keys = list(dict.fromkeys(keys))
        found: dict[str, str] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            marks = ",".join("?" * len(chunk))
            found.update(self.db.execute(f"SELECT key, value FROM store WHERE key IN ({marks})", chunk))
        return found

    def put_many(self, items: dict[str, str]) -> None:
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO store VALUES (?, ?)", items.items())

    def __len__(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM store").fetchone()[0]

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
