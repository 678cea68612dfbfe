"""`babelforge publish`, tested up to the HTTP boundary against a loopback stand-in for the Hub."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from kit.hub_server import FakeHub

REPO = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def output(tmp_path_factory):
    out = tmp_path_factory.mktemp("pub") / "quickstart"
    result = subprocess.run(
        [sys.executable, "-m", "babelforge", "run", REPO / "manifests" / "quickstart.yaml", "--output", out],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture
def hub():
    server = FakeHub().start()
    yield server
    server.stop()


def publish(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "babelforge", "publish", *map(str, args)], capture_output=True, text=True, env=env
    )


def test_dry_run_lists_every_file_and_uploads_nothing(output, hub):
    result = publish(output, "--repo", "me/quickstart", "--dry-run", env={**os.environ, "HF_ENDPOINT": hub.endpoint})
    assert result.returncode == 0, result.stderr
    for name in ("README.md", "provenance.json", "dataset_info.json", "data/default/train-00000-of-00002.parquet"):
        assert name in result.stdout
    assert "would upload 9 file(s)" in result.stdout
    assert hub.requests == []


def test_publish_pushes_everything_in_one_commit(output, hub):
    env = {**os.environ, "HF_ENDPOINT": hub.endpoint, "HF_TOKEN": "hf_test", "HF_HUB_OFFLINE": "0"}
    result = publish(output, "--repo", "me/quickstart", "--private", env=env)
    assert result.returncode == 0, result.stderr
    assert hub.repos[0] == {"name": "quickstart", "organization": "me", "visibility": "private", "type": "dataset"}
    (commit,) = hub.commits
    assert commit["path"].startswith("/api/datasets/me/quickstart/commit/")
    assert commit["files"]["README.md"] == (output / "README.md").read_bytes()
    assert sorted(commit["files"]) == sorted(str(p.relative_to(output)) for p in output.rglob("*") if p.is_file())
    assert "published 9 file(s) in one commit" in result.stdout


def test_publish_refuses_an_incomplete_folder(tmp_path, hub):
    (tmp_path / "half").mkdir()
    result = publish(tmp_path / "half", "--repo", "me/x", env={**os.environ, "HF_ENDPOINT": hub.endpoint})
    assert result.returncode == 2
    assert "is not a complete babelforge output: missing README.md" in result.stderr
    assert hub.requests == []
