"""End-to-end runs through the real CLI and executors, on the local executor."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import kit.steps  # noqa: F401 - registers the test_barrier step kind
import pyarrow.parquet as pq
import pytest

from babelforge.manifest import load_manifest
from babelforge.pipeline import compile_manifest
from babelforge.runner import run_manifest

REPO = Path(__file__).parent.parent
QUICKSTART = REPO / "manifests" / "quickstart.yaml"


def babelforge(*args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "babelforge", *map(str, args)], capture_output=True, text=True, **kwargs
    )


def rows_of(output: Path) -> dict[str, list[dict]]:
    rows = {}
    for path in sorted((output / "data").glob("*/*.parquet")):
        rows.setdefault(path.name.split("-")[0], []).extend(pq.read_table(path).to_pylist())
    return rows


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory):
    out = tmp_path_factory.mktemp("qs") / "quickstart"
    result = babelforge("run", QUICKSTART, "--output", out)
    assert result.returncode == 0, result.stderr
    return out, result


def test_quickstart_writes_a_loadable_dataset(quickstart):
    import datasets

    out, result = quickstart
    assert sorted(p.name for p in out.iterdir()) == [
        ".babelforge", "README.md", "data", "dataset_info.json", "provenance.json"
    ]  # fmt: skip
    assert not out.with_name("quickstart.work").exists()
    loaded = datasets.load_dataset(str(out))
    assert set(loaded) == {"train", "validation", "test"}
    names = loaded["train"].features["ner_tags"].feature.names
    assert names == ["O", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-PER", "I-PER"]  # MISC mapped away
    assert sum(len(split) for split in loaded.values()) == 299
    row = loaded["train"][1]
    assert [names[t] for t in row["ner_tags"]][row["tokens"].index("European")] == "B-ORG"
    assert "filter_length: too_few_tokens" in result.stdout


def test_card_and_provenance(quickstart):
    import yaml

    out, _ = quickstart
    header = yaml.safe_load((out / "README.md").read_text().split("---")[1])
    assert header["language"] == ["eng"]
    assert header["task_categories"] == ["token-classification"]
    assert header["size_categories"] == ["n<1K"]
    assert [c["config_name"] for c in header["configs"]] == ["default"]
    provenance = json.loads((out / "provenance.json").read_text())
    assert provenance["drops"] == {"filter_length: too_few_tokens": 1}
    assert provenance["manifest"]["name"] == "quickstart"
    assert len(provenance["inputs"]) == 2
    assert all(len(h) == 64 for h in provenance["inputs"].values())
    assert provenance["packages"]["datatrove"]
    map_labels = next(s for s in provenance["steps"] if s["name"] == "map_labels")
    assert map_labels["counts"]["spans_removed"] == 46


def test_inspect_describes_the_output(quickstart):
    out, _ = quickstart
    result = babelforge("inspect", out)
    assert result.returncode == 0, result.stderr
    for expected in ("rows per split and language", "eng_Latn", "ORG", "too_few_tokens", "European Parliament/ORG"):
        assert expected in result.stdout
    missing = babelforge("inspect", out.parent / "nothing-here")
    assert missing.returncode == 2
    assert "no output folder at" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_dry_run_prints_the_plan(tmp_path):
    result = babelforge("run", QUICKSTART, "--dry-run", "--output", tmp_path / "o")
    assert result.returncode == 0
    assert "pass p1: 2 task(s)" in result.stdout
    assert "map_labels" in result.stdout
    assert not (tmp_path / "o").exists()


def test_failed_run_leaves_no_output_and_a_clear_error(tmp_path, write_manifest):
    bad = tmp_path / "bad.conll"
    bad.write_text("Ada\tB-PER\n\nBroken line without tag\n")
    path = write_manifest(
        {
            "name": "f",
            "sources": [{"kind": "conll", "path": str(bad), "language": "en"}],
            "output": {"path": str(tmp_path / "out")},
        }
    )
    result = babelforge("run", path)
    assert result.returncode == 2
    assert f"{bad}:3: expected a token in column 0 and a tag" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_rejects_are_written_when_asked(tmp_path, write_manifest, data_dir):
    manifest = {
        "name": "r",
        "sources": [{"kind": "conll", "path": str(data_dir / "europarl-en.conll"), "language": "en"}],
        "steps": [{"filter_length": {"min_tokens": 10}}],
        "output": {"path": str(tmp_path / "out"), "write_rejects": True},
    }
    result = run_manifest(load_manifest(write_manifest(manifest)))
    (rejects,) = (tmp_path / "out" / "rejects").glob("*.jsonl")
    lines = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert len(lines) == result.summary["drops"]["filter_length: too_few_tokens"] > 0
    assert {line["reason"] for line in lines} == {"too_few_tokens"}


def corpus_manifest(corpus: Path, out: Path, tasks: int = 4) -> dict:
    return {
        "name": "big",
        "sources": [{"kind": "conll", "path": str(corpus), "language": "en"}],
        "steps": [{"map_labels": {"mapping": {"MISC": None}}}],
        "output": {"path": str(out), "kind": "ner"},
        "executor": {"local": {"tasks": tasks, "workers": 1}},
    }


@pytest.fixture
def big_corpus(tmp_path, data_dir):
    """Four CoNLL files big enough that one task takes a noticeable moment."""
    sentences = [s for s in (data_dir / "europarl-en.conll").read_text().split("\n\n") if s.strip()]
    folder = tmp_path / "big"
    folder.mkdir()
    for i in range(4):
        (folder / f"part-{i}.conll").write_text("\n\n".join(sentences * 60) + "\n")
    return folder


@pytest.mark.slow
def test_sigkill_then_rerun_skips_finished_tasks_and_matches(tmp_path, big_corpus, write_manifest):
    killed_out, clean_out = tmp_path / "killed", tmp_path / "clean"
    manifest = write_manifest(corpus_manifest(big_corpus, killed_out), "killed.yaml")
    completions = killed_out.with_name("killed.work") / "logs" / "p1" / "completions"
    process = subprocess.Popen([sys.executable, "-m", "babelforge", "run", str(manifest)], start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.time() + 120
    while time.time() < deadline and not (completions.is_dir() and any(completions.iterdir())):
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    finished = sorted(p.name for p in completions.iterdir())
    assert 1 <= len(finished) < 4, "the kill should land between the first and the last task"
    assert not killed_out.exists()
    shards = killed_out.with_name("killed.work") / "shards" / "p1" / "train"
    kept = {p.name: p.stat().st_mtime_ns for p in shards.glob("*.parquet") if p.stem in finished}
    assert len(kept) == len(finished)

    rerun = babelforge("run", manifest)
    assert rerun.returncode == 0, rerun.stderr
    assert f"resumed: {len(finished)} task(s)" in rerun.stdout

    clean = babelforge("run", write_manifest(corpus_manifest(big_corpus, clean_out), "clean.yaml"))
    assert clean.returncode == 0, clean.stderr
    assert rows_of(killed_out) == rows_of(clean_out)
    assert sum(len(r) for r in rows_of(clean_out).values()) == 4 * 150 * 60


def test_resume_keeps_finished_shards_untouched(tmp_path, big_corpus, write_manifest, monkeypatch):
    """A rerun reuses the shards of completed tasks as they are (their files are not rewritten)."""
    out = tmp_path / "out"
    manifest = load_manifest(write_manifest(corpus_manifest(big_corpus, out, tasks=2)))
    plan = compile_manifest(manifest)
    from babelforge.executors import build_executors
    from babelforge.runner import prepare_work_dir
    from babelforge.workspace import Workspace

    with Workspace(out) as workspace:
        assert prepare_work_dir(plan, workspace) == (0, [])
        executor = build_executors(plan, "local")[0]
        executor._run_for_rank(0)  # as if an earlier attempt finished task 0, then died
    shard = plan.shards_dir / "train" / "00000.parquet"
    before = shard.stat().st_mtime_ns
    result = run_manifest(manifest, keep_work=True)
    assert result.resumed_tasks == 1
    assert shard.stat().st_mtime_ns == before
    assert sum(result.summary["rows"]["train"].values()) == 4 * 150 * 60


@pytest.mark.parametrize("name", ["out", "o[1]"])  # a name, not a glob pattern, for the shards between passes
def test_barrier_steps_chain_passes_with_depends(tmp_path, write_manifest, data_dir, name):
    manifest = load_manifest(
        write_manifest(
            {
                "name": "chain",
                "sources": [{"kind": "conll", "path": str(data_dir / "europarl-en.conll"), "language": "en"}],
                "steps": [{"filter_length": {"min_tokens": 5}}, {"test_barrier": {}}, {"map_labels": {"mapping": {}}}],
                "output": {"path": str(tmp_path / name), "kind": "spans"},
                "executor": {"local": {"tasks": 2, "workers": 1}},
            }
        )
    )
    plan = compile_manifest(manifest)
    assert [p.name for p in plan.passes] == ["p1", "p2"]
    from babelforge.executors import build_executors

    first, second = build_executors(plan, "local")
    assert second.depends is first
    result = run_manifest(manifest)
    rows = rows_of(tmp_path / name)["train"]
    assert len(rows) == sum(result.summary["rows"]["train"].values()) > 0
    assert all('"saw":"all"' in row["lineage"] for row in rows)
    assert rows[0]["spans"] is not None


def test_a_changed_manifest_discards_the_interrupted_work(tmp_path, write_manifest, data_dir):
    from babelforge.runner import prepare_work_dir
    from babelforge.workspace import Workspace

    settings = {
        "name": "c",
        "sources": [{"kind": "conll", "path": str(data_dir / "europarl-en.conll"), "language": "en"}],
        "output": {"path": str(tmp_path / "out")},
    }
    plan = compile_manifest(load_manifest(write_manifest(settings)))
    with Workspace(tmp_path / "out") as workspace:
        prepare_work_dir(plan, workspace)
        (plan.logging_dir(0) / "completions").mkdir(parents=True)
        (plan.logging_dir(0) / "completions" / "00000").touch()
        assert prepare_work_dir(plan, workspace) == (1, [])
        settings["steps"] = [{"filter_length": {"min_tokens": 2}}]
        changed = compile_manifest(load_manifest(write_manifest(settings)))
        assert prepare_work_dir(changed, workspace) == (0, ["the manifest changed"])


def test_error_messages_keep_their_brackets():
    """A pip command with an extra ("babelforge[models]") reaches the user whole, not eaten as markup."""
    import io

    from rich.console import Console

    from babelforge.cli import console
    from babelforge.errors import MissingDependencyError

    buffer = io.StringIO()
    original = console.err
    console.err = Console(file=buffer, width=200)
    try:
        console.print_error(MissingDependencyError("vector search", ["faiss-cpu"], "models"))
    finally:
        console.err = original
    assert 'pip install "babelforge[models]"' in buffer.getvalue()


def test_a_run_never_keeps_the_lock_of_a_work_folder_moved_aside(tmp_path, monkeypatch):
    """The race of two runs started together: the second opens ``run.lock`` just before the first, finished,
    moves its work folder aside and releases the lock. The second must not run in a folder being removed."""
    from filelock import FileLock

    from babelforge.workspace import Workspace

    real_acquire, moved = FileLock.acquire, []

    def acquire_then_lose_the_folder(lock, *args, **kwargs):
        held = real_acquire(lock, *args, **kwargs)
        if not moved:  # the first attempt's folder goes away under it, once
            work = Path(lock.lock_file).parent
            os.replace(work, work.with_name(work.name + ".done-other"))
            moved.append(work)
        return held

    monkeypatch.setattr(FileLock, "acquire", acquire_then_lose_the_folder)
    with Workspace(tmp_path / "out") as workspace:
        assert moved == [workspace.work_dir]
        assert (workspace.work_dir / "run.lock").is_file()  # claimed anew: a folder of its own
        assert workspace.lock._holds_the_file()
