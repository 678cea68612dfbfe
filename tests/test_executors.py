"""The same manifest on a real local Ray cluster and a real single-node Slurm gives the local rows."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from kit.slurm import slurm_unavailable, start_local_slurm

from babelforge.executors import build_executors
from babelforge.manifest import load_manifest
from babelforge.pipeline import compile_manifest

REPO = Path(__file__).parent.parent
QUICKSTART = REPO / "manifests" / "quickstart.yaml"


def run_cli(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "babelforge", *map(str, args)], capture_output=True, text=True, env=env, timeout=600
    )


def rows_of(output: Path) -> list[dict]:
    return [row for path in sorted((output / "data").glob("*/*.parquet")) for row in pq.read_table(path).to_pylist()]


@pytest.fixture(scope="module")
def local_rows(tmp_path_factory):
    out = tmp_path_factory.mktemp("local") / "q"
    result = run_cli("run", QUICKSTART, "--output", out)
    assert result.returncode == 0, result.stderr
    return rows_of(out)


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory):
    """A real Ray head node on loopback, started with `ray start` and stopped after."""
    ray = shutil.which("ray") or str(Path(sys.executable).parent / "ray")
    if not Path(ray).exists():
        pytest.skip("ray is not installed: pip install -e '.[ray]'")
    port = 46379
    temp = tmp_path_factory.mktemp("ray")
    start = [ray, "start", "--head", f"--port={port}", "--num-cpus=2", "--include-dashboard=false",
             "--disable-usage-stats", f"--temp-dir={temp}", "--node-ip-address=127.0.0.1"]  # fmt: skip
    # A loopback-only test cluster: no token authentication, no other interface.
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
    subprocess.run(start, check=True, capture_output=True, timeout=120, env=env)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([ray, "stop", "--force"], capture_output=True, timeout=120, env=env)


@pytest.mark.slow
def test_ray_executor_gives_the_local_rows(tmp_path, ray_cluster, local_rows):
    out = tmp_path / "ray"
    env = {**os.environ, "RAY_ADDRESS": ray_cluster, "RAY_AUTH_MODE": "disabled"}
    result = run_cli("run", QUICKSTART, "--executor", "ray", "--output", out, env=env)
    assert result.returncode == 0, result.stderr
    assert rows_of(out) == local_rows


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    reason = slurm_unavailable()
    if reason:
        pytest.skip(f"no local Slurm: {reason}")
    cluster = start_local_slurm(tmp_path_factory.mktemp("slurm"))
    yield cluster
    cluster.stop()


def slurm_manifest(tmp_path: Path) -> Path:
    manifest = yaml.safe_load(QUICKSTART.read_text())
    manifest["sources"][0]["path"] = str(REPO / "manifests" / "data" / "europarl-ner" / "en-*.conll")
    manifest["executor"]["slurm"] = {"partition": "debug", "time": "00:10:00", "tasks": 2, "mem_per_cpu_gb": 1}
    path = tmp_path / "slurm.yaml"
    path.write_text(yaml.safe_dump(manifest))
    return path


@pytest.mark.slow
def test_slurm_executor_gives_the_local_rows(tmp_path, slurm, local_rows):
    out = tmp_path / "slurm-out"
    env = {**os.environ, **slurm.env}
    result = run_cli("run", slurm_manifest(tmp_path), "--executor", "slurm", "--output", out, env=env)
    assert result.returncode == 0, result.stderr + result.stdout
    assert rows_of(out) == local_rows


def test_rendered_sbatch_script(tmp_path):
    manifest = yaml.safe_load(QUICKSTART.read_text())
    manifest["sources"][0]["path"] = str(REPO / "manifests" / "data" / "europarl-ner" / "en-*.conll")
    manifest["executor"]["slurm"] = {
        "partition": "gpu",
        "time": "02:00:00",
        "tasks": 8,
        "cpus_per_task": 4,
        "gpus_per_task": 1,
        "sbatch": ["--qos=high", "#SBATCH --account=lowres"],
    }
    manifest["output"]["path"] = str(tmp_path / "out")
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(manifest))
    plan = compile_manifest(load_manifest(path, executor="slurm"))
    (executor,) = build_executors(plan, "slurm")
    script = executor.get_launch_file_contents(executor.get_sbatch_args(8), "launch_pickled_pipeline x.pik")
    for line in (
        "#SBATCH --partition=gpu",
        "#SBATCH --time=02:00:00",
        "#SBATCH --cpus-per-task=4",
        "#SBATCH --gpus=1",
        "#SBATCH --array=0-7",
        "#SBATCH --qos=high",
        "#SBATCH --account=lowres",
        f"source {sys.prefix}/bin/activate",
    ):
        assert line in script
    assert executor.job_name == "quickstart-p1"
