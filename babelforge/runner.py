"""Run a validated manifest end to end: compile, execute (resuming), count, emit.

The work folder (``OUTPUT.work/``) holds the run's shards, task logs, completion markers and
progress. A rerun of the same manifest resumes from it: finished tasks are skipped. A changed
manifest (different rows would result) starts afresh. The work folder is removed once the output is
in place.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babelforge.pipeline import Plan, compile_manifest, fingerprint
from babelforge.progress import StepProgress, read_progress

POLL_S = 0.2


@dataclass
class RunResult:
    output: Path
    summary: dict[str, Any]
    timings: dict[str, float]
    resumed_tasks: int
    restarted: bool = False


def prepare_work_dir(plan: Plan) -> tuple[int, bool]:
    """Create or reuse the work folder.

    Returns:
        How many tasks an earlier attempt already finished, and whether an earlier attempt's work
        was discarded because the manifest changed since (its shards would be wrong).
    """
    stamp = plan.work_dir / "fingerprint.json"
    current = fingerprint(plan.manifest)
    restarted = stamp.exists() and json.loads(stamp.read_text()).get("fingerprint") != current
    if restarted:
        shutil.rmtree(plan.work_dir)
    plan.work_dir.mkdir(parents=True, exist_ok=True)
    stamp.write_text(json.dumps({"fingerprint": current, "manifest": plan.manifest.name}))
    finished = sum(len(list((plan.logging_dir(i) / "completions").glob("*"))) for i in range(len(plan.passes)))
    return finished, restarted


def run_manifest(
    manifest,
    watch: Callable[[Plan, dict[int, StepProgress]], None] | None = None,
    keep_work: bool = False,
) -> RunResult:
    """Run ``manifest`` on its executor and write its output folder.

    Args:
        manifest: a validated manifest (see :func:`babelforge.manifest.load_manifest`).
        watch: called a few times a second with the live per-step progress.
        keep_work: keep the work folder (shards, logs) after success.
    """
    from babelforge.emit import emit
    from babelforge.stats import collect_step_counts, drops_by_reason

    plan = compile_manifest(manifest)
    resumed, restarted = prepare_work_dir(plan)
    started = time.perf_counter()
    _execute(plan, manifest.executor.use, watch)
    executed = time.perf_counter()
    steps = collect_step_counts([plan.logging_dir(i) for i in range(len(plan.passes))])
    step_dicts = [s.to_dict() for s in steps]
    timings = {"execute": executed - started}
    timings.update({f"step {s.name}": s.seconds for s in steps})
    summary = emit(plan, step_dicts, drops_by_reason(steps), timings)
    timings["emit"] = time.perf_counter() - executed
    if not keep_work:
        shutil.rmtree(plan.work_dir, ignore_errors=True)
    return RunResult(Path(manifest.output.path).resolve(), summary, timings, resumed, restarted)


def _execute(plan: Plan, use: str, watch) -> None:
    from babelforge.executors import _ensure_ray, run_executors

    if use == "ray":
        _ensure_ray(plan.manifest.executor.ray.address)
    errors: list[BaseException] = []
    log_path = plan.work_dir / "logs" / "executor.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)

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
