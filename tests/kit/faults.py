"""Fault scenarios for runs: kills, concurrent runs, changed inputs, output paths, bad inputs, a full disk.

Each scenario drives the real CLI in subprocesses on a small project (JSON Lines files and a
manifest) and returns an :class:`Outcome`: what happened, rows lost, partial or stale outputs
published, and tracebacks shown. ``tests/faults/`` runs them small; ``benchmarks/faults.py`` runs
them larger and prints the table.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

LAUNCHER = Path(__file__).with_name("fault_launcher.py")
KILL_POINTS = ("after-claim", "before-execute", "after-execute", "during-emit", "before-publish",
               "between-renames", "after-publish", "during-cleanup")  # fmt: skip


@dataclass
class Outcome:
    """One scenario's result, as the fault table shows it."""

    scenario: str
    outcome: str
    rows_lost: int = 0
    partial_published: int = 0
    tracebacks: int = 0
    user_files_lost: int = 0

    @property
    def ok(self) -> bool:
        return not (self.rows_lost or self.partial_published or self.tracebacks or self.user_files_lost)


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def tracebacks(self) -> int:
        return (self.out + self.err).count("Traceback (most recent call last)")

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


class Project:
    """A folder with ``files`` JSON Lines inputs of ``lines`` rows each and manifests reading them.

    ``m.yaml`` is one pass; ``m2.yaml`` has a barrier step, so two passes.
    """

    def __init__(self, root: Path, files: int = 4, lines: int = 500, tasks: int = 4):
        self.root, self.tasks = Path(root), tasks
        self.data = self.root / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        for name in "abcd"[:files]:
            self.write_input(f"{name}.jsonl", lines)
        (self.root / "notes.txt").write_text("the user's own notes\n")
        self.write_manifest("m.yaml", [])
        self.write_manifest("m2.yaml", [{"test_barrier": {}}])

    def write_input(self, name: str, lines: int, tag: str = "") -> None:
        stem = name.split(".")[0]
        noise = (hashlib.sha1(f"{stem}{tag}{i}".encode()).hexdigest() for i in range(lines))  # not compressible
        rows = (json.dumps({"text": f"{stem}{tag} row {i} {hex_}"}) for i, hex_ in enumerate(noise))
        (self.data / name).write_text("\n".join(rows) + "\n")

    def write_manifest(self, name: str, steps: list, **source) -> Path:
        manifest = {
            "name": "faults",
            "sources": [{"kind": "jsonl", "path": "data", "language": "en", **source}],
            "steps": steps,
            "output": {"path": "out/ds", "kind": "text"},
            "executor": {"local": {"tasks": self.tasks, "workers": 2}},
        }
        path = self.root / name
        path.write_text(yaml.safe_dump(manifest, sort_keys=False))
        return path

    @property
    def output(self) -> Path:
        return self.root / "out" / "ds"

    def command(self, *args, point: str = "none") -> list[str]:
        return [sys.executable, str(LAUNCHER), point, *map(str, args)]

    def run(self, *args, point: str = "none", timeout: float = 300, env: dict | None = None) -> Result:
        done = subprocess.run(self.command(*args, point=point), cwd=self.root, capture_output=True, text=True,
                              timeout=timeout, start_new_session=True, env=_env(env))  # fmt: skip
        return Result(done.returncode, done.stdout, done.stderr)

    def start(self, *args, point: str = "none") -> subprocess.Popen:
        return subprocess.Popen(self.command(*args, point=point), cwd=self.root, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True, env=_env())  # fmt: skip

    def expected(self) -> list[str]:
        """The texts a correct run over the current inputs publishes, sorted."""
        texts = []
        for path in sorted(self.data.iterdir()):
            opener = gzip.open if path.name.endswith(".gz") else open
            with opener(path, "rt", encoding="utf-8") as f:
                texts += [json.loads(line)["text"] for line in f if line.strip()]
        return sorted(texts)

    def published(self, output: Path | None = None) -> list[str] | None:
        """The texts of the published output, sorted; ``None`` when there is none.

        Raises:
            AssertionError: when the folder claims more or fewer rows than its files hold (a partial output).
        """
        import pyarrow.parquet as pq

        output = output or self.output
        if not (output / "dataset_info.json").is_file():
            return None
        texts = []
        for path in sorted((output / "data").glob("*/*.parquet")):
            texts += pq.read_table(path, columns=["text"]).column("text").to_pylist()
        info = json.loads((output / "dataset_info.json").read_text())
        splits = info["splits"]
        claimed = sum(s["num_examples"] for s in (splits.values() if isinstance(splits, dict) else splits))
        assert claimed == len(texts), f"{output} claims {claimed} rows but holds {len(texts)}"
        return sorted(texts)

    def user_files(self) -> dict[str, str]:
        """SHA-256 of every file outside ``out/``: the user's own, which no command may lose."""
        found = {}
        for path in self.root.rglob("*"):
            if path.is_file() and "out" not in path.relative_to(self.root).parts[:1]:
                found[str(path.relative_to(self.root))] = hashlib.sha256(path.read_bytes()).hexdigest()
        return found


def _env(extra: dict | None = None) -> dict:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[1]), COLUMNS="200")
    return env | (extra or {})


def lost(expected: list[str], got: list[str] | None) -> int:
    """Rows of ``expected`` missing from ``got`` (counting duplicates), plus rows that should not be there."""
    from collections import Counter

    want, have = Counter(expected), Counter(got or [])
    return sum((want - have).values()) + sum((have - want).values())


def kill_then_rerun(root: Path, point: str, manifest: str = "m.yaml", **sizes) -> Outcome:
    """Publish once, change an input, kill the second run at ``point``, then rerun: old or new, never a mix."""
    project = Project(root, **sizes)
    first = project.run("run", manifest)
    old = project.published()
    project.write_input("a.jsonl", 300, tag="-new")
    killed = project.run("run", manifest, point=point)
    between = _published_safely(project)
    new = project.expected()
    partial = int(between not in (old, new, None))
    rerun = project.run("run", manifest)
    got = _published_safely(project)
    tracebacks = first.tracebacks + killed.tracebacks + rerun.tracebacks
    outcome = f"killed ({killed.code}); rerun exit {rerun.code}"
    if between is None:
        outcome += "; no output in between"
    return Outcome(f"kill -9 {point} ({manifest})", outcome, lost(new, got), partial, tracebacks)


def kill_mid_pass(root: Path, manifest: str = "m2.yaml", **sizes) -> Outcome:
    """SIGKILL the whole run as soon as the first task of the first pass finishes; rerun resumes."""
    project = Project(root, **sizes)
    process = project.start("run", manifest)
    markers = project.root / "out" / "ds.work" / "logs" / "p1" / "completions"
    deadline = time.time() + 120
    while time.time() < deadline and process.poll() is None and not (markers.is_dir() and any(markers.iterdir())):
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate()
    partial = int(project.published() is not None)
    rerun = project.run("run", manifest)
    resumed = "resumed" in rerun.out
    return Outcome(f"kill -9 mid-pass ({manifest})", f"rerun exit {rerun.code}, resumed {resumed}",
                   lost(project.expected(), _published_safely(project)), partial, rerun.tracebacks)  # fmt: skip


def concurrent_runs(root: Path, runs: int = 2, **sizes) -> Outcome:
    """``runs`` runs of one manifest into one output, started together: one writes, the others refuse at once."""
    project = Project(root, **sizes)
    processes = [project.start("run", "m.yaml") for _ in range(runs)]
    results = [Result(p.wait(timeout=300), *p.communicate()) for p in processes]
    codes = sorted(r.code for r in results)
    refused = [r for r in results if r.code == 2]
    one_line = all(len(r.error_lines) == 1 and "another run is writing" in r.err for r in refused)
    outcome = f"exit codes {codes}; refusals one clear line: {one_line}"
    if not one_line:
        odd = next(r for r in refused if len(r.error_lines) != 1 or "another run is writing" not in r.err)
        outcome += f" ({odd.err[-300:]!r})"
    partial = int(not one_line or codes.count(0) != 1)
    return Outcome(f"{runs} concurrent runs", outcome, lost(project.expected(), _published_safely(project)),
                   partial, sum(r.tracebacks for r in results))  # fmt: skip


def inputs_between_attempts(root: Path, change: str, **sizes) -> Outcome:
    """Kill a run mid-pass, then change / add / remove an input file, then rerun: the output is the new input's."""
    project = Project(root, **sizes)
    project.run("run", "m.yaml", point="after-execute")
    if change == "changed":
        project.write_input("a.jsonl", 200, tag="-changed")
    elif change == "added":
        project.write_input("0.jsonl", 100)
    else:
        (project.data / "b.jsonl").unlink()
    rerun = project.run("run", "m.yaml")
    started_afresh = "started afresh" in rerun.out
    return Outcome(f"input {change} between attempts", f"rerun exit {rerun.code}, started afresh {started_afresh}",
                   lost(project.expected(), _published_safely(project)), 0, rerun.tracebacks)  # fmt: skip


def damaged_work(root: Path, **sizes) -> Outcome:
    """Delete two finished shards from a kept work folder, then rerun: those tasks run again."""
    project = Project(root, **sizes)
    project.run("run", "m.yaml", "--keep-work")
    shards = sorted((project.root / "out" / "ds.work" / "shards" / "p1" / "train").glob("*.parquet"))
    for shard in shards[:2]:
        shard.unlink()
    rerun = project.run("run", "m.yaml")
    return Outcome("shards deleted from a kept work folder", f"rerun exit {rerun.code}",
                   lost(project.expected(), _published_safely(project)), 0, rerun.tracebacks)  # fmt: skip


#: Output paths a run must refuse (exit 2, one line, nothing touched): ``(name, extra arguments)``.
REFUSED_OUTPUTS = (
    ("the current folder", ["--output", "."]),
    ("a user's file", ["--output", "notes.txt"]),
    ("a folder babelforge did not make", ["--output", "data"]),
    ("--overwrite of the parent folder", ["--overwrite", "--output", ".."]),
    ("--overwrite of the input folder", ["--overwrite", "--output", "data"]),
    ("--overwrite of the home folder", ["--overwrite", "--output", "~"]),
    ("--overwrite of a folder holding the manifest", ["--overwrite", "--output", "sub/.."]),
)


def refused_output(root: Path, name: str, args: list[str], **sizes) -> Outcome:
    project = Project(root, **sizes)
    (project.root / "sub").mkdir()
    before = project.user_files()
    result = project.run("run", "m.yaml", *[a.replace("~", str(project.root)) for a in args],
                         env={"HOME": str(project.root)})  # fmt: skip
    after = project.user_files()
    missing = sum(1 for path, digest in before.items() if after.get(path) != digest)
    clear = result.code == 2 and len(result.error_lines) == 1
    return Outcome(f"--output: {name}", f"exit {result.code}, one line: {clear}", 0, 0, result.tracebacks, missing)


def full_disk(root: Path, size: str = "256k", **sizes) -> Outcome:
    """The output on a small tmpfs that fills up: a clear error, no partial output; then room, and a rerun."""
    project = Project(root, **sizes)
    disk = project.root / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode:
        return Outcome("full disk (tmpfs)", f"skipped: cannot mount tmpfs ({mounted.stderr.decode().strip()[:60]})")
    try:
        result = project.run("run", "m.yaml", "--output", disk / "ds")
        partial = 0
        try:
            partial = int(project.published(disk / "ds") is not None)
        except AssertionError:
            partial = 1
        subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)
        rerun = project.run("run", "m.yaml", "--output", disk / "ds")
        got = _published_safely(project, disk / "ds")
        clear = result.code == 2 and len(result.error_lines) == 1
        outcome = f"exit {result.code}, one line: {clear}; with room, rerun exit {rerun.code}"
        return Outcome("full disk (tmpfs)", outcome, lost(project.expected(), got), partial,
                       result.tracebacks + rerun.tracebacks)  # fmt: skip
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def bad_input(root: Path, name: str, content: bytes, on_error: str = "fail") -> Outcome:
    """One bad file beside good ones: with ``fail`` one clear line; with ``skip`` the run completes and counts it.

    The bad file's ending picks the source kind (``.conll`` or JSON Lines).
    """
    project = Project(root, files=2, lines=50, tasks=2)
    source = {"on_error": on_error}
    if ".conll" in name:
        folder = project.root / "conll"
        folder.mkdir()
        shutil.copy(Path(__file__).parents[1] / "data" / "europarl-en.conll", folder / "good.conll")
        source |= {"kind": "conll", "path": "conll"}
        project.data = folder
    project.write_manifest("bad.yaml", [], **source)
    (project.data / name).write_bytes(content)
    result = project.run("run", "bad.yaml")
    if result.code:
        clear, said = len(result.error_lines) == 1, "one clear line"
    elif content:
        clear, said = "dropped" in result.out, "counted as dropped"
    else:  # an empty file is no error: it holds no records
        clear, said = project.published() is not None, "completed"
    partial = int(result.code != 0 and project.output.exists())
    outcome = f"exit {result.code}, {said}: {clear}"
    return Outcome(f"{name} ({on_error})", outcome, 0, partial, result.tracebacks)


def llm_outage(root: Path, **sizes) -> Outcome:
    """An LLM endpoint that hangs up on one record in sixteen (a ``translate`` step, several tasks): the run
    stops in one line and publishes nothing; once the endpoint is back, the rerun publishes every row and
    asks again only what was not answered (answers from the cache)."""
    import re

    from kit.openai_server import FakeOpenAIServer

    project = Project(root, **sizes)
    down = {"on": True}

    def reply(body: dict) -> str:
        asked = " ".join(str(m.get("content", "")) for m in body.get("messages", []))
        if down["on"] and any(key.endswith("0") for key in re.findall(r"row \d+ ([0-9a-f]{40})", asked)):
            raise ConnectionAbortedError("the endpoint hangs up")  # no answer at all: an outage for that record
        return f"traduit: {asked[-80:]}"

    server = FakeOpenAIServer(reply=reply)
    server._httpd.handle_error = lambda request, address: None  # the hang-ups are meant: no traceback printed
    server.start()
    try:
        manifest = yaml.safe_load((project.root / "m.yaml").read_text())
        llm = {"max_retries": 1, "backoff": 0.01, "backoff_max": 0.01, "breaker_threshold": 10**6}
        model = f"openai:faults@{server.base_url}"
        manifest["steps"] = [{"translate": {"model": model, "target": "fra_Latn", "llm": llm}}]
        manifest["output"]["kind"] = "bitext"
        (project.root / "llm.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
        env = {"BABELFORGE_HOME": str(project.root / "home")}
        first = project.run("run", "llm.yaml", env=env)
        partial = int(project.output.exists())
        asked_first = len(server.chat_paths())
        down["on"] = False
        rerun = project.run("run", "llm.yaml", env=env)
        asked_again = len(server.chat_paths()) - asked_first
    finally:
        server.stop()
    clear = first.code == 2 and len(first.error_lines) == 1 and "run the same command again" in first.err
    outcome = f"exit {first.code}, one line: {clear}; rerun exit {rerun.code}, asked again {asked_again}"
    return Outcome("LLM endpoint down for some records", outcome, lost(project.expected(), _published_safely(project)),
                   partial, first.tracebacks + rerun.tracebacks)  # fmt: skip


def _published_safely(project: Project, output: Path | None = None) -> list[str] | None:
    try:
        return project.published(output)
    except AssertionError:
        return ["<partial output>"]


def print_table(outcomes: list[Outcome]) -> None:
    print("| scenario | outcome | rows lost | partial outputs published | tracebacks shown | user files lost |")
    print("|---|---|---|---|---|---|")
    for o in outcomes:
        print(f"| {o.scenario} | {o.outcome} | {o.rows_lost} | {o.partial_published} | {o.tracebacks} | "
              f"{o.user_files_lost} |")  # fmt: skip


def cleanup(root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)
