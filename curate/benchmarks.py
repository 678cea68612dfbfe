"""Benchmark test sets to decontaminate against: files of several kinds, or Hugging Face datasets by id.

A benchmark is given as a :class:`BenchmarkSpec` (a manifest's ``decontaminate.benchmarks`` entry, or
``--benchmark`` on the command line) and read into :class:`BenchmarkItem` s, one per row and field:

- ``.jsonl`` / ``.ndjson`` (one object per line), ``.json`` (a list of objects, or SQuAD's
  ``{"data": [...]}`` layout: a row per question with ``question``, ``context``, ``title``; a context's
  id is ``TITLE/PARAGRAPH``), ``.parquet``, ``.tsv`` / ``.csv`` (a header row names the columns), and
  plain text (``.txt`` or anything else: an item per non-empty line); compressed files too (``.gz``, ...);
- ``hf:ID`` (with ``config``, ``split``, ``revision``): loaded by name through ``datasets``; offline,
  or with a wrong id, it fails at once with one line naming the dataset and what to do.

``field`` names the field (or fields) holding the text, ``id`` the field holding each row's id (the row
number when absent). Rows whose field is empty are skipped and counted; identical texts within a
benchmark are one item (the first id). Items are matched in any language; ``language`` tells the report
whether a match in another language was a translation.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from babelforge.errors import BabelforgeError, brief
from babelforge.langs import LanguageCode

HUB = "hf:"
FORMATS = ("jsonl", "json", "parquet", "tsv", "csv", "text")
_ENDINGS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".parquet": "parquet", ".tsv": "tsv",
            ".csv": "csv"}  # fmt: skip


class BenchmarkItem(NamedTuple):
    """One text of a benchmark: where it came from, its id, its text and language (when known)."""

    benchmark: str
    id: str
    text: str
    language: str | None


class Benchmark(NamedTuple):
    """A benchmark's items, and how many of its rows gave no text (empty field) or repeated one."""

    name: str
    items: list[BenchmarkItem]
    skipped: int
    repeated: int


class BenchmarkSpec(BaseModel):
    """Where a benchmark's items are and which field holds their text.

    Example (manifest)::

        decontaminate:
          benchmarks:
            - {path: data/flores.devtest.hau.txt, language: hau_Latn}
            - {path: hf:google/xquad, config: xquad.en, split: validation, field: [question, context]}
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    path: str = Field(description="a file (jsonl, json, parquet, tsv, csv, text), or hf:ID for a Hub dataset")
    field: str | list[str] = Field("text", description="the field(s) holding the text (not used for text files)")
    id: str | None = Field("id", description="the field holding each row's id; absent: the row number")
    language: LanguageCode | None = Field(None, description="the items' language")
    name: str | None = Field(None, description="the name in the report; default: the file stem or Hub id")
    format: Literal["auto", "jsonl", "json", "parquet", "tsv", "csv", "text"] = "auto"
    config: str | None = Field(None, description="hf: the dataset config")
    split: str = Field("test", description="hf: the split to read")
    revision: str | None = Field(None, description="hf: a branch, tag or commit")

    @field_validator("path")
    @classmethod
    def _existing(cls, value: str, info: ValidationInfo) -> str:
        if value.startswith(HUB):
            if len(value) == len(HUB):
                raise ValueError("hf: needs a dataset id, e.g. hf:google/xquad")
            return value
        from babelforge.sources import existing_path

        return existing_path(value, info)

    @field_validator("field")
    @classmethod
    def _some_field(cls, value: str | list[str]) -> str | list[str]:
        if not value:
            raise ValueError("name at least one field holding the items' text")
        return value

    @property
    def fields(self) -> list[str]:
        return [self.field] if isinstance(self.field, str) else list(self.field)

    @property
    def display_name(self) -> str:
        if self.name:
            return self.name
        if self.path.startswith(HUB):
            return self.path[len(HUB) :] + (f"/{self.config}" if self.config else "")
        return Path(self.path).name.split(".")[0]

    @property
    def file_format(self) -> str:
        """The format read: ``format``, or the file's ending (``.gz`` and such looked through)."""
        if self.format != "auto":
            return self.format
        suffixes = [s for s in Path(self.path).suffixes if s not in (".gz", ".bz2", ".xz", ".zst")]
        return _ENDINGS.get(suffixes[-1].lower() if suffixes else "", "text")


def load_benchmark(spec: BenchmarkSpec) -> Benchmark:
    """Read a benchmark's items.

    Raises:
        BabelforgeError: a file that cannot be read or parsed, a field that is not there, a Hub dataset
            that cannot be loaded; each names the benchmark, the place and the fix.
    """
    rows = _hub_rows(spec) if spec.path.startswith(HUB) else _file_rows(spec)
    items, seen, skipped, repeated = [], set(), 0, 0
    fields = spec.fields
    for number, row in enumerate(rows, start=1):
        for field in fields:
            text = _field(spec, row, field, number)
            if not text.strip():
                skipped += 1
                continue
            if text in seen:
                repeated += 1
                continue
            seen.add(text)
            own = _row_id(row, spec, field, number)
            items.append(BenchmarkItem(spec.display_name, f"{own}:{field}" if len(fields) > 1 else own, text,
                                       spec.language))  # fmt: skip
    if not items:
        raise BabelforgeError(f"benchmark {spec.display_name} ({spec.path}): no item has text in {', '.join(fields)}")
    return Benchmark(spec.display_name, items, skipped, repeated)


def _row_id(row: dict, spec: BenchmarkSpec, field: str, number: int) -> str:
    ids = row.get("_ids")
    if isinstance(ids, dict) and field in ids:
        return str(ids[field])
    value = row.get(spec.id) if spec.id else None
    return str(number) if value in (None, "") else str(value)


def _field(spec: BenchmarkSpec, row: dict, field: str, number: int) -> str:
    if field not in row:
        shown = ", ".join(k for k in map(str, row) if not k.startswith("_")) or "none"
        raise BabelforgeError(
            f"benchmark {spec.display_name} ({spec.path}), row {number}: no field '{field}' (its fields: {shown}); "
            "set 'field' to the one holding the text"
        )
    value = row[field]
    if value is None:
        return ""
    if isinstance(value, list):  # e.g. a dataset's list of answers
        return "\n".join(str(v) for v in value if v is not None)
    return str(value)


def _file_rows(spec: BenchmarkSpec) -> list[dict[str, Any]]:
    from babelforge.builders.readers.files import open_decompressed

    kind = spec.file_format
    try:
        if kind == "parquet":
            import pyarrow.parquet as pq

            return pq.read_table(spec.path).to_pylist()
        with open_decompressed(spec.path) as f:
            text = f.read().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BabelforgeError(
            f"benchmark {spec.display_name}: {spec.path} is not UTF-8 text (byte {error.start})"
        ) from None
    except Exception as error:  # noqa: BLE001 - an unreadable file of any kind is one line
        raise BabelforgeError(
            f"benchmark {spec.display_name}: cannot read {spec.path} ({brief(str(error), 160)})"
        ) from None
    return _parse(spec, kind, text)


def _parse(spec: BenchmarkSpec, kind: str, text: str) -> list[dict[str, Any]]:
    if kind == "text":
        return [{"text": line.strip(), "_ids": {}} for line in text.splitlines() if line.strip()]
    if kind in ("tsv", "csv"):
        return list(csv.DictReader(io.StringIO(text), delimiter="\t" if kind == "tsv" else ","))
    if kind == "jsonl":
        return [_json(spec, line, n) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    data = _json(spec, text, None)
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        return list(_squad_rows(data["data"]))
    if isinstance(data, list) and all(isinstance(row, dict) for row in data):
        return data
    raise BabelforgeError(
        f'benchmark {spec.display_name}: {spec.path} holds neither a list of objects nor SQuAD\'s {{"data": [...]}}'
    )


def _json(spec: BenchmarkSpec, text: str, line: int | None):
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as error:
        where = f"{spec.path}:{line}" if line else spec.path
        raise BabelforgeError(
            f"benchmark {spec.display_name}: {where} is not JSON ({brief(str(error), 120)})"
        ) from None
    if line is not None and not isinstance(value, dict):
        raise BabelforgeError(f"benchmark {spec.display_name}: {spec.path}:{line} is not a JSON object")
    return value


def _squad_rows(articles: list):
    for article in articles:
        title = str(article.get("title", "")) if isinstance(article, dict) else ""
        for number, paragraph in enumerate(article.get("paragraphs", []) if isinstance(article, dict) else []):
            context = paragraph.get("context", "")
            for qa in paragraph.get("qas", []):
                yield {"id": qa.get("id"), "question": qa.get("question"), "context": context, "title": title,
                       "_ids": {"context": f"{title}/{number}", "title": title}}  # fmt: skip


def _hub_rows(spec: BenchmarkSpec) -> list[dict[str, Any]]:
    dataset_id = spec.path[len(HUB) :]
    try:
        import datasets
        from huggingface_hub import constants
    except ImportError:
        from babelforge.errors import MissingDependencyError

        raise MissingDependencyError(f"benchmark {spec.path}", ["datasets"], "curate") from None
    where = f"benchmark {spec.path} (config {spec.config!r}, split {spec.split!r})"
    if not constants.HF_HUB_OFFLINE:
        _require_reachable(dataset_id, spec.revision, where)
    try:
        dataset = datasets.load_dataset(dataset_id, spec.config, split=spec.split, revision=spec.revision)
    except Exception as error:  # noqa: BLE001 - not cached, unknown config or split: one line either way
        raise BabelforgeError(
            f"{where} could not be loaded: {brief(str(error), 200)}. Check the id, config and split; offline, "
            "download it first (hf download --repo-type dataset ID) or give the benchmark as a file"
        ) from None
    return dataset.to_list()


def _require_reachable(dataset_id: str, revision: str | None, where: str) -> None:
    """One quick question to the Hub, so that an unreachable Hub fails now instead of after minutes of retries."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import RepositoryNotFoundError

    try:
        HfApi().dataset_info(dataset_id, revision=revision, timeout=5)
    except RepositoryNotFoundError:
        raise BabelforgeError(f"{where}: the Hub has no such dataset (or it is private: log in)") from None
    except Exception as error:  # noqa: BLE001 - connection errors come from httpx, requests or the OS
        raise BabelforgeError(
            f"{where}: the Hub is unreachable ({type(error).__name__}: {brief(str(error), 120)}). If the dataset is "
            "in your cache, set HF_HUB_OFFLINE=1; otherwise download it where the Hub is reachable, or give the "
            "benchmark as a file"
        ) from None
