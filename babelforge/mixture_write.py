"""Write a prepared mixture into a staging folder: shuffled Parquet, dataset_info, card and provenance.

The train split holds the rows each cell took, shuffled together by the mixture's seed, in shards of
at most :data:`SHARD_ROWS` rows. Held-out splits (validation, test) are copied once from every
component (``held_out: copy``), never up-sampled, or left out (``held_out: drop``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from babelforge import __version__
from babelforge.mixture_report import left_out, mixture_report

#: Rows per Parquet file of the train split.
SHARD_ROWS = 250_000


def write_staged(prepared, staging: Path) -> dict[str, Any]:
    """Write the whole folder under ``staging``; return the summary."""
    import shutil
    import time

    started = time.perf_counter()
    shutil.rmtree(staging, ignore_errors=True)
    folder = staging / "data" / prepared.mixture.output.config
    folder.mkdir(parents=True)
    splits = {"train": _train_rows(prepared)}
    if prepared.mixture.held_out == "copy":
        splits.update(_held_out(prepared))
    rows, info = {}, {}
    for split, table in splits.items():
        rows[split], info[split] = _write_split(folder, split, table)
    report = mixture_report(prepared)
    summary = {
        "rows": rows,
        "languages": _holding(splits.values()),
        "mixture": report,
        "non_commercial_rows": sum(
            int(np.count_nonzero(t.column("non_commercial").to_numpy())) for t in splits.values()
        ),
    }
    prepared.timings["write"] = time.perf_counter() - started
    _write_metadata(prepared, staging, summary, info)
    return summary


def _train_rows(prepared):
    """Every cell's rows, ``repeat`` set, shuffled together by the seed."""
    import pyarrow as pa

    from babelforge.errors import OutputError
    from babelforge.mixture_run import conformed_train

    parts = []
    for component in prepared.components:
        keys = [k for k in prepared.selections if k[0] == component.index and len(prepared.selections[k].indices)]
        if not keys:
            continue
        table = conformed_train(component, prepared.mixture, prepared.features, prepared.names)
        indices = np.concatenate([prepared.taken(k) for k in keys])
        repeats = np.concatenate([prepared.selections[k].repeats for k in keys])
        taken = table.take(pa.array(indices))
        parts.append(taken.set_column(taken.column_names.index("repeat"), "repeat", pa.array(repeats, pa.int32())))
    if not parts:
        raise OutputError(
            f"the budget of {prepared.plan.budget:,.0f} {prepared.plan.unit} takes no whole row: raise budget"
        )
    table = pa.concat_tables(parts)
    order = np.random.default_rng([prepared.mixture.seed, 0x5EED]).permutation(table.num_rows)
    return table.take(pa.array(order))


def _held_out(prepared) -> dict[str, Any]:
    """The components' other splits, each row once."""
    import pyarrow as pa

    from babelforge.mixture_rows import conform

    found = defaultdict(list)
    for component in prepared.components:
        language = prepared.mixture.components[component.index].language
        for split in component.splits:
            if split != "train":
                table = component.table(split)
                found[split].append(conform(table, component, prepared.features, prepared.names, language))
    return {split: pa.concat_tables(tables) for split, tables in sorted(found.items())}


def _write_split(folder: Path, split: str, table) -> tuple[dict[str, int], dict[str, int]]:
    import pyarrow.parquet as pq

    shards = max(1, -(-table.num_rows // SHARD_ROWS))
    for i in range(shards):
        pq.write_table(table.slice(i * SHARD_ROWS, SHARD_ROWS), folder / f"{split}-{i:05d}-of-{shards:05d}.parquet")
    counts = table.group_by("language").aggregate([("id", "count")]).to_pylist()
    by_language = {row["language"]: row["id_count"] for row in sorted(counts, key=lambda r: r["language"])}
    return by_language, {"num_bytes": table.nbytes, "num_examples": table.num_rows}


def _holding(tables) -> dict[str, int]:
    """Rows with text in each language (a row's ``languages``), across splits."""
    import pyarrow.compute as pc

    held: dict[str, int] = defaultdict(int)
    for table in tables:
        for count in pc.value_counts(pc.list_flatten(table.column("languages"))).to_pylist():
            held[count["values"]] += count["counts"]
    return dict(sorted(held.items()))


def _write_metadata(prepared, staging: Path, summary: dict[str, Any], split_info: dict) -> None:
    from datasets import DatasetInfo, SplitDict, SplitInfo

    from babelforge.mixture_card import mixture_card, mixture_license
    from babelforge.mixture_provenance import mixture_provenance
    from babelforge.provenance import scrub, secret_environment

    splits = SplitDict()
    for split, info in split_info.items():
        splits.add(SplitInfo(name=split, **info))
    license = mixture_license(prepared)
    info = DatasetInfo(
        features=prepared.features, splits=splits, config_name=prepared.mixture.output.config, license=license
    )
    dataset_info = scrub(info._to_yaml_dict(), secret_environment())
    (staging / "dataset_info.json").write_text(json.dumps(dataset_info, indent=2, ensure_ascii=False))
    card = mixture_card(prepared, summary, dataset_info, license, __version__)
    (staging / "README.md").write_text(card, encoding="utf-8")
    summary["drops"] = {"mix: not_sampled": left_out(summary["mixture"])}
    provenance = mixture_provenance(prepared, summary, license)
    (staging / "provenance.json").write_text(json.dumps(provenance, indent=2, ensure_ascii=False))
