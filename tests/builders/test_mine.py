"""embed + mine in a manifest: offline on the bundled sample, and killed during the search stage."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import datasets
import pytest
import yaml

from babelforge.manifest import load_manifest
from babelforge.runner import run_manifest

REPO = Path(__file__).parents[2]


@pytest.mark.slow
def test_the_bundled_mining_manifest_pairs_the_sample(tmp_path, monkeypatch):
    monkeypatch.setenv("BABELFORGE_OUT", str(tmp_path))
    run_manifest(load_manifest(REPO / "manifests" / "mine-europarl.yaml"))
    rows = datasets.load_dataset(str(tmp_path / "mined-en-de"), split="train")
    assert len(rows) > 250
    assert set(rows["target_language"]) == {"deu_Latn"}
    assert all(score >= 1.0 for score in rows["score"])
    # the sample is parallel: the first English sentence's partner is the first German one
    english = "I declare resumed the session of the European Parliament"
    pair = next(r for r in rows if r["text"].startswith(english))
    assert pair["target_text"].startswith("Ich erkläre die am Freitag")


def mining_manifest(tmp_path, base_url, name) -> Path:
    for language, prefix in (("en", "s"), ("de", "t")):
        (tmp_path / f"{language}.txt").write_text("\n".join(f"{prefix} {i} {i * 7919 % 104729}" for i in range(20_000)))
    manifest = {
        "name": name,
        "sources": [
            {"kind": "text", "path": str(tmp_path / "en.txt"), "language": "en"},
            {"kind": "text", "path": str(tmp_path / "de.txt"), "language": "de"},
        ],
        "steps": [
            {"embed": {"embedder": f"openai:fake@{base_url}"}},
            {"mine": {"source": "en", "target": "de", "threshold": None, "identify": False, "index": "exact"}},
        ],
        "output": {"path": str(tmp_path / name), "kind": "bitext", "splits": {"train": 1.0}},
        "executor": {"local": {"tasks": 2, "workers": 2}},
    }
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(manifest))
    return path


def pairs_of(folder: Path) -> set:
    rows = datasets.load_dataset(str(folder), split="train")
    return set(zip(rows["text"], rows["target_text"], strict=True))


@pytest.mark.slow
def test_killed_during_search_then_rerun_gives_the_same_pairs(tmp_path, llm_server):
    killed = mining_manifest(tmp_path, llm_server.base_url, "killed")
    work = tmp_path / "killed.work"
    process = subprocess.Popen([sys.executable, "-m", "babelforge", "run", str(killed)], start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.time() + 180
    while time.time() < deadline and not (work / "logs" / "p2").exists():
        assert process.poll() is None, "the run ended before the search stage"
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert not (tmp_path / "killed").exists(), "killed after the search had finished: enlarge the data"
    embeddings = {p.name: p.stat().st_mtime_ns for p in (work / "embeddings").iterdir()}
    assert sum(name.endswith(".done") for name in embeddings) == 2

    requests_before = len(llm_server.requests)
    rerun = subprocess.run([sys.executable, "-m", "babelforge", "run", str(killed)], capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert "resumed: 2 task(s)" in rerun.stdout
    assert len(llm_server.requests) == requests_before  # nothing embedded again
    clean = subprocess.run(
        [sys.executable, "-m", "babelforge", "run", str(mining_manifest(tmp_path, llm_server.base_url, "clean"))],
        capture_output=True, text=True,
    )  # fmt: skip
    assert clean.returncode == 0, clean.stderr
    assert pairs_of(tmp_path / "killed") == pairs_of(tmp_path / "clean")
    assert len(pairs_of(tmp_path / "clean")) > 10_000


@pytest.mark.slow
def test_killed_between_search_shards_keeps_the_index_and_finished_shards(tmp_path, llm_server):
    clean = mining_manifest(tmp_path, llm_server.base_url, "clean")
    assert subprocess.run([sys.executable, "-m", "babelforge", "run", str(clean)], capture_output=True).returncode == 0
    killed = mining_manifest(tmp_path, llm_server.base_url, "killed")
    stages = tmp_path / "killed.work" / "mining" / "eng_Latn-deu_Latn"
    process = subprocess.Popen([sys.executable, "-m", "babelforge", "run", str(killed)], start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.time() + 180
    while time.time() < deadline and not list(stages.glob("st-*.npz")):
        assert process.poll() is None, "the run ended before the first direction was searched"
        time.sleep(0.005)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert not (tmp_path / "killed").exists(), "killed after the search had finished"
    kept = {p.name: p.stat().st_mtime_ns for p in stages.iterdir() if p.suffix in (".faiss", ".npz")}
    assert "index-deu_Latn.faiss" in kept
    assert any(name.startswith("st-") for name in kept)
    rerun = subprocess.run([sys.executable, "-m", "babelforge", "run", str(killed), "--keep-work"],
                           capture_output=True, text=True)  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr
    after = {p.name: p.stat().st_mtime_ns for p in stages.iterdir()}
    assert all(after[name] == mtime for name, mtime in kept.items())  # finished stages not redone
    assert any(name.startswith("ts-") for name in after)
    assert pairs_of(tmp_path / "killed") == pairs_of(tmp_path / "clean")


def test_the_wikipedia_manifest_validates_and_fails_fast_offline(tmp_path, monkeypatch):
    from babelforge.errors import BabelforgeError
    from babelforge.manifest import check_manifest

    monkeypatch.setenv("BABELFORGE_OUT", str(tmp_path))
    manifest, problems = check_manifest(REPO / "manifests" / "crossic-wikipedia.yaml")
    assert problems == []
    with pytest.raises(BabelforgeError, match=r"tokenizer 'Qwen/Qwen2\.5-0\.5B' could not be loaded"):
        run_manifest(manifest)


def test_pairs_by_links_instead_of_search(tmp_path, llm_server):
    (tmp_path / "en.txt").write_text("one\ntwo\nthree\nfour\n")
    (tmp_path / "de.txt").write_text("eins\nzwei\ndrei\nvier\n")
    (tmp_path / "links.tsv").write_text(
        "en/en.txt:1\tde/de.txt:1\nen/en.txt:3\tde/de.txt:3\nen/en.txt:9\tde/de.txt:9\n"
    )
    manifest = {
        "name": "linked",
        "sources": [
            {"name": "en", "kind": "text", "path": str(tmp_path / "en.txt"), "language": "en"},
            {"name": "de", "kind": "text", "path": str(tmp_path / "de.txt"), "language": "de"},
        ],
        "steps": [
            {"embed": {"embedder": f"openai:fake@{llm_server.base_url}"}},
            {"mine": {"source": "en", "target": "de", "links": str(tmp_path / "links.tsv"), "identify": False}},
        ],
        "output": {"path": str(tmp_path / "out"), "kind": "bitext", "splits": {"train": 1.0}},
    }
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(manifest))
    result = run_manifest(load_manifest(path))
    assert pairs_of(tmp_path / "out") == {("one", "eins"), ("three", "drei")}
    assert result.summary["drops"] == {"mine: link_not_found": 1}


def test_a_fasttext_identifier_gates_mined_pairs(fasttext_model):
    from babelforge.builders.margin import MarginSettings
    from babelforge.builders.mine import MineStep

    step = MineStep("unused", "eng_Latn", "deu_Latn", MarginSettings(), None, True, identifier=fasttext_model)
    detector = step._detector()
    english = "The Commission has presented its report on the safety of transport to the Parliament"
    german = "Die Kommission hat dem Parlament ihren Bericht über die Sicherheit des Verkehrs vorgelegt"
    assert step._gate(english, german, detector) == ""
    assert step._gate(english, english, detector) == "wrong_language_target"
    assert step._gate(german, german, detector) == "wrong_language_source"
    assert step._gate("EU 2000", "EU 2000", detector) == ""  # too short to judge


def write_embedding_shard(folder: Path, texts: dict[str, list[str]], vectors: dict) -> None:
    """One finished ``embed`` shard holding both languages, as the embed step writes it."""
    import json

    import numpy as np

    folder.mkdir(parents=True, exist_ok=True)
    rows = [{"id": f"{lang}/{i}", "language": lang, "text": t} for lang, ts in texts.items() for i, t in enumerate(ts)]
    np.save(folder / "00000-00000.npy", np.concatenate([vectors[lang] for lang in texts]).astype(np.float16))
    (folder / "00000-00000.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (folder / "00000.done").write_text("{}")


def test_near_duplicate_pairs_are_dropped_under_their_reason(tmp_path):
    import numpy as np

    from babelforge.builders.margin import MarginSettings
    from babelforge.builders.mine import MineStep

    english = [
        "the commission has presented its report on the safety of transport by sea",
        "the commission has presented its reports on the safety of transport by sea",
        "fisheries policy needs a new framework for the coming decade in europe",
    ]
    german = [
        "die kommission hat ihren bericht über die sicherheit des seeverkehrs vorgelegt",
        "die kommission hat ihre berichte über die sicherheit des seeverkehrs vorgelegt",
        "die fischereipolitik braucht einen neuen rahmen für das kommende jahrzehnt",
    ]
    rng = np.random.default_rng(0)
    base = rng.standard_normal((3, 16)).astype(np.float32)
    unit = lambda m: m / np.linalg.norm(m, axis=1, keepdims=True)  # noqa: E731
    vectors = {"eng_Latn": unit(base), "deu_Latn": unit(base + 0.05 * rng.standard_normal((3, 16)))}
    write_embedding_shard(tmp_path / "embeddings", {"eng_Latn": english, "deu_Latn": german}, vectors)
    settings = MarginSettings(k=1, candidates=2, threshold=None, index="exact")
    step = MineStep(str(tmp_path / "embeddings"), "eng_Latn", "deu_Latn", settings, None, False, near_dedup=0.5)
    kept = list(step.run([], 0, 1))
    assert len(kept) == 2
    assert step.stats["dropped:near_duplicate_pair"].total == 1
    assert {d.metadata["target_text"] for d in kept} >= {german[2]}


def test_nprobe_reaches_the_saved_and_the_reloaded_index(tmp_path):
    import faiss
    import numpy as np

    from babelforge.builders.index import default_nprobe
    from babelforge.builders.stages import MiningStages

    rng = np.random.default_rng(1)
    vectors = {lang: rng.standard_normal((3000, 16)).astype(np.float32) for lang in ("eng_Latn", "deu_Latn")}
    vectors = {k: v / np.linalg.norm(v, axis=1, keepdims=True) for k, v in vectors.items()}
    texts = {lang: [f"{lang} {i}" for i in range(3000)] for lang in vectors}
    write_embedding_shard(tmp_path / "embeddings", texts, vectors)
    args = (tmp_path / "mining", tmp_path / "embeddings", "eng_Latn", "deu_Latn", "ivfpq-refine", 4)
    stages = MiningStages(*args, nprobe=3)
    stages.build_indexes()
    assert faiss.extract_index_ivf(stages._index("deu_Latn")).nprobe == 3  # read back from its file
    default = faiss.extract_index_ivf(MiningStages(*args)._index("deu_Latn"))
    assert default.nprobe == default_nprobe(default.nlist) == 32
