"""Compile a manifest into datatrove pipelines: readers, steps and a shard writer, per pass.

A manifest becomes one pass (``reader(s) -> steps -> ShardWriter``) unless a step is a *barrier*
(it needs every record of the previous pass first: an index, a global dedup). Each barrier starts a
new pass that reads the previous pass's records back; at run time the passes are chained executors
with ``depends=``. A :class:`ProgressTap` follows every step so the CLI can show live progress.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from babelforge.progress import ProgressTap
from babelforge.shards import RecordJsonlReader, RecordJsonlWriter, ShardWriter

if TYPE_CHECKING:
    from datatrove.pipeline.base import PipelineStep

    from babelforge.manifest import ManifestBase


@dataclass(frozen=True)
class BuildContext:
    """What a step's ``build()`` may need to know about the run."""

    manifest: ManifestBase
    work_dir: Path

    @property
    def seed(self) -> int:
        return self.manifest.seed

    @property
    def languages(self):
        return self.manifest.languages


@dataclass
class Pass:
    """One datatrove pipeline and its task count; passes after the first depend on the one before."""

    name: str
    steps: list[PipelineStep]
    tasks: int


@dataclass
class Plan:
    """The compiled run: passes, the work folder and where the last pass writes its shards."""

    manifest: ManifestBase
    work_dir: Path
    passes: list[Pass]
    input_size: int

    @property
    def shards_dir(self) -> Path:
        return self.work_dir / "shards" / self.passes[-1].name

    @property
    def progress_dir(self) -> Path:
        return self.work_dir / "progress"

    def logging_dir(self, index: int) -> Path:
        return self.work_dir / "logs" / self.passes[index].name

    def describe(self) -> list[str]:
        """Human-readable lines: passes, steps with the metadata they read and write and the models they
        name (found, or missing and how to get them), output."""
        m = self.manifest
        lines = [f"manifest {m.name} v{m.version}: {len(m.sources)} source(s), {len(m.step_settings)} step(s)"]
        for i, p in enumerate(self.passes):
            after = f", after pass {self.passes[i - 1].name}" if i else ""
            lines.append(f"pass {p.name}: {p.tasks} task(s){after}")
            for step in p.steps:
                if isinstance(step, ProgressTap):
                    continue
                io = _reads_writes(step)
                lines.append(f"  {step.type.split(' - ')[-1].lower():<8} {step.name}{io}")
                lines += [f"           {check.describe()}" for check in getattr(step, "model_checks", ())]
        lines.append(f"output: {m.output.path} ({m.output.kind}, {m.output.format}, config {m.output.config!r})")
        lines.append(f"executor: {m.executor.use}; work folder: {self.work_dir}")
        from babelforge.models import model_checks

        missing = sorted({check.name for check in model_checks(self) if check.error is not None})
        if missing:
            lines.append(f"missing model(s): {', '.join(missing)}: a run stops before any work until they are at hand")
        return lines


def _reads_writes(step) -> str:
    reads, writes = getattr(step, "reads", ()), getattr(step, "writes", ())
    parts = ([f"reads {', '.join(reads)}"] if reads else []) + ([f"writes {', '.join(writes)}"] if writes else [])
    return f"  ({'; '.join(parts)})" if parts else ""


def work_dir_for(output: str | os.PathLike) -> Path:
    """The folder beside the output where a run keeps its shards, logs and progress until it ends."""
    output = Path(os.path.abspath(os.path.expanduser(output)))
    return output.with_name(output.name + ".work")


def fingerprint(manifest: ManifestBase) -> str:
    """A hash of everything that decides the output's rows (not where or on what it runs)."""
    data = manifest.model_dump(mode="json", exclude={"executor"})
    data.pop("output", None)
    out = manifest.output.model_dump(mode="json", exclude={"path"})
    tasks = getattr(manifest.executor, manifest.executor.use).tasks
    blob = json.dumps([data, out, tasks, [s.model_dump(mode="json") for s in manifest.step_settings]], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def compile_manifest(manifest: ManifestBase, work_dir: Path | None = None) -> Plan:
    """Build the passes for ``manifest``; nothing is read or loaded yet."""
    work_dir = Path(work_dir or work_dir_for(manifest.output.path))
    ctx = BuildContext(manifest, work_dir)
    tasks = getattr(manifest.executor, manifest.executor.use).tasks
    progress = str(work_dir / "progress")
    readers = tuple(source.reader(i) for i, source in enumerate(manifest.sources))
    for reader in readers if manifest.output.write_rejects else ():
        if hasattr(reader, "rejects_folder"):  # a file reader: rejects/sourceN-...
            reader.rejects_folder = str(work_dir / "rejects")
    steps: list = list(readers)
    steps.append(ProgressTap(progress, 0, "read", readers))
    passes: list[Pass] = []
    index = 1
    for settings in manifest.step_settings:
        if settings.barrier:
            passes.append(_close_pass(len(passes), steps, ctx, tasks, intermediate=True))
            steps = [_pass_reader(work_dir, len(passes) - 1)]
        built = settings.build(ctx)
        for stage, step in enumerate(built if isinstance(built, list) else [built]):
            if stage:  # a further stage of a multi-pass step: its own pass, after the one before
                passes.append(_close_pass(len(passes), steps, ctx, tasks, intermediate=True))
                steps = [_pass_reader(work_dir, len(passes) - 1)]
            if hasattr(step, "rejects_folder") and manifest.output.write_rejects:
                step.rejects_folder = str(work_dir / "rejects")
                step.rejects_position = index  # rejects/NN-STEP-RANK.jsonl: same-kind steps keep apart
            steps.append(step)
        steps.append(ProgressTap(progress, index, settings.kind, readers))
        index += 1
    passes.append(_close_pass(len(passes), steps, ctx, tasks, intermediate=False))
    return Plan(manifest, work_dir, passes, input_size=_input_size(manifest))


def _close_pass(number: int, steps: list, ctx: BuildContext, tasks: int, intermediate: bool) -> Pass:
    name = f"p{number + 1}"
    folder = ctx.work_dir / "shards" / name
    if intermediate:
        steps.append(RecordJsonlWriter(str(folder), output_filename="${rank}.jsonl.gz"))
    else:
        out = ctx.manifest.output
        steps.append(ShardWriter(str(folder), out.kind, out.tag_scheme, out.splits, out.columns))
    return Pass(name, steps, tasks)


def _pass_reader(work_dir: Path, previous: int) -> PipelineStep:
    return RecordJsonlReader(str(work_dir / "shards" / f"p{previous + 1}"))


def _input_size(manifest: ManifestBase) -> int:
    from babelforge.builders.readers.files import path_matches

    total = 0
    for source in manifest.sources:
        for path in path_matches(source.path):
            if os.path.isfile(path):
                total += os.path.getsize(path)
            else:
                total += sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())
    return total
