"""Constrained (Codec-style) projection, clean translation included, against plain translation.

Both sides start from the same English Europarl sentences with their gold entities (the sample in
``tests/data``) and the same random opus-mt-sized Marian model (6+6 layers, d_model 512, 32k
vocabulary, int8; built as in ``ct2_speed.py``). Plain: translate every sentence (beam 4). Constrained:
translate every sentence the same way, then project every entity onto its translation with
``ConstrainedProjector`` (two batched scoring passes). The random model never stops early, so every
translation is ``--length`` tokens long: longer templates than real ones, which makes the ratio
pessimistic. Prints both timings and the ratio (target <= 1.5).

    python benchmarks/constrained_speed.py [--sentences 150] [--length 40]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sentences", type=int, default=150)
    parser.add_argument("--length", type=int, default=40, help="output tokens per translation")
    parser.add_argument("--top-k", type=int, default=2)
    args = parser.parse_args()
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from ct2_speed import build

    from babelforge.projection.constrained import ConstrainedProjector
    from babelforge.projection.ct2 import CTranslate2Translator, Decoding
    from babelforge.projection.evaluate import read_gold
    from babelforge.projection.projector import ProjectionInput

    work = Path(tempfile.mkdtemp(prefix="bf-codec-"))
    os.environ["BABELFORGE_HOME"] = str(work / "home")
    try:
        hf, _ = build(work, 32_000)
        gold = read_gold(HERE.parent / "tests" / "data" / "europarl-en.conll", "conll")[: args.sentences]
        texts = [text for text, _ in gold]
        decoding = Decoding(beam_size=4, max_decoding_length=args.length, quantization="int8")

        def translator() -> CTranslate2Translator:
            mt = CTranslate2Translator(str(hf), "en", "de", decoding, memory=None)
            mt.translate(texts[:2])  # load and warm up outside the timings
            return mt

        plain = translator()
        started = time.perf_counter()
        plain.translate(texts)
        plain_s = time.perf_counter() - started

        mt = translator()
        projector = ConstrainedProjector(str(hf), "en", "de", top_k=args.top_k, quantization="int8")
        started = time.perf_counter()
        templates = mt.translate(texts)
        translate_s = time.perf_counter() - started
        inputs = [ProjectionInput(t, spans, template) for (t, spans), template in zip(gold, templates, strict=True)]
        started = time.perf_counter()
        results = projector.project(inputs)
        project_s = time.perf_counter() - started
        entities = sum(len(spans) for _, spans in gold)
        statuses = {s: sum(r.status == s for r in results) for s in ("complete", "partial", "failed")}
        print(f"{len(texts)} sentences, {entities} entities, {args.length} output tokens, beam 4, int8, ", end="")
        print(f"top-k {args.top_k}")
        print(f"plain translation:                  {plain_s:.2f} s")
        total = translate_s + project_s
        print(f"constrained: translation {translate_s:.2f} s + projection {project_s:.2f} s = {total:.2f} s")
        print(f"statuses: {statuses}")
        print(f"ratio constrained / plain = {total / plain_s:.2f}x (target <= 1.5x)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
