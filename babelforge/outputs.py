"""Reading a finished output folder back: its files, Features, provenance and rows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babelforge.errors import OutputError

REQUIRED = ("README.md", "provenance.json", "dataset_info.json", "data")


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
        return json.loads((self.path / "provenance.json").read_text())

    @property
    def info(self) -> dict[str, Any]:
        return json.loads((self.path / "dataset_info.json").read_text())

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
        for feature in self.info.get("features", []):
            if feature.get("name") == column and isinstance(feature.get("list"), dict):
                names = feature["list"].get("class_label", {}).get("names")
                if names:
                    return [names[k] for k in sorted(names, key=int)]
        return None
