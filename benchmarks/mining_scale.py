"""Mining at scale: time per stage and peak memory for N items per side (random vectors stand in).

Each side is N random 384-d unit vectors; the targets are noisy copies of a shuffled subset of the
sources (half of them, so half the sources have a partner), the rest random. Stages: index build
(both sides), search (both directions, 16 neighbours), margin scoring and one-to-one pairing. Index
kind as ``auto`` chooses (exact up to 200k, HNSW beyond). Prints seconds per stage, pairs found,
precision of the pairs with a true partner, and peak resident memory of the process.

    python benchmarks/mining_scale.py --n 100000 300000 1000000
"""

from __future__ import annotations

import argparse
import resource
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, nargs="+", default=[100_000, 300_000])
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--index", default="auto")
    args = parser.parse_args()
    import numpy as np

    from babelforge.builders.index import build_index, choose, search
    from babelforge.builders.margin import MarginMiner, MarginSettings

    for n in args.n:
        rng = np.random.default_rng(n)
        source = rng.standard_normal((n, args.dim), dtype=np.float32)
        source /= np.linalg.norm(source, axis=1, keepdims=True)
        partners = rng.permutation(n)[: n // 2]
        target = rng.standard_normal((n, args.dim), dtype=np.float32)
        target[: n // 2] = source[partners] + 0.04 * rng.standard_normal((n // 2, args.dim), dtype=np.float32)
        target /= np.linalg.norm(target, axis=1, keepdims=True)
        miner = MarginMiner(MarginSettings(index=args.index, threshold=1.0))
        started = time.perf_counter()
        source_index, target_index = build_index(source, args.index), build_index(target, args.index)
        built = time.perf_counter()
        sim_st, ids_st = search(target_index, source, 16)
        sim_ts, ids_ts = search(source_index, target, 16)
        searched = time.perf_counter()
        del source_index, target_index
        pairs = miner.pairs(source, target, sim_st, ids_st, sim_ts, ids_ts)
        scored = time.perf_counter()
        truth = {int(p): i for i, p in enumerate(partners)}  # source row -> its target row
        correct = sum(truth.get(p.source) == p.target for p in pairs)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        print(
            f"N={n:>9,} index {choose(args.index, n):5}: build {built - started:7.1f} s, "
            f"search {searched - built:7.1f} s, score+pair {scored - searched:6.1f} s; {len(pairs):,} pairs, "
            f"{correct / max(len(pairs), 1):.3f} precise; peak memory so far {peak:.2f} GiB",
            flush=True,
        )


if __name__ == "__main__":
    main()
