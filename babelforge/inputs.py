"""The identity of a run's inputs, so that a resumed run knows whether they changed.

At its first attempt a run records every input file it will read (sources, translations, and files
or folders that step settings name, such as lexicons, ``fasttext:/path/lid.bin`` or a model folder)
with its size and modification time, and a SHA-256 of its content where that is cheap (small files;
every file with ``--verify-inputs``). A later attempt compares: a file that changed, appeared or
disappeared makes the run start afresh, naming the file; so does a file hashed now but not then.
The assignment of files and byte ranges to tasks is recorded beside it (:func:`assignment`), a pure
function of the files, their sizes and the task count.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

#: Files up to this size are always hashed; larger ones with ``--verify-inputs``.
CHEAP_HASH_BYTES = 8 << 20


def input_files(manifest) -> list[Path]:
    """Every local file whose content decides the run's rows, sorted and absolute."""
    files: set[Path] = set()
    for index, source in enumerate(manifest.sources):
        files.update(_source_files(source, index))
        translation = getattr(source, "translation", None)
        if translation is not None:
            files.update(_expand(translation.path))
    for settings in manifest.step_settings:
        for value in _strings(settings.model_dump()):
            files.update(_named_files(value))
    return sorted(files)


def read_folders(manifest) -> list[Path]:
    """The folders a run reads recursively (sources and translations given as folders): no output goes inside."""
    paths = [source.path for source in manifest.sources if source.kind != "hf"]
    paths += [source.translation.path for source in manifest.sources if getattr(source, "translation", None)]
    return sorted({Path(p).resolve() for p in paths if os.path.isdir(p)})


def snapshot(manifest, verify: bool = False) -> dict[str, dict[str, Any]]:
    """``{path: {size, mtime_ns, sha256?}}`` for every input file (hashes as the module says)."""
    record = {}
    for path in input_files(manifest):
        try:
            stat = path.stat()
        except OSError:  # a dangling link or a file gone since it was listed: nothing to read, nothing to hash
            continue
        entry: dict[str, Any] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
        if verify or stat.st_size <= CHEAP_HASH_BYTES:
            entry["sha256"] = file_sha256(path)
        record[str(path)] = entry
    return record


def assignment(manifest) -> list[list[list]]:
    """Per source, the byte ranges (or row groups) each task reads: ``[[path, start, end, size], ...]`` per task."""
    tasks = getattr(manifest.executor, manifest.executor.use).tasks
    found = []
    for index, source in enumerate(manifest.sources):
        reader = source.reader(index)
        ranges = reader.assignment(tasks) if hasattr(reader, "assignment") else []
        found.append([[list(piece) for piece in task] for task in ranges])
    return found


def changes(before: dict[str, dict], after: dict[str, dict]) -> list[str]:
    """What differs between two snapshots, one phrase per file (``'a.jsonl changed'``)."""
    found = [f"{path} appeared" for path in sorted(after.keys() - before.keys())]
    found += [f"{path} disappeared" for path in sorted(before.keys() - after.keys())]
    for path in sorted(before.keys() & after.keys()):
        old, new = before[path], after[path]
        if old["size"] != new["size"]:
            found.append(f"{path} changed (size {old['size']:,} -> {new['size']:,} bytes)")
        elif "sha256" in old and "sha256" in new:
            if old["sha256"] != new["sha256"]:
                found.append(f"{path} changed (content)")
        elif old["mtime_ns"] != new["mtime_ns"]:
            found.append(f"{path} changed (modified since)")
        elif "sha256" in new:  # hashed now (--verify-inputs) but not then: the content cannot be compared
            found.append(f"{path} was not hashed by the earlier attempt, so its content cannot be compared")
    return found


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _source_files(source, index: int) -> list[Path]:
    if source.kind == "hf":
        return [p for p in Path(source.path).rglob("*") if p.is_file()] if Path(source.path).is_dir() else []
    reader = source.reader(index)
    return [Path(reader.data_folder.resolve_paths(f)).resolve() for f in reader.list_input_files()]


def _expand(pattern: str) -> list[Path]:
    """The files a source-style path names (a folder's files, or a file-name pattern's matches), as readers read it."""
    from babelforge.builders.readers.files import path_matches

    found = []
    for match in path_matches(pattern):
        path = Path(match)
        found += [path.resolve()] if path.is_file() else [p.resolve() for p in path.rglob("*") if p.is_file()]
    return found


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


def _named_files(value: str) -> list[Path]:
    """The local files a step setting names: a path, or a spec such as ``fasttext:/models/lid.bin``
    (``scheme:PATH``); a folder (a model or tokenizer) stands for every file in it."""
    if "\n" in value or "\0" in value:
        return []
    for candidate in (value, value.partition(":")[2]):
        if os.path.isabs(candidate) and os.path.exists(candidate):
            path = Path(candidate)
            if path.is_file():
                return [path.resolve()]
            return sorted(p.resolve() for p in path.rglob("*") if p.is_file())
    return []
