"""CTranslate2 int8 vs transformers `generate` (fp32) on the same checkpoint, batch, beam and output length.

The checkpoint is a random Marian model of opus-mt size (6+6 layers, d_model 512, a 32k SentencePiece
vocabulary, about 60M parameters), built and saved like a real one and converted with CTranslate2's
converter.
Both engines decode exactly ``--length`` tokens (end-of-sentence suppressed by a minimum length), so
the work is equal whatever the random weights say. Prints both timings and the ratio (target >= 3x).

    python benchmarks/ct2_speed.py [--shape opus-mt|m2m100-418m] [--batch 16] [--beam 4] [--length 48] [--threads 2]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent


#: Model shapes: opus-mt (about 60M parameters) and the M2M100-418M / NLLB-600M transformer body
#: (d_model 1024, 12+12 layers, 16 heads, FFN 4096), with the vocabulary set by ``--vocab``.
SHAPES = {
    "opus-mt": {"d_model": 512, "layers": 6, "heads": 8, "ffn": 2048},
    "m2m100-418m": {"d_model": 1024, "layers": 12, "heads": 16, "ffn": 4096},
}


def build(folder: Path, vocab_size: int, shape: str = "opus-mt") -> tuple[Path, Path]:
    """A random Marian-architecture checkpoint of ``shape`` with a word-level SentencePiece vocabulary."""
    import random

    sys.path.insert(0, str(HERE.parent / "tests"))
    from kit.models import build_marian

    rng = random.Random(0)
    words = {
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9))) for _ in range(vocab_size)
    }
    text = (
        " ".join(sorted(words))
        + " "
        + " ".join((HERE.parent / "tests" / "data" / "europarl-en.conll").read_text().split())
    )
    return build_marian(
        folder, text, vocab_size, **SHAPES[shape], positions=512, piece_type="word", quantization="int8",
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--beam", type=int, default=4)
    parser.add_argument("--length", type=int, default=48)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--shape", choices=sorted(SHAPES), default="opus-mt")
    parser.add_argument("--vocab", type=int, default=32_000)
    parser.add_argument("--compute-type", default="int8", help="int8 or int8_float32 (CPU)")
    args = parser.parse_args()
    import ctranslate2
    import torch
    from transformers import AutoTokenizer, MarianMTModel

    torch.set_num_threads(args.threads)
    work = Path(tempfile.mkdtemp(prefix="bf-ct2-"))
    try:
        hf, ct2 = build(work, args.vocab, args.shape)
        tokenizer = AutoTokenizer.from_pretrained(hf)
        sentences = [
            line.split("\t")[0] for line in (HERE.parent / "tests/data/europarl-en.conll").read_text().split("\n\n")
        ]
        texts = [" ".join(s.split()[:30]) for s in sentences[: args.batch]]
        model = MarianMTModel.from_pretrained(hf).eval()
        inputs = tokenizer(texts, return_tensors="pt", padding=True)
        settings = {"num_beams": args.beam, "max_new_tokens": args.length, "min_new_tokens": args.length}
        with torch.inference_mode():
            model.generate(**inputs, num_beams=args.beam, max_new_tokens=4)  # warm-up
            started = time.perf_counter()
            model.generate(**inputs, **settings)
            hf_s = time.perf_counter() - started
        translator = ctranslate2.Translator(
            str(ct2), device="cpu", compute_type=args.compute_type, intra_threads=args.threads
        )
        tokens = [tokenizer.convert_ids_to_tokens(tokenizer.encode(t)) for t in texts]
        translator.translate_batch(tokens[:2], max_decoding_length=4)  # warm-up
        started = time.perf_counter()
        translator.translate_batch(
            tokens, beam_size=args.beam, max_decoding_length=args.length, min_decoding_length=args.length
        )
        ct2_s = time.perf_counter() - started
        print(f"{args.shape} shape, {args.vocab} vocabulary, batch {args.batch}, beam {args.beam}, ", end="")
        print(f"{args.length} output tokens, {args.threads} threads")
        print(f"transformers generate fp32: {hf_s:.2f} s")
        print(f"ctranslate2 {args.compute_type}:           {ct2_s:.2f} s")
        print(f"ratio transformers / ctranslate2 = {hf_s / ct2_s:.2f}x (target >= 3x)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
