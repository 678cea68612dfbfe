"""``babelforge decontaminate-check``: the decontaminate step's test on a finished dataset, as a report.

A dataset is a babelforge output folder (its Parquet rows, whatever their kind) or a Hugging Face
dataset by id (``--field`` names the text). Benchmarks are given as on the command line:
``PATH[,key=value...]`` (``field=question+context``, ``language=eng_Latn``, ``config=``, ``split=``,
``id=``, ``name=``, ``format=``), or a YAML mapping ``{path: ..., field: ...}``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from babelforge.curate.benchmarks import HUB, BenchmarkSpec
from babelforge.errors import BabelforgeError

#: Output columns that hold text a benchmark item may have leaked into, in the order they are read.
TEXT_COLUMNS = ("text", "context", "question", "target_text", "source_text", "completion")
BATCH = 64


def parse_benchmark(value: str) -> BenchmarkSpec:
    """A :class:`BenchmarkSpec` from ``PATH[,key=value...]`` or a YAML mapping.

    Raises:
        BabelforgeError: naming the bad part and the keys that are valid.
    """
    from pydantic import ValidationError

    if value.lstrip().startswith("{"):
        import yaml

        try:
            settings = yaml.safe_load(value)
        except yaml.YAMLError as error:
            raise BabelforgeError(f"--benchmark {value!r} is not a YAML mapping ({error})") from None
    else:
        path, *pairs = value.split(",")
        settings: dict[str, Any] = {"path": path}
        for pair in pairs:
            key, sep, setting = pair.partition("=")
            if not sep:
                raise BabelforgeError(f"--benchmark {value!r}: {pair!r} is not key=value (e.g. field=text)")
            settings[key.strip()] = setting.split("+") if key.strip() == "field" and "+" in setting else setting
    try:
        return BenchmarkSpec.model_validate(settings, context={"base_dir": "."})
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}" for e in error.errors())
        keys = ", ".join(BenchmarkSpec.model_fields)
        raise BabelforgeError(f"--benchmark {value!r}: {problems} (keys: {keys})") from None


def dataset_rows(dataset: str, field: str = "text", config: str | None = None,
                 split: str | None = None) -> Iterator[tuple[str, str, str | None]]:  # fmt: skip
    """``(id, text, language)`` of every row of an output folder, or of a Hub dataset's ``field``."""
    path = Path(dataset)
    if path.exists():
        yield from _output_rows(path)
    else:
        yield from _hub_rows(dataset, field, config, split)


def _output_rows(path: Path) -> Iterator[tuple[str, str, str | None]]:
    from babelforge.outputs import OutputFolder

    folder = OutputFolder.open(path)
    for files in folder.split_files().values():
        for row in folder.read_split(files).iter_rows(named=True):
            yield str(row.get("id")), row_text(row), row.get("language")


def row_text(row: dict[str, Any]) -> str:
    """The text of an output row of any kind: its text columns, tokens and turns, one per line."""
    parts = [row[c] for c in TEXT_COLUMNS if isinstance(row.get(c), str)]
    if isinstance(row.get("tokens"), list) and "text" not in row:
        parts.append(" ".join(map(str, row["tokens"])))
    parts += [str(m.get("content", "")) for m in row.get("messages") or [] if isinstance(m, dict)]
    return "\n".join(dict.fromkeys(p for p in parts if p))


def _hub_rows(dataset: str, field: str, config: str | None, split: str | None):
    from babelforge.curate.benchmarks import _require_reachable
    from babelforge.errors import brief

    name = dataset.removeprefix(HUB)
    import datasets
    from huggingface_hub import constants

    where = f"dataset {name} (config {config!r}, split {split or 'all'!r})"
    if not constants.HF_HUB_OFFLINE:
        _require_reachable(name, None, where)
    try:
        loaded = datasets.load_dataset(name, config, split=split)
    except Exception as error:  # noqa: BLE001 - not cached, unknown config or split: one line either way
        raise BabelforgeError(f"{where} could not be loaded: {brief(str(error), 200)}") from None
    parts = loaded.items() if isinstance(loaded, dict) else [(split, loaded)]
    for part, rows in parts:
        if field not in rows.column_names:
            raise BabelforgeError(
                f"{where}: no column '{field}' (columns: {', '.join(rows.column_names)}); set --field"
            )
        for number, row in enumerate(rows):
            yield str(row.get("id", f"{part}/{number}")), str(row[field] or ""), row.get("language")


def check_dataset(rows, specs: list[BenchmarkSpec], embedder: str | None, settings=None) -> dict[str, Any]:
    """The ``decontamination.json`` report of ``rows`` (``(id, text, language)``) against the benchmarks."""
    from babelforge.curate.benchmarks import load_benchmark
    from babelforge.curate.contamination import ContaminationDetector, DetectorSettings
    from babelforge.curate.decontaminate_report import build_report
    from babelforge.embedders import embedder as make_embedder

    settings = settings or DetectorSettings()
    loaded = [load_benchmark(spec) for spec in specs]
    model = make_embedder(embedder) if embedder else None
    detector = ContaminationDetector(loaded, settings, model)
    hits, checked, batch = [], 0, []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            hits += _check(detector, batch)
            checked, batch = checked + len(batch), []
    hits += _check(detector, batch)
    checked += len(batch)
    infos = [{"name": b.name, "path": s.path, "language": s.language, "items": len(b.items), "skipped": b.skipped}
             for b, s in zip(loaded, specs, strict=True)]  # fmt: skip
    from dataclasses import asdict

    return build_report(hits, checked, infos, "check", {"embedder": embedder, **asdict(settings)})


def _check(detector, batch: list[tuple[str, str, str | None]]) -> list[dict[str, Any]]:
    if not batch:
        return []
    found = detector.check([text for _, text, _ in batch], [language for _, _, language in batch])
    return [{"record": rid, **hit._asdict()} for (rid, _, _), hits in zip(batch, found, strict=True) for hit in hits]
