"""Review page latency on a 100k-item output: milliseconds per item (target < 200 ms), and per
decision with concurrent annotators (target p95 < 50 ms, no item served twice, no decision lost).

Generates a ``spans`` output of ``--items`` records (hard scripts mixed, two spans each) through
the real ``run`` path, starts ``babelforge review serve`` in its own process, and for ``--decisions``
items times what the page does per item: ask for the next item, then post the decision. It runs
three orders: plain, filtered by language and label, and low-confidence-first with a score filter.
Then ``--annotators`` client processes (overlap 1) each answer ``--concurrent-decisions`` items at
once: per decision (the POST) and per item (next + POST) p50 and p95, items served to two annotators,
and decisions answered 200 but missing from the database.
Prints import and start-up times, and per-item mean, median, p95 and max milliseconds.

    python benchmarks/review_latency.py [--items 100000] [--decisions 300] [--annotators 4]
        [--concurrent-decisions 500]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).parents[1]
sys.path.insert(0, str(REPO / "tests"))


def make_output(root: Path, n: int) -> Path:
    from kit.hard_scripts import RECORDS

    from babelforge.manifest import load_manifest
    from babelforge.runner import run_manifest

    rng = random.Random(0)
    with open(root / "records.jsonl", "w", encoding="utf-8") as f:
        for i in range(n):
            base = RECORDS[i % len(RECORDS)]
            f.write(json.dumps({**base, "id": f"r{i}"}, ensure_ascii=False) + "\n")
    manifest = root / "bench.yaml"
    manifest.write_text(
        json.dumps(
            {
                "name": "review-latency",
                "sources": [
                    {
                        "kind": "jsonl",
                        "path": str(root / "records.jsonl"),
                        "fields": {"language": "lang", "spans": "spans"},
                    }
                ],
                "output": {"path": str(root / "out"), "kind": "spans", "labels": ["PER", "LOC", "ORG"]},
            }
        )
    )
    rng.random()
    run_manifest(load_manifest(manifest))
    return root / "out"


def timed_items(url: str, annotator: str, decisions: int, params: dict) -> list[float]:
    import httpx

    times = []
    with httpx.Client(base_url=url, timeout=30) as client:
        for i in range(decisions):
            started = time.perf_counter()
            item = client.get("/api/next", params={"annotator": annotator, **params}).json()["item"]
            body = {"annotator": annotator, "decision": "accept" if i % 3 else "reject", "reason": "bench"}
            client.post(f"/api/items/{item['n']}/decision", json=body).raise_for_status()
            times.append((time.perf_counter() - started) * 1000)
    return times


def annotate(job: tuple[str, str, int]) -> tuple[str, list[int], list[float], list[float], int]:
    """One annotator's session (in its own process): items served, ms per decision, ms per item, failures."""
    import httpx

    url, annotator, decisions = job
    served, posts, items, failed = [], [], [], 0
    with httpx.Client(base_url=url, timeout=30) as client:
        for i in range(decisions):
            started = time.perf_counter()
            item = client.get("/api/next", params={"annotator": annotator}).json()["item"]
            if item is None:
                break
            served.append(item["n"])
            body = {"annotator": annotator, "decision": "accept" if i % 3 else "reject", "reason": "bench"}
            posted = time.perf_counter()
            failed += client.post(f"/api/items/{item['n']}/decision", json=body).status_code != 200
            done = time.perf_counter()
            posts.append((done - posted) * 1000)
            items.append((done - started) * 1000)
    return annotator, served, posts, items, failed


def concurrent(url: str, db: Path, annotators: int, decisions: int) -> float:
    """``annotators`` processes at once; prints latency, duplicates and lost decisions; returns the p95."""
    from babelforge.review import ReviewStore

    jobs = [(url, f"concurrent-{k}", decisions) for k in range(annotators)]
    with multiprocessing.get_context("spawn").Pool(annotators) as pool:
        results = pool.map(annotate, jobs)
    posts = [ms for r in results for ms in r[2]]
    items = [ms for r in results for ms in r[3]]
    served = [n for r in results for n in r[1]]
    failed = sum(r[4] for r in results)
    names = {r[0] for r in results}
    saved = {(d["annotator"], d["n"]) for d in ReviewStore(db).decisions() if d["annotator"] in names}
    lost = len({(r[0], n) for r in results for n in r[1]} - saved)
    p50, p95 = statistics.median(posts), statistics.quantiles(posts, n=20)[-1]
    print(
        f"{annotators} concurrent annotators x {decisions}: per decision (POST) p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
        f"max {max(posts):.1f} ms; per item (next + POST) p50 {statistics.median(items):.1f} ms, "
        f"p95 {statistics.quantiles(items, n=20)[-1]:.1f} ms over {len(posts)} decisions"
    )
    print(
        f"items served to two annotators (overlap 1): {len(served) - len(set(served))}; "
        f"decisions lost: {lost}; answers not 200: {failed}"
    )
    print(f"p95 per decision {p95:.1f} ms: target < 50 ms -> ratio {50 / p95:.1f}x under")
    return p95


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--decisions", type=int, default=300)
    parser.add_argument("--annotators", type=int, default=4)
    parser.add_argument("--concurrent-decisions", type=int, default=500)
    args = parser.parse_args()
    import httpx

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        output = make_output(root, args.items)
        print(f"output of {args.items:,} items written in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        url = f"http://127.0.0.1:{free_port()}"
        port = url.rsplit(":", 1)[1]
        command = [sys.executable, "-m", "babelforge", "review", "serve", str(output), "--port", port, "--no-browser"]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        try:
            while True:
                try:
                    httpx.get(f"{url}/api/session", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            print(f"first start (imports {args.items:,} items into SQLite): {time.perf_counter() - started:.1f} s")
            page = time.perf_counter()
            for path in ("/", "/static/review.js", "/static/review.css", "/api/session"):
                httpx.get(url + path).raise_for_status()
            print(f"page load (html, js, css, session): {(time.perf_counter() - page) * 1000:.1f} ms")
            orders = {
                "plain": {},
                "language+label filter": {"language": "tha_Thai", "label": "LOC"},
                "low-confidence first": {"low_first": "true"},
            }
            worst = 0.0
            for name, params in orders.items():
                times = timed_items(url, f"bench-{name}", args.decisions, params)
                p95 = statistics.quantiles(times, n=20)[-1]
                worst = max(worst, p95)
                print(
                    f"{name:>24}: per item (next + decision) mean {statistics.mean(times):.1f} ms, "
                    f"median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, max {max(times):.1f} ms "
                    f"over {len(times)} items"
                )
            print(f"worst p95 {worst:.1f} ms per item: target < 200 ms -> ratio {200 / worst:.1f}x under")
            if args.annotators:
                from babelforge.review import default_db

                concurrent(url, default_db(output), args.annotators, args.concurrent_decisions)
        finally:
            process.kill()


if __name__ == "__main__":
    main()
