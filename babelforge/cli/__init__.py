"""The ``babelforge`` command line. Heavy libraries load inside commands, so ``--help`` is instant."""

from __future__ import annotations

import os
import sys

import typer

from babelforge import __version__

app = typer.Typer(
    name="babelforge",
    help="Forge training data for low-resource languages, from a YAML manifest.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"babelforge {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Forge training data for low-resource languages, from a YAML manifest."""


def _register() -> None:
    from babelforge.cli import (
        curate_cmd,
        decontaminate_cmd,
        eval_cmd,
        inspect_cmd,
        lexicon_cmd,
        llm_cmd,
        metrics_cmd,
        mix_cmd,
        models_cmd,
        publish_cmd,
        review_cmd,
        run_cmd,
        train_cmd,
        validate_cmd,
    )

    app.command("run")(run_cmd.run)
    app.command("validate")(validate_cmd.validate)
    app.command("inspect")(inspect_cmd.inspect)
    app.command("publish")(publish_cmd.publish)
    app.add_typer(models_cmd.app, name="models")
    app.add_typer(eval_cmd.app, name="eval")
    app.add_typer(metrics_cmd.app, name="metrics")
    app.add_typer(lexicon_cmd.app, name="lexicon")
    app.add_typer(train_cmd.app, name="train")
    app.add_typer(review_cmd.app, name="review")
    app.add_typer(llm_cmd.app, name="llm")
    app.add_typer(curate_cmd.app, name="curate")
    app.command("export-trainer")(train_cmd.export_trainer)
    app.command("mix")(mix_cmd.mix)
    app.command("decontaminate-check")(decontaminate_cmd.decontaminate_check)


_register()


def main() -> None:
    """Entry point: user mistakes end in one clear message and exit 2, never a traceback."""
    from babelforge.errors import BabelforgeError, Interrupted

    try:
        app()
    except Interrupted as error:
        typer.echo(str(error), err=True)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)  # the work is on disk and the lock released: skip task-pool finalizers that print noise
    except BabelforgeError as error:
        from babelforge.cli.console import print_error

        print_error(error)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("interrupted: rerun the same command to resume; finished tasks are kept", err=True)
        sys.exit(130)
