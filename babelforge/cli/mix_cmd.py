"""``babelforge mix MIXTURE.yaml``: combine finished outputs into a training mixture, itself an output."""

from __future__ import annotations

from pathlib import Path

import typer

from babelforge.cli.console import out, styled


def mix(
    mixture: Path = typer.Argument(..., help="A mixture YAML file (components, sampling, budget).", show_default=False),
    output: str | None = typer.Option(None, "--output", "-o", help="Output folder (overrides output.path)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan (rows, shares, repeats) and write nothing."),
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Replace an output folder babelforge did not make (never the current folder)."
    ),
) -> None:
    """Mix finished outputs (and Hub data) by language or family, by temperature or shares, under a budget.

    Every row keeps its language and gains its component, repeat and licence; the card lists each
    language's share and flags non-commercial components.
    """
    from babelforge.mixture import load_mixture
    from babelforge.mixture_report import mixture_report, plan_lines
    from babelforge.mixture_run import mix as write_mixture
    from babelforge.mixture_run import prepare

    loaded = load_mixture(mixture, output=output)
    prepared = prepare(loaded)
    if dry_run:
        for line in plan_lines(mixture_report(prepared)):
            out.print(line, highlight=False, markup=False)
        out.print(f"dry run: nothing written ({loaded.output.path} left as it is)", highlight=False, markup=False)
        return
    summary = write_mixture(prepared, overwrite=overwrite, protected=(mixture.resolve(),))
    for line in plan_lines(summary["mixture"]):
        out.print(line, highlight=False, markup=False)
    for note in summary["notes"]:
        out.print(f"note: {note}", highlight=False, markup=False)
    if summary["non_commercial_rows"]:
        out.print(f"{summary['non_commercial_rows']:,} row(s) are non-commercial (see the card)", highlight=False)
    out.print(styled(("wrote", "green"), f" {summary['output']}"), highlight=False)
