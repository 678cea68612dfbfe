"""Rich tables for ``babelforge review stats`` (and the review part of ``inspect``)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from babelforge.cli.console import out, styled


def print_report(report: dict) -> None:
    """Progress, decisions per annotator, acceptance per method and language, agreement."""
    out.print(styled((f"{report['reviewed']:,}", "bold"), f" of {report['items']:,} item(s) reviewed"), highlight=False)
    annotators = Table(title="decisions per annotator", title_justify="left")
    for column in ("annotator", "accept", "reject", "skip"):
        annotators.add_column(column, justify="left" if column == "annotator" else "right")
    for name, counts in report["annotators"].items():
        annotators.add_row(Text(name), *(f"{counts[k]:,}" for k in ("accept", "reject", "skip")))
    out.print(annotators)
    print_acceptance(report["acceptance"])
    if report["reject_reasons"]:
        reasons = Table(title="reject reasons", title_justify="left")
        reasons.add_column("reason")
        reasons.add_column("items", justify="right")
        for reason, n in report["reject_reasons"].items():
            reasons.add_row(Text(reason), f"{n:,}")  # annotators' words: never markup
        out.print(reasons)
    _agreement(report["agreement"])


def print_acceptance(rows: list[dict]) -> None:
    table = Table(title="acceptance per method and language", title_justify="left")
    for column in ("method", "language", "accepted", "rejected", "rate"):
        table.add_column(column, justify="left" if column in ("method", "language") else "right")
    for row in rows:
        names = Text(str(row["method"])), Text(str(row["language"]))
        table.add_row(*names, f"{row['accepted']:,}", f"{row['rejected']:,}", f"{row['rate']:.1%}")
    out.print(table)


def _agreement(agreement: dict) -> None:
    table = Table(title=f"agreement ({agreement['items_with_overlap']:,} item(s) judged by 2+)", title_justify="left")
    for column in ("scope", "items", "Fleiss' kappa", "Cohen's kappa (mean)", "span F1"):
        table.add_column(column, justify="left" if column == "scope" else "right")
    scopes = {"all": agreement["overall"], **{f"language {k}": v for k, v in agreement["languages"].items()}}
    for scope, f in scopes.items():
        table.add_row(
            Text(scope), f"{f['items']:,}", _fmt(f["fleiss_kappa"]), _fmt(f["cohen_kappa_mean"]), _fmt(f["span_f1"])
        )
    for label, f1 in agreement["labels"].items():
        table.add_row(Text(f"label {label}"), "", "", "", _fmt(f1))
    out.print(table)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
