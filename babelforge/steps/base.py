"""The family base of every record-level step: it owns the loop, the batching and the counting.

A subclass writes one hook, :meth:`RecordStep.process` (one record in, the record or a :class:`Drop`
out), or :meth:`RecordStep.process_batch` for batched model calls. The base counts records in, kept
and dropped per reason into datatrove's stats (so they reach the run summary and
``provenance.json``), and writes dropped records to a rejects shard when the output asks for it:
``rejects/NN-STEP-RANK.jsonl``, ``NN`` the step's position in the manifest, so two steps of one kind
keep separate files. A task in which records were dropped because an LLM endpoint was down stops when
it ends (:mod:`babelforge.llm.outage`), unless the step's ``llm`` options say ``on_outage: drop``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from typing import ClassVar, NamedTuple

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from babelforge.records import add_lineage

DROPPED = "dropped"


class Drop(NamedTuple):
    """What :meth:`RecordStep.process` returns for a record it rejects."""

    reason: str
    detail: str = ""


class RecordStep(PipelineStep):
    """Base class for steps that look at records one by one (or in batches).

    Class attributes:
        reads: metadata keys the step reads (documentation and plan output).
        writes: metadata keys the step writes.
        batch_size: records handed to :meth:`process_batch` at once.
    """

    type = "🔧 - STEP"
    reads: ClassVar[tuple[str, ...]] = ()
    writes: ClassVar[tuple[str, ...]] = ()
    batch_size: ClassVar[int] = 1

    def __init__(self) -> None:
        super().__init__()
        self.rejects_folder: str | None = None
        #: The step's position in the manifest's ``steps`` (1-based), set by the compiler; it prefixes
        #: the rejects file's name.
        self.rejects_position: int | None = None

    def process(self, doc: Document) -> Document | Drop:
        """Return ``doc`` (changed or not) or a :class:`Drop` with a reason."""
        raise NotImplementedError

    def process_batch(self, docs: list[Document]) -> list[Document | Drop]:
        """Batched form of :meth:`process`; override for model calls."""
        return [self.process(doc) for doc in docs]

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        position = None if self.rejects_position is None else f"{self.rejects_position:02d}"
        rejects = RejectsFile(self.rejects_folder, self.name, rank, position)
        self._outage, self._outages, seen = None, 0, 0  # the first drop of an endpoint that was down, how many
        try:
            for batch in _batches(data or (), self.batch_size):
                self.stat_update("in", value=len(batch))
                seen += len(batch)
                with self.track_time(unit="batch" if self.batch_size > 1 else None):
                    results = self.process_batch(batch)
                yield from self._sort(batch, results, rejects)
        finally:
            rejects.close()
        if self._outages and getattr(getattr(self, "llm", None), "on_outage", "stop") == "stop":
            from babelforge.llm.outage import outage_error

            first = self._outage
            raise outage_error(self.name, self.outage_endpoint(first), self._outages, seen, *first)

    def outage_endpoint(self, drop: Drop) -> str | None:
        """The ``openai:MODEL@BASE_URL`` spec whose outage caused ``drop`` (named in the error that stops the task)."""
        model = getattr(self, "model", None)
        return model if isinstance(model, str) else None

    def _sort(self, batch: list[Document], results: list[Document | Drop], rejects: RejectsFile) -> Iterator[Document]:
        kept = []
        for doc, result in zip(batch, results, strict=True):
            if isinstance(result, Drop):
                self.stat_update(DROPPED, f"{DROPPED}:{result.reason}")
                rejects.write(doc, result)
                if result.reason.startswith(_OUTAGE_PREFIXES) and _is_outage(result.reason):
                    self._outage, self._outages = self._outage or result, self._outages + 1
            else:
                kept.append(result)
        if kept:
            self.stat_update("kept", value=len(kept))
        yield from kept

    def note(self, doc: Document, **details) -> None:
        """Record in the document's lineage that this step changed it."""
        add_lineage(doc.metadata, self.name, **details)


#: Drop reasons that may be an LLM endpoint's outage (checked against :data:`babelforge.llm.outage.OUTAGE`).
_OUTAGE_PREFIXES = ("llm_", "judge_")


def _is_outage(reason: str) -> bool:
    from babelforge.llm.outage import OUTAGE

    return reason in OUTAGE


def _batches(data: Iterable[Document], size: int) -> Iterator[list[Document]]:
    batch: list[Document] = []
    for doc in data:
        batch.append(doc)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class RejectsFile:
    """Dropped records of one step and rank as JSON lines, opened on the first reject.

    The file is ``FOLDER/[POSITION-]STEP-RANK.jsonl``. Rows go to a hidden temporary file that
    replaces the named one on :meth:`close`, so a task that is run again replaces its rejects
    instead of adding to them, and a task that died leaves no half-written file under the name.

    Args:
        folder: where rejects go (``None``: nowhere; writes are ignored).
        step: the step's name.
        rank: the task's rank.
        position: the step's place in the manifest (``"03"``, ``"source0"``), to tell same-named steps apart.
    """

    def __init__(self, folder: str | None, step: str, rank: int, position: str | None = None):
        name = f"{position}-{slug(step)}" if position else slug(step)
        self.path = os.path.join(folder, f"{name}-{rank:05d}.jsonl") if folder else None
        self._file = None

    def write(self, doc: Document, drop: Drop) -> None:
        self.write_row(
            {"id": doc.id, "text": doc.text, "reason": drop.reason, "detail": drop.detail, "metadata": doc.metadata}
        )

    def write_row(self, row: dict) -> None:
        """Write any JSON-able row (readers reject raw lines, not records)."""
        if self.path is None:
            return
        if self._file is None:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            self._file = open(self._partial, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self._file.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
            os.replace(self._partial, self.path)

    @property
    def _partial(self) -> str:
        folder, name = os.path.split(self.path)
        return os.path.join(folder, f".{name}.partial")


def slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name).strip("_").lower()
