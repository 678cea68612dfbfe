"""`babelforge publish`, tested up to the HTTP boundary against a loopback stand-in for the Hub."""

import json
import os
import shutil
import subprocess
import sys
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from kit.hub_server import FakeHub
from kit.loopback import LoopbackServer

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
    assert ".babelforge" not in result.stdout
    assert hub.requests == []


def test_publish_pushes_everything_in_one_commit(output, hub):
    env = {**os.environ, "HF_ENDPOINT": hub.endpoint, "HF_TOKEN": "hf_test", "HF_HUB_OFFLINE": "0"}
    result = publish(output, "--repo", "me/quickstart", "--private", env=env)
    assert result.returncode == 0, result.stderr
    assert hub.repos[0] == {"name": "quickstart", "organization": "me", "visibility": "private", "type": "dataset"}
    (commit,) = hub.commits
    assert commit["path"].startswith("/api/datasets/me/quickstart/commit/")
    assert commit["files"]["README.md"] == (output / "README.md").read_bytes()
    every = sorted(str(p.relative_to(output)) for p in output.rglob("*") if p.is_file() and p.name != ".babelforge")
    assert sorted(commit["files"]) == every  # all but the ownership marker, which stays on this machine
    assert "published 9 file(s) in one commit" in result.stdout


def test_publish_refuses_an_incomplete_folder(tmp_path, hub):
    (tmp_path / "half").mkdir()
    result = publish(tmp_path / "half", "--repo", "me/x", env={**os.environ, "HF_ENDPOINT": hub.endpoint})
    assert result.returncode == 2
    assert "is not a complete babelforge output: missing README.md" in result.stderr
    assert hub.requests == []


@pytest.fixture
def copy_of(output, tmp_path):
    def copy() -> Path:
        target = tmp_path / "copy"
        shutil.copytree(output, target)
        return target

    return copy


def test_publish_refuses_a_folder_whose_rows_disagree_with_its_info(copy_of, hub):
    folder = copy_of()
    next((folder / "data" / "default").glob("train-*.parquet")).unlink()
    result = publish(folder, "--repo", "me/x", "--dry-run", env={**os.environ, "HF_ENDPOINT": hub.endpoint})
    assert result.returncode == 2
    assert "is not a complete babelforge output: split 'train' has" in result.stderr
    assert "but dataset_info.json says" in result.stderr
    assert hub.requests == []


def test_publish_refuses_a_folder_that_holds_a_secret_of_the_environment(copy_of, hub):
    folder = copy_of()
    secret = "sk-planted-0123456789"
    provenance = json.loads((folder / "provenance.json").read_text())
    provenance["command"] += f" --api-key {secret}"  # as an older babelforge could have written it
    (folder / "provenance.json").write_text(json.dumps(provenance))
    env = {**os.environ, "HF_ENDPOINT": hub.endpoint, "HF_TOKEN": "hf_test", "HF_HUB_OFFLINE": "0"}
    for args in (["--dry-run"], []):
        result = publish(folder, "--repo", "me/x", *args, env={**env, "OPENAI_API_KEY": secret})
        assert result.returncode == 2
        (line,) = result.stderr.strip().splitlines()
        assert "provenance.json holds the value of the environment variable OPENAI_API_KEY" in line
        assert secret not in result.stderr + result.stdout
    assert hub.requests == []


def plant_in_rows(path: Path, secret: str) -> None:
    """Rewrite a Parquet file with ``secret`` in its ``id`` and ``source`` values, as a source named
    ``src-${MY_API_KEY}`` made an older babelforge write them (schema and row count kept)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    for column in ("id", "source"):
        leaked = pc.binary_join_element_wise(f"src-{secret}", table.column(column), "/")
        table = table.set_column(table.schema.get_field_index(column), column, leaked.cast(pa.string()))
    pq.write_table(table, path)


def test_publish_refuses_a_secret_in_the_parquet_rows(copy_of, hub):
    folder = copy_of()
    secret = "sekrit-ABCDEF123456"
    data = sorted((folder / "data" / "default").glob("train-*.parquet"))[-1]
    plant_in_rows(data, secret)
    env = {**os.environ, "HF_ENDPOINT": hub.endpoint, "MY_API_KEY": secret}
    result = publish(folder, "--repo", "me/x", "--dry-run", env=env)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    relative = data.relative_to(folder)
    assert f"{relative}, column 'id', holds the value of the environment variable MY_API_KEY" in line
    assert "remove it there and rerun `babelforge run`" in line
    assert secret not in result.stderr + result.stdout
    assert "would upload" not in result.stdout
    assert hub.requests == []


def test_publish_refuses_a_secret_in_a_file_name(copy_of, hub):
    folder = copy_of()
    secret = "ghp_planted0123456789"
    (folder / "rejects").mkdir(exist_ok=True)
    (folder / "rejects" / f"00-{secret}.jsonl").write_text("{}\n")
    result = publish(
        folder, "--repo", "me/x", "--dry-run", env={**os.environ, "HF_ENDPOINT": hub.endpoint, "GH_PAT": secret}
    )
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert "the file name rejects/00-${GH_PAT}.jsonl holds the value of the environment variable GH_PAT" in line
    assert secret not in result.stderr + result.stdout
    assert hub.requests == []


class RefusingHub(LoopbackServer):
    """A Hub that refuses every request with a 403 and a long message of its own."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__()

    def _handler(self):
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                data = json.dumps({"error": hub.message}).encode()
                self.send_response(403)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


@pytest.mark.parametrize("words", [30, 80])
def test_the_hubs_refusal_is_quoted_whole_or_cut_between_words(output, words):
    message = " ".join(f"reason{i}" for i in range(words)) + "."  # 30 words: 239 characters; 80: 689
    server = RefusingHub(message).start()
    try:
        env = {**os.environ, "HF_ENDPOINT": server.root, "HF_TOKEN": "hf_test", "HF_HUB_OFFLINE": "0"}
        result = publish(output, "--repo", "me/x", env=env)
    finally:
        server.stop()
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert "the Hub refused publishing to 'me/x' (HTTP 403): reason0 reason1" in line
    assert line.endswith("Check the id and your token (HF_TOKEN or `hf auth login`)")
    quoted = line.split("(HTTP 403): ")[1].split(". Check the id")[0]
    if len(message) <= 300:
        assert quoted == message.rstrip(".")
    else:
        assert quoted.endswith("…")
        assert message.startswith(quoted.removesuffix("…") + " ")  # the last word quoted is whole
