"""Split reading: one large JSON Lines file read by 1 task, then by N tasks at once (byte ranges).

Times the reader pass only: the real ``jsonl`` reader of a manifest source in babelforge's local
executor (datatrove's ``LocalPipelineExecutor``, forkserver workers, one per task, as ``babelforge
run`` starts them), followed by a sink that digests each record; no steps or writer, which would
dominate a full run. Two times per run: wall (the executor's whole run, worker start-up included)
and in-task (the slowest task's reading, from its first record request to its last record).
Checks that both reads give the same records: the same count, the same multiset of (id, text)
digests, and ids in file order across the tasks. Prints the ratios (1 task / N tasks; target >= 1.7
for N=2 on 2 cores) and the raw numbers, best of ``--repeat`` runs.

    python benchmarks/split_read.py [--lines 2000000] [--tasks 2] [--repeat 3] [--file PATH]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import tempfile
import time
from itertools import pairwise
from pathlib import Path

from datatrove.pipeline.base import PipelineStep

_VOCABULARY = "the of and to in a is that for it as was with be by on not he this are or his from at which but have an"
WORDS = [*_VOCABULARY.split(), "they", "you", "Kano", "Abuja", "naïve", "中文", "สวัสดี"]


def make_file(path: Path, lines: int, seed: int = 0) -> None:
    """``lines`` JSON objects, one per line, with a text of 5 to 30 words (some not ASCII)."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as f:
        for i in range(lines):
            text = " ".join(rng.choices(WORDS, k=rng.randint(5, 30)))
            f.write(json.dumps({"text": text, "n": i}, ensure_ascii=False) + "\n")


class Digest(PipelineStep):
    """A sink: per task, the record count, a sum of (id, text) digests, and the first and last line numbers."""

    name = "digest"

    def __init__(self, folder: str):
        super().__init__()
        self.folder = folder

    def run(self, data, rank: int = 0, world_size: int = 1):
        started = time.perf_counter()
        count, total, first, last, ordered = 0, 0, None, None, True
        for doc in data:
            digest = hashlib.blake2b(f"{doc.id}\x1f{doc.text}".encode(), digest_size=8).digest()
            total = (total + int.from_bytes(digest, "little")) % (1 << 64)
            line = int(doc.id.rsplit(":", 1)[1])
            ordered = ordered and (last is None or line > last)
            first, last = line if first is None else first, line
            count += 1
        result = {"count": count, "sum": total, "first": first, "last": last, "ordered": ordered}
        result["seconds"] = time.perf_counter() - started
        Path(self.folder, f"{rank:05d}.json").write_text(json.dumps(result))
        return iter(())


def read_pass(path: Path, tasks: int, work: Path) -> tuple[float, dict]:
    """Seconds for the read with ``tasks`` tasks (one worker each), and the records' combined digest."""
    from pydantic import TypeAdapter

    from babelforge.executors import LocalExecutor, _start_method
    from babelforge.sources import Source

    source = TypeAdapter(Source).validate_python({"kind": "jsonl", "path": str(path), "language": "en"})
    results = work / f"digest-{tasks}-{time.monotonic_ns()}"
    results.mkdir(parents=True)
    executor = LocalExecutor(
        pipeline=[source.reader(0), Digest(str(results))],
        tasks=tasks,
        workers=tasks,
        logging_dir=str(results / "logs"),
        skip_completed=False,
        start_method=_start_method(),
    )
    started = time.perf_counter()
    executor.run()
    seconds = time.perf_counter() - started
    parts = [json.loads((results / f"{rank:05d}.json").read_text()) for rank in range(tasks)]
    return seconds, _combine(parts)


def _combine(parts: list[dict]) -> dict:
    present = [p for p in parts if p["count"]]
    ordered = all(p["ordered"] for p in present) and all(a["last"] < b["first"] for a, b in pairwise(present))
    return {
        "seconds": max(p["seconds"] for p in parts),
        "count": sum(p["count"] for p in parts),
        "sum": sum(p["sum"] for p in parts) % (1 << 64),
        "ordered": ordered,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--tasks", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--file", type=Path, help="use (or create) this JSON Lines file instead of a temporary one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="split-read-") as tmp:
        work = Path(tmp)
        path = args.file or work / "big.jsonl"
        if not path.exists():
            started = time.perf_counter()
            make_file(path, args.lines)
            print(f"wrote {path} ({path.stat().st_size:,} bytes) in {time.perf_counter() - started:.1f} s")
        one, many = [], []
        for _ in range(args.repeat):  # interleaved, so drift on a shared machine hits both
            one.append(read_pass(path, 1, work))
            many.append(read_pass(path, args.tasks, work))
        identical = all(_same(d1, dn) for (_, d1), (_, dn) in zip(one, many, strict=True))
        print(f"file: {path} ({path.stat().st_size:,} bytes)")
        for label, runs in (("1 task", one), (f"{args.tasks} tasks", many)):
            wall, in_task = min(w for w, _ in runs), min(d["seconds"] for _, d in runs)
            every = ", ".join(f"{w:.2f}/{d['seconds']:.2f}" for w, d in runs)
            rows = runs[0][1]["count"]
            print(
                f"{label}: wall {wall:.2f} s, in-task {in_task:.2f} s, {rows:,} rows; all runs (wall/in-task): {every}"
            )
        print(f"identical rows (count, digest, order): {'yes' if identical else 'NO'}")
        wall = min(w for w, _ in one) / min(w for w, _ in many)
        in_task = min(d["seconds"] for _, d in one) / min(d["seconds"] for _, d in many)
        print(f"ratio 1 task / {args.tasks} tasks, best of {args.repeat}: wall {wall:.2f}, in-task {in_task:.2f}")


def _same(a: dict, b: dict) -> bool:
    return a["count"] == b["count"] and a["sum"] == b["sum"] and a["ordered"] and b["ordered"]


if __name__ == "__main__":
    main()
