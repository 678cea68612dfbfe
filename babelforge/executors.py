"""Run compiled passes on datatrove's executors: local processes, a Ray cluster or Slurm.

Passes are chained with ``depends=``. Each executor keeps datatrove's completion markers in the run's
work folder, so a rerun after a crash or a ``kill -9`` skips the tasks that finished. Task logs go to
``<work>/logs/<pass>/logs/``; the console stays free for the progress display.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from datatrove.executor import LocalPipelineExecutor
from datatrove.executor.ray import RayPipelineExecutor
from datatrove.executor.slurm import SlurmPipelineExecutor

from babelforge.errors import BabelforgeError

if TYPE_CHECKING:
    from babelforge.pipeline import Plan

SLURM_POLL_S = 2.0
GC_YOUNG_THRESHOLD = 50_000


class _QuietTasks:
    """Tasks as babelforge runs them: console logging to the task's log file only (the CLI draws
    progress on the console), the cyclic garbage collector tuned for streams of records, and each
    task holding the run's task lock (:func:`babelforge.runlock.task_lock`) while it runs, so a run
    started after this one's parent died cannot write beside its orphaned tasks."""

    def _run_for_rank(self, rank: int, local_rank: int = 0, node_rank: int = -1):
        from babelforge.runlock import die_with_parent, task_lock

        if os.getpid() != self._owner_pid:  # a task process (one task alone runs in the run's own thread)
            die_with_parent()
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the tasks
        work_dir = Path(self.logging_dir.path).parents[1]
        with task_lock(work_dir), contextlib.redirect_stderr(io.StringIO()), _record_stream_gc():
            return super()._run_for_rank(rank, local_rank, node_rank)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._owner_pid = os.getpid()

    def save_executor_as_json(self, indent: int = 4) -> None:
        """Not written: datatrove's ``executor.json`` holds every setting expanded, environment values included."""


@contextlib.contextmanager
def _record_stream_gc():
    """Collect young objects less often while a task runs.

    A task allocates millions of short-lived, acyclic containers (records, token lists) while
    writers buffer thousands of rows; with CPython's default thresholds the collector rescans those
    buffers over and over. Reference counting frees the records; cycles are still collected.
    """
    thresholds = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


class LocalExecutor(_QuietTasks, LocalPipelineExecutor):
    """datatrove's local executor (a process pool), quiet on the console.

    A task stopped by an LLM outage (:mod:`babelforge.llm.outage`) does not take the pool down: its
    error is noted in the pass's logs (``outage/RANK.txt``), the other tasks run to their end (and are
    kept), and the pass raises the outage once they are done, before any pass that depends on it starts.
    Other errors stop the pool at once, as datatrove does. (Only here: a Slurm or Ray task that ended
    without its completion marker must fail, or the passes that depend on it would start.)
    """

    def _run_for_rank(self, rank: int, local_rank: int = 0, node_rank: int = -1):
        from datatrove.utils.stats import PipelineStats

        from babelforge.llm.outage import LLMOutageError

        note = _outage_note(rank)
        if self.logging_dir.isfile(note):
            self.logging_dir.rm_file(note)
        try:
            return super()._run_for_rank(rank, local_rank, node_rank)
        except LLMOutageError as error:
            with self.logging_dir.open(note, "wt") as file:
                file.write(str(error))
            return PipelineStats()

    def run(self):
        stats = super().run()
        missing = self.get_incomplete_ranks(skip_completed=True)
        notes = [rank for rank in missing if self.logging_dir.isfile(_outage_note(rank))]
        if notes:
            from babelforge.llm.outage import LLMOutageError

            with self.logging_dir.open(_outage_note(notes[0]), "rt") as file:
                why = file.read().strip()
            kept = self.world_size - len(missing)
            tasks = f" [{len(notes)} of {self.world_size} tasks stopped so; {kept} finished and kept]"
            raise LLMOutageError(why + (tasks if self.world_size > 1 else ""))
        return stats


def _outage_note(rank: int) -> str:
    return f"outage/{rank:05d}.txt"


class RayExecutor(_QuietTasks, RayPipelineExecutor):
    """datatrove's Ray executor, quiet on the console."""


class SlurmExecutor(_QuietTasks, SlurmPipelineExecutor):
    """datatrove's Slurm executor, quiet on the console."""


def build_executors(plan: Plan, use: str) -> list:
    """One datatrove executor per pass, each depending on the one before."""
    settings = getattr(plan.manifest.executor, use)
    executors: list = []
    for index, p in enumerate(plan.passes):
        common = {
            "pipeline": p.steps,
            "tasks": p.tasks,
            "workers": settings.workers,
            "logging_dir": str(plan.logging_dir(index)),
            "depends": executors[-1] if executors else None,
        }
        executors.append(_make(use, settings, common, plan, index))
    return executors


def _make(use: str, settings, common: dict, plan: Plan, index: int):
    if use == "local":
        return LocalExecutor(**common, start_method=_start_method())
    if use == "ray":
        return RayExecutor(
            **common,
            cpus_per_task=settings.cpus_per_task,
            gpus_per_task=settings.gpus_per_task,
            mem_per_cpu_gb=settings.mem_per_cpu_gb,
        )
    return SlurmExecutor(
        **common,
        partition=settings.partition,
        time=settings.time,
        cpus_per_task=settings.cpus_per_task,
        gpus_per_task=settings.gpus_per_task,
        mem_per_cpu_gb=settings.mem_per_cpu_gb,
        job_name=f"{settings.job_name or plan.manifest.name}-{plan.passes[index].name}",
        sbatch_args=_sbatch_args(settings.sbatch),
        env_command=settings.env_command or f"source {os.path.join(sys.prefix, 'bin', 'activate')}",
        qos="",
        mail_type="NONE",
    )


def _start_method() -> str:
    """forkserver, unless the main script cannot be re-imported by the workers (``python -`` or ``-c``)."""
    main = getattr(sys.modules.get("__main__"), "__file__", None)
    return "forkserver" if main is None or os.path.isfile(main) else "fork"


def _sbatch_args(lines: list[str]) -> dict[str, str]:
    args = {}
    for line in lines:
        key, _, value = line.strip().removeprefix("#SBATCH").strip().removeprefix("--").partition("=")
        args[key] = value
    return args


def run_executors(plan: Plan, use: str) -> None:
    """Run every pass to completion (blocking), skipping tasks already completed."""
    executors = build_executors(plan, use)
    if use == "ray":
        _ensure_ray(plan.manifest.executor.ray.address)
    if use == "slurm":
        _require_slurm()
        try:
            executors[-1].launch_job()
        except subprocess.CalledProcessError as error:
            log = plan.work_dir / "logs" / "executor.log"
            raise BabelforgeError(
                f"sbatch refused the job (exit {error.returncode}); its message is at the end of {log}. "
                "Check executor.slurm (partition, time, memory, sbatch lines)"
            ) from None
        _wait_for_slurm(executors)
        return
    executors[-1].run()
    _raise_if_incomplete(executors)


def _raise_if_incomplete(executors: list) -> None:
    for executor in executors:
        missing = executor.get_incomplete_ranks(skip_completed=True)
        if missing:
            logs = executor.logging_dir.resolve_paths("logs")
            raise BabelforgeError(
                f"{len(missing)} task(s) did not finish (ranks {missing[:10]}): see the task logs in {logs}; "
                "fix the cause and run again: finished tasks are kept"
            )


def _ensure_ray(address: str | None) -> None:
    try:
        import ray
    except ImportError:
        from babelforge.errors import MissingDependencyError

        raise MissingDependencyError("the ray executor", ["ray"], "ray") from None
    if ray.is_initialized():
        return
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
    except (ConnectionError, RuntimeError, ValueError) as error:
        where = address or os.environ.get("RAY_ADDRESS") or "a new local Ray"
        raise BabelforgeError(
            f"could not connect to Ray at {where}: {str(error).splitlines()[0]}. Check executor.ray.address "
            "(or RAY_ADDRESS) and that the cluster runs (`ray status`); leave both unset to start a local Ray"
        ) from None


def _require_slurm() -> None:
    if shutil.which("sbatch") is None:
        raise BabelforgeError("the slurm executor needs 'sbatch' on PATH: run on a Slurm login node")


def _wait_for_slurm(executors: list) -> None:
    """Poll until every pass's tasks are complete; fail when the jobs are gone and some are not."""
    while True:
        incomplete = [e for e in executors if e.get_incomplete_ranks(skip_completed=True)]
        if not incomplete:
            return
        if not _slurm_jobs_alive([e.job_id for e in executors]):
            time.sleep(SLURM_POLL_S)  # markers are written just before a job leaves the queue
            if any(e.get_incomplete_ranks(skip_completed=True) for e in executors):
                _raise_if_incomplete(executors)
            return
        time.sleep(SLURM_POLL_S)


def _slurm_jobs_alive(job_ids: list) -> bool:
    ids = [str(j) for j in job_ids if j not in (None, -1)]
    if not ids:
        return False
    out = subprocess.run(["squeue", "-h", "-j", ",".join(ids), "-o", "%i"], capture_output=True, text=True)
    return bool(out.stdout.strip())
