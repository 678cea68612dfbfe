"""An output folder of hard-script span records, made by the real ``run`` path, for every review test."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from kit.hard_scripts import RECORDS


def spans_output(root: Path, records: list[dict]) -> Path:
    """A finished ``spans`` output of ``records`` under ``root``, made through the real ``run`` path."""
    from babelforge.manifest import load_manifest
    from babelforge.runner import run_manifest

    data = root / "records.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    manifest = root / "review.yaml"
    manifest.write_text(
        json.dumps(
            {
                "name": "hard-scripts",
                "sources": [{"kind": "jsonl", "path": str(data), "fields": {"language": "lang", "spans": "spans"}}],
                "output": {"path": str(root / "out"), "kind": "spans", "labels": ["PER", "LOC", "ORG"]},
                "review": {"guidelines": "# Guidelines\n\nMark **people** and places. <b>raw html</b>", "overlap": 1},
            }
        )
    )
    run_manifest(load_manifest(manifest))
    return root / "out"


@pytest.fixture(scope="session")
def hard_output(tmp_path_factory) -> Path:
    """A finished ``spans`` output of :data:`hard_scripts.RECORDS` (do not write into it)."""
    return spans_output(tmp_path_factory.mktemp("review-output"), RECORDS)


@pytest.fixture(scope="session")
def many_output(tmp_path_factory) -> Path:
    """The hard-script records repeated to 2,000 items, for the concurrency drills (do not write into it)."""
    records = [{**RECORDS[i % len(RECORDS)], "id": f"r{i}"} for i in range(2000)]
    return spans_output(tmp_path_factory.mktemp("review-many"), records)


@pytest.fixture
def review_output(hard_output, tmp_path) -> Path:
    """A private copy of the hard-script output (its review database goes beside it)."""
    copy = tmp_path / "out"
    shutil.copytree(hard_output, copy)
    return copy
