"""``babelforge run MANIFEST [MANIFEST ...]``: execute with live progress and a closing summary."""

from __future__ import annotations

import time
from enum import Enum
from pathlib import Path

import typer

from babelforge.cli.console import out


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
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the compiled plan and exit."),
    keep_work: bool = typer.Option(False, "--keep-work", help="Keep shards and task logs after success."),
) -> None:
    """Run manifests: read sources, apply steps, write a Hugging Face dataset folder for each.

    Every manifest is loaded and checked before the first one runs.
    """
    from babelforge.errors import BabelforgeError
    from babelforge.manifest import load_manifest
    from babelforge.pipeline import compile_manifest

    if output and len(manifests) > 1:
        raise BabelforgeError("--output names one folder: give it with one manifest only")
    loaded = [load_manifest(m, output=output, executor=executor.value if executor else None) for m in manifests]
    if dry_run:
        for one in loaded:
            for line in compile_manifest(one).describe():
                out.print(line, highlight=False)
        return
    from babelforge.runner import run_manifest

    for path, one in zip(manifests, loaded, strict=True):
        if len(manifests) > 1:
            out.rule(f"{path}", style="dim")
        display = ProgressDisplay()
        with display.live():
            result = run_manifest(one, watch=display.update, keep_work=keep_work)
        print_summary(result)


class ProgressDisplay:
    """One bar per step: records so far, records per second, and an ETA from the input read so far."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

        self.progress = Progress(
            TextColumn("{task.description:<16}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[records]:>10,} records"),
            TextColumn("{task.fields[rate]:>9,.0f}/s"),
            TimeRemainingColumn(),
            console=out,
            transient=False,
        )
        self.tasks: dict[int, int] = {}
        self.started = time.monotonic()

    def live(self):
        return self.progress

    def update(self, plan, steps) -> None:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        total = max(plan.input_size, 1)
        all_tasks = plan.passes[0].tasks
        for index, step in steps.items():
            if index not in self.tasks:
                self.tasks[index] = self.progress.add_task(step.label, total=total, records=0, rate=0.0)
            done = step.tasks_done >= all_tasks
            completed = total if done else min(step.position, total - 1)
            self.progress.update(
                self.tasks[index], completed=completed, records=step.records, rate=step.records / elapsed
            )


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
    times = Table(title="time", title_justify="left")
    times.add_column("phase")
    times.add_column("seconds", justify="right")
    for name, seconds in result.timings.items():
        times.add_row(name, f"{seconds:.3f}")
    out.print(times)
    if result.restarted:
        out.print("note: the manifest changed since the interrupted attempt, so its work was discarded")
    if result.resumed_tasks:
        out.print(f"resumed: {result.resumed_tasks} task(s) finished by an earlier attempt were not run again")
    out.print(f"[green]wrote[/] {result.output}", highlight=False)
