"""The dataset card: a README.md whose YAML header the Hub and ``datasets`` read.

The card quotes the manifest (name, description, license, attributions) with its values expanded, as
a reader expects; the value of an environment variable named like a secret never appears in it (see
:func:`babelforge.provenance.secret_environment`), nor a path of the machine that made it.

The header lists every language with text in the rows (a row's ``languages``, see
:mod:`babelforge.records`), ``multilinguality`` (``translation`` for bitext, ``multilingual`` when
more than one language is present, else ``monolingual``), and the task categories and ids of the
output's kind. "How it was made" lists the manifest's sources and steps with their settings as
written and what each counted and dropped (:mod:`babelforge.recipe`).
"""

from __future__ import annotations

from typing import Any

from babelforge import langs

#: The Hub's task categories and ids per output kind. Code-mixed rows are text to model, with a language
#: label per token (token classification, for which the Hub has no id) and entity spans when labelled.
TASKS = {
    "ner": (["token-classification"], ["named-entity-recognition"]),
    "spans": (["token-classification"], []),
    "qa": (["question-answering"], ["extractive-qa"]),
    "chat": (["text-generation"], []),
    "text": (["text-generation"], ["language-modeling"]),
    "bitext": (["translation"], []),
    "codemix": (["text-generation", "token-classification"], ["language-modeling"]),
    "preference": (["text-generation"], []),
}
#: Task ids an output of a kind adds when its rows carry labelled spans.
LABELLED_TASKS = {"codemix": ["named-entity-recognition"]}
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
the hash of every file read, the models and tokenizers used with their files' hashes, package versions
and every count.

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


def card_data(
    manifest,
    rows: int,
    split_rows: dict[str, int],
    dataset_info: dict[str, Any],
    languages: list[str],
    labels: list[str] | None = None,
):
    """The YAML header as ``huggingface_hub.DatasetCardData``.

    Args:
        languages: every language with text in the rows (canonical codes, ``deu_Latn``).
        labels: the span labels the rows carry.
    """
    from huggingface_hub import DatasetCardData

    config = manifest.output.config
    kind = manifest.output.kind
    categories, task_ids = TASKS[kind]
    task_ids = task_ids + (LABELLED_TASKS.get(kind, []) if labels else [])
    return DatasetCardData(
        language=sorted({_iso639_3(c) for c in languages}),
        language_details=", ".join(sorted(languages)),
        multilinguality=[multilinguality(kind, languages)],
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


def multilinguality(kind: str, languages: list[str]) -> str:
    """The Hub's ``multilinguality`` of an output of ``kind`` whose rows hold ``languages``."""
    if kind == "bitext":
        return "translation"
    return "multilingual" if len(set(languages)) > 1 else "monolingual"


def _iso639_3(code: str) -> str:
    language = langs.by_code().get(code)
    return language.iso639_3 if language is not None else code.partition("_")[0]


def render_card(manifest, data, summary: dict[str, Any], version: str) -> str:
    """The whole README.md."""
    from babelforge.provenance import manifest_folder, relative_paths, scrub, secret_environment

    text = TEMPLATE.format(
        card_data=data.to_yaml(),
        pretty_name=manifest.name,
        description=manifest.description or f"A {manifest.output.kind} dataset.",
        version=version,
        manifest_name=manifest.name,
        manifest_version=manifest.version,
        contents=_contents(summary),
        steps=_steps(relative_paths(summary.get("recipe") or [], manifest_folder(manifest)), manifest),
        sources=_sources(manifest),
    )
    return scrub(text, secret_environment())


def _contents(summary: dict[str, Any]) -> str:
    lines = ["| split | language | rows |", "|---|---|---:|"]
    for split, by_language in summary["rows"].items():
        lines += [f"| {split} | {language} | {n} |" for language, n in by_language.items()]
    present = summary.get("languages") or {}
    if present:
        held = ", ".join(f"{language} ({n})" for language, n in present.items())
        lines += ["", f"Languages with text in the rows (rows holding each, across splits): {held}."]
    if summary.get("labels"):
        lines += ["", f"Labels: {', '.join(summary['labels'])}."]
    return "\n".join(lines)


def _steps(recipe: list[dict[str, Any]], manifest) -> str:
    """Numbered lines: each source read and each step run, with its settings as written and its counts."""
    lines = []
    for entry in recipe:
        settings = {k: v for k, v in entry["settings"].items() if k not in ("name", "attribution")}
        shown = f" `{_flow(settings)}`" if settings else ""
        what = f"Read `{entry['name']}`" if entry["part"] == "source" else f"`{entry['name']}`"
        lines.append(f"{len(lines) + 1}. {what}{shown}{_counted(entry)}")
    output = manifest.output
    splits = ", ".join(f"{split} {share:g}" for split, share in (output.splits or {}).items())
    how = f", split {splits} by a stable hash of each row's id" if splits else ", split as the sources split them"
    lines.append(f"{len(lines) + 1}. Written as `{output.kind}` rows{how}.")
    return "\n".join(lines)


def _counted(entry: dict[str, Any]) -> str:
    if entry["counts"] is None:
        return ""
    counts = ", ".join(f"{name} {n:,}" for name, n in entry["counts"].items() if not name.startswith("split:"))
    drops = ", ".join(f"{reason} {n:,}" for reason, n in entry["drops"].items())
    parts = [counts] if counts else []
    parts += [f"dropped {drops}"] if drops else ["dropped none"]
    return ": " + "; ".join(parts) + "."


def _flow(value: Any) -> str:
    """A setting as one line of YAML in flow style (``{mapping: {MISC: null}}``)."""
    import yaml

    return yaml.safe_dump(value, default_flow_style=True, sort_keys=False, allow_unicode=True, width=10**9).strip()


def _sources(manifest) -> str:
    lines = []
    for source in manifest.sources:
        credit = f" {source.attribution}" if source.attribution else ""
        lines.append(f"- `{source.display_name}` ({source.kind}, {source.language or 'per record'}).{credit}")
    return "\n".join(lines)
