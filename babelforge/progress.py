"""Live progress across tasks and processes, through small files in the run's work folder.

A :class:`ProgressTap` after each step counts the records that pass and, a few times a second,
writes ``<rank>-<step>.json``. This works the same on every executor (local processes, Ray workers,
Slurm jobs on a shared file system). :func:`read_progress` sums the files for the display.
"""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from dataclasses import dataclass

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

PUBLISH_EVERY_S = 0.5


class ProgressTap(PipelineStep):
    """Count records passing this point of the pipeline and publish the count.

    Args:
        folder: the run's progress folder.
        index: the position of the step it follows (for ordering the display).
        label: what the display calls the step.
        readers: reader steps whose ``position`` (characters read) estimates the fraction done.
    """

    type = "📊 - PROGRESS"
    name = "progress"

    def __init__(self, folder: str, index: int, label: str, readers: tuple = ()):
        super().__init__()
        self.folder, self.index, self.label, self.readers = folder, index, label, readers

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        path = os.path.join(self.folder, f"{rank:05d}-{self.index:02d}.json")
        os.makedirs(self.folder, exist_ok=True)
        count, last = 0, 0.0
        for doc in data or ():
            count += 1
            if count & 1023 == 0 and (now := time.monotonic()) - last > PUBLISH_EVERY_S:
                self._publish(path, count, done=False)
                last = now
            yield doc
        self._publish(path, count, done=True)

    def _publish(self, path: str, count: int, done: bool) -> None:
        state = {"label": self.label, "records": count, "position": sum(r.position for r in self.readers), "done": done}
        partial = f"{path}.{os.getpid()}"
        with open(partial, "w") as f:
            json.dump(state, f)
        os.replace(partial, path)


@dataclass
class StepProgress:
    label: str
    records: int = 0
    position: int = 0
    tasks_done: int = 0


def read_progress(folder: str) -> dict[int, StepProgress]:
    """Sum every task's published progress, per step index."""
    totals: dict[int, StepProgress] = {}
    positions: dict[int, dict[str, int]] = defaultdict(dict)
    if not os.path.isdir(folder):
        return totals
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".json"):
            continue
        rank, index = name[:-5].split("-")
        try:
            with open(os.path.join(folder, name)) as f:
                state = json.load(f)
        except (OSError, ValueError):
            continue  # being replaced right now; read it next time
        step = totals.setdefault(int(index), StepProgress(state["label"]))
        step.records += state["records"]
        step.tasks_done += bool(state["done"])
        positions[int(index)][rank] = state["position"]
    for index, by_rank in positions.items():
        totals[index].position = sum(by_rank.values())
    return dict(sorted(totals.items()))
