"""``babelforge lexicon induce``: a bilingual lexicon from word-aligned bitext."""

from __future__ import annotations

from pathlib import Path

import typer

from babelforge.cli.console import out

app = typer.Typer(help="Bilingual lexicons for code-mixing.", no_args_is_help=True)


@app.command("induce")
def induce(
    bitext: Path = typer.Option(..., "--bitext", help="Tab-separated 'source<TAB>target' sentence pairs."),
    aligner: str = typer.Option(..., "--aligner", help="simalign:MODEL, simalign-argmax:MODEL, ..."),
    output: Path = typer.Option(..., "--output", help="The lexicon TSV to write (source, target, count)."),
    min_count: int = typer.Option(2, "--min-count", help="Keep pairs aligned at least this often."),
    min_share: float = typer.Option(0.3, "--min-share", help="... that make up this share of a word's links."),
) -> None:
    """Align every pair, count aligned words, keep the frequent dominant translations."""
    from babelforge.augment.lexicon import induce as build
    from babelforge.cli.console import quiet_library_logs
    from babelforge.errors import BabelforgeError
    from babelforge.projection.align import aligner as make_aligner
    from babelforge.words import word_spans

    quiet_library_logs()
    if not bitext.is_file():
        raise BabelforgeError(f"no file at {bitext}")
    pairs = []
    for number, line in enumerate(bitext.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        columns = line.split("\t")
        if len(columns) < 2 or not columns[0].strip() or not columns[1].strip():
            raise BabelforgeError(f"{bitext}:{number}: expected 'source<TAB>target', got {line[:80]!r}")
        pairs.append(tuple([text[a:b] for a, b in word_spans(text)] for text in columns[:2]))
    lexicon, counts = build(pairs, make_aligner(aligner), min_count, min_share)
    lexicon.write(output, counts)
    out.print(f"{len(lexicon)} source words, {len(counts)} pairs from {len(pairs)} sentence pairs -> {output}")
