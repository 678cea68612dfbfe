"""The prepared MasakhaNER translate-train comparison runs end to end (tiny models, offline data)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

REPO = Path(__file__).parents[2]


@pytest.mark.slow
def test_the_comparison_script_runs_end_to_end(tmp_path, tiny_marian, tiny_bert, data_dir):
    rows = []
    for block in (data_dir / "europarl-en.conll").read_text().strip().split("\n\n"):
        lines = [line.split("\t") for line in block.splitlines() if line.strip()]
        rows.append({"id": str(len(rows)), "tokens": [t[0] for t in lines], "ner_tags": [t[-1] for t in lines]})
    (tmp_path / "c03" / "data").mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "c03" / "data" / "train-00000-of-00001.parquet")
    (tmp_path / "mn" / "hau").mkdir(parents=True)
    shutil.copy(data_dir / "europarl-de.conll", tmp_path / "mn" / "hau" / "test.txt")
    command = [
        sys.executable, str(REPO / "benchmarks" / "masakhaner_translate_train.py"),
        "--masakhaner", str(tmp_path / "mn"),
        "--languages", "hau", "--methods", "constrained,markers", "--mt-model", str(tiny_marian["hf"]),
        "--tagger", str(tiny_bert), "--conll03", str(tmp_path / "c03"), "--quantization", "int8", "--limit", "8",
        "--max-steps", "2", "--work", str(tmp_path / "runs"),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((tmp_path / "runs" / "results.json").read_text())
    for method in ("constrained", "markers"):
        scores = report["results"]["hau"][method]
        assert scores["sentences"] == 150
        assert 0.0 <= scores["f1"] <= 1.0
    assert "published averages over 8 languages: EasyProject 66.7, T-Projection 70.3" in result.stdout
