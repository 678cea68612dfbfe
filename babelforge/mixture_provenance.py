"""A mixture's ``provenance.json``: the mixture as written and validated, every component, the plan, the counts.

It has the sections every output's provenance has (:mod:`babelforge.provenance`), so that ``inspect``,
``export-trainer`` and ``train`` read it as they read any: ``manifest.output.kind`` is the rows' kind,
``inputs`` holds each component's hash (an output folder: one SHA-256 over its Parquet files) or Hub
revision, ``steps`` one ``mix`` step whose ``not_sampled`` drop counts the train rows no cell took.
``mixture`` is the whole account (:mod:`babelforge.mixture_report`). No path of the machine, no secret.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


def mixture_provenance(prepared, summary: dict[str, Any], license: str) -> dict[str, Any]:
    from babelforge.provenance import command_line, package_versions, redact, relative_paths, scrub, secret_environment

    mixture, report = prepared.mixture, summary["mixture"]
    folder = mixture.folder
    settings = mixture.model_dump(mode="json")
    settings["license"] = license
    settings["output"] = {**settings["output"], "kind": prepared.kind}
    train = summary["rows"].get("train", {})
    available = sum(c["rows_available"] for c in report["components"])
    step = {
        "name": "mix",
        "type": "mixture",
        "counts": {"in": available, "out": sum(train.values())},
        "drops": {"not_sampled": summary["drops"]["mix: not_sampled"]},
        "seconds": prepared.timings.get("write", 0),
    }
    provenance = {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": command_line(sys.argv, folder),
        "manifest": redact(settings),
        "manifest_as_written": redact(mixture._written or {}),
        "inputs": {c["name"]: c.get("sha256") or f"hub revision {c['revision']}" for c in report["components"]},
        "packages": package_versions(),
        "models": _tokenizer(prepared),
        "executor": "local",
        "rows": summary["rows"],
        "languages": summary["languages"],
        "labels": [],
        "steps": [step],
        "drops": {k: v for k, v in summary["drops"].items() if v},
        "timings_s": {k: round(v, 3) for k, v in prepared.timings.items()},
        "non_commercial_rows": summary["non_commercial_rows"],
        "mixture": report,
    }
    return scrub(relative_paths(provenance, folder), secret_environment())


def _tokenizer(prepared) -> list[dict[str, Any]]:
    """The budget's tokenizer, with its file's hash where it is a file."""
    from babelforge.inputs import file_sha256

    budget = prepared.mixture.budget
    if not budget or not budget.tokenizer:
        return []
    record: dict[str, Any] = {"name": budget.tokenizer, "kind": "tokenizer", "used_by": ["mix budget"]}
    path = Path(budget.tokenizer)
    file = path / "tokenizer.json" if path.is_dir() else path
    if file.is_file():
        record["sha256"] = file_sha256(file)
    return [record]
