"""``babelforge publish OUTPUT --repo ID``: push an output folder to the Hub in one commit."""

from __future__ import annotations

from pathlib import Path

import typer

from babelforge.cli.console import out, styled


def publish(
    output: Path = typer.Argument(..., help="An output folder written by `babelforge run`.", show_default=False),
    repo: str = typer.Option(..., "--repo", help="Dataset repository id, e.g. my-org/hausa-ner.", show_default=False),
    private: bool = typer.Option(False, "--private", help="Create the repository as private."),
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would be uploaded, upload nothing."),
    message: str | None = typer.Option(None, "--message", "-m", help="Commit message."),
) -> None:
    """Publish a dataset folder to the Hugging Face Hub (card, data, provenance) in one commit.

    The folder must be a complete babelforge output, and no file of it may hold the value of an
    environment variable that looks like a secret (HF_TOKEN, *_API_KEY, PGPASSWORD, GH_PAT ...): not in
    its name, its text, or a string column of its Parquet data.
    """
    from babelforge.outputs import OutputFolder
    from babelforge.publish import check_publishable, publish_output, publishable_files

    folder = OutputFolder.open(output)
    files = publishable_files(folder)
    if dry_run:
        check_publishable(folder)
        total = sum((folder.path / f).stat().st_size for f in files)
        for f in files:
            out.print(f"  {f}  ({(folder.path / f).stat().st_size:,} bytes)", highlight=False)
        out.print(
            f"would upload {len(files)} file(s), {total:,} bytes, to dataset {repo} in one commit", highlight=False
        )
        return
    url = publish_output(folder, repo, private=private, message=message)
    out.print(styled(("published", "green"), f" {len(files)} file(s) in one commit: {url}"), highlight=False)
