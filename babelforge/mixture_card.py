"""A mixture's dataset card: the Hub's YAML header, then every language's share, every component and its licence.

Components whose licence forbids commercial use are named at the top of the card and in the header's
tags (``non-commercial``); each row's ``non_commercial`` column says which rows they are.
"""

from __future__ import annotations

from typing import Any

from babelforge import card


def mixture_license(prepared) -> str:
    """The mixture's licence: the manifest's ``license``, else the components' one licence, else ``other``."""
    if prepared.mixture.license:
        return prepared.mixture.license
    licenses = {c.license for c in prepared.components}
    return licenses.pop() if len(licenses) == 1 else "other"


def mixture_card(prepared, summary: dict[str, Any], dataset_info: dict, license: str, version: str) -> str:
    """The whole README.md of a mixture."""
    from huggingface_hub import DatasetCardData

    from babelforge.provenance import scrub, secret_environment

    mixture, report = prepared.mixture, summary["mixture"]
    languages = sorted(summary["languages"])
    categories, task_ids = card.TASKS[prepared.kind]
    total = sum(sum(by.values()) for by in summary["rows"].values())
    flagged = [c for c in prepared.components if c.non_commercial]
    config = mixture.output.config
    data = DatasetCardData(
        language=sorted({_iso639_3(c) for c in languages}),
        language_details=", ".join(languages),
        multilinguality=[card.multilinguality(prepared.kind, languages)],
        license=license,
        task_categories=categories,
        task_ids=task_ids or None,
        size_categories=[card.size_category(total)],
        pretty_name=mixture.name,
        tags=["babelforge", "mixture", *(["non-commercial"] if flagged else [])],
        configs=[
            {
                "config_name": config,
                "data_files": [{"split": s, "path": f"data/{config}/{s}-*"} for s in summary["rows"]],
            }
        ],
        dataset_info=dataset_info,
    )
    sections = [
        f"---\n{data.to_yaml()}\n---\n",
        f"# {mixture.name}\n",
        (mixture.description or f"A training mixture of {len(prepared.components)} datasets ({prepared.kind} rows).")
        + "\n",
        f"Mixed with babelforge {version} by `babelforge mix` from the mixture `{mixture.name}` (version "
        f"{mixture.version}); `provenance.json` beside this card records the mixture, every component with "
        "its hash or revision and licence, and the plan.\n",
        _non_commercial(flagged, summary),
        "## Languages\n",
        _how(mixture, report) + "\n",
        _languages(report) + "\n",
        "## Components\n",
        _components(report) + "\n",
        "## Contents\n",
        _contents(summary) + "\n",
        _columns() + "\n",
    ]
    if report["notes"]:
        sections += ["## Notes\n", "\n".join(f"- {note}" for note in report["notes"]) + "\n"]
    return scrub("\n".join(s for s in sections if s), secret_environment())


def _iso639_3(code: str) -> str:
    from babelforge.langs import by_code

    language = by_code().get(code)
    return language.iso639_3 if language is not None else code.partition("_")[0]


def _non_commercial(flagged: list, summary: dict[str, Any]) -> str:
    if not flagged:
        return ""
    named = ", ".join(f"`{c.name}` ({c.license})" for c in flagged)
    return (
        f"> **Non-commercial rows.** {summary['non_commercial_rows']:,} rows come from components whose "
        f"licence forbids commercial use: {named}. Their `non_commercial` column is true: filter them out "
        "before any commercial use.\n"
    )


def _how(mixture, report: dict[str, Any]) -> str:
    from babelforge.families import SOURCE

    sampling = mixture.sampling
    how = f"Sampled by {sampling.by}"
    if sampling.shares or sampling.families:
        given = sampling.shares or sampling.families
        how += (
            " with shares "
            + ", ".join(f"{k} {v:g}" for k, v in given.items())
            + f", the rest by temperature {sampling.power:g}"
        )
    else:
        how += f", temperature {sampling.power:g} (share ∝ size ** temperature)"
    unit = report["unit"] + (f" of the tokenizer `{report['tokenizer']}`" if report["tokenizer"] else "")
    cap = format(mixture.max_epochs, "g") if mixture.max_epochs else "unlimited"
    how += f"; budget {report['budget']:,.0f} {unit}; max_epochs {cap}; seed {mixture.seed}."
    if sampling.by == "family":
        how += f" Families: {SOURCE}."
    return how


def _languages(report: dict[str, Any]) -> str:
    lines = ["| language | family | rows | share | target share | epochs |", "|---|---|---:|---:|---:|---:|"]
    for p in report["languages"]:
        capped = " (capped)" if p["capped"] else ""
        lines.append(
            f"| {p['language']} | {p['family'] or '-'} | {p['rows']:,} | {p['share']:.1%} | "
            f"{p['target_share']:.1%} | {p['epochs']}{capped} |"
        )
    lines.append(f"\nShares are of {report['unit']}.")
    return "\n".join(lines)


def _components(report: dict[str, Any]) -> str:
    lines = [
        "| component | origin | licence | rows taken | unique rows | of available | epochs |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for c in report["components"]:
        origin = f"`{c['path']}` ({c['made_by']})" if "path" in c else f"`{c['hf']}` @ {c['revision']}"
        flag = " (non-commercial)" if c["non_commercial"] else ""
        lines.append(
            f"| {c['name']} | {origin} | {c['license']}{flag} | {c['rows']:,} | {c['unique_rows']:,} | "
            f"{c['rows_available']:,} | {c['epochs']} |"
        )
    return "\n".join(lines)


def _contents(summary: dict[str, Any]) -> str:
    lines = ["| split | language | rows |", "|---|---|---:|"]
    for split, by_language in summary["rows"].items():
        lines += [f"| {split} | {language} | {n:,} |" for language, n in by_language.items()]
    return "\n".join(lines)


def _columns() -> str:
    return (
        "Besides its kind's columns, each row has `component` (where it came from), `repeat` (0 the first time "
        "the row is taken, 1 the second ...), `license` and `non_commercial`. Held-out splits are copied once "
        "from every component, never repeated."
    )
