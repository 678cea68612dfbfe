"""Run a validated manifest end to end: compile, execute (resuming), count, emit.

The work folder (``OUTPUT.work/``) holds the run's shards, task logs, completion markers and
progress. A rerun of the same manifest resumes from it: finished tasks are skipped. A changed
manifest (different rows would result), or a changed input file, starts afresh. Only one run writes
an output at a time, only where babelforge may write (see :mod:`babelforge.workspace`), and only
what the tasks proved they wrote is published (:mod:`babelforge.completeness`). The work folder is
removed once the output is in place.
"""

from __future__ import annotations

import contextlib
import json
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babelforge.errors import BabelforgeError, Interrupted, OutputError
from babelforge.inputs import assignment, changes, input_files, read_folders, snapshot
from babelforge.models import require_models
from babelforge.pipeline import Plan, compile_manifest, fingerprint
from babelforge.progress import StepProgress, read_progress
from babelforge.workspace import KEPT_ON_RESET, Workspace

POLL_S = 0.2


@dataclass
class RunResult:
    output: Path
    summary: dict[str, Any]
    timings: dict[str, float]
    resumed_tasks: int
    restarted: bool = False
    notes: list[str] = field(default_factory=list)


def prepare_work_dir(
    plan: Plan, workspace: Workspace | None = None, verify_inputs: bool = False
) -> tuple[int, list[str]]:
    """Reuse the work folder of an earlier attempt, or start it afresh.

    The earlier attempt's work is discarded when the manifest changed (different rows would result) or
    when an input file changed, appeared or disappeared since it was recorded.

    Returns:
        How many tasks an earlier attempt already finished, and why its work was discarded (empty
        when it was kept, or when there was none).
    """
    workspace = workspace or Workspace(plan.manifest.output.path)
    stamp = plan.work_dir / "fingerprint.json"
    current = {"fingerprint": fingerprint(plan.manifest), "manifest": plan.manifest.name}
    recorded = _read_json(stamp)
    identity = snapshot(plan.manifest, verify=verify_inputs)
    why: list[str] = []
    if recorded is not None:
        if recorded.get("fingerprint") != current["fingerprint"]:
            why.append("the manifest changed")
        why += changes(recorded.get("inputs", {}), identity)
    elif any(p.name not in KEPT_ON_RESET for p in plan.work_dir.iterdir()):
        why.append("the earlier attempt left no record of its inputs")
    if why:
        workspace.reset()
    record = current | {"inputs": identity, "assignment": assignment(plan.manifest)}
    if recorded is not None and not why and recorded.get("assignment") != record["assignment"]:
        why.append("the inputs were cut into tasks differently")
        workspace.reset()
    stamp.write_text(json.dumps(record, indent=1))
    return finished_tasks(plan), why


def finished_tasks(plan: Plan) -> int:
    """Tasks of every pass that left their completion marker."""
    return sum(len(list((plan.logging_dir(i) / "completions").glob("*"))) for i in range(len(plan.passes)))


def run_manifest(
    manifest,
    watch: Callable[[Plan, dict[int, StepProgress]], None] | None = None,
    keep_work: bool = False,
    overwrite: bool = False,
    protected: tuple[Path, ...] = (),
    verify_inputs: bool = False,
) -> RunResult:
    """Run ``manifest`` on its executor and write its output folder.

    Args:
        manifest: a validated manifest (see :func:`babelforge.manifest.load_manifest`).
        watch: called a few times a second with the live per-step progress.
        keep_work: keep the work folder (shards, logs) after success.
        overwrite: replace an output folder that babelforge did not make (never a protected one).
        protected: paths that must survive (the manifest file); the inputs are always protected.
        verify_inputs: hash every input file, not only the small ones, to know whether it changed.

    Raises:
        OutputError: the output path is not babelforge's to write, or the shards are not complete.
        OutputBusyError: another run is writing the same output.
        Interrupted: the user pressed Ctrl-C.
    """
    from babelforge.builders.readers.kept import not_kept_notes
    from babelforge.completeness import require_complete, reset_damaged
    from babelforge.emit import emit
    from babelforge.stats import collect_step_counts, drops_by_reason

    plan = compile_manifest(manifest)
    require_models(plan)  # a missing model stops the run here, before anything is written
    workspace = Workspace(manifest.output.path, protected=(*protected, *input_files(manifest)), overwrite=overwrite,
                          read_folders=read_folders(manifest))  # fmt: skip
    with workspace.open():
        notes = list(workspace.notes)
        _, why = prepare_work_dir(plan, workspace, verify_inputs)
        if why:
            notes.append(f"started afresh: {'; '.join(why)}")
        notes += reset_damaged(plan)
        resumed = finished_tasks(plan)
        started = time.perf_counter()
        try:
            _execute(plan, manifest.executor.use, watch)
        except KeyboardInterrupt:
            _stop_tasks()
            total = sum(p.tasks for p in plan.passes)
            raise Interrupted(
                f"interrupted: {finished_tasks(plan)} of {total} task(s) finished; "
                "rerun the same command to resume (finished tasks are kept)"
            ) from None
        executed = time.perf_counter()
        _require_inputs_unchanged(plan)
        require_complete(plan)
        steps = collect_step_counts([plan.logging_dir(i) for i in range(len(plan.passes))])
        step_dicts = [s.to_dict() for s in steps]
        notes += not_kept_notes(step_dicts)
        timings = {"execute": executed - started}
        timings.update({f"step {s.name}": s.seconds for s in steps})
        try:
            summary = emit(plan, step_dicts, drops_by_reason(steps), timings, workspace=workspace)
        except OSError as error:
            raise OutputError(
                f"could not write the output: {error.strerror or error} ({error.filename or workspace.work_dir}); "
                "nothing was published and any earlier output is untouched: free space (or fix permissions) "
                "and run the same command again, finished tasks are kept"
            ) from None
        timings["emit"] = time.perf_counter() - executed
        workspace.close(remove_work=not keep_work)
    return RunResult(workspace.output, summary, timings, resumed, bool(why), notes)


def _stop_tasks(grace_s: float = 5.0) -> None:
    """End this run's task processes (on Ctrl-C they got the signal too; on SIGTERM only we did)."""
    children = [c for name in ("multiprocess", "multiprocessing") if (mp := sys.modules.get(name))
                for c in mp.active_children()]  # fmt: skip
    for child in children:
        child.terminate()
    deadline = time.monotonic() + grace_s
    for child in children:
        child.join(max(deadline - time.monotonic(), 0.1))


def _require_inputs_unchanged(plan: Plan) -> None:
    """The inputs read during the run are still the ones recorded before it (sizes and times)."""
    recorded = _read_json(plan.work_dir / "fingerprint.json") or {}
    now = {path: {"size": e["size"], "mtime_ns": e["mtime_ns"]} for path, e in snapshot(plan.manifest).items()}
    before = {path: {"size": e["size"], "mtime_ns": e["mtime_ns"]} for path, e in recorded.get("inputs", {}).items()}
    changed = changes(before, now)
    if changed:
        raise OutputError(
            f"input files changed while the run read them ({'; '.join(changed[:3])}); nothing was published: "
            "run the same command again once they are final"
        )


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _execute(plan: Plan, use: str, watch) -> None:
    from babelforge.executors import _ensure_ray, run_executors

    if use == "ray":
        _ensure_ray(plan.manifest.executor.ray.address)
    errors: list[BaseException] = []
    log_path = plan.work_dir / "logs" / "executor.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    if watch is not None:  # the display starts (and takes the console) before stderr goes to the log
        watch(plan, read_progress(str(plan.progress_dir)))

    def target() -> None:
        try:
            run_executors(plan, use)
        except BaseException as error:  # noqa: BLE001 - handed to the calling thread
            errors.append(error)

    with open(log_path, "a") as log, contextlib.redirect_stderr(log):
        _log_to(log)
        thread = threading.Thread(target=target, name="babelforge-executor", daemon=True)
        thread.start()
        while thread.is_alive():
            thread.join(POLL_S)
            if watch is not None:
                watch(plan, read_progress(str(plan.progress_dir)))
    _reset_logging()
    if watch is not None:
        watch(plan, read_progress(str(plan.progress_dir)))
    if errors and isinstance(errors[0], OSError) and not isinstance(errors[0], BabelforgeError):
        error = errors[0]
        raise OutputError(
            f"a task could not read or write its files: {error.strerror or error} "
            f"({error.filename or plan.work_dir}); nothing was published: fix the cause (free space, "
            "permissions) and run the same command again, finished tasks are kept"
        ) from None
    if errors:
        raise errors[0]


def _log_to(stream) -> None:
    from loguru import logger

    logger.remove()
    logger.add(stream, level="INFO")


def _reset_logging() -> None:
    from loguru import logger

    logger.remove()
    logger.add(sys.stderr, level="WARNING")
