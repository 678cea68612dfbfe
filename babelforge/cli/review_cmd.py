"""``babelforge review serve|stats|export|import``: the annotators' web app and what it collected."""

from __future__ import annotations

from pathlib import Path

import typer

from babelforge.cli.console import out, styled

app = typer.Typer(help="Review generated samples in a web app; agreement; reviewed exports.", no_args_is_help=True)

FORMATS = ("babelforge", "argilla", "labelstudio", "doccano")


@app.command("serve")
def serve(
    output: Path = typer.Argument(..., help="An output folder written by `babelforge run`.", show_default=False),
    port: int = typer.Option(8765, "--port", help="Port to listen on (0: any free port)."),
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Address to bind; loopback unless you say otherwise (then a token is required)."
    ),
    db: Path | None = typer.Option(None, "--db", help="Review database; default OUTPUT.review.db beside it."),
    annotator: str | None = typer.Option(None, "--annotator", help="Default annotator name for the page."),
    sample: int | None = typer.Option(None, "--sample", help="Review N items drawn from the output."),
    stratify: str = typer.Option("", "--stratify", help="Keep shares of these fields in the sample: language,method"),
    overlap: int | None = typer.Option(None, "--overlap", min=1, help="Annotators per item (default: manifest, 1)."),
    token_file: Path | None = typer.Option(
        None, "--token-file", help="Require the secret on this file's first line (or set BABELFORGE_REVIEW_TOKEN)."
    ),
    tokens: Path | None = typer.Option(
        None, "--tokens", help="Per-annotator tokens, 'name token' per line: each acts only under its own name."
    ),
    allowed_host: list[str] = typer.Option(
        [], "--allowed-host", help="Also answer this Host name (name, name:port or *); repeatable."
    ),
    insecure: bool = typer.Option(False, "--insecure", help="Allow a non-loopback --host without a token."),
    token: str | None = typer.Option(
        None, "--token", help="Deprecated: visible to every user in `ps`; use --token-file or BABELFORGE_REVIEW_TOKEN."
    ),
    no_browser: bool = typer.Option(False, "--no-browser", help="Do not open a browser."),
    seed: int = typer.Option(0, "--seed", help="Seed of the sample."),
) -> None:
    """Serve the review page for OUTPUT; decisions are saved as they are made and resume on restart."""
    from babelforge.cli.console import err
    from babelforge.review.access import read_annotator_tokens, read_token
    from babelforge.review.server import serve_review

    if token:
        err.print(
            "warning: --token is deprecated: every user of this machine sees it in `ps`; "
            "set BABELFORGE_REVIEW_TOKEN or pass --token-file",
            highlight=False,
        )
    strata = [s.strip() for s in stratify.split(",") if s.strip()]
    serve_review(
        output,
        port=port,
        host=host,
        db=db,
        annotator=annotator,
        sample=sample,
        stratify=strata,
        overlap=overlap,
        token=read_token(token, token_file),
        annotator_tokens=read_annotator_tokens(tokens) if tokens else None,
        extra_hosts=allowed_host,
        insecure=insecure,
        open_browser=not no_browser,
        seed=seed,
    )


@app.command("stats")
def stats(
    db: Path = typer.Argument(..., help="A review database.", show_default=False),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    stale_ok: bool = typer.Option(
        False,
        "--stale-ok",
        help="Use a review whose output was rewritten since it began (its figures are about the old rows).",
    ),
) -> None:
    """Progress, acceptance per method and language, and agreement (Cohen, Fleiss, span F1)."""
    import json

    from babelforge.review.report import review_report

    report = review_report(_existing_store(db, "stats", stale_ok))
    if as_json:
        print(json.dumps(report, ensure_ascii=False))
        return
    from babelforge.cli.review_tables import print_report

    print_report(report)


@app.command("export")
def export(
    db: Path = typer.Argument(..., help="A review database.", show_default=False),
    output: Path = typer.Option(..., "--output", "-o", help="Folder to write.", show_default=False),
    to: str = typer.Option("babelforge", "--format", help=f"One of: {', '.join(FORMATS)}."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace a folder babelforge did not make."),
    stale_ok: bool = typer.Option(
        False,
        "--stale-ok",
        help="Use a review whose output was rewritten since it began (the export says it reviewed a previous version).",
    ),
) -> None:
    """Write the reviewed dataset (accepted rows, corrected spans), or the items for another tool.

    The folder must be new, empty or an earlier babelforge export, unless --overwrite; never the
    reviewed output or a folder inside it.
    """
    from babelforge.errors import ReviewError

    if to not in FORMATS:
        raise ReviewError(f"--format {to!r}: valid: {', '.join(FORMATS)}")
    store = _existing_store(db)
    if to == "babelforge":
        from babelforge.review.export import export_reviewed

        summary = export_reviewed(store, output, overwrite=overwrite, stale_ok=stale_ok)
        kept = sum(n for by_language in summary["rows"].values() for n in by_language.values())
        dropped = ", ".join(f"{k} {v}" for k, v in summary["drops"].items()) or "none"
        wrote = f"{output}: {kept:,} reviewed row(s); dropped: {dropped}"
        out.print(styled(("wrote", "green"), f" {wrote}"), highlight=False)
        return
    from babelforge.review.adapters import export_items

    path = export_items(store, to, output, overwrite=overwrite, stale_ok=stale_ok)
    out.print(styled(("wrote", "green"), f" {path}"), highlight=False)


@app.command("import")
def import_(
    file: Path = typer.Argument(
        ..., help="Annotations exported by Argilla, Label Studio or doccano.", show_default=False
    ),
    db: Path = typer.Option(..., "--db", help="The review database the items came from.", show_default=False),
    source: str = typer.Option(..., "--format", help="argilla, labelstudio or doccano.", show_default=False),
    annotator: str | None = typer.Option(None, "--annotator", help="Name for answers that carry none."),
    stale_ok: bool = typer.Option(
        False,
        "--stale-ok",
        help="Use a review whose output was rewritten since it began (the decisions are about its old rows).",
    ),
) -> None:
    """Bring decisions made in another tool back as decisions in the review database."""
    from babelforge.review.adapters import import_decisions

    counts = import_decisions(_existing_store(db, "import", stale_ok), file, source, annotator)
    out.print(f"imported {counts['decisions']:,} decision(s) on {counts['items']:,} item(s)", highlight=False)


def _existing_store(db: Path, command: str | None = None, stale_ok: bool = False):
    """The review database at ``db``; for ``command``, refused when its output was rewritten (unless ``stale_ok``)."""
    from babelforge.errors import ReviewError
    from babelforge.review.origin import require_current
    from babelforge.review.store import ReviewStore

    if not db.is_file():
        raise ReviewError(f"no review database at {db}: `babelforge review serve OUTPUT` creates it")
    store = ReviewStore(db)
    if command is not None:
        require_current(store, command, stale_ok)
    return store
