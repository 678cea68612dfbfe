"""Approximate search against exact search on N random 384-d unit vectors: recall@1 and throughput.

The database is N random unit vectors; the queries are noisy copies of database rows (cosine about
0.8 to their row, as a translation is near its source: the mining case), plus, for the record, fully
random queries (no true neighbour stands out: the hardest case for any approximate index). Exact =
faiss ``IndexFlatIP``; approximate = the index ``auto`` chooses at this size (IVF over fast-scan PQ
codes with exact re-scoring, ``ivfpq-refine``), and IVF-Flat and HNSW for comparison. Prints recall@1
against exact and the throughput ratio (targets: recall >= 0.98 at >= 10x exact's speed); the
default nprobe of an IVF index is 1/8 of its lists, at most 256 (256 of 4,000 at 1M).

    python benchmarks/ann_recall.py [--n 1000000] [--queries 10000] [--threads 2]
"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--noise", type=float, default=0.04, help="per-dimension noise of the mining-like queries")
    parser.add_argument("--kinds", default="ivfpq-refine,ivf", help="also: hnsw (slow to build on 2 cores)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--nprobe", default="128,256,500", help="IVF: lists searched, one run each")
    parser.add_argument("--ef", default="64,128,256", help="HNSW: efSearch, one run each")
    args = parser.parse_args()
    import faiss
    import numpy as np

    from babelforge.builders.index import build_index, search

    faiss.omp_set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    base = rng.standard_normal((args.n, args.dim), dtype=np.float32)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    rows = rng.choice(args.n, args.queries, replace=False)
    near = base[rows] + args.noise * rng.standard_normal((args.queries, args.dim), dtype=np.float32)
    near /= np.linalg.norm(near, axis=1, keepdims=True)
    far = rng.standard_normal((args.queries, args.dim), dtype=np.float32)
    far /= np.linalg.norm(far, axis=1, keepdims=True)
    print(f"{args.n:,} x {args.dim} database, {args.queries:,} queries, {args.threads} threads")
    print(f"mining-like queries: mean cosine to their row {float((near * base[rows]).sum(1).mean()):.3f}")
    exact = build_index(base, "exact")
    results = {}
    for name, queries in (("mining-like", near), ("random", far)):
        started = time.perf_counter()
        _, truth = search(exact, queries, 1)
        results[name] = (truth[:, 0], time.perf_counter() - started)
        print(f"exact, {name} queries: {args.queries / results[name][1]:,.0f} queries/s")
    for kind in args.kinds.split(","):
        started = time.perf_counter()
        index = build_index(base, kind)
        built = time.perf_counter() - started
        settings = args.nprobe if kind.startswith("ivf") else args.ef
        for setting in (int(x) for x in settings.split(",")):
            if kind.startswith("ivf"):
                faiss.extract_index_ivf(index).nprobe = setting
            else:
                index.hnsw.efSearch = setting
            label = f"{kind} {'nprobe' if kind.startswith('ivf') else 'efSearch'} {setting}"
            for name, queries in (("mining-like", near), ("random", far)):
                truth, exact_s = results[name]
                started = time.perf_counter()
                _, found = search(index, queries, 1)
                seconds = time.perf_counter() - started
                recall = float((found[:, 0] == truth).mean())
                print(
                    f"{label:20} (built in {built:.0f} s), {name:11} queries: recall@1 {recall:.4f}, "
                    f"{args.queries / seconds:,.0f} queries/s, speed-up {exact_s / seconds:.1f}x over exact",
                    flush=True,
                )


if __name__ == "__main__":
    main()
