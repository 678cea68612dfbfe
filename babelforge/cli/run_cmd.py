"""``babelforge run MANIFEST [MANIFEST ...]``: execute with live progress and a closing summary."""

from __future__ import annotations

import contextlib
import time
from enum import Enum
from pathlib import Path

import typer

from babelforge.cli.console import out, styled


class ExecutorChoice(str, Enum):
    local = "local"
    ray = "ray"
    slurm = "slurm"


def run(
    manifests: list[Path] = typer.Argument(..., help="Manifest YAML files, run in order.", show_default=False),
    output: str | None = typer.Option(None, "--output", "-o", help="Output folder (overrides output.path)."),
    executor: ExecutorChoice | None = typer.Option(
        None, "--executor", "-e", help="Where tasks run (overrides executor.use)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the compiled plan and LLM cost estimates, and exit."),
    pilot: int = typer.Option(
        0, "--pilot", min=0, help="With --dry-run: real requests per LLM step to measure answer lengths (cached)."
    ),
    keep_work: bool = typer.Option(False, "--keep-work", help="Keep shards and task logs after success."),
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Replace an output folder babelforge did not make (never the current folder)."
    ),
    yes: bool = typer.Option(
        False, "--yes", "-y", help="Run even where an LLM step's estimate is above its llm.confirm_above."
    ),
    verify_inputs: bool = typer.Option(
        False, "--verify-inputs", help="Hash every input file (not only small ones) to know whether it changed."
    ),
) -> None:
    """Run manifests: read sources, apply steps, write a Hugging Face dataset folder for each.

    Every manifest is loaded and checked before the first one runs. The output is written only where
    nothing is, or where babelforge's own earlier output is (see --overwrite).
    """
    from babelforge.errors import BabelforgeError
    from babelforge.manifest import load_manifest
    from babelforge.pipeline import compile_manifest

    if pilot and not dry_run:
        raise BabelforgeError("--pilot measures answers for the --dry-run estimate: give it with --dry-run")
    if output and len(manifests) > 1:
        raise BabelforgeError("--output names one folder: give it with one manifest only")
    loaded = [load_manifest(m, output=output, executor=executor.value if executor else None) for m in manifests]
    _refuse_shared_outputs(manifests, loaded)
    if dry_run:
        from babelforge.llm.estimate import cost_lines, estimate_step_costs

        failed: list[str] = []
        for one in loaded:
            for line in compile_manifest(one).describe():
                out.print(line, highlight=False)
            costs = estimate_step_costs(one, pilot=pilot)
            for line in cost_lines(costs):
                out.print(line, highlight=False, markup=False)
            failed.extend(f"{c.label}: {c.pilot_failed}" for c in costs if c.pilot_failed)
        if failed:
            raise BabelforgeError(f"the pilot measured nothing: {'; '.join(failed)}")
        return
    from babelforge.llm.estimate import check_llm_costs
    from babelforge.runner import run_manifest
    from babelforge.sources import file_warnings

    _stop_on_sigterm()

    for one in loaded:
        for where, message in file_warnings(one.sources):  # bad files a source skips (on_error: skip)
            out.print(f"warning: {where}: {message}", highlight=False, markup=False)
        if yes:  # approved beforehand (a batch job, CI): say what was approved
            approve = lambda question: out.print(f"{question}yes (--yes)", highlight=False, markup=False) or "y"  # noqa: E731
            check_llm_costs(one, interactive=True, ask=approve)
        else:
            check_llm_costs(one)  # asks (or refuses) before any run when an LLM step sets llm.confirm_above
    for path, one in zip(manifests, loaded, strict=True):
        if len(manifests) > 1:
            out.rule(f"{path}", style="dim")
        display = ProgressDisplay()
        with display.live():
            result = run_manifest(one, watch=display.update, keep_work=keep_work, overwrite=overwrite,
                                  protected=(path.resolve(),), verify_inputs=verify_inputs)  # fmt: skip
        print_summary(result)


def _stop_on_sigterm() -> None:
    """SIGTERM (a scheduler's or a supervisor's stop) ends a run as Ctrl-C does: tasks stopped, work kept."""
    import signal

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def _refuse_shared_outputs(paths: list[Path], loaded: list) -> None:
    """Two manifests of one command writing one output: the second would silently replace the first."""
    import os

    from babelforge.errors import BabelforgeError

    seen: dict[str, Path] = {}
    for path, manifest in zip(paths, loaded, strict=True):
        output = os.path.abspath(os.path.expanduser(manifest.output.path))
        if output in seen:
            raise BabelforgeError(
                f"{seen[output]} and {path} both write {output}: give each manifest its own output.path"
            )
        seen[output] = path


class ProgressDisplay:
    """A status line from the first second (pass, tasks done, time), then one bar per step: records so far,
    records per second, and an ETA from the input read so far."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("{task.description:<16}", markup=False),  # a step's or a source's name, as written
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[detail]}", markup=False),
            TimeElapsedColumn(),
            console=out,
            transient=False,
        )
        self.status: int | None = None  # added on the first update: after the output and lock checks
        self.tasks: dict[int, int] = {}
        self.started = time.monotonic()

    @contextlib.contextmanager
    def live(self):
        """Draw while the run runs; nothing is drawn before the first update (a refused run prints only its error)."""
        try:
            yield self
        finally:
            if self.status is not None:
                self.progress.stop()

    def update(self, plan, steps) -> None:
        from babelforge.runner import finished_tasks

        elapsed = max(time.monotonic() - self.started, 1e-6)
        total = max(plan.input_size, 1)
        all_tasks = sum(p.tasks for p in plan.passes)
        done = finished_tasks(plan)
        waiting = "" if steps else ", loading"
        if self.status is None:
            self.status = self.progress.add_task("tasks", total=all_tasks, detail="")
            self.progress.start()
        detail = f"{done}/{all_tasks} done, {len(plan.passes)} pass(es){waiting}"
        self.progress.update(self.status, total=all_tasks, completed=done, detail=detail)
        for index, step in steps.items():
            if index not in self.tasks:
                self.tasks[index] = self.progress.add_task(step.label, total=total, detail="")
            finished = step.tasks_done >= plan.passes[0].tasks
            completed = total if finished else min(step.position, total - 1)
            detail = f"{step.records:>10,} records {step.records / elapsed:>9,.0f}/s"
            self.progress.update(self.tasks[index], completed=completed, detail=detail)


def print_summary(result) -> None:
    """Rows per split and language, drops per reason, time per step."""
    from rich.table import Table

    summary = result.summary
    rows = Table(title="rows", title_justify="left")
    for column in ("split", "language", "rows"):
        rows.add_column(column, justify="right" if column == "rows" else "left")
    for split, by_language in summary["rows"].items():
        for language, n in by_language.items():
            rows.add_row(split, language, f"{n:,}")
    out.print(rows)
    if summary["drops"]:
        drops = Table(title="dropped", title_justify="left")
        drops.add_column("step: reason")
        drops.add_column("records", justify="right")
        for reason, n in summary["drops"].items():
            drops.add_row(reason, f"{n:,}")
        out.print(drops)
    _print_llm_usage(summary.get("steps", []))
    times = Table(title="time", title_justify="left")
    times.add_column("phase")
    times.add_column("seconds", justify="right")
    for name, seconds in result.timings.items():
        times.add_row(name, f"{seconds:.3f}")
    out.print(times)
    for note in result.notes:
        out.print(f"note: {note}", highlight=False, markup=False)
    if result.resumed_tasks:
        out.print(f"resumed: {result.resumed_tasks} task(s) finished by an earlier attempt were not run again")
    out.print(styled(("wrote", "green"), f" {result.output}"), highlight=False)


def _print_llm_usage(steps: list[dict]) -> None:
    """What each LLM step sent, took from the cache, and cost (the ledger's settled figures)."""
    from rich.table import Table

    from babelforge.llm.accounting import USAGE_KEYS, usage_rows
    from babelforge.llm.estimate import usd

    rows = usage_rows(steps)
    if not rows:
        return
    table = Table(title="LLM requests", title_justify="left")
    for column in ("step", "sent", "cached", "prompt tokens", "completion tokens", "USD"):
        table.add_column(column, justify="left" if column == "step" else "right")
    for name, found in rows:
        counts = [f"{int(found.get(key, 0)):,}" for key in USAGE_KEYS[:-1]]
        table.add_row(name, *counts, usd(found.get("llm_usd", 0.0)))
    out.print(table)
