"""Turn a run's shards into the output folder: typed Parquet, dataset card and provenance.

Layout of ``OUTPUT/``::

    data/<config>/<split>-00000-of-00002.parquet   rows with the output's Features (ClassLabel names kept)
    README.md                                       dataset card with a YAML header (configs, dataset_info)
    dataset_info.json                               the same Features and split sizes, as JSON
    provenance.json                                 manifest, input hashes, versions, counts, timings
    rejects/NN-STEP-RANK.jsonl                      dropped records, when output.write_rejects is set
    rejects/sourceN-READER-RANK.jsonl               (NN: the step's position; readers by source)
    decontamination.json ...                        reports of steps that write one (see _step_reports)

Everything is written into the attempt's own staging folder first and moved into place with one
rename, so an interrupted run never leaves an ``OUTPUT/`` that looks complete; the hidden
``.babelforge`` marker says the folder is babelforge's to replace.
"""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from pathlib import Path
from typing import Any

from babelforge import __version__
from babelforge.card import card_data, render_card
from babelforge.errors import OutputError
from babelforge.recipe import recipe
from babelforge.records import LANGUAGES, features_for, with_languages
from babelforge.spans import split_tag, tag_names
from babelforge.workspace import Workspace


def shard_files(shards_dir: Path) -> dict[str, list[Path]]:
    """Finished shards per split, in rank order (unfinished ``.partial`` files are ignored)."""
    files: dict[str, list[Path]] = {}
    for split_dir in sorted(p for p in shards_dir.iterdir() if p.is_dir()) if shards_dir.is_dir() else []:
        found = sorted(split_dir.glob("*.parquet"))
        if found:
            files[split_dir.name] = found
    return dict(sorted(files.items(), key=lambda kv: _split_order(kv[0])))


def _split_order(split: str) -> tuple[int, str]:
    return ({"train": 0, "validation": 1, "dev": 1, "test": 2}.get(split, 3), split)


def emit(
    plan,
    steps: list[dict],
    drops: dict[str, int],
    timings: dict[str, float],
    review: dict | None = None,
    workspace: Workspace | None = None,
) -> dict[str, Any]:
    """Write the output folder for a finished run and return its summary.

    ``review`` (from ``babelforge review export``) goes into the provenance as the review's account.
    ``workspace`` is the run's claimed and locked output (see :mod:`babelforge.workspace`); the folder
    is staged in this attempt's own folder and renamed into place.

    Raises:
        OutputError: when no record reached the output, or a tag is missing from ``output.labels``.
    """
    manifest = plan.manifest
    files = shard_files(plan.shards_dir)
    if not files:
        why = _why_empty(steps, drops) + _first_reject(plan.work_dir / "rejects", drops)
        raise OutputError(f"{why}; nothing was written to {manifest.output.path}")
    kind = manifest.output.kind
    labels = manifest.output.labels or (_labels_in(files) if kind == "ner" else _span_labels(files))
    names = tag_names(labels, manifest.output.tag_scheme) if kind == "ner" else None
    features = features_for(kind, names, manifest.output.columns)
    workspace = workspace or Workspace(manifest.output.path)
    staging = workspace.attempt_dir / "final"
    shutil.rmtree(staging, ignore_errors=True)
    config = manifest.output.config
    rows: dict[str, dict[str, int]] = {}
    present: dict[str, int] = defaultdict(int)
    split_info = {}
    filled: dict[str, int] = dict.fromkeys(manifest.output.columns, 0)
    for split, paths in files.items():
        rows[split], held, split_info[split] = _write_split(
            staging / "data" / config, split, paths, features, names, filled
        )
        for language, n in held.items():
            present[language] += n
    _refuse_empty_columns(filled, sum(info["num_examples"] for info in split_info.values()), manifest.output.path)
    languages = dict(sorted(present.items()))
    summary = {"rows": rows, "languages": languages, "labels": labels, "steps": steps, "drops": drops}
    summary["recipe"] = recipe(plan, steps)
    if review is not None:
        summary["review"] = review
    if (plan.work_dir / "rejects").is_dir():
        shutil.copytree(plan.work_dir / "rejects", staging / "rejects", ignore=shutil.ignore_patterns(".*.partial"))
    summary["reports"] = _step_reports(plan, staging)
    _write_metadata(plan, staging, features, split_info, summary, timings)
    workspace.publish(staging)
    return summary


def _step_reports(plan, staging: Path) -> list[str]:
    """Files that steps add to the output: a step with a ``write_report(folder)`` method writes its own into
    the staged folder from what its tasks left in the work folder (``decontaminate``: decontamination.json),
    and returns the names it wrote."""
    written: list[str] = []
    for step in (step for p in plan.passes for step in p.steps):
        write = getattr(step, "write_report", None)
        if callable(write):
            written += write(staging)
    return written


def _why_empty(steps: list[dict], drops: dict[str, int]) -> str:
    """Why no row reached the output: empty inputs, or every record dropped (and where)."""
    readers = [s for s in steps if s.get("type") == "reader"]
    if readers and not any(s["counts"].get("read") or s["drops"] for s in readers):
        names = ", ".join(s["name"] for s in readers)
        return f"the input held no records ({names}: 0 read); check the source paths and files"
    reasons = ", ".join(f"{k} {v:,}" for k, v in drops.items()) or "none counted"
    return f"no record reached the output (drops: {reasons})"


def _first_reject(folder: Path, drops: dict[str, int]) -> str:
    """The first rejected record's reason and detail, and where the others are (or how to keep them)."""
    if not drops:
        return ""
    for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else ():
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                try:
                    first = json.loads(line)
                except ValueError:
                    continue
                detail = f": {first['detail']}" if first.get("detail") else ""
                return f"; the first: {first.get('reason')}{detail}; every rejected record is in {folder}"
    return "; set output.write_rejects: true to keep the rejected records with their reasons"


def _labels_in(files: dict[str, list[Path]]) -> list[str]:
    tags: set[str] = set()
    for paths in files.values():
        for path in paths:
            tags.update(_tags_in(path))
    return sorted({label for tag in tags if (label := split_tag(tag)[1])})


def _span_labels(files: dict[str, list[Path]]) -> list[str]:
    """The labels of the ``spans`` column of shards that have one (span and code-mixed rows)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    labels: set[str] = set()
    for path in (path for paths in files.values() for path in paths):
        if "spans" in pq.read_schema(path).names:
            spans = pc.list_flatten(pq.read_table(path, columns=["spans"]).column("spans"))
            labels.update(pc.unique(pc.struct_field(spans, "label")).to_pylist())
    return sorted(label for label in labels if label)


def _tags_in(path: Path) -> list[str]:
    """A shard's distinct tags: from its footer (:data:`~babelforge.shards.NER_TAGS_KEY`), else from its rows."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from babelforge.shards import NER_TAGS_KEY

    written = (pq.read_metadata(path).metadata or {}).get(NER_TAGS_KEY)
    if written is not None:
        return json.loads(written)
    column = pq.read_table(path, columns=["ner_tags"]).column("ner_tags")
    return pc.unique(pc.list_flatten(column)).to_pylist()


def _refuse_empty_columns(filled: dict[str, int], total: int, path: str) -> None:
    """Refuse an ``output.columns`` entry that no record filled: a misspelt or unkept field, not data.

    Raises:
        OutputError: naming the columns and where their values come from (nothing is published).
    """
    empty = [name for name, count in filled.items() if not count]
    if empty and total:
        names = ", ".join(map(repr, empty))
        raise OutputError(
            f"output.columns {names}: no record of {total} has a value there (the field is missing or null in "
            "every record), so the column would hold only nulls; name a column a source keeps "
            "(sources[N].fields.keep) or a translated field's "
            f"target_<name>, or leave it out; nothing was written to {path}"
        )


def _write_split(folder: Path, split: str, paths: list[Path], features, names: list[str] | None, filled=None):
    """Write one split's shards; ``filled`` (extra column -> values that are not null) is counted on."""
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    by_language: dict[str, int] = defaultdict(int)
    holding: dict[str, int] = defaultdict(int)  # rows with text in each language (a row's ``languages``)
    num_bytes = num_rows = 0
    for i, path in enumerate(paths):
        if names is not None:  # tags as dictionary ids: each distinct tag is looked up once per row group
            table = _tags_to_ids(pq.read_table(path, read_dictionary=_NER_TAG_VALUES), names)
        else:
            table = pq.read_table(path)
        table = with_languages(table).select(list(features)).cast(features.arrow_schema)
        for column in filled or ():
            filled[column] += table.num_rows - table.column(column).null_count
        target = folder / f"{split}-{i:05d}-of-{len(paths):05d}.parquet"
        pq.write_table(table, target)
        num_bytes += table.nbytes
        num_rows += table.num_rows
        for row in table.group_by("language").aggregate([("id", "count")]).to_pylist():
            by_language[row["language"]] += row["id_count"]
        for language, n in _holding(table).items():
            holding[language] += n
    return dict(sorted(by_language.items())), holding, {"num_bytes": num_bytes, "num_examples": num_rows}


def _holding(table) -> dict[str, int]:
    """How many rows of ``table`` have text in each language."""
    import pyarrow.compute as pc

    values = pc.value_counts(pc.list_flatten(table.column(LANGUAGES))).to_pylist()
    return {count["values"]: count["counts"] for count in values}


#: The Parquet paths of ``ner_tags`` values (as pyarrow names list elements now, and as it did before).
_NER_TAG_VALUES = ["ner_tags.list.element", "ner_tags.list.item"]


def _tags_to_ids(table, names: list[str]):
    """Replace the ``ner_tags`` strings (plain or dictionary-encoded) with their index in ``names``.

    Raises:
        OutputError: naming the tags that are not in ``names``.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    value_set = pa.array(names)
    lists = [_chunk_ids(chunk, value_set) for chunk in table.column("ner_tags").chunks]
    if any(chunk.values.null_count for chunk in lists):
        values = pc.list_flatten(table.column("ner_tags")).cast(pa.string())
        unknown = sorted(set(pc.filter(values, pc.is_null(pc.index_in(values, value_set=value_set))).to_pylist()))
        raise OutputError(
            f"tags {unknown} are not in output.labels ({', '.join(names)}): "
            "add their labels, or map them away with a map_labels step"
        )
    column = pa.chunked_array(lists, type=pa.list_(pa.int64()))
    return table.set_column(table.schema.get_field_index("ner_tags"), "ner_tags", column)


def _chunk_ids(chunk, value_set):
    """One chunk of a list<string> (or list<dictionary>) column as list<int64> ids into ``value_set``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values = chunk.flatten()  # only this chunk's own values, also when it is a slice
    if pa.types.is_dictionary(values.type):
        ids = pc.index_in(values.dictionary, value_set=value_set).cast(pa.int64()).take(values.indices)
    else:
        ids = pc.index_in(values, value_set=value_set).cast(pa.int64())
    offsets = pc.subtract(chunk.offsets, chunk.offsets[0])
    return pa.ListArray.from_arrays(offsets, ids)


def _write_metadata(plan, staging: Path, features, split_info: dict, summary: dict, timings: dict) -> None:
    from datasets import DatasetInfo, SplitDict, SplitInfo

    from babelforge.model_records import models_used
    from babelforge.provenance import build_provenance, recorded_inputs, scrub, secret_environment

    manifest = plan.manifest
    splits = SplitDict()
    for split, info in split_info.items():
        splits.add(SplitInfo(name=split, **info))
    info = DatasetInfo(features=features, splits=splits, config_name=manifest.output.config, license=manifest.license)
    dataset_info = scrub(info._to_yaml_dict(), secret_environment())  # as provenance and the card are
    (staging / "dataset_info.json").write_text(json.dumps(dataset_info, indent=2, ensure_ascii=False))
    languages = sorted(summary.get("languages") or {lang for by in summary["rows"].values() for lang in by})
    total = sum(v["num_examples"] for v in split_info.values())
    data = card_data(manifest, total, summary["rows"], dataset_info, languages, summary.get("labels"))
    (staging / "README.md").write_text(render_card(manifest, data, summary, __version__), encoding="utf-8")
    inputs = recorded_inputs(plan)
    provenance = build_provenance(manifest, summary, timings, models_used(plan, inputs), inputs)
    (staging / "provenance.json").write_text(json.dumps(provenance, indent=2, ensure_ascii=False))
