"""``babelforge curate calibrate``: a language's quality thresholds, derived from a trusted corpus of it."""

from __future__ import annotations

from pathlib import Path

import typer

from babelforge.cli import curate_lid_cmd
from babelforge.cli.console import out

app = typer.Typer(
    help="Curate corpora: quality thresholds per language, language-ID supplements.", no_args_is_help=True
)

TAIL, FENCE, STOP_WORDS, CONFIDENCE = 0.02, 1.5, 24, 0.9  # babelforge.curate.calibrate's defaults (checked by a test)


@app.command("calibrate")
def calibrate(
    reference: Path = typer.Option(
        ..., "--reference", help="A trusted corpus of the language: a .txt, .jsonl or .tsv file, or a folder of them."
    ),
    language: str = typer.Option(..., "--language", help="The language's code: hau_Latn, amh_Ethi, ..."),
    output: Path = typer.Option(..., "--output", help="The config YAML to write (for quality: {config: ...})."),
    field: str | None = typer.Option(None, "--field", help="JSON key or TSV column holding the text (default: text)."),
    per: str = typer.Option("line", "--per", help="Plain text files: a document per 'line' or per 'file'."),
    tail: float = typer.Option(TAIL, "--tail", help="Share of the reference each threshold may cut off."),
    fence: float = typer.Option(FENCE, "--fence", help="Margin beyond that edge, in edge-to-median distances."),
    confidence: float = typer.Option(
        CONFIDENCE, "--confidence", help="How sure each edge is to lie beyond the tail of the language's clean text."
    ),
    stop_words: int = typer.Option(STOP_WORDS, "--stop-words", help="How many frequent words make the stop list."),
    identifier: str | None = typer.Option(
        None, "--identifier", help="Language identifier for the language-score floor: lid176, fasttext:PATH, glotlid..."
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output file."),
) -> None:
    """Measure the reference as datatrove's filters do; write thresholds at the edge of its clean text.

    Formulas: babelforge.curate.calibrate. Prints each threshold beside datatrove's English default.
    """
    from babelforge.curate import calibrate as calibration
    from babelforge.curate.reference import read_reference
    from babelforge.errors import BabelforgeError

    _check(per, tail, fence, stop_words, output, overwrite)
    if not 0 < confidence < 1:
        raise BabelforgeError(f"--confidence {confidence}: a probability between 0 and 1 (e.g. 0.9)")
    if identifier:
        from babelforge.curate.identifiers import load_identifier

        load_identifier(identifier)  # a bad spec fails before the reference is read (the model loads later)
    corpus = read_reference(reference, field, per)
    bounds = calibration.Bounds(tail, fence, confidence)
    config = calibration.calibrate(corpus.documents, language, str(reference), bounds, stop_words, identifier)
    lost = calibration.removals(config, corpus.documents)
    kept = 1 - sum(lost.values()) / len(corpus.documents)
    derived = config.derived_from.model_copy(update={"reference_kept": round(kept, 4)})
    config = config.model_copy(update={"derived_from": derived})
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(_header(config) + config.to_yaml(), encoding="utf-8")
    except OSError as error:
        raise BabelforgeError(f"cannot write {output}: {error.strerror or error}") from None
    _summary(config, corpus, lost, kept, output)


def _check(per: str, tail: float, fence: float, stop_words: int, output: Path, overwrite: bool) -> None:
    from babelforge.errors import BabelforgeError

    if per not in ("line", "file"):
        raise BabelforgeError(f"--per {per!r}: valid: line, file")
    if not 0 < tail < 0.5:
        raise BabelforgeError(f"--tail {tail}: a share between 0 and 0.5 (e.g. 0.01)")
    if fence < 0:
        raise BabelforgeError(f"--fence {fence}: 0 or more")
    if stop_words < 1:
        raise BabelforgeError(f"--stop-words {stop_words}: 1 or more")
    if output.exists() and not overwrite:
        raise BabelforgeError(f"{output} exists: pass --overwrite to replace it, or name another --output")


def _header(config) -> str:
    derived = config.derived_from
    return (
        f"# Quality thresholds for {config.language}, derived by `babelforge curate calibrate`\n"
        f"# from {derived.reference} ({derived.documents} documents; formulas: babelforge.curate.calibrate).\n"
        "# Use: quality: {config: THIS_FILE}\n"
    )


def _summary(config, corpus, lost, kept: float, output: Path) -> None:
    from rich.table import Table

    from babelforge.curate.quality_config import QualityConfig

    english = QualityConfig(language="eng_Latn")
    table = Table(title=f"thresholds for {config.language} (datatrove's English default beside)", title_justify="left")
    for column in ("filter", "setting", "derived", "English"):
        table.add_column(column)
    sections = ("gopher_quality", "gopher_repetition", "fineweb_quality", "c4", "stop_word_share", "language_share")
    for section in (*sections, "script", "language_score"):
        ours, theirs = getattr(config, section), getattr(english, section)
        for key, value in (ours.model_dump() if ours else {}).items():
            if key not in ("stop_words", "frequent_words"):
                default = getattr(theirs, key, None) if theirs else None
                table.add_row(section, key, _shown(value), _shown(default))
    out.print(table)
    out.print(f"stop words: {' '.join(config.gopher_quality.stop_words)}", highlight=False)
    skipped = f", {corpus.empty} empty skipped" if corpus.empty else ""
    out.print(f"reference: {len(corpus.documents):,} documents from {corpus.files} file(s){skipped}", highlight=False)
    out.print(f"the config keeps {kept:.1%} of the reference; removed by filter and reason:", highlight=False)
    for reason, n in lost.most_common():
        out.print(f"  {reason}: {n:,}", highlight=False)
    out.print(f"wrote {output}", highlight=False)


def _shown(value) -> str:
    if isinstance(value, list):
        return ", ".join(f"{n}: {v}" for n, v in value)
    return "-" if value is None else str(value)


app.command("lid-train")(curate_lid_cmd.lid_train)
