"""Reading a finished output folder back: its files, Features, provenance and rows."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babelforge.errors import OutputError, brief

REQUIRED = ("README.md", "provenance.json", "dataset_info.json", "data")
#: The JSON type of each top-level entry of provenance.json and dataset_info.json that readers rely on.
SHAPES = {
    "provenance.json": {"manifest": dict, "inputs": dict, "packages": dict, "drops": dict, "timings_s": dict,
                        "rows": dict, "steps": list, "models": list, "review": dict, "languages": dict,
                        "labels": list, "recipe": list},
    "dataset_info.json": {"features": list, "splits": list},
}  # fmt: skip
_JSON_TYPES = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a float"}


@dataclass
class OutputFolder:
    """A complete babelforge output folder."""

    path: Path

    @classmethod
    def open(cls, path: str | Path) -> OutputFolder:
        """Open ``path``; fail clearly when it is missing or incomplete.

        Raises:
            OutputError: naming what is missing and what to do.
        """
        path = Path(path)
        if not path.is_dir():
            work = path.with_name(path.name + ".work")
            hint = f" ({work} exists: the run was interrupted; rerun it to resume)" if work.exists() else ""
            raise OutputError(f"no output folder at {path}{hint}")
        missing = [name for name in REQUIRED if not (path / name).exists()]
        if missing:
            raise OutputError(f"{path} is not a complete babelforge output: missing {', '.join(missing)}")
        return cls(path)

    @property
    def provenance(self) -> dict[str, Any]:
        """provenance.json, checked to be a JSON object whose sections have their types.

        Raises:
            OutputError: naming the folder and what is damaged.
        """
        return self._json("provenance.json")

    @property
    def info(self) -> dict[str, Any]:
        """dataset_info.json, checked as :attr:`provenance` is."""
        return self._json("dataset_info.json")

    def damaged(self, what: str) -> OutputError:
        """The error for a damaged part of this folder, ``what`` saying which and how."""
        return OutputError(
            f"{self.path} is damaged: {what}. Write it again with `babelforge run MANIFEST --output {self.path}`"
        )

    def _json(self, name: str) -> dict[str, Any]:
        try:
            data = json.loads((self.path / name).read_bytes().decode("utf-8"))
        except OSError as error:
            raise self.damaged(f"{name} cannot be read ({error.strerror or error})") from None
        except UnicodeDecodeError as error:
            raise self.damaged(f"{name} is not UTF-8 text (byte {error.start})") from None
        except json.JSONDecodeError as error:
            where = f"line {error.lineno}, column {error.colno}"
            raise self.damaged(f"{name} is not JSON ({error.msg.removesuffix(' at')} at {where})") from None
        except (ValueError, RecursionError) as error:  # a number past Python's digit limit, or nested too deeply
            raise self.damaged(f"{name} is not JSON babelforge writes ({brief(str(error), 100)})") from None
        if not isinstance(data, dict):
            raise self.damaged(f"{name} holds {_json_type(data)}, not a JSON object")
        for key, kind in SHAPES[name].items():
            if data.get(key) is not None and not isinstance(data[key], kind):
                raise self.damaged(f"{name}: '{key}' is {_json_type(data[key])}, not {_JSON_TYPES[kind]}")
        return data

    def split_files(self) -> dict[str, list[Path]]:
        """Parquet files per split, across configs."""
        files: dict[str, list[Path]] = {}
        for path in sorted((self.path / "data").glob("*/*.parquet")):
            files.setdefault(path.name.split("-")[0], []).append(path)
        return files

    def files(self) -> list[Path]:
        """Every file of the folder, relative to it."""
        return sorted(p.relative_to(self.path) for p in self.path.rglob("*") if p.is_file())

    def class_names(self, column: str) -> list[str] | None:
        """The ClassLabel names of a list-of-ClassLabel column (``ner_tags``), if it is one."""
        for feature in self.info.get("features") or []:
            if isinstance(feature, dict) and feature.get("name") == column and isinstance(feature.get("list"), dict):
                label = feature["list"].get("class_label")
                try:
                    names = label.get("names") if label is not None else None
                    return [str(names[k]) for k in sorted(names, key=int)] if names else None
                except (AttributeError, TypeError, ValueError):  # not {"names": {"0": name, ...}}
                    raise self.damaged(
                        f"dataset_info.json: the class labels of '{column}' are {brief(repr(label), 80)}"
                    ) from None
        return None

    def read_split(self, files: list[Path]):
        """The rows of one split's Parquet ``files`` as one polars frame.

        Raises:
            OutputError: naming the file that cannot be read.
        """
        import polars as pl

        try:
            return pl.read_parquet(files, glob=False)  # a folder named "out[1]" is a name, not a pattern
        except (pl.exceptions.PolarsError, OSError, pl.exceptions.PanicException):
            pass  # several files were read at once: find the one at fault, to name it
        for file in files:
            try:
                pl.read_parquet(file, glob=False)
            except (pl.exceptions.PolarsError, OSError, pl.exceptions.PanicException) as error:
                shown = file.relative_to(self.path)
                raise self.damaged(f"{shown} is not a readable Parquet file ({brief(str(error), 160)})") from None
        raise self.damaged(f"the Parquet files {', '.join(f.name for f in files)} do not read as one table")


def _json_type(value: Any) -> str:
    return "null" if value is None else _JSON_TYPES.get(type(value), f"a {type(value).__name__}")


def output_identity(folder: str | Path) -> dict[str, str]:
    """Which version of an output ``folder`` holds: when it was made, and a digest of what it holds.

    The digest covers ``provenance.json`` (its creation time and timings differ between any two
    runs) and the name and size of every data file; a copy of the folder has the same identity.
    """
    folder = Path(folder)
    provenance = (folder / "provenance.json").read_bytes()
    digest = hashlib.sha256(provenance)
    for path in sorted(p for p in (folder / "data").rglob("*") if p.is_file()):
        digest.update(f"\n{path.relative_to(folder).as_posix()}\t{path.stat().st_size}".encode())
    return {"created": str(json.loads(provenance).get("created")), "digest": digest.hexdigest()}
