"""A mixture's components, opened: babelforge output folders and Hub datasets, with their kind, licence and origin.

An output folder is opened by :class:`babelforge.outputs.OutputFolder` (the reader ``inspect`` and
``train`` use), its kind and licence read from its provenance (the card's header where provenance has
none), its Parquet files hashed for the mixture's provenance. A Hub dataset is loaded with
``datasets.load_dataset`` (id, config, split, revision); offline or unknown, it fails at once with one
line. A licence that forbids commercial use (``cc-by-nc-*``, research only) flags the component.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babelforge.errors import BabelforgeError, brief
from babelforge.manifest_problems import Problem

#: Licences that forbid commercial use: Creative Commons NC variants, research-only and academic licences.
NON_COMMERCIAL = re.compile(r"(?i)(?:^|[-_ .])nc(?:[-_ .]|$)|non-?commercial|research[-_ ]?only|academic[-_ ]?only")
#: Licence values that say nothing: a licence the mixture manifest gives may stand in for them.
UNSAID = {"", "other", "unknown", "none"}


def non_commercial(license: str) -> bool:
    """Whether ``license`` forbids commercial use (``cc-by-nc-4.0``, ``cc-by-nc-sa-4.0``, ``research-only``)."""
    return bool(NON_COMMERCIAL.search(license or ""))


@dataclass
class OpenComponent:
    """A component ready to read: its kind, licence, origin (for provenance) and where its rows are."""

    index: int
    name: str
    kind: str
    license: str
    origin: dict[str, Any]
    class_names: list[str] | None = None
    files: dict[str, list[Path]] = field(default_factory=dict)  # an output's Parquet files per split
    dataset: Any = None  # a Hub component's datasets.Dataset
    folder: Any = None  # an output's OutputFolder

    @property
    def non_commercial(self) -> bool:
        return non_commercial(self.license)

    @property
    def splits(self) -> list[str]:
        return ["train"] if self.dataset is not None else list(self.files)

    def table(self, split: str):
        """The rows of ``split`` as a ``pyarrow.Table``, as stored.

        Raises:
            OutputError: a Parquet file that cannot be read, named.
        """
        import pyarrow.parquet as pq

        if self.dataset is not None:
            if split != "train":
                return None
            indexed = self.dataset._indices is not None  # a selection of rows: written out once
            return (self.dataset.flatten_indices() if indexed else self.dataset).data.table
        try:
            return pq.read_table(self.files[split])
        except Exception:
            self.folder.read_split(self.files[split])
            raise


def open_components(mixture) -> list[OpenComponent]:
    """Open every component of ``mixture``.

    Raises:
        ManifestError: every component that cannot be opened, each naming its field and the fix.
    """
    from babelforge.manifest import ManifestError

    opened, problems = [], []
    for index, spec in enumerate(mixture.components):
        try:
            one = _open_output(index, spec, mixture.folder) if spec.path else _open_hub(index, spec, mixture.folder)
            opened.append(_licensed(one, spec))
        except BabelforgeError as error:  # "FIELD: message"
            where, _, message = str(error).partition(": ")
            problems.append(Problem(f"components[{index}].{where}", message))
    names = [c.name for c in opened]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(Problem("components", f"two components are named {name!r}: give each a distinct 'name'"))
    if problems:
        raise ManifestError(str(mixture._file or "mixture"), problems)
    return opened


def locate(written: str, folder: Path) -> Path:
    """An output path as written: from the working directory, else from the mixture's folder.

    Raises:
        BabelforgeError: nothing at either place.
    """
    path = Path(written).expanduser()
    if path.is_absolute():
        return path
    bases = list(dict.fromkeys((Path.cwd().resolve(), Path(folder).resolve())))
    for base in bases:
        if (base / path).exists():
            return (base / path).resolve()
    raise BabelforgeError(
        f"path: no output folder at {written!r} (looked in {' and '.join(map(str, bases))}): "
        "write it first with `babelforge run MANIFEST`, or give its path"
    )


def _open_output(index: int, spec, folder: Path) -> OpenComponent:
    from babelforge.errors import OutputError
    from babelforge.outputs import OutputFolder

    path = locate(spec.path, folder)
    try:
        output = OutputFolder.open(path)
        provenance = output.provenance
        names = output.class_names("ner_tags")
    except OutputError as error:
        raise BabelforgeError(f"path: {error}") from None
    settings = provenance.get("manifest") or {}
    kind = (settings.get("output") or {}).get("kind") or _kind_of_columns(
        {f.get("name") for f in output.info["features"]}
    )
    files = output.split_files()
    if "train" not in files:
        raise BabelforgeError(f"path: {path} has no train split (it has: {', '.join(files) or 'none'})")
    origin = {
        "path": spec.path,
        "made_by": f"{settings.get('name')} v{settings.get('version')}",
        "created": provenance.get("created"),
        "sha256": _folder_digest(path, files),
    }
    license = str(settings.get("license") or _card_license(path) or "")
    return OpenComponent(index, spec.display_name, kind, license, origin, names, files, folder=output)


def _local_or_hub(written: str, folder: Path) -> str:
    """A local dataset folder as written: from the working directory, else from the mixture's folder; else
    the Hub id as it is."""
    for base in (Path.cwd(), folder):
        if (base / written).expanduser().is_dir():
            return str((base / written).expanduser().resolve())
    return written


def _open_hub(index: int, spec, folder: Path) -> OpenComponent:
    import datasets

    quiet = not datasets.utils.are_progress_bars_disabled()
    if quiet:  # the mixture's own plan is what `mix` prints
        datasets.utils.disable_progress_bars()
    try:
        where = _local_or_hub(spec.hf, folder)
        dataset = datasets.load_dataset(where, spec.config, split=spec.split, revision=spec.revision)
    except Exception as error:  # noqa: BLE001 - offline, unknown id, bad split: one line, never a traceback
        raise BabelforgeError(
            f"hf: could not load {spec.hf!r} (config {spec.config!r}, split {spec.split!r}, revision "
            f"{spec.revision or 'main'}): {brief(str(error), 200)}. Offline? Download it first "
            "(huggingface-cli download --repo-type dataset ID) and give 'hf' the folder"
        ) from None
    finally:
        if quiet:
            datasets.utils.enable_progress_bars()
    if "language" not in dataset.column_names and spec.language is None:
        raise BabelforgeError(f"hf: {spec.hf!r} has no 'language' column: give 'language' (e.g. hau_Latn)")
    feature = dataset.features.get("ner_tags")
    names = list(feature.feature.names) if hasattr(getattr(feature, "feature", None), "names") else None
    origin = {
        "hf": spec.hf,
        "config": spec.config,
        "split": spec.split,
        "revision": spec.revision or "main",
        "fingerprint": dataset._fingerprint,
    }
    if Path(where).is_dir():  # a local folder: no Hub revision, its files' hash instead
        origin["revision"] = "local folder"
        origin["sha256"] = _files_digest(Path(where))
    license = str(dataset.info.license or "")
    return OpenComponent(
        index, spec.display_name, _kind_of_columns(set(dataset.column_names)), license, origin, names, dataset=dataset
    )


def _licensed(component: OpenComponent, spec) -> OpenComponent:
    """The component with its licence settled: its own, else the manifest's ``license``, else ``unknown``."""
    own = component.license.strip()
    if spec.license and own.lower() not in UNSAID and own.lower() != spec.license.lower():
        raise BabelforgeError(
            f"license: {component.name} says its licence is {own!r}, not {spec.license!r}: "
            "a mixture cannot change its parts' licences; remove 'license'"
        )
    if own.lower() in UNSAID and spec.license:
        own = spec.license
    component.license = own or "unknown"
    component.origin.update(
        name=component.name, kind=component.kind, license=component.license, non_commercial=component.non_commercial
    )
    return component


def _kind_of_columns(columns: set) -> str:
    """The record kind of rows with these columns (an output whose provenance names none, such as a mixture,
    or a Hub dataset)."""
    if {"chosen", "rejected"} <= columns:
        return "preference"
    if "messages" in columns:
        return "chat"
    if "ner_tags" in columns:
        return "ner"
    if {"question", "context"} <= columns:
        return "qa"
    if "target_text" in columns:
        return "bitext"
    if "langs" in columns:
        return "codemix"
    return "spans" if "spans" in columns else "text"


def _folder_digest(path: Path, files: dict[str, list[Path]]) -> str:
    """One SHA-256 over the output's Parquet files (each by its path in the folder and its own hash)."""
    from babelforge.inputs import file_sha256

    digest = hashlib.sha256()
    for file in sorted(f for shards in files.values() for f in shards):
        digest.update(f"{file.relative_to(path).as_posix()}\t{file_sha256(file)}\n".encode())
    return digest.hexdigest()


def _files_digest(folder: Path) -> str:
    """One SHA-256 over the files of a local dataset folder (each by its path in the folder and its own hash)."""
    from babelforge.inputs import file_sha256

    digest = hashlib.sha256()
    for file in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")):
        digest.update(f"{file.relative_to(folder).as_posix()}\t{file_sha256(file)}\n".encode())
    return digest.hexdigest()


def _card_license(path: Path) -> str | None:
    """The ``license`` of the card's YAML header, if it has one."""
    import yaml

    try:
        header = (path / "README.md").read_text(encoding="utf-8").split("---")[1]
        found = yaml.safe_load(header).get("license")
    except (OSError, IndexError, AttributeError, yaml.YAMLError):
        return None
    return found if isinstance(found, str) else None
