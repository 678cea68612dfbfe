"""A mixture's account: per language and per component, what was there, what was asked, what was taken.

The same account goes into ``--dry-run``'s tables, the card's Mixture section and ``provenance.json``
(``mixture``): shares are of the budget's unit (rows, or tokens of the named tokenizer), ``epochs`` is
the most times any row of a component is taken (never above ``max_epochs``).
"""

from __future__ import annotations

from typing import Any


def mixture_report(prepared) -> dict[str, Any]:
    """The account of a prepared mixture (see :func:`babelforge.mixture_run.prepare`)."""
    plan, mixture = prepared.plan, prepared.mixture
    taken = {key: s.units for key, s in prepared.selections.items()}
    total = sum(taken.values()) or 1.0
    languages = []
    for language, p in plan.languages.items():
        keys = [k for k in prepared.selections if k[1] == language]
        units = sum(taken[k] for k in keys)
        languages.append(
            {
                "language": language,
                "family": p.family,
                "available": round(p.size, 3),
                "rows_available": sum(len(prepared.rows[k]) for k in keys),
                "target_share": round(p.target, 6),
                "share": round(units / total, 6),
                "units": round(units, 3),
                "rows": sum(len(prepared.selections[k].indices) for k in keys),
                "epochs": max((prepared.selections[k].epochs for k in keys), default=0),
                "capped": p.capped,
            }
        )
    return {
        "unit": plan.unit,
        "budget": plan.budget,
        "total": round(sum(taken.values()), 3),
        "rows": sum(len(s.indices) for s in prepared.selections.values()),
        "tokenizer": prepared.tokenizer,
        "seed": mixture.seed,
        "max_epochs": mixture.max_epochs,
        "sampling": mixture.sampling.model_dump(mode="json", exclude_none=True),
        "languages": languages,
        "components": [_component(prepared, c, total) for c in prepared.components],
        "notes": list(plan.notes),
    }


def _component(prepared, component, total: float) -> dict[str, Any]:
    cells = {}
    for (index, language), selection in sorted(prepared.selections.items()):
        if index == component.index:
            cells[language] = {
                "rows_available": len(prepared.rows[index, language]),
                "rows": len(selection.indices),
                "unique_rows": selection.unique_rows,
                "share": round(selection.units / total, 6),
                "epochs": selection.epochs,
            }
    return {
        **component.origin,
        "rows_available": sum(c["rows_available"] for c in cells.values()),
        "rows": sum(c["rows"] for c in cells.values()),
        "unique_rows": sum(c["unique_rows"] for c in cells.values()),
        "epochs": max((c["epochs"] for c in cells.values()), default=0),
        "languages": cells,
    }


def left_out(report: dict[str, Any]) -> int:
    """Train rows of the components that the mixture does not take at all."""
    return sum(c["rows_available"] - c["unique_rows"] for c in report["components"])


def plan_lines(report: dict[str, Any]) -> list[str]:
    """The plan as text lines, for ``--dry-run`` and the summary."""
    unit = report["unit"]
    lines = [
        f"mixture: {report['rows']:,} rows, {report['total']:,.0f} {unit} of a budget of "
        f"{report['budget']:,.0f}" + (f" (tokenizer {report['tokenizer']})" if report["tokenizer"] else "")
    ]
    lines.append(f"{'language':<14} {'family':<18} {'available':>12} {'rows':>9} {'target':>8} {'share':>8} epochs")
    for p in report["languages"]:
        lines.append(
            f"{p['language']:<14} {(p['family'] or '-')[:18]:<18} {p['available']:>12,.0f} {p['rows']:>9,} "
            f"{p['target_share']:>8.1%} {p['share']:>8.1%} {p['epochs']}{' (capped)' if p['capped'] else ''}"
        )
    lines.append(f"{'component':<24} {'language':<14} {'available':>10} {'rows':>9} {'share':>8} repeats  licence")
    for c in report["components"]:
        flag = " NON-COMMERCIAL" if c["non_commercial"] else ""
        for language, cell in c["languages"].items():
            lines.append(
                f"{c['name'][:24]:<24} {language:<14} {cell['rows_available']:>10,} {cell['rows']:>9,} "
                f"{cell['share']:>8.1%} {cell['epochs']:>7}  {c['license']}{flag}"
            )
    lines += [f"note: {note}" for note in report["notes"]]
    return lines
