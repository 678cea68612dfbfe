"""Mining at scale: time per stage and peak memory for N items per side (random vectors stand in).

Each side is N random 384-d unit vectors written as the ``embed`` step writes them (float16 shards
of 20,000 rows with their JSON-lines rows, per language); the targets are noisy copies (cosine
about 0.79) of a shuffled half of the sources, the rest random. Then mining runs through its real
stages (:class:`babelforge.builders.stages.MiningStages`: index built from the shards, search shard
by shard, both directions, 16 neighbours) and margin scoring with one-to-one pairing, as the
``mine`` step does. Index kind as ``auto`` chooses (exact up to 50k, IVF-PQ-refine beyond). Each N
runs in its own process, so the peak resident memory printed is that N's alone.

    python benchmarks/mining_scale.py --n 100000 300000 1000000
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHARD = 20_000


def write_shards(folder: Path, n: int, dim: int) -> list:
    """Random sources and noisy-copy targets as embedding shards; returns each target copy's source row."""
    import numpy as np

    rng = np.random.default_rng(n)
    partners = rng.permutation(n)[: n // 2]  # target row t < n/2 copies source row partners[t]
    folder.mkdir(parents=True)
    starts = range(0, n, SHARD)
    for c, start in enumerate(starts):
        block = np.random.default_rng((n, start)).standard_normal(
            (min(n, start + SHARD) - start, dim), dtype=np.float32
        )
        _write(folder, c, block, start, "eng_Latn", "s")
    sources = [np.load(folder / f"00000-{c:05d}.npy", mmap_mode="r") for c in range(len(starts))]
    for c, start in enumerate(starts):
        rows = np.arange(start, min(n, start + SHARD))
        block = np.random.default_rng((n, start, 1)).standard_normal((len(rows), dim), dtype=np.float32)
        copies = np.flatnonzero(rows < n // 2)
        wanted = partners[rows[copies]]
        for shard in np.unique(wanted // SHARD):
            hit = wanted // SHARD == shard
            block[copies[hit]] = sources[shard][wanted[hit] % SHARD].astype(np.float32) + 0.04 * block[copies[hit]]
        _write(folder, len(starts) + c, block, start, "deu_Latn", "t")
    (folder / "00000.done").write_text("{}")
    return partners


def _write(folder: Path, chunk: int, block, start: int, language: str, prefix: str) -> None:
    import numpy as np

    block /= np.linalg.norm(block, axis=1, keepdims=True)
    stem = folder / f"00000-{chunk:05d}"
    np.save(f"{stem}.npy", block.astype(np.float16))
    lines = (json.dumps({"id": f"{prefix}{start + i}", "language": language, "text": ""}) for i in range(len(block)))
    Path(f"{stem}.jsonl").write_text("\n".join(lines) + "\n")


def run_one(n: int, dim: int, index: str, nprobe: int | None = None) -> None:

    from babelforge.builders.embed import read_embeddings
    from babelforge.builders.index import choose
    from babelforge.builders.margin import MarginMiner, MarginSettings
    from babelforge.builders.stages import MiningStages

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        partners = write_shards(Path(tmp) / "embeddings", n, dim)
        written = time.perf_counter()
        stages = MiningStages(
            Path(tmp) / "mining", Path(tmp) / "embeddings", "eng_Latn", "deu_Latn", index, 16, nprobe=nprobe
        )
        neighbours = stages.neighbours()
        searched = time.perf_counter()
        _, source = read_embeddings(Path(tmp) / "embeddings", "eng_Latn", "float16")
        _, target = read_embeddings(Path(tmp) / "embeddings", "deu_Latn", "float16")
        pairs = MarginMiner(MarginSettings(index=index, threshold=1.0)).pairs(source, target, *neighbours)
        scored = time.perf_counter()
    truth = {int(s): t for t, s in enumerate(partners)}
    correct = sum(truth.get(p.source) == p.target for p in pairs)
    found = correct / len(truth)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    index_s = sum(v for k, v in stages.timings.items() if k.startswith("index"))
    search_s = sum(v for k, v in stages.timings.items() if k.startswith("search"))  # index time not included
    print(
        json.dumps(
            {
                "n": n,
                "index": choose(index, n),
                "write_shards_s": round(written - started, 1),
                "index_s": round(index_s, 1),
                "search_s": round(search_s, 1),
                "index_and_search_s": round(searched - written, 1),
                "score_and_pair_s": round(scored - searched, 1),
                "pairs": len(pairs),
                "precision": round(correct / max(len(pairs), 1), 3),
                "recall": round(found, 3),
                "peak_gib": round(peak, 2),
            }
        ),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, nargs="+", default=[100_000, 300_000])
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--index", default="auto")
    parser.add_argument("--nprobe", type=int, default=None, help="IVF lists searched (default: 1/8 of them)")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # a child run
    args = parser.parse_args()
    if args.one:
        run_one(args.n[0], args.dim, args.index, args.nprobe)
        return
    results = []
    for n in args.n:
        child = [sys.executable, __file__, "--one", "--n", str(n), "--dim", str(args.dim), "--index", args.index]
        child += ["--nprobe", str(args.nprobe)] if args.nprobe else []
        line = subprocess.run(child, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
        results.append(json.loads(line))
        r = results[-1]
        print(
            f"N={n:>9,} {r['index']:>12}: index {r['index_s']:7.1f} s, search {r['search_s']:7.1f} s, "
            f"score+pair {r['score_and_pair_s']:6.1f} s; {r['pairs']:,} pairs, precision {r['precision']:.3f}, "
            f"recall {r['recall']:.3f}; peak memory {r['peak_gib']:.2f} GiB",
            flush=True,
        )
    for a, b in itertools.pairwise(results):
        ratio = b["n"] / a["n"]
        cost = (b["index_and_search_s"] + b["score_and_pair_s"]) / (a["index_and_search_s"] + a["score_and_pair_s"])
        import math

        exponent = math.log(cost) / math.log(ratio)
        print(f"{a['n']:,} -> {b['n']:,}: {ratio:.1f}x items, {cost:.1f}x time (exponent {exponent:.2f})")


if __name__ == "__main__":
    main()
