"""Emit overhead: CoNLL sentences through the whole babelforge pipeline vs. straight to Parquet with pyarrow.

Both sides read the same CoNLL files and write the same rows (id, language, tokens, ClassLabel tag ids,
source, lineage) as Parquet. The pipeline also runs datatrove tasks, converts tags to character spans
and back, counts, and writes the card and provenance. Prints both times and their ratio (pipeline
time / baseline time; targets: <= 1.5 with one worker, <= 1.1 with two), with the machine's load.
With ``--repeat N`` the sides take turns N times and the best time of each is compared as well. The
CPU times of the baseline and of one worker (which runs its tasks in this process) are printed too:
on a busy machine they say more than the wall times.

    python benchmarks/emit_overhead.py --sentences 1000000 [--files 4 --workers 1 2 --repeat 3] [--conll FILE]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

import yaml

HERE = Path(__file__).parent
DEFAULT_CONLL = HERE.parent / "tests" / "data" / "europarl-en.conll"


def make_corpus(conll: Path, sentences: int, files: int, folder: Path) -> int:
    """Write ``sentences`` sentences (the sample, repeated) into ``files`` CoNLL files; return token lines."""
    sample = [s for s in conll.read_text(encoding="utf-8").split("\n\n") if s.strip()]
    folder.mkdir(parents=True, exist_ok=True)
    per_file = sentences // files
    lines = 0
    for i in range(files):
        count = per_file + (1 if i < sentences % files else 0)
        chunk = [sample[j % len(sample)] for j in range(i * per_file, i * per_file + count)]
        (folder / f"part-{i:03d}.conll").write_text("\n\n".join(chunk) + "\n", encoding="utf-8")
        lines += sum(s.count("\n") + 1 for s in chunk)
    return lines


def baseline(folder: Path, out: Path) -> int:
    """Parse CoNLL in plain Python and write the same rows with pyarrow, one Parquet file per input file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = ["O", "B-LOC", "I-LOC", "B-MISC", "I-MISC", "B-ORG", "I-ORG", "B-PER", "I-PER"]
    index = {name: i for i, name in enumerate(names)}
    out.mkdir(parents=True)
    rows = 0
    for path in sorted(folder.glob("*.conll")):
        columns = {"id": [], "language": [], "tokens": [], "ner_tags": [], "source": [], "lineage": []}
        tokens, tags, start = [], [], 1
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                if line.strip():
                    if not tokens:
                        start = lineno
                    token, tag = line.rstrip("\n").split("\t")
                    tokens.append(token)
                    tags.append(index[tag])
                elif tokens:
                    _add(columns, path.name, start, tokens, tags)
                    tokens, tags = [], []
        if tokens:
            _add(columns, path.name, start, tokens, tags)
        rows += len(columns["id"])
        schema = pa.schema(
            [("id", pa.string()), ("language", pa.string()), ("tokens", pa.list_(pa.string())),
             ("ner_tags", pa.list_(pa.int64())), ("source", pa.string()), ("lineage", pa.string())]
        )  # fmt: skip
        pq.write_table(pa.table(columns, schema=schema), out / f"{path.stem}.parquet")
    return rows


def _add(columns: dict, name: str, start: int, tokens: list, tags: list) -> None:
    columns["id"].append(f"bench/{name}:{start}")
    columns["language"].append("eng_Latn")
    columns["tokens"].append(tokens)
    columns["ner_tags"].append(tags)
    columns["source"].append("bench")
    columns["lineage"].append("[]")


def pipeline(folder: Path, out: Path, tasks: int, workers: int) -> int:
    from babelforge.manifest import load_manifest
    from babelforge.runner import run_manifest

    manifest = {
        "name": "emit-overhead",
        "sources": [{"name": "bench", "kind": "conll", "path": str(folder), "language": "en"}],
        "output": {"path": str(out), "kind": "ner"},
        "executor": {"local": {"tasks": tasks, "workers": workers}},
    }
    path = out.parent / f"{out.name}.yaml"
    path.write_text(yaml.safe_dump(manifest))
    result = run_manifest(load_manifest(path))
    phases = ", ".join(f"{k} {v:.1f} s" for k, v in result.timings.items() if k in ("execute", "emit"))
    print(f"  phases: {phases}")
    return sum(n for by_language in result.summary["rows"].values() for n in by_language.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sentences", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=4, help="input files (and pipeline tasks)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="pipeline worker counts to measure")
    parser.add_argument("--conll", type=Path, default=DEFAULT_CONLL, help="sample CoNLL file to repeat")
    parser.add_argument("--repeat", type=int, default=1, help="rounds (baseline, then each worker count); best kept")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bf-emit-"))
    try:
        lines = make_corpus(args.conll, args.sentences, args.files, work / "corpus")
        print(f"corpus: {args.sentences:,} sentences, {lines:,} token lines in {args.files} files; {_load()}")
        best: dict[str, float] = {}
        for round_ in range(args.repeat):  # rounds interleave the sides, so that a busy spell hits them alike
            started, cpu = time.perf_counter(), _cpu_seconds()
            rows = baseline(work / "corpus", work / f"baseline-{round_}")
            base_s = _keep(best, "baseline", time.perf_counter() - started)
            base_cpu = _keep(best, "baseline cpu", _cpu_seconds() - cpu)
            speed = f"{rows:,} rows in {base_s:.1f} s = {rows / base_s:,.0f} rows/s (cpu {base_cpu:.1f} s)"
            print(f"baseline (python parse + pyarrow write): {speed}")
            for workers in args.workers:
                out = work / f"out-{workers}-{round_}"
                started, cpu = time.perf_counter(), _cpu_seconds()
                rows = pipeline(work / "corpus", out, args.files, workers)
                pipe_s = _keep(best, f"{workers}", time.perf_counter() - started)
                pipe_cpu = _keep(best, f"{workers} cpu", _cpu_seconds() - cpu)
                print(
                    f"babelforge run ({args.files} tasks, {workers} worker(s)): {rows:,} rows in {pipe_s:.1f} s = "
                    f"{rows / pipe_s:,.0f} rows/s; ratio pipeline/baseline time = {pipe_s / base_s:.2f}"
                    + (f" (cpu {pipe_cpu:.1f} s, ratio {pipe_cpu / base_cpu:.2f})" if workers == 1 else "")
                )
                shutil.rmtree(out, ignore_errors=True)
            shutil.rmtree(work / f"baseline-{round_}", ignore_errors=True)
        if args.repeat > 1:
            ratios = ", ".join(
                f"{w} worker(s) {best[str(w)]:.1f} s = {best[str(w)] / best['baseline']:.2f}" for w in args.workers
            )
            print(f"best of {args.repeat}: baseline {best['baseline']:.1f} s; {ratios}; {_load()}")
            if 1 in args.workers:
                cpu_ratio = best["1 cpu"] / best["baseline cpu"]
                print(
                    f"best cpu: baseline {best['baseline cpu']:.1f} s, 1 worker {best['1 cpu']:.1f} s = {cpu_ratio:.2f}"
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _keep(best: dict[str, float], side: str, seconds: float) -> float:
    best[side] = min(best.get(side, seconds), seconds)
    return seconds


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children: one worker runs its tasks in this process.

    With more workers the tasks run in a process pool whose CPU time is not counted here.
    """
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _load() -> str:
    """The machine's load averages: timings on a shared machine mean little without them."""
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores"


if __name__ == "__main__":
    main()
