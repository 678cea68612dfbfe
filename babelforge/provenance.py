"""``provenance.json``: how an output was made, enough to audit or reproduce it."""

from __future__ import annotations

import hashlib
import platform
import sys
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

#: Packages whose versions are recorded when installed (never imported to find out).
RECORDED_PACKAGES = (
    "babelforge",
    "datatrove",
    "datasets",
    "pyarrow",
    "polars",
    "pydantic",
    "huggingface_hub",
    "torch",
    "transformers",
    "ctranslate2",
    "sentence-transformers",
    "faiss-cpu",
    "openai",
    "ray",
)


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in RECORDED_PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            continue
    return versions


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def input_hashes(manifest) -> dict[str, str]:
    """SHA-256 of every input file, by path."""
    import glob

    hashes = {}
    for source in manifest.sources:
        for match in sorted(glob.glob(source.path)):
            files = [Path(match)] if Path(match).is_file() else sorted(p for p in Path(match).rglob("*") if p.is_file())
            hashes.update({str(f): file_sha256(f) for f in files})
        if source.kind == "hf" and not glob.glob(source.path):
            hashes[source.path] = f"hub revision {getattr(source, 'revision', None) or 'main'}"
    return hashes


def build_provenance(
    manifest, summary: dict[str, Any], timings: dict[str, float], models: list[dict]
) -> dict[str, Any]:
    return {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "manifest": manifest.model_dump(mode="json"),
        "inputs": input_hashes(manifest),
        "packages": package_versions(),
        "models": models,
        "executor": manifest.executor.use,
        "rows": summary["rows"],
        "labels": summary.get("labels", []),
        "steps": summary["steps"],
        "drops": summary["drops"],
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
        **({"review": summary["review"]} if "review" in summary else {}),
    }
