"""The offline curation recipe: each kind of planted noise in the bundled sample goes, under its reason."""

import json
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from babelforge.manifest import load_manifest
from babelforge.runner import run_manifest

MANIFEST = Path(__file__).parents[2] / "manifests" / "curate-quickstart.yaml"
SAMPLE = MANIFEST.parent / "data" / "noisy-web" / "web.jsonl"


def kind(row_id: str) -> str:
    """``noisy-web/clean-003`` -> ``clean``; ``noisy-web/junk-soup-01`` -> ``junk-soup``."""
    return row_id.rsplit("/", 1)[-1].rsplit("-", 1)[0]


@pytest.fixture(scope="module")
def curated(tmp_path_factory):
    out = tmp_path_factory.mktemp("curate") / "out"
    run_manifest(load_manifest(MANIFEST, output=str(out)))
    rows = [row for path in sorted(out.glob("data/*/*.parquet")) for row in pq.read_table(path).to_pylist()]
    rejects = Counter()
    for path in sorted(out.glob("rejects/*.jsonl")):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            rejects[(path.name.split("-")[1], kind(record["id"]))] += 1
    return rows, rejects, out


def test_planted_noise_is_dropped_by_the_step_meant_for_it(curated):
    rows, rejects, _ = curated
    kept = Counter(kind(row["id"]) for row in rows)
    assert kept["de"] == kept["junk-soup"] == kept["junk-repeat"] == kept["boiler"] == 0
    assert rejects[("lid", "de")] == 10
    assert rejects[("dedup", "clean")] + rejects[("dedup", "dup")] == 10  # one of each edited pair
    planted = Counter(kind(json.loads(line)["id"]) for line in (SAMPLE).read_text().splitlines())
    assert kept["clean"] + kept["dup"] == planted["clean"]  # every clean document once, itself or its edited copy
    assert kept["leak-verbatim"] == kept["leak-edited"] == 0
    assert rejects[("decontaminate", "leak-verbatim")] == rejects[("decontaminate", "leak-edited")] == 4
    assert kept["pii"] == 4


def test_the_decontamination_report_lists_the_leaks_without_machine_paths(curated):
    _, _, out = curated
    text = (out / "decontamination.json").read_text()
    report = json.loads(text)
    listed = {kind(hit["record"]) for hit in report["hits"]}
    assert {"leak-verbatim", "leak-edited"} <= listed
    assert listed <= {"leak-verbatim", "leak-edited", "leak-translated"}
    assert report["benchmarks"]["bench"]["path"] == "data/noisy-web/bench.jsonl"
    assert str(MANIFEST.parent) not in text


def test_pii_is_replaced_not_dropped(curated):
    rows, _, _ = curated
    texts = [row["text"] for row in rows if kind(row["id"]) == "pii"]
    assert len(texts) == 4
    assert all("<EMAIL>" in t and "<PHONE>" in t and "<IBAN>" in t for t in texts)
    assert not any("anna.kowalski@example.org" in row["text"] for row in rows)
