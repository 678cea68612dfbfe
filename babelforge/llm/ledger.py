"""Tokens and money spent on LLM calls, with a budget that is a hard limit.

Each request *reserves* its worst-case cost (its prompt tokens, bounded, plus its ``max_tokens``)
before it is sent and *settles* at its real cost afterwards; a request whose reservation does not
fit under ``max_budget`` beside what is spent and what is in flight is not sent. So the spend never
crosses the budget, whatever the concurrency, as long as an endpoint bills no more than the worst
case (it cannot bill more completion tokens than ``max_tokens``).

The budget lives in memory (one process) or, with ``budget_file``, in a small SQLite file that all the
tasks of a run share (``OUTPUT.work/llm/``): then it holds for the run, across tasks and processes on
one machine or on a shared file system, and across a resumed attempt. A reservation whose process
died (killed, say) counts as spent at its worst case: its request was sent and may have been billed.
A reservation held for a batch (``label``) is kept instead, for the rerun that collects the batch.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from babelforge.errors import BabelforgeError
from babelforge.runlock import process_alive

#: A reservation older than this (its process gone unseen, on another host) is counted as spent.
STALE_S = 6 * 3600


class BudgetExceededError(BabelforgeError):
    """The ledger's ``max_budget`` is spent: no further request is sent."""


class _MemoryBudget:
    def __init__(self) -> None:
        self.spent = 0.0
        self.reservations: dict[int, float] = {}
        self.labels: dict[str, int] = {}
        self._next = 0
        self._lock = threading.Lock()

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_lock"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def reserve(self, amount: float, limit: float, label: str | None = None) -> tuple[int | None, float, float]:
        with self._lock:
            held = sum(self.reservations.values())
            if self.spent + held + amount > limit:
                return None, self.spent, held
            self._next += 1
            self.reservations[self._next] = amount
            if label is not None:
                self.labels[label] = self._next
            return self._next, self.spent, held

    def adopt(self, label: str) -> int | None:
        with self._lock:
            token = self.labels.get(label)
            return token if token in self.reservations else None

    def settle(self, token: int, cost: float) -> None:
        with self._lock:
            self.reservations.pop(token, None)
            self.spent += cost

    def totals(self) -> tuple[float, float]:
        with self._lock:
            return self.spent, sum(self.reservations.values())


class SharedBudget:
    """Spend and reservations in one SQLite file, shared by every process that opens it."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def __getstate__(self) -> dict:
        return {"path": self.path}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["path"])

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            # One immediate transaction: autocommit statements that read and then write can be refused at once
            # ("database is locked", no busy wait) when the tasks of a run open the file together.
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("CREATE TABLE IF NOT EXISTS spent (one INTEGER PRIMARY KEY CHECK (one = 1), usd REAL)")
                db.execute("INSERT OR IGNORE INTO spent VALUES (1, 0.0)")
                db.execute(
                    "CREATE TABLE IF NOT EXISTS reserved "
                    "(id INTEGER PRIMARY KEY, host TEXT, pid INTEGER, usd REAL, at REAL, label TEXT)"
                )
                columns = {row[1] for row in db.execute("PRAGMA table_info(reserved)")}
                if "label" not in columns:  # a budget file of an earlier version
                    db.execute("ALTER TABLE reserved ADD COLUMN label TEXT")
            except BaseException:
                db.execute("ROLLBACK")
                db.close()
                raise
            db.execute("COMMIT")
            self._db = db
        return self._db

    def _transaction(self, work):
        with self._lock:
            db = self.db
            db.execute("BEGIN IMMEDIATE")
            try:
                result = work(db)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            return result

    def reserve(self, amount: float, limit: float, label: str | None = None) -> tuple[int | None, float, float]:
        def work(db):
            self._expire(db)
            spent = db.execute("SELECT usd FROM spent").fetchone()[0]
            held = db.execute("SELECT COALESCE(SUM(usd), 0) FROM reserved").fetchone()[0]
            if spent + held + amount > limit:
                return None, spent, held
            row = db.execute(
                "INSERT INTO reserved (host, pid, usd, at, label) VALUES (?, ?, ?, ?, ?)",
                (socket.gethostname(), os.getpid(), amount, time.time(), label),
            )
            return row.lastrowid, spent, held

        return self._transaction(work)

    def adopt(self, label: str) -> int | None:
        """Take over the reservation held under ``label`` by this process or a dead one on this host."""

        def work(db):
            rows = db.execute("SELECT id, host, pid FROM reserved WHERE label = ?", (label,)).fetchall()
            for token, owner, pid in rows:
                if owner == socket.gethostname() and (pid == os.getpid() or not process_alive(pid)):
                    db.execute("UPDATE reserved SET pid = ? WHERE id = ?", (os.getpid(), token))
                    return token
            return None

        return self._transaction(work)

    def settle(self, token: int, cost: float) -> None:
        """Spend ``cost`` for reservation ``token``; nothing when it expired already (charged at its worst case)."""

        def work(db):
            if db.execute("DELETE FROM reserved WHERE id = ?", (token,)).rowcount:
                db.execute("UPDATE spent SET usd = usd + ?", (cost,))

        self._transaction(work)

    def totals(self) -> tuple[float, float]:
        def work(db):
            self._expire(db)
            spent = db.execute("SELECT usd FROM spent").fetchone()[0]
            return spent, db.execute("SELECT COALESCE(SUM(usd), 0) FROM reserved").fetchone()[0]

        return self._transaction(work)

    @staticmethod
    def _expire(db) -> None:
        """Reservations of processes that died on this host count as spent at their worst case: their
        requests were sent and may have been billed. A batch's (``label``) stays held for the rerun that
        collects it. Old reservations from anywhere count as spent at their worst case too."""
        host = socket.gethostname()
        rows = db.execute("SELECT id, pid, usd FROM reserved WHERE host = ? AND label IS NULL", (host,))
        for token, pid, usd in rows.fetchall():
            if not process_alive(pid):
                db.execute("DELETE FROM reserved WHERE id = ?", (token,))
                db.execute("UPDATE spent SET usd = usd + ?", (usd,))
        stale = time.time() - STALE_S
        old = db.execute("SELECT COALESCE(SUM(usd), 0) FROM reserved WHERE at < ?", (stale,)).fetchone()[0]
        if old:
            db.execute("UPDATE spent SET usd = usd + ?", (old,))
            db.execute("DELETE FROM reserved WHERE at < ?", (stale,))


@dataclass
class Ledger:
    """Counts per client. ``prices`` maps a model to USD per million (input, output) tokens.

    ``estimated`` counts the requests whose usage the endpoint did not give, or gave implausibly low
    (``implausible_usage`` of them: counted with the model's tokenizer, see :mod:`babelforge.llm.tokens`);
    ``estimated_cost`` is their share of ``cost``. ``notes`` say what the client gave up on (a batch).
    """

    prices: dict[str, tuple[float, float]] = field(default_factory=dict)
    max_budget: float | None = None
    budget_file: str | None = None
    requests: int = 0
    cached: int = 0
    estimated: int = 0
    implausible_usage: int = 0
    failures: dict[str, int] = field(default_factory=dict)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    estimated_cost: float = 0.0
    notes: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _budget: _MemoryBudget | SharedBudget | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._budget = SharedBudget(self.budget_file) if self.budget_file else _MemoryBudget()

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_lock"] = None
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def price(self, model: str, prompt_tokens: int, completion_tokens: int, discount: float = 1.0) -> float:
        price_in, price_out = self.prices.get(model, (0.0, 0.0))
        return (prompt_tokens * price_in + completion_tokens * price_out) / 1e6 * discount

    @property
    def spent(self) -> float:
        """What the whole budget (every process sharing it) has spent so far."""
        return self._budget.totals()[0]

    def reserve(self, amount: float, label: str | None = None) -> int | None:
        """Hold ``amount`` USD for a request about to be sent (``label``: a batch's, see :meth:`adopt`).

        Returns:
            A token for :meth:`settle`, or ``None`` when it does not fit now but requests in flight may
            free room once they settle (wait, then ask again).

        Raises:
            BudgetExceededError: when it cannot fit even once everything in flight has settled.
        """
        if self.max_budget is None:
            return 0
        token, spent, held = self._budget.reserve(amount, self.max_budget, label)
        if token is not None:
            return token
        if amount > self.max_budget:
            raise BudgetExceededError(
                f"LLM max_budget {self.max_budget:.4f} USD is below one request's worst case ({amount:.4f} USD: its "
                "prompt plus max_tokens at price_in / price_out): raise max_budget or lower max_tokens"
            )
        if held <= 0 or spent + amount > self.max_budget:
            raise BudgetExceededError(
                f"LLM budget spent: {spent:.4f} USD of max_budget {self.max_budget:.4f} USD after "
                f"{self.requests} request(s) here; the next request could cost up to {amount:.4f} USD. "
                "Raise max_budget (or lower max_tokens) to go on; answers so far are cached"
            )
        return None

    def adopt(self, label: str) -> int | None:
        """The token of a reservation held under ``label`` by this process or a dead one (a killed run's
        batch, collected now), or ``None``: then reserve anew."""
        return None if self.max_budget is None else self._budget.adopt(label)

    def settle(self, token: int, model: str, prompt: int, completion: int, estimated: bool, discount: float = 1.0):
        """Record a sent request at its real (or estimated) cost and release its reservation."""
        cost = self.price(model, prompt, completion, discount)
        if self.max_budget is not None:
            self._budget.settle(token, cost)
        with self._lock:
            self.requests += 1
            self.prompt_tokens += prompt
            self.completion_tokens += completion
            self.cost += cost
            if estimated:
                self.estimated += 1
                self.estimated_cost += cost

    def settle_many(self, token: int, model: str, items: list[tuple[int, int, bool]], discount: float = 1.0):
        """Settle one reservation made for many requests (a batch): ``(prompt, completion, estimated)`` each."""
        costs = [self.price(model, p, c, discount) for p, c, _ in items]
        if self.max_budget is not None:
            self._budget.settle(token, sum(costs))
        with self._lock:
            self.requests += len(items)
            self.prompt_tokens += sum(p for p, _, _ in items)
            self.completion_tokens += sum(c for _, c, _ in items)
            self.cost += sum(costs)
            self.estimated += sum(1 for _, _, e in items if e)
            self.estimated_cost += sum(c for c, (_, _, e) in zip(costs, items, strict=True) if e)

    def release(self, token: int) -> None:
        """A request that was refused before the endpoint did any work costs nothing."""
        if self.max_budget is not None:
            self._budget.settle(token, 0.0)

    def record(self, model: str, prompt_tokens: int, completion_tokens: int, estimated: bool = False) -> None:
        """Count a request that reserved nothing (no budget)."""
        self.settle(0, model, prompt_tokens, completion_tokens, estimated)

    def fail(self, reason: str) -> None:
        with self._lock:
            self.failures[reason] = self.failures.get(reason, 0) + 1

    def hit(self) -> None:
        with self._lock:
            self.cached += 1

    def distrust(self) -> None:
        """Count an answer whose reported usage was implausible (it is then counted, and estimated)."""
        with self._lock:
            self.implausible_usage += 1

    def note(self, text: str) -> None:
        with self._lock:
            self.notes.append(text)

    def to_dict(self) -> dict:
        return {
            "requests": self.requests,
            "cached": self.cached,
            "failures": dict(self.failures),
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost_usd": round(self.cost, 6),
            "estimated_requests": self.estimated,
            "estimated_cost_usd": round(self.estimated_cost, 6),
            "implausible_usage": self.implausible_usage,
            "notes": list(self.notes),
        }
