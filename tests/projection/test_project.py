"""The project step over a parallel corpus (source CoNLL plus its translation)."""

import json
from pathlib import Path

import datasets
import pytest

from babelforge.errors import InputFormatError
from babelforge.manifest import load_manifest
from babelforge.runner import run_manifest

REPO = Path(__file__).parents[2]


def parallel_manifest(data_dir, tmp_path, embedder, **project):
    return {
        "name": "proj",
        "sources": [
            {
                "kind": "conll",
                "path": str(data_dir / "europarl-en.conll"),
                "language": "en",
                "translation": {"path": str(data_dir / "europarl-de.conll"), "language": "de"},
            }
        ],
        "steps": [{"project": {"method": "spanmatch", "embedder": embedder, **project}}],
        "output": {"path": str(tmp_path / "out"), "kind": "ner", "write_rejects": True},
    }


def test_projection_writes_target_language_records(tmp_path, write_manifest, data_dir, llm_server):
    manifest = parallel_manifest(data_dir, tmp_path, f"openai:fake@{llm_server.base_url}", keep_partial=True)
    result = run_manifest(load_manifest(write_manifest(manifest)))
    loaded = datasets.load_dataset(str(tmp_path / "out"), split="train")
    assert set(loaded["language"]) == {"deu_Latn"}
    names = loaded.features["ner_tags"].feature.names
    project = next(s for s in result.summary["steps"] if s["name"] == "project")
    assert sum(v for k, v in project["counts"].items() if k.startswith("status:")) == 150
    assert len(loaded) + sum(result.summary["drops"].values()) == 150
    row = next(r for r in loaded if "Evans" in r["tokens"])
    assert names[row["ner_tags"][row["tokens"].index("Evans")]] == "B-PER"
    lineage = json.loads(row["lineage"])
    assert lineage[-1]["step"] == "project"
    assert lineage[-1]["method"] == "spanmatch"


def test_partial_records_are_dropped_by_default_and_counted(tmp_path, write_manifest, data_dir, llm_server):
    manifest = parallel_manifest(data_dir, tmp_path, f"openai:fake@{llm_server.base_url}")
    result = run_manifest(load_manifest(write_manifest(manifest)))
    kept = sum(sum(v.values()) for v in result.summary["rows"].values())
    dropped = result.summary["drops"]
    assert kept + sum(dropped.values()) == 150
    assert set(dropped) <= {"project: projection_partial", "project: projection_failed"}
    rejects = [
        json.loads(line) for f in (tmp_path / "out" / "rejects").glob("*.jsonl") for line in f.read_text().splitlines()
    ]
    assert len(rejects) == sum(dropped.values())


def test_a_translation_with_fewer_sentences_is_an_error(tmp_path, write_manifest, data_dir, llm_server):
    short = tmp_path / "short.conll"
    short.write_text("\n\n".join((data_dir / "europarl-de.conll").read_text().split("\n\n")[:20]) + "\n")
    manifest = parallel_manifest(data_dir, tmp_path, f"openai:fake@{llm_server.base_url}")
    manifest["sources"][0]["translation"]["path"] = str(short)
    with pytest.raises(InputFormatError, match=r"expected as many sentences as its translation .*short.conll"):
        run_manifest(load_manifest(write_manifest(manifest)))


@pytest.mark.slow
def test_the_bundled_projection_manifest_runs_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("BABELFORGE_OUT", str(tmp_path))
    result = run_manifest(load_manifest(REPO / "manifests" / "project-europarl-de.yaml"))
    rows = sum(sum(v.values()) for v in result.summary["rows"].values())
    assert rows > 150  # of 300 sentences, those whose entities all found a place
    assert (
        datasets.load_dataset(str(tmp_path / "europarl-de"), split="train").features["ner_tags"].feature.names[0] == "O"
    )


def test_the_nllb_manifest_validates_and_fails_fast_naming_the_model(tmp_path, monkeypatch):
    from babelforge.models import ModelNotFoundError

    monkeypatch.setenv("BABELFORGE_OUT", str(tmp_path))
    monkeypatch.setenv("TARGET", "yor_Latn")
    manifest = load_manifest(REPO / "manifests" / "masakhaner-translate-train.yaml")
    assert manifest.output.path.endswith("masakhaner-yor_Latn-constrained")
    with pytest.raises(ModelNotFoundError, match="'facebook/nllb-200-distilled-600M'"):
        run_manifest(manifest)
    assert not (tmp_path / "masakhaner-yor_Latn-constrained").exists()
