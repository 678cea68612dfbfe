"""Emit overhead: CoNLL sentences through the whole babelforge pipeline vs. straight to Parquet with pyarrow.

Both sides read the same CoNLL files and write the same rows (id, language, tokens, ClassLabel tag ids,
source, lineage) as Parquet. The pipeline also runs datatrove tasks, converts tags to character spans
and back, counts, and writes the card and provenance. Prints both throughputs and the ratio
(baseline throughput / pipeline throughput; target <= 1.5).

    python benchmarks/emit_overhead.py --sentences 1000000 [--tasks 4 --workers 1] [--conll FILE]
"""

from __future__ import annotations

import argparse
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
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bf-emit-"))
    try:
        lines = make_corpus(args.conll, args.sentences, args.files, work / "corpus")
        print(f"corpus: {args.sentences:,} sentences, {lines:,} token lines in {args.files} files")
        started = time.perf_counter()
        rows = baseline(work / "corpus", work / "baseline")
        base_s = time.perf_counter() - started
        print(f"baseline (python parse + pyarrow write): {rows:,} rows in {base_s:.1f} s = {rows / base_s:,.0f} rows/s")
        for workers in args.workers:
            started = time.perf_counter()
            rows = pipeline(work / "corpus", work / f"out-{workers}", args.files, workers)
            pipe_s = time.perf_counter() - started
            print(
                f"babelforge run ({args.files} tasks, {workers} worker(s)): {rows:,} rows in {pipe_s:.1f} s = "
                f"{rows / pipe_s:,.0f} rows/s; ratio baseline/pipeline throughput = {pipe_s / base_s:.2f}"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
