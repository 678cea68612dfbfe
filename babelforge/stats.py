"""What a run counted: per step, records in, kept and dropped per reason, and time spent.

Steps count through datatrove's stats; each task saves them under ``<logging_dir>/stats/``. Summing
those files (finished tasks from earlier attempts included) gives the whole run's account.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

SKIPPED_STEPS = {"progress"}


@dataclass
class StepCounts:
    """One step's account."""

    name: str
    kind: str
    counts: dict[str, int | float] = field(default_factory=dict)
    drops: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "type": self.kind,
            "counts": self.counts,
            "drops": self.drops,
            "seconds": round(self.seconds, 3),
        }


def collect_step_counts(logging_dirs: list[Path]) -> list[StepCounts]:
    """Sum the per-task stats of every pass, in pipeline order, without the progress taps."""
    from datatrove.utils.stats import PipelineStats

    steps: list[StepCounts] = []
    for folder in logging_dirs:
        total = PipelineStats()
        for path in sorted((folder / "stats").glob("*.json")):
            total += PipelineStats.from_json(json.loads(path.read_text()))
        for stat in total.stats:
            kind, _, name = stat.name.partition(": ")
            if name in SKIPPED_STEPS:
                continue
            values = {k: _total(v) for k, v in stat.stats.items() if k != "doc_len"}
            counts = {k: v for k, v in values.items() if not k.startswith("dropped")}
            drops = {k.removeprefix("dropped:"): v for k, v in values.items() if k.startswith("dropped:")}
            steps.append(StepCounts(name, kind.split(" - ")[-1].lower(), counts, drops, stat.time_stats.total))
    return steps


def _total(value) -> int | float:
    """A stat's total: an int for counts, a float where the step counted fractions (``llm_usd``)."""
    # datatrove saves a stat updated once with value 1 as a bare number
    if isinstance(value, int | float):
        total = value
    elif isinstance(value, dict):
        total = value.get("total", 0)
    else:
        total = value.total
    return int(total) if float(total).is_integer() else round(float(total), 6)


def drops_by_reason(steps: list[StepCounts]) -> dict[str, int]:
    """All drops of the run, as ``{"step: reason": count}``."""
    return {f"{s.name}: {reason}": n for s in steps for reason, n in s.drops.items()}
