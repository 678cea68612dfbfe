"""`babelforge inspect` on a damaged output: one line naming the folder and the file, never a traceback."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from babelforge.errors import OutputError
from babelforge.outputs import OutputFolder

REPO = Path(__file__).parent.parent


def babelforge(*args):
    return subprocess.run([sys.executable, "-m", "babelforge", *map(str, args)], capture_output=True, text=True)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("inspect") / "quickstart"
    result = babelforge("run", REPO / "manifests" / "quickstart.yaml", "--output", out)
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture
def output(built, tmp_path) -> Path:
    copy = tmp_path / "out"
    shutil.copytree(built, copy)
    return copy


def shard(output: Path) -> Path:
    return sorted((output / "data").glob("*/train-*.parquet"))[-1]


def cut(path: Path, keep: int) -> None:
    path.write_bytes(path.read_bytes()[:keep])


DAMAGE = {
    "provenance cut short": (
        lambda out: cut(out / "provenance.json", 40),
        "provenance.json is not JSON (",
    ),
    "provenance a list": (
        lambda out: (out / "provenance.json").write_text("[]"),
        "provenance.json holds a list, not a JSON object",
    ),
    "provenance drops a list": (
        lambda out: (out / "provenance.json").write_text('{"drops": [1]}'),
        "provenance.json: 'drops' is a list, not an object",
    ),
    "provenance not text": (
        lambda out: (out / "provenance.json").write_bytes(b"\xff\xfe\x00{"),
        "provenance.json is not UTF-8 text (byte 0)",
    ),
    "provenance review half there": (
        lambda out: (out / "provenance.json").write_text('{"review": {"annotators": []}}'),
        "provenance.json: 'review' lacks reviewed_from, annotators or acceptance rows",
    ),
    "dataset_info cut short": (
        lambda out: cut(out / "dataset_info.json", 100),
        "dataset_info.json is not JSON (",
    ),
    "dataset_info class labels odd": (
        lambda out: (out / "dataset_info.json").write_text(
            '{"features": [{"name": "ner_tags", "list": {"class_label": {"names": ["O"]}}}]}'
        ),
        "dataset_info.json: the class labels of 'ner_tags' are ",
    ),
    "parquet cut short": (
        lambda out: cut(shard(out), 3000),
        "data/default/train-00001-of-00002.parquet is not a readable Parquet file (",
    ),
    "parquet emptied": (
        lambda out: cut(shard(out), 0),
        "data/default/train-00001-of-00002.parquet is not a readable Parquet file (",
    ),
}


@pytest.mark.parametrize("case", list(DAMAGE))
def test_inspect_names_the_damaged_file_in_one_line(output, case):
    damage, expected = DAMAGE[case]
    damage(output)
    result = babelforge("inspect", output)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert f"{output} is damaged: {expected}" in lines[0]
    assert f"babelforge run MANIFEST --output {output}" in lines[0]


def test_a_healthy_output_reads_as_before(built):
    folder = OutputFolder.open(built)
    assert folder.provenance["manifest"]["name"] == "quickstart"
    assert folder.class_names("ner_tags")[:2] == ["O", "B-LOC"]
    assert folder.read_split(folder.split_files()["train"]).height == 242


def test_other_readers_of_an_output_get_the_same_error(output):
    (output / "provenance.json").write_text("{")
    with pytest.raises(OutputError, match=r"is damaged: provenance.json is not JSON \(Expecting"):
        assert OutputFolder.open(output).provenance is None  # never reached: reading it raises
