"""The review database: items, and every decision an annotator makes, in SQLite (WAL mode).

Each decision is one row committed when it is made, so a server killed at any moment loses nothing
that was answered; the latest decision of an annotator on an item is the one that counts. Items are
imported once, when the database is created; a later ``serve`` on the same file resumes it.

Tables:
    ``meta``: key/value (the output it was made from, sampling, overlap).
    ``items``: one row per item; ``payload`` is the item as JSON (:mod:`babelforge.review.items`);
        ``answered`` counts the annotators whose latest decision on it is an accept or a reject (an
        accept changed to a skip no longer counts), and ``open`` is 1 while that is below ``overlap``.
    ``decisions``: ``accept``, ``reject`` or ``skip`` by an annotator, with the reason, comment and
        the spans as the annotator left them.
    ``claims``: an item shown to an annotator and not yet answered, so that two annotators working
        at once are not shown the same item beyond the overlap.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from babelforge.errors import ReviewError

DECISIONS = ("accept", "reject", "skip")
CLAIM_SECONDS = 600

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    n INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    language TEXT, method TEXT, split TEXT, score REAL,
    labels TEXT NOT NULL,
    open INTEGER NOT NULL DEFAULT 1,
    payload TEXT NOT NULL,
    answered INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS items_open ON items (open, n);
CREATE INDEX IF NOT EXISTS items_open_low_first ON items (open, score IS NULL, score, n);
CREATE TABLE IF NOT EXISTS decisions (
    seq INTEGER PRIMARY KEY,
    item INTEGER NOT NULL REFERENCES items (n),
    annotator TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('accept', 'reject', 'skip')),
    reason TEXT, comment TEXT, spans TEXT,
    made_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_item ON decisions (item, annotator);
CREATE INDEX IF NOT EXISTS decisions_annotator ON decisions (annotator, item);
CREATE TABLE IF NOT EXISTS claims (
    item INTEGER NOT NULL, annotator TEXT NOT NULL, until REAL NOT NULL,
    PRIMARY KEY (item, annotator)
);
"""

#: Annotators whose latest decision on item ``{item}`` (a parameter or a column) is an accept or a reject.
ANSWERED = """
    SELECT COUNT(*) FROM decisions d
    WHERE d.item = {item} AND d.decision != 'skip'
      AND d.seq = (SELECT MAX(e.seq) FROM decisions e WHERE e.item = d.item AND e.annotator = d.annotator)"""


class UnknownItemError(KeyError):
    """An item number that is not in this review."""


class ReviewStore:
    """One review database. Thread-safe: the web server calls it from its worker threads.

    Args:
        path: the SQLite file (created when missing).
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")  # a decision is on disk when the answer leaves
            self._db.execute("PRAGMA busy_timeout=10000")
            self._db.executescript(SCHEMA)
        except sqlite3.DatabaseError as error:
            self._db.close()
            raise ReviewError(f"{self.path} is not a review database ({error}): pass --db with another file") from None
        self._add_answered()

    def _add_answered(self) -> None:
        """Give a database made before ``items.answered`` existed the column, counted from its decisions.

        Its ``open`` flags are recounted too: they counted every accept or reject ever made, so an
        item accepted and then skipped stayed closed.
        """
        if "answered" in self._columns():
            return
        with self._transaction() as db:
            if "answered" in self._columns(locked=True):  # another server on this file added it first
                return
            db.execute("ALTER TABLE items ADD COLUMN answered INTEGER NOT NULL DEFAULT 0")
            db.execute(f"UPDATE items SET answered = ({ANSWERED.format(item='items.n')})")
            db.execute("UPDATE items SET open = answered < ?", (_overlap(db),))

    def _columns(self, locked: bool = False) -> set[str]:
        sql = "SELECT name FROM pragma_table_info('items')"
        return {row[0] for row in (self._db.execute(sql).fetchall() if locked else self._query(sql))}

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, args: Iterable = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, tuple(args)).fetchall()

    # -- set-up -------------------------------------------------------------------------------

    def meta(self) -> dict[str, Any]:
        return {key: json.loads(value) for key, value in self._query("SELECT key, value FROM meta")}

    def is_empty(self) -> bool:
        return not self._query("SELECT 1 FROM items LIMIT 1")

    def import_items(self, items: Iterable[dict], meta: dict[str, Any], batch: int = 5000) -> int:
        """Add items (once, into an empty database) and record where they came from."""
        count = 0
        with self._transaction() as db:
            db.executemany("INSERT INTO meta VALUES (?, ?)", [(k, json.dumps(v)) for k, v in meta.items()])
            rows = []
            for item in items:
                rows.append(_item_row(item))
                if len(rows) >= batch:
                    count += _insert(db, rows)
                    rows = []
            count += _insert(db, rows)
        return count

    def add_meta(self, **values: Any) -> None:
        with self._transaction() as db:
            db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", [(k, json.dumps(v)) for k, v in values.items()])

    def set_overlap(self, overlap: int) -> None:
        """Change the annotators per item; items open or close by the new number at once."""
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES ('overlap', ?)", (json.dumps(overlap),))
            db.execute("UPDATE items SET open = answered < ? WHERE open != (answered < ?)", (overlap, overlap))

    @property
    def overlap(self) -> int:
        """Annotators who judge each item (one meta key: ``meta()`` would parse the whole manifest)."""
        with self._lock:
            return _overlap(self._db)

    def total_items(self) -> int:
        return self._query("SELECT COUNT(*) FROM items")[0][0]

    # -- reading ------------------------------------------------------------------------------

    def item(self, n: int) -> dict[str, Any]:
        rows = self._query("SELECT payload FROM items WHERE n = ?", (n,))
        if not rows:
            raise UnknownItemError(n)
        return {"n": n, **json.loads(rows[0][0])}

    def item_numbers(self) -> list[int]:
        return [row[0] for row in self._query("SELECT n FROM items ORDER BY n")]

    def item_by_id(self, item_id: str) -> dict[str, Any] | None:
        rows = self._query("SELECT n FROM items WHERE id = ?", (item_id,))
        return self.item(rows[0][0]) if rows else None

    def next_item(self, annotator: str, filters: dict[str, Any] | None = None, low_first: bool = False) -> int | None:
        """The next item for ``annotator``: open, not answered or skipped by them, not claimed by others.

        Room is left for ``overlap`` annotators: those whose latest decision is an accept or a reject
        (``items.answered``) plus those who hold a claim on it now.

        The item is chosen and claimed in one ``BEGIN IMMEDIATE`` transaction: two annotators (two
        threads, or two servers on one file) asking at once never get the same item beyond the overlap.
        """
        where, args = _filter_sql(filters or {})
        order = "i.score IS NULL, i.score, i.n" if low_first else "i.n"
        now = time.time()
        sql = f"""
            SELECT i.n FROM items i
            WHERE i.open = 1 {where}
              AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.item = i.n AND d.annotator = ?)
              AND i.answered
                  + (SELECT COUNT(*) FROM claims c WHERE c.item = i.n AND c.annotator != ? AND c.until > ?) < ?
            ORDER BY {order} LIMIT 1"""
        with self._transaction() as db:
            row = db.execute(sql, [*args, annotator, annotator, now, _overlap(db)]).fetchone()
            if row is not None:
                db.execute("INSERT OR REPLACE INTO claims VALUES (?, ?, ?)", (row[0], annotator, now + CLAIM_SECONDS))
        return row[0] if row is not None else None

    def decisions(self, n: int | None = None) -> list[dict[str, Any]]:
        """Every annotator's latest decision, on one item or on all of them."""
        one_item = "WHERE item = ?" if n is not None else ""  # uses the (item, annotator) index
        sql = f"""
            SELECT d.item, i.id, d.annotator, d.decision, d.reason, d.comment, d.spans, d.made_at
            FROM decisions d JOIN items i ON i.n = d.item
            WHERE d.seq IN (SELECT MAX(seq) FROM decisions {one_item} GROUP BY item, annotator)
            ORDER BY d.item, d.annotator"""
        keys = ("n", "id", "annotator", "decision", "reason", "comment", "spans", "made_at")
        rows = [dict(zip(keys, row, strict=True)) for row in self._query(sql, [n] if n is not None else [])]
        for row in rows:
            row["spans"] = json.loads(row["spans"]) if row["spans"] is not None else None
        return rows

    def recent(self, annotator: str, limit: int = 50) -> list[int]:
        """The items ``annotator`` answered last, oldest first (the page's "back" history after a restart)."""
        rows = self._query(
            "SELECT item FROM decisions WHERE annotator = ? GROUP BY item ORDER BY MAX(seq) DESC LIMIT ?",
            (annotator, limit),
        )
        return [row[0] for row in reversed(rows)]

    def progress(self, annotator: str) -> dict[str, int]:
        # two counts on the covering index (open, n): SUM(open) would read every row, per request
        total, done = self._query("SELECT (SELECT COUNT(*) FROM items), (SELECT COUNT(*) FROM items WHERE open = 0)")[0]
        mine = self._query(
            """SELECT COUNT(*) FROM decisions d WHERE d.annotator = ? AND d.decision != 'skip'
               AND d.seq = (SELECT MAX(e.seq) FROM decisions e WHERE e.item = d.item AND e.annotator = d.annotator)""",
            (annotator,),
        )[0][0]
        return {"total": total, "done": done, "mine": mine}

    def facets(self) -> dict[str, list]:
        """Values the page offers as filters."""
        languages = [r[0] for r in self._query("SELECT DISTINCT language FROM items ORDER BY 1") if r[0]]
        methods = [r[0] for r in self._query("SELECT DISTINCT method FROM items ORDER BY 1") if r[0]]
        labels = sorted(
            {label for (text,) in self._query("SELECT DISTINCT labels FROM items") for label in _split(text)}
        )
        return {"languages": languages, "methods": methods, "labels": labels}

    # -- writing ------------------------------------------------------------------------------

    def decide(
        self,
        n: int,
        annotator: str,
        decision: str,
        *,
        reason: str | None = None,
        comment: str | None = None,
        spans: list | None = None,
        made_at: float | None = None,
    ) -> None:
        """Record one decision, committed (and synced) before returning.

        Raises:
            ReviewError: for an unknown decision, a reject without a reason, or spans outside the text.
            UnknownItemError: for an unknown item.
        """
        if decision not in DECISIONS:
            raise ReviewError(f"decision {decision!r} is not one of {', '.join(DECISIONS)}")
        if decision == "reject" and not (reason or "").strip():
            raise ReviewError("a reject needs a reason: say what is wrong with the item")
        item = self.item(n)
        if spans is not None:
            spans = check_spans(spans, item["text"])
        with self._transaction() as db:
            db.execute(
                "INSERT INTO decisions (item, annotator, decision, reason, comment, spans, made_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    n,
                    annotator,
                    decision,
                    reason,
                    comment,
                    None if spans is None else json.dumps(spans),
                    made_at or time.time(),
                ),
            )
            db.execute("DELETE FROM claims WHERE item = ? AND annotator = ?", (n, annotator))
            answered = db.execute(ANSWERED.format(item="?"), (n,)).fetchone()[0]  # latest decisions count
            db.execute(
                "UPDATE items SET answered = ?, open = ? WHERE n = ?", (answered, int(answered < _overlap(db)), n)
            )


def _overlap(db: sqlite3.Connection) -> int:
    row = db.execute("SELECT value FROM meta WHERE key = 'overlap'").fetchone()
    return int(json.loads(row[0])) if row else 1


def check_spans(spans: list, text: str) -> list[list]:
    """Spans as ``[[start, end, label], ...]`` sorted, each inside ``text`` and non-empty.

    Each span is ``[start, end, label]`` or ``{"start", "end", "label"}``; offsets are integers (not
    booleans) with ``0 <= start < end <= len(text)``, and the label a non-empty string.

    Raises:
        ReviewError: naming the first bad span.
    """
    if not isinstance(spans, list | tuple):
        raise ReviewError(f"spans {str(spans)[:80]!r}: give a list of [start, end, label]")
    clean = []
    for i, span in enumerate(spans):
        start, end, label = _span_values(i, span)
        if not (_is_int(start) and _is_int(end) and 0 <= start < end <= len(text)):
            raise ReviewError(f"spans[{i}] {span!r} is outside the text (0..{len(text)} code points) or empty")
        if not isinstance(label, str) or not label.strip():
            raise ReviewError(f"spans[{i}] {span!r} has no label")
        clean.append([start, end, label])
    return sorted(clean)


def _span_values(i: int, span: Any) -> tuple:
    if isinstance(span, dict) and {"start", "end", "label"} <= span.keys():
        return span["start"], span["end"], span["label"]
    if isinstance(span, list | tuple) and len(span) == 3:
        return tuple(span)
    raise ReviewError(f"spans[{i}] {str(span)[:80]!r}: give [start, end, label] (code points and a label)")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _item_row(item: dict) -> tuple:
    labels = "," + ",".join(sorted({s[2] for s in item["spans"]})) + ","
    return (
        item["id"],
        item["language"],
        item["method"],
        item["split"],
        item["score"],
        labels,
        json.dumps(item, ensure_ascii=False),
    )


def _insert(db: sqlite3.Connection, rows: list[tuple]) -> int:
    try:
        db.executemany(
            "INSERT INTO items (id, language, method, split, score, labels, payload) VALUES (?, ?, ?, ?, ?, ?, ?)", rows
        )
    except sqlite3.IntegrityError as error:
        raise ReviewError(f"two rows share an id ({error}): review needs unique row ids") from None
    return len(rows)


def _filter_sql(filters: dict[str, Any]) -> tuple[str, list]:
    clauses, args = [], []
    for key in ("language", "method", "split"):
        if filters.get(key):
            clauses.append(f"i.{key} = ?")
            args.append(filters[key])
    if filters.get("label"):  # exact, not LIKE: "_" and "%" in a label are characters, not wildcards
        clauses.append("instr(i.labels, ?) > 0")
        args.append(f",{filters['label']},")
    if filters.get("min_score") is not None:
        clauses.append("i.score >= ?")
        args.append(float(filters["min_score"]))
    if filters.get("max_score") is not None:
        clauses.append("i.score <= ?")
        args.append(float(filters["max_score"]))
    return "".join(f" AND {c}" for c in clauses), args


def _split(labels: str) -> list[str]:
    return [label for label in labels.split(",") if label]
