"""CTranslate2 int8 vs transformers `generate` (fp32) on the same checkpoint, batch, beam and output length.

The checkpoint is a random Marian model of opus-mt size (6+6 layers, d_model 512, a 32k SentencePiece
vocabulary, about 60M parameters), built and saved like a real one and converted with CTranslate2's
converter.
Both engines decode exactly ``--length`` tokens (end-of-sentence suppressed by a minimum length), so
the work is equal whatever the random weights say. Prints both timings and the ratio (target >= 3x).

    python benchmarks/ct2_speed.py [--batch 16] [--beam 4] [--length 48] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent


def build(folder: Path, vocab_size: int) -> tuple[Path, Path]:
    """A Marian checkpoint with a real SentencePiece vocabulary of about ``vocab_size`` entries."""
    import random

    import ctranslate2
    import sentencepiece as spm
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(0)
    words = {
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9))) for _ in range(vocab_size)
    }
    sample = (HERE.parent / "tests" / "data" / "europarl-en.conll").read_text().split()
    corpus = folder / "corpus.txt"
    corpus.write_text(
        "\n".join([" ".join(sorted(words)[i : i + 20]) for i in range(0, len(words), 20)] + [" ".join(sample)])
    )
    spm.SentencePieceTrainer.train(
        input=str(corpus), model_prefix=str(folder / "spm"), vocab_size=vocab_size, model_type="word",
        hard_vocab_limit=False, bos_id=-1, eos_id=-1, unk_id=0, pad_id=-1, minloglevel=2,
    )  # fmt: skip
    hf = folder / "marian"
    hf.mkdir()
    for name in ("source.spm", "target.spm"):
        shutil.copy(folder / "spm.model", hf / name)
    pieces = spm.SentencePieceProcessor(model_file=str(folder / "spm.model"))
    vocab = {"</s>": 0, "<unk>": 1}
    for i in range(pieces.get_piece_size()):
        vocab.setdefault(pieces.id_to_piece(i), len(vocab))
    vocab["<pad>"] = len(vocab)
    (hf / "vocab.json").write_text(json.dumps(vocab))
    MarianTokenizer(str(hf / "source.spm"), str(hf / "target.spm"), str(hf / "vocab.json")).save_pretrained(hf)
    config = MarianConfig(
        vocab_size=len(vocab), d_model=512, encoder_layers=6, decoder_layers=6, encoder_attention_heads=8,
        decoder_attention_heads=8, encoder_ffn_dim=2048, decoder_ffn_dim=2048, max_position_embeddings=512,
        pad_token_id=len(vocab) - 1, eos_token_id=0, decoder_start_token_id=len(vocab) - 1,
    )  # fmt: skip
    torch.manual_seed(0)
    MarianMTModel(config).save_pretrained(hf)
    ct2 = folder / "ct2-int8"
    ctranslate2.converters.TransformersConverter(str(hf)).convert(str(ct2), quantization="int8", force=True)
    return hf, ct2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--beam", type=int, default=4)
    parser.add_argument("--length", type=int, default=48)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    import ctranslate2
    import torch
    from transformers import AutoTokenizer, MarianMTModel

    torch.set_num_threads(args.threads)
    work = Path(tempfile.mkdtemp(prefix="bf-ct2-"))
    try:
        hf, ct2 = build(work, 32_000)
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
        translator = ctranslate2.Translator(str(ct2), device="cpu", compute_type="int8", intra_threads=args.threads)
        tokens = [tokenizer.convert_ids_to_tokens(tokenizer.encode(t)) for t in texts]
        translator.translate_batch(tokens[:2], max_decoding_length=4)  # warm-up
        started = time.perf_counter()
        translator.translate_batch(
            tokens, beam_size=args.beam, max_decoding_length=args.length, min_decoding_length=args.length
        )
        ct2_s = time.perf_counter() - started
        print(f"batch {args.batch}, beam {args.beam}, {args.length} output tokens, {args.threads} threads")
        print(f"transformers generate fp32: {hf_s:.2f} s")
        print(f"ctranslate2 int8:           {ct2_s:.2f} s")
        print(f"ratio transformers / ctranslate2 = {hf_s / ct2_s:.2f}x (target >= 3x)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
