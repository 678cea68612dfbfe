"""Fault injection, the long part: every scenario of ``tests/faults/`` at a larger size, and repeated.

Drives the real CLI in subprocesses: ``kill -9`` at every point of a run (one pass and two, emit and
cleanup included), two and three concurrent runs into one output (repeated ``--trials`` times),
inputs changed / added / removed between attempts, shards deleted from a kept work folder, every
output path that must be refused, binary / truncated gzip / empty / wrong-encoding inputs with
``on_error`` fail and skip, and a full disk (a small tmpfs, when this user may mount one). Prints
the table (scenario, outcome, rows lost, partial outputs published, tracebacks shown, user files
lost) and the totals, which must all be 0.

    python benchmarks/faults.py [--lines 60000] [--trials 14]
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

from kit import faults


def bad_inputs() -> list[tuple[str, bytes]]:
    good = b'{"text": "fine"}\n' * 100
    truncated = gzip.compress(good)[:-30]
    return [
        ("ls.conll", Path("/bin/ls").read_bytes()),
        ("ls.jsonl", Path("/bin/ls").read_bytes()),
        ("cut.jsonl.gz", truncated),
        ("empty.jsonl", b""),
        ("latin1.jsonl", '{"text": "caf\u00e9 cr\u00e8me"}\n'.encode("latin-1")),
    ]


def scenarios(root: Path, lines: int, trials: int):
    counter = iter(range(10_000))

    def fresh() -> Path:
        return root / f"s{next(counter)}"

    big = {"lines": lines, "files": 4, "tasks": 4}
    for point in faults.KILL_POINTS:
        yield faults.kill_then_rerun(fresh(), point, lines=max(lines // 20, 200))
        yield faults.kill_then_rerun(fresh(), point, manifest="m2.yaml", lines=max(lines // 20, 200))
    yield faults.kill_mid_pass(fresh(), manifest="m.yaml", **big)
    yield faults.kill_mid_pass(fresh(), manifest="m2.yaml", **big)
    for runs in (2, 3):
        for _ in range(trials):
            yield faults.concurrent_runs(fresh(), runs=runs, **big)
    for change in ("changed", "added", "removed"):
        yield faults.inputs_between_attempts(fresh(), change, lines=max(lines // 20, 200))
    yield faults.damaged_work(fresh(), **big)
    for name, args in faults.REFUSED_OUTPUTS:
        yield faults.refused_output(fresh(), name, args, files=1, lines=20)
    for name, content in bad_inputs():
        for on_error in ("fail", "skip"):
            yield faults.bad_input(fresh(), name, content, on_error=on_error)
    yield faults.full_disk(fresh(), lines=lines // 10)
    yield faults.llm_outage(fresh(), files=2, lines=max(lines // 200, 50), tasks=4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=60_000, help="rows per input file in the large scenarios")
    parser.add_argument("--trials", type=int, default=14, help="repeats of each concurrent-run scenario")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bf-faults-"))
    started = time.perf_counter()
    outcomes = []
    try:
        for outcome in scenarios(root, args.lines, args.trials):
            outcomes.append(outcome)
            print(f"{'ok  ' if outcome.ok else 'FAIL'} {outcome.scenario}: {outcome.outcome}", flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print()
    faults.print_table(outcomes)
    totals = {
        "rows lost": sum(o.rows_lost for o in outcomes),
        "partial outputs published": sum(o.partial_published for o in outcomes),
        "tracebacks shown": sum(o.tracebacks for o in outcomes),
        "user files lost": sum(o.user_files_lost for o in outcomes),
    }
    print(f"\n{len(outcomes)} scenarios in {time.perf_counter() - started:.0f} s; totals: "
          + ", ".join(f"{k} {v}" for k, v in totals.items()))  # fmt: skip
    sys.exit(0 if not any(totals.values()) else 1)


if __name__ == "__main__":
    main()
