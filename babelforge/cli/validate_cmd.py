"""``babelforge validate MANIFEST``."""

from __future__ import annotations

from pathlib import Path

import typer

from babelforge.cli.console import err, out, styled


def validate(manifest: Path = typer.Argument(..., help="The manifest YAML file.", show_default=False)) -> None:
    """Check a manifest: exit 0 when valid, else exit 2 with one line per problem.

    Source files are sniffed too: one that does not look like its kind is a problem, or a warning
    for a source with ``on_error: skip`` (the run then counts it as an unreadable file).
    """
    from babelforge.manifest import check_manifest
    from babelforge.mixture import is_mixture_file
    from babelforge.sources import file_warnings

    if is_mixture_file(manifest):
        _validate_mixture(manifest)
        return
    result, problems = check_manifest(manifest)
    if problems:
        for problem in problems:
            err.print(styled((problem.path, "red"), f": {problem.message}"), highlight=False, soft_wrap=True)
        err.print(f"{manifest}: {len(problems)} problem(s)", highlight=False)
        raise typer.Exit(2)
    for where, message in file_warnings(result.sources):
        err.print(styled(("warning", "yellow"), f" {where}: {message}"), highlight=False, soft_wrap=True)
    steps = ", ".join(s.kind for s in result.step_settings) or "none"
    out.print(
        f"{manifest}: valid ({len(result.sources)} source(s); steps: {steps}; output: {result.output.kind})",
        highlight=False,
    )


def _validate_mixture(path: Path) -> None:
    """A mixture (``babelforge mix``): its settings, and that every component opens."""
    from babelforge.mixture import check_mixture

    mixture, problems = check_mixture(path)
    if problems:
        for problem in problems:
            where = [(problem.path, "red"), ": "] if problem.path else []
            err.print(styled(*where, problem.message), highlight=False, soft_wrap=True)
        err.print(f"{path}: {len(problems)} problem(s)", highlight=False)
        raise typer.Exit(2)
    sampling = mixture.sampling
    out.print(
        f"{path}: valid mixture ({len(mixture.components)} component(s); sampling by {sampling.by}, temperature "
        f"{sampling.power:g}; run it with `babelforge mix {path}`)",
        highlight=False,
    )
