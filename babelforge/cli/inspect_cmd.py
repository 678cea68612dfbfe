"""``babelforge inspect OUTPUT``: what a finished output holds and how it was made."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.text import Text

from babelforge.cli.console import out, styled

SAMPLE_ROWS = 3
#: Rejected records shown per step and reason (from rejects/, when the run wrote them).
SAMPLE_REJECTS = 2


def inspect(
    output: Path = typer.Argument(..., help="An output folder written by `babelforge run`.", show_default=False),
    rows: int = typer.Option(SAMPLE_ROWS, "--rows", "-n", help="Sample rows to show per split."),
    rejects: int = typer.Option(SAMPLE_REJECTS, "--rejects", help="Sample dropped records per step and reason."),
) -> None:
    """Counts per split, language and label; drop reasons, their rates and dropped samples; rows; provenance.

    A damaged output (provenance.json or dataset_info.json not JSON, a Parquet file cut short) is
    named in one line before anything is shown.
    """
    from babelforge.outputs import OutputFolder

    folder = OutputFolder.open(output)
    provenance, names = folder.provenance, folder.class_names("ner_tags")  # damage shows before any table
    frames = _frames(folder)
    _counts(frames)
    _labels(names, frames)
    _drops(provenance)
    _rejected_samples(folder, provenance, rejects)
    _review(folder, provenance)
    _samples(names, frames, rows)
    _provenance(provenance)


def _frames(folder):
    from babelforge.emit import _split_order

    files = folder.split_files()
    return {split: folder.read_split(files[split]) for split in sorted(files, key=_split_order)}


def _counts(frames) -> None:
    import polars as pl
    from rich.table import Table

    table = Table(title="rows per split and language", title_justify="left")
    for column in ("split", "language", "rows"):
        table.add_column(column, justify="right" if column == "rows" else "left")
    for split, frame in frames.items():
        for row in frame.group_by("language").agg(pl.len().alias("n")).sort("language").iter_rows(named=True):
            table.add_row(split, row["language"], f"{row['n']:,}")
    out.print(table)


def _labels(names: list[str] | None, frames) -> None:
    from collections import Counter

    from rich.table import Table

    counts: dict[str, Counter] = {}
    for split, frame in frames.items():
        if names and "ner_tags" in frame.columns:
            tags = frame["ner_tags"].explode().drop_nulls().to_list()
            counts[split] = Counter(names[t][2:] for t in tags if names[t][:2] in ("B-", "S-"))
        elif "spans" in frame.columns:
            counts[split] = Counter(s["label"] for spans in frame["spans"].to_list() for s in spans or [])
    if not any(counts.values()):
        return
    table = Table(title="entities per label (B-/S- tags or spans)", title_justify="left")
    table.add_column("label")
    for split in counts:
        table.add_column(split, justify="right")
    for label in sorted(set().union(*counts.values())):
        table.add_row(label, *(f"{counts[s][label]:,}" for s in counts))
    out.print(table)


def _drops(provenance) -> None:
    """Each step's drops per reason, and their rate: the share of the records that reached the step."""
    from rich.table import Table

    table = Table(title="records dropped, per step and reason", title_justify="left")
    table.add_column("step: reason")
    table.add_column("records", justify="right")
    table.add_column("rate", justify="right")
    entered = _records_in(provenance)
    for reason, n in (provenance.get("drops") or {}).items():
        total = entered.get(reason.partition(": ")[0])
        rate = f"{n / total:.1%}" if total and isinstance(n, int | float) else "-"
        table.add_row(reason, _number(n, ","), rate)
    if not provenance.get("drops"):
        table.add_row("(none)", "0", "-")
    out.print(table)


def _records_in(provenance) -> dict[str, int]:
    """Records that reached each step (its ``in`` count), by step name."""
    entered = {}
    for step in provenance.get("steps") or []:
        count = (step.get("counts") or {}).get("in") if isinstance(step, dict) else None
        if isinstance(count, int) and count > 0:
            entered[step.get("name")] = entered.get(step.get("name"), 0) + count
    return entered


def _rejected_samples(folder, provenance, per_reason: int) -> None:
    """A few dropped records per step and reason, from rejects/ (written when ``output.write_rejects`` is set)."""
    drops = provenance.get("drops") or {}
    if not drops or per_reason <= 0:
        return
    samples, unreadable = _read_rejects(folder.path / "rejects", per_reason)
    if not samples:
        out.print(styled(("no dropped records kept: set output.write_rejects: true to see samples here", "dim")))
        return
    out.print(styled(("dropped records", "bold"), " (samples from rejects/)"), highlight=False)
    for reason in drops:
        step, _, why = reason.partition(": ")
        for row in samples.get((_slug(step), why), []):
            text = " ".join(str(row.get("text", "")).split())
            shown = text if len(text) <= 160 else text[:159] + "…"
            out.print(styled("  ", (reason, "cyan"), " ", (str(row.get("id")), "dim"), f" {shown}"), highlight=False)
    if unreadable:
        out.print(styled((f"{unreadable} rejects line(s) not readable as JSON were skipped", "dim")), highlight=False)


def _read_rejects(folder: Path, per_reason: int) -> tuple[dict[tuple[str, str], list[dict]], int]:
    """Up to ``per_reason`` rows per (step slug, reason) from ``NN-STEP-RANK.jsonl`` files, and unreadable lines."""
    import json
    import re

    samples: dict[tuple[str, str], list[dict]] = {}
    unreadable = 0
    for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
        step = re.sub(r"^(?:\d+|source\d+)-|-\d+$", "", path.stem)
        with path.open(encoding="utf-8", errors="replace") as lines:
            for line in lines:
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    unreadable += 1
                    continue
                found = samples.setdefault((step, str(row.get("reason") if isinstance(row, dict) else "")), [])
                if isinstance(row, dict) and len(found) < per_reason:
                    found.append(row)
    return samples, unreadable


def _slug(name: str) -> str:
    from babelforge.steps.base import slug

    return slug(name)


def _review(folder, provenance) -> None:
    """Acceptance per method and language: from the review that made this folder, or of its review database."""
    from babelforge.cli.review_tables import print_acceptance
    from babelforge.review.session import default_db

    review = provenance.get("review")
    if review:
        if not _review_shaped(review):
            raise folder.damaged("provenance.json: 'review' lacks reviewed_from, annotators or acceptance rows")
        out.print(f"reviewed from {review['reviewed_from']} by {', '.join(review['annotators'])}", highlight=False)
        print_acceptance(review["acceptance"])
    elif default_db(folder.path).is_file():
        from babelforge.review.outcome import acceptance, outcomes
        from babelforge.review.store import ReviewStore

        store = ReviewStore(default_db(folder.path))
        results = outcomes(store.decisions())
        out.print(f"review in progress ({store.path}): {len(results):,} item(s) decided", highlight=False)
        print_acceptance(acceptance(results, {n: store.item(n) for n in results}))
        store.close()


def _review_shaped(review: dict) -> bool:
    keys = ("method", "language", "accepted", "rejected", "rate")
    rows = review.get("acceptance")
    return (
        isinstance(review.get("reviewed_from"), str)
        and isinstance(review.get("annotators"), list)
        and isinstance(rows, list)
        and all(isinstance(r, dict) and all(k in r for k in keys) for r in rows)
    )


def _samples(names: list[str] | None, frames, rows: int) -> None:
    import polars as pl

    for split, frame in frames.items():
        out.print(
            styled((split, "bold"), f": first {min(rows, frame.height)} of {frame.height:,} rows"), highlight=False
        )
        for row in frame.head(rows).iter_rows(named=True):
            marked = _marked(row, names)
            if marked is None:
                with pl.Config(fmt_str_lengths=80, tbl_width_chars=120, fmt_table_cell_list_len=8):
                    out.print(str(frame.drop("lineage").head(rows)), highlight=False, markup=False)
                break
            out.print(styled("  ", (row["id"], "dim"), " ") + marked, highlight=False)


def _marked(row: dict, names: list[str] | None) -> Text | None:
    """The row's text with its entities in bold and labelled, or None for rows without spans."""
    from babelforge.spans import join_tokens, tags_to_spans

    if names and "ner_tags" in row:
        text, offsets = join_tokens(row["tokens"])
        spans = tags_to_spans([names[t] for t in row["ner_tags"]], offsets)
    elif "spans" in row:
        text, spans = row["text"], [(s["start"], s["end"], s["label"]) for s in row["spans"]]
    else:
        return None
    pieces, last = [], 0
    for start, end, label in sorted(spans):
        if start < last:
            continue  # nested spans: show the outer one
        pieces += [text[last:start], (text[start:end], "bold cyan"), (f"/{label}", "dim")]
        last = end
    return styled(*pieces, text[last:])


def _provenance(provenance) -> None:
    packages = provenance.get("packages") or {}
    shown = ", ".join(f"{k} {v}" for k, v in packages.items() if k in {"babelforge", "datatrove", "datasets", "python"})
    manifest = provenance.get("manifest") or {}
    out.print(styled(("provenance", "bold")), highlight=False)
    out.print(
        f"  made {provenance.get('created')} by manifest {manifest.get('name')} v{manifest.get('version')}",
        highlight=False,
    )
    out.print(
        f"  executor {provenance.get('executor')}; {len(provenance.get('inputs') or {})} input file(s) hashed",
        highlight=False,
    )
    out.print(f"  packages: {shown}", highlight=False)
    if provenance.get("models"):
        out.print(f"  models: {provenance['models']}", highlight=False, markup=False)
    timings = ", ".join(f"{k} {_number(v, '.2f')}s" for k, v in (provenance.get("timings_s") or {}).items())
    out.print(f"  timings: {timings}", highlight=False)
    if isinstance(provenance.get("mixture"), dict):  # a mixture: shares reached against its targets
        from babelforge.mixture_report import plan_lines

        for line in plan_lines(provenance["mixture"]):
            out.print(f"  {line}", highlight=False, markup=False)


def _number(value, spec: str) -> str:
    """``value`` formatted by ``spec`` when it is a number; as it stands otherwise (a hand-edited file)."""
    return format(value, spec) if isinstance(value, int | float) and not isinstance(value, bool) else str(value)
