"""Proof that a run's shards are whole: completion markers, and shard rows equal to what each task counted.

Every task of every pass leaves a completion marker (datatrove's ``completions/RANK``) and its counts
(``stats/RANK.json``). The last pass's writer counts the rows it wrote per split; the Parquet footer of
each shard says how many it holds. An intermediate pass's writer counts the records it wrote, and the
next pass's reader counts what it read back. Emit publishes only when all of this agrees.

Before a resumed run executes, tasks whose shards went missing or disagree with their counts lose
their markers (and every later pass loses its own), so they run again instead of poisoning the output.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from babelforge.errors import OutputError

WRITER = "shards"
RECORDS = "records"


@dataclass
class Audit:
    """What is missing or wrong, per pass name."""

    unfinished: dict[str, list[int]] = field(default_factory=dict)
    damaged: dict[str, dict[int, list[str]]] = field(default_factory=dict)

    def problems(self, name: str) -> list[str]:
        return [problem for found in self.damaged.get(name, {}).values() for problem in found]

    @property
    def ok(self) -> bool:
        return not self.unfinished and not self.damaged


def audit(plan) -> Audit:
    """Check every pass's markers and shards against the tasks' own counts."""
    result = Audit()
    for index, p in enumerate(plan.passes):
        logs = plan.logging_dir(index)
        missing = [rank for rank in range(p.tasks) if not (logs / "completions" / f"{rank:05d}").is_file()]
        if missing:
            result.unfinished[p.name] = missing
        last = index == len(plan.passes) - 1
        folder = plan.work_dir / "shards" / p.name
        damaged = {rank: found for rank in range(p.tasks) if rank not in missing
                   if (found := _shard_problems(logs, folder, rank, last))}  # fmt: skip
        if damaged:
            result.damaged[p.name] = damaged
    return result


def require_complete(plan) -> None:
    """Raise unless every task finished and every shard holds what its task wrote.

    Raises:
        OutputError: naming the unfinished tasks and the damaged shards; nothing is published.
    """
    found = audit(plan)
    if found.ok:
        _require_reads_match(plan)
        return
    parts = [f"pass {name}: task(s) {ranks[:10]} did not finish" for name, ranks in found.unfinished.items()]
    parts += [f"pass {name}: {'; '.join(found.problems(name)[:5])}" for name in found.damaged]
    raise OutputError(
        f"the run's shards are not complete ({'; '.join(parts)}); nothing was published and the previous "
        f"output, if any, is untouched: run the same command again to redo the missing work"
    )


def reset_damaged(plan) -> list[str]:
    """Clear the markers of tasks whose shards are damaged (and of every later pass); say what was reset."""
    found = audit(plan)
    notes = []
    first = None
    for index, p in enumerate(plan.passes):
        for rank in found.damaged.get(p.name, {}):
            (plan.logging_dir(index) / "completions" / f"{rank:05d}").unlink(missing_ok=True)
        if p.name in found.damaged:
            notes.append(f"pass {p.name}: {'; '.join(found.problems(p.name)[:5])}: those tasks run again")
            first = index if first is None else first
    if first is not None:
        for index in range(first + 1, len(plan.passes)):
            for marker in (plan.logging_dir(index) / "completions").glob("*"):
                marker.unlink()
    return notes


def _shard_problems(logs: Path, folder: Path, rank: int, last: bool) -> list[str]:
    counts = _writer_counts(logs, rank, WRITER if last else RECORDS)
    if counts is None:
        return [f"task {rank}: its counts (stats/{rank:05d}.json) are missing"]
    if not last:
        path = folder / f"{rank:05d}.jsonl.gz"
        expected = counts.get("total", 0)
        return [f"task {rank}: {path.name} is missing"] if expected and not path.is_file() else []
    problems = []
    splits = {key.removeprefix("split:"): n for key, n in counts.items() if key.startswith("split:")}
    for split, expected in splits.items():
        path = folder / split / f"{rank:05d}.parquet"
        held = _parquet_rows(path)
        if held is None:
            problems.append(f"task {rank}: {split}/{path.name} is missing or unreadable ({expected:,} rows written)")
        elif held != expected:
            problems.append(f"task {rank}: {split}/{path.name} holds {held:,} rows, its task wrote {expected:,}")
    for path in folder.glob(f"*/{rank:05d}.parquet"):
        if path.parent.name not in splits:
            problems.append(f"task {rank}: {path.parent.name}/{path.name} was not written by this attempt")
    return problems


def _writer_counts(logs: Path, rank: int, writer: str) -> dict[str, int] | None:
    from babelforge.stats import _total

    try:
        stats = json.loads((logs / "stats" / f"{rank:05d}.json").read_text())
    except (OSError, ValueError):
        return None
    for step in stats:
        if step.get("name", "").partition(": ")[2] == writer:
            return {key: _total(value) for key, value in step.get("stats", {}).items()}
    return {}


def _parquet_rows(path: Path) -> int | None:
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path).metadata.num_rows
    except (OSError, ValueError):
        return None


def _require_reads_match(plan) -> None:
    """Each pass after the first read back exactly what the pass before it wrote."""
    for index in range(1, len(plan.passes)):
        written = _pass_total(plan, index - 1, RECORDS, "total")
        read = _pass_total(plan, index, None, "documents")
        if written != read:
            raise OutputError(
                f"pass {plan.passes[index].name} read {read:,} records but pass {plan.passes[index - 1].name} wrote "
                f"{written:,}; nothing was published: remove {plan.work_dir} and run again"
            )


def _pass_total(plan, index: int, writer: str | None, key: str) -> int:
    from babelforge.stats import _total

    total = 0
    for path in (plan.logging_dir(index) / "stats").glob("*.json"):
        for step in json.loads(path.read_text()):
            name = step.get("name", "").partition(": ")[2]
            if (writer is None and name == plan.passes[index].steps[0].name) or name == writer:
                total += _total(step.get("stats", {}).get(key, 0))
                break
    return total
