"""``babelforge curate lid-train``: a small language-ID model for the languages you care about.

Until it is registered in the ``curate`` group, run it as ``python -m babelforge.cli.curate_lid_cmd``.
"""

from __future__ import annotations

from pathlib import Path

import typer

from babelforge.cli.console import out


def lid_train(
    reference: list[str] = typer.Option(
        ..., "--reference", help="LANG=FILE (repeatable): reference text of a language, e.g. hau_Latn=hausa-news.txt."
    ),
    output: Path = typer.Option(..., "--output", help="The model file to write (its common words go beside it)."),
    general: str = typer.Option("lid176", "--general", help="The general model it will be combined with."),
    epoch: int = typer.Option(20, "--epoch", help="fastText training epochs."),
    dim: int = typer.Option(32, "--dim", help="fastText vector size."),
    seed: int = typer.Option(13, "--seed"),
    threads: int = typer.Option(2, "--threads"),
) -> None:
    """Train a fastText model on reference text of each language; use it as fasttext:OUTPUT+GENERAL.

    Texts the model does not find familiar go to the general model, so languages it was not trained on
    end as the general model's answer or as und, never as the nearest trained language
    (babelforge.curate.lid_supplement explains how).
    """
    from babelforge.curate.identifiers import load_identifier
    from babelforge.curate.lid_supplement import profile_path, read_references, train_supplement

    load_identifier(general)  # a bad spec fails before training
    references = read_references(reference)
    path = train_supplement(references, output, dim=dim, epoch=epoch, seed=seed, threads=threads)
    sizes = ", ".join(f"{code} {sum(len(t) for t in texts):,} chars" for code, texts in references.items())
    out.print(f"trained on {sizes}", highlight=False)
    out.print(f"wrote {path} and {profile_path(path).name}", highlight=False)
    out.print(f"use it as  identifier: fasttext:{path}+{general}", highlight=False)


if __name__ == "__main__":
    import sys

    from babelforge.errors import BabelforgeError

    try:
        typer.run(lid_train)
    except BabelforgeError as error:  # one line, as the babelforge command prints it
        typer.echo(str(error), err=True)
        sys.exit(2)
