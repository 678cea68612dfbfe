"""The dataset card: a README.md whose YAML header the Hub and ``datasets`` read.

The card quotes the manifest (name, description, license, attributions) with its values expanded, as
a reader expects; the value of an environment variable named like a secret never appears in it (see
:func:`babelforge.provenance.secret_environment`).
"""

from __future__ import annotations

from typing import Any

from babelforge import langs

TASKS = {
    "ner": (["token-classification"], ["named-entity-recognition"]),
    "spans": (["token-classification"], []),
    "qa": (["question-answering"], ["extractive-qa"]),
    "chat": (["text-generation"], []),
    "text": (["text-generation"], ["language-modeling"]),
    "bitext": (["translation"], []),
    "codemix": (["text-generation", "token-classification"], ["language-identification"]),
}
_SIZES = [
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
]

TEMPLATE = """---
{card_data}
---

# {pretty_name}

{description}

Forged with babelforge {version} from the manifest `{manifest_name}` (version {manifest_version});
`provenance.json` beside this card records the manifest (environment variables as `${{VAR}}` references),
input hashes, package versions and every count.

## Contents

{contents}

## How it was made

{steps}

## Sources

{sources}
"""


def size_category(rows: int) -> str:
    """The Hub's size category for ``rows`` examples."""
    return next((name for limit, name in _SIZES if rows < limit), "n>10M")


def card_data(manifest, rows: int, split_rows: dict[str, int], dataset_info: dict[str, Any], languages: list[str]):
    """The YAML header as ``huggingface_hub.DatasetCardData``."""
    from huggingface_hub import DatasetCardData

    config = manifest.output.config
    categories, task_ids = TASKS[manifest.output.kind]
    return DatasetCardData(
        language=sorted({langs.by_code()[c].iso639_3 for c in languages}),
        language_details=", ".join(sorted(languages)),
        license=manifest.license,
        task_categories=categories,
        task_ids=task_ids or None,
        size_categories=[size_category(rows)],
        pretty_name=manifest.name,
        configs=[
            {
                "config_name": config,
                "data_files": [{"split": s, "path": f"data/{config}/{s}-*"} for s in split_rows],
            }
        ],
        dataset_info=dataset_info,
    )


def render_card(manifest, data, summary: dict[str, Any], version: str) -> str:
    """The whole README.md."""
    from babelforge.provenance import scrub, secret_environment

    text = TEMPLATE.format(
        card_data=data.to_yaml(),
        pretty_name=manifest.name,
        description=manifest.description or f"A {manifest.output.kind} dataset.",
        version=version,
        manifest_name=manifest.name,
        manifest_version=manifest.version,
        contents=_contents(summary),
        steps=_steps(summary),
        sources=_sources(manifest),
    )
    return scrub(text, secret_environment())


def _contents(summary: dict[str, Any]) -> str:
    lines = ["| split | language | rows |", "|---|---|---:|"]
    for split, by_language in summary["rows"].items():
        lines += [f"| {split} | {language} | {n} |" for language, n in by_language.items()]
    if summary.get("labels"):
        lines += ["", f"Labels: {', '.join(summary['labels'])}."]
    return "\n".join(lines)


def _steps(summary: dict[str, Any]) -> str:
    lines = []
    for step in summary["steps"]:
        drops = ", ".join(f"{reason} {n}" for reason, n in step["drops"].items())
        lines.append(f"- `{step['name']}`" + (f": dropped {drops}" if drops else ""))
    return "\n".join(lines) or "- read and written unchanged"


def _sources(manifest) -> str:
    lines = []
    for source in manifest.sources:
        credit = f" {source.attribution}" if source.attribution else ""
        lines.append(f"- `{source.display_name}` ({source.kind}, {source.language or 'per record'}).{credit}")
    return "\n".join(lines)
