"""``babelforge models convert NAME``: convert a checkpoint to CTranslate2 ahead of a run."""

from __future__ import annotations

import typer

from babelforge.cli.console import out

app = typer.Typer(help="Find, convert and cache models.", no_args_is_help=True)


@app.command("convert")
def convert(
    name: str = typer.Argument(..., help="Hub id or local folder of a seq2seq checkpoint.", show_default=False),
    quantization: str = typer.Option("default", "--quantization", "-q", help="int8, int8_float16, float16 ..."),
) -> None:
    """Convert a model to CTranslate2 into the cache (``$BABELFORGE_HOME/ct2``) and print where it is."""
    from babelforge.models import ctranslate2_model, resolve_model

    model = resolve_model(name)
    path = ctranslate2_model(model, quantization)
    out.print(f"{name} ({model.family}, revision {model.revision}, {quantization}): {path}", highlight=False)
