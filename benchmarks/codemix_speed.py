"""Lexicon code-mixing throughput on one core: sentences mixed per second (target >= 10,000).

Mixes the Europarl English sample (``tests/data``, repeated to ``--sentences``) with the bundled
English-German lexicon at CMI 20 +/- 5, entity spans kept, in one process, and prints sentences/s
with the accepted and rejected counts. The time includes finding the function words in the first
256 sentences, as each ``codemix`` task does on its first batch.

    python benchmarks/codemix_speed.py [--sentences 200000] [--cmi 20]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

REPO = Path(__file__).parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sentences", type=int, default=200_000)
    parser.add_argument("--cmi", type=float, default=20.0)
    args = parser.parse_args()
    import os

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from babelforge.augment.lexicon import Lexicon
    from babelforge.augment.mix_lexicon import LexiconMixer, Mixed
    from babelforge.projection.evaluate import read_gold

    sample = read_gold(REPO / "tests" / "data" / "europarl-en.conll", "conll")
    records = [sample[i % len(sample)] for i in range(args.sentences)]
    mixer = LexiconMixer(Lexicon.read(REPO / "manifests" / "data" / "lexicons" / "en-de.tsv"), "en", "de", args.cmi, 5)
    started = time.perf_counter()
    if hasattr(mixer, "prepare"):
        mixer.prepare([text for text, _ in records[:256]])
    kept = sum(isinstance(mixer.mix(text, spans, str(i)), Mixed) for i, (text, spans) in enumerate(records))
    seconds = time.perf_counter() - started
    print(f"{len(records)} sentences in {seconds:.2f} s on one core: {len(records) / seconds:,.0f} sentences/s")
    print(f"kept {kept}, rejected {len(records) - kept} (CMI {args.cmi} +/- 5 out of reach)")
    print(f"ratio to target = {len(records) / seconds / 10_000:.2f}x (target >= 1: 10,000 sentences/s)")


if __name__ == "__main__":
    main()
