"""`babelforge train` loads the version of an output that its folder holds now, never a cached older one."""

import json
import os

import pyarrow as pa
import pyarrow.parquet as pq

from babelforge.finetune.options import load_output


def _write(folder, texts, created, mtime=None):
    (folder / "data").mkdir(parents=True, exist_ok=True)
    (folder / "provenance.json").write_text(json.dumps({"created": created}))
    path = folder / "data" / "train-00000-of-00001.parquet"
    pq.write_table(pa.table({"text": texts}), path)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path.stat().st_mtime


def test_an_output_rewritten_with_its_times_kept_loads_its_new_rows(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    import datasets

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "cache")
    folder = tmp_path / "out"
    kept = _write(folder, ["old one", "old two"], "2026-11-01T00:00:00")
    assert load_output(str(folder), "cpt")["train"]["text"] == ["old one", "old two"]
    _write(folder, ["new one", "new two"], "2026-11-02T00:00:00", mtime=kept)  # same sizes, same time (rsync -a)
    assert load_output(str(folder), "cpt")["train"]["text"] == ["new one", "new two"]
