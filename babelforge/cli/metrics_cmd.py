"""``babelforge metrics codemix``: code-mixing metrics per line of a JSON Lines file."""

from __future__ import annotations

from pathlib import Path

import typer

from babelforge.cli.console import out

app = typer.Typer(help="Measure data: code-mixing metrics.", no_args_is_help=True)


@app.command("codemix")
def codemix(
    input: Path = typer.Option(..., "--input", help='JSON Lines, each with "langs": [label, ...] per token.'),
    output: Path = typer.Option(..., "--output", help="JSON Lines, same order, each line's fields plus the metrics."),
    field: str = typer.Option("langs", "--field", help="The field that holds the token labels."),
) -> None:
    """CMI, M-index, I-index, language entropy, burstiness and switch points for each line.

    Labels ``other`` and ``univ`` mark language-independent tokens. A corpus summary is printed.
    """
    import orjson

    from babelforge.augment.cmi import measure, measure_corpus
    from babelforge.errors import BabelforgeError

    if not input.is_file():
        raise BabelforgeError(f"no file at {input}")
    rows, utterances = [], []
    with input.open("rb") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = orjson.loads(line)
            except orjson.JSONDecodeError as error:
                raise BabelforgeError(f"{input}:{number}: expected a JSON object ({error})") from None
            labels = row.get(field) if isinstance(row, dict) else None
            if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
                raise BabelforgeError(f'{input}:{number}: expected "{field}": a list of label strings, got {labels!r}')
            rows.append(row)
            utterances.append(labels)
    staged = output.with_name(output.name + ".partial")
    with staged.open("wb") as f:
        for row, labels in zip(rows, utterances, strict=True):
            f.write(orjson.dumps({**row, **measure(labels).as_dict()}) + b"\n")
    staged.replace(output)  # whole or nothing
    corpus = measure_corpus(utterances)
    out.print(
        f"{len(rows)} lines -> {output}; corpus: CMI {corpus.cmi:.2f} (mean), M-index {corpus.m_index:.3f}, "
        f"I-index {corpus.i_index:.3f}, entropy {corpus.entropy:.3f}, burstiness {corpus.burstiness:.3f}",
        highlight=False,
    )
