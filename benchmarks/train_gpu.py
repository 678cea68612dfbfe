"""`babelforge train sft` against plain TRL on one GPU: tokens/s and peak memory; plus a QLoRA run.

Both runs train the same random Llama (built here with a byte-level BPE tokenizer and the ChatML
template, ``--hidden``/``--layers`` set its size) on the same synthetic conversations (a babelforge-
style output folder of Parquet files), with the same batch, sequence length, steps, learning rate,
bf16 weights, assistant-only loss and gradient checkpointing (TRL's default, and babelforge's for
``sft`` and ``cpt``); babelforge without gradient checkpointing is measured too. babelforge's run
includes its loss-mask audit (done before the timed training). Each run is its own process and
starts with a 3-step warm-up run (CUDA and cuBLAS start-up are paid there, not in the timing). Then
a QLoRA run (4-bit NF4 base, LoRA r=16) through babelforge. Prints a table and writes
``train_gpu.json`` (to ``$OUT`` when set). Target: babelforge no slower than TRL, same or lower memory.

    python benchmarks/train_gpu.py [--steps 40] [--batch 8] [--length 1024] [--hidden 1024] [--layers 16]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "tests"))


def build_data(folder: Path, conversations: int, words: int) -> Path:
    """A babelforge-style chat output folder: ``data/default/train-*.parquet`` with ``messages``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = random.Random(0)
    vocabulary = [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 8))) for _ in range(3000)
    ]

    def sentence(n: int) -> str:
        return " ".join(rng.choice(vocabulary) for _ in range(n))

    rows = [
        {
            "id": f"c{i}",
            "language": "eng_Latn",
            "messages": [
                {"role": "user", "content": sentence(words // 3)},
                {"role": "assistant", "content": sentence(words)},
            ],
        }
        for i in range(conversations)
    ]
    out = folder / "chat" / "data" / "default"
    out.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows), out / "train-00000-of-00001.parquet")
    return folder / "chat", " ".join(vocabulary) * 3


def _reset_memory() -> None:
    import gc

    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def _peak_memory() -> float | None:
    import torch

    return torch.cuda.max_memory_allocated() / 2**30 if torch.cuda.is_available() else None


def run_trl(model: str, dataset: Path, output: Path, args) -> dict:
    """Plain TRL, as its own documentation sets it up: bf16 weights, assistant-only loss."""
    import datasets
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    gpu = torch.cuda.is_available()
    _reset_memory()
    tokenizer = AutoTokenizer.from_pretrained(model)
    network = AutoModelForCausalLM.from_pretrained(model, dtype=torch.bfloat16 if gpu else torch.float32)
    train = datasets.load_dataset(str(dataset), split="train").select_columns(["messages"])
    config = SFTConfig(
        output_dir=str(output), max_steps=args.steps, per_device_train_batch_size=args.batch, learning_rate=1e-4,
        max_length=args.length, bf16=gpu, assistant_only_loss=True, report_to=[], save_strategy="no",
        logging_steps=10, disable_tqdm=True,
    )  # fmt: skip
    trainer = SFTTrainer(model=network, args=config, train_dataset=train, processing_class=tokenizer)
    outcome = trainer.train()
    tokens = max(float(e["num_tokens"]) for e in trainer.state.log_history if "num_tokens" in e)
    runtime = outcome.metrics["train_runtime"]
    return {
        "tokens_per_second": tokens / runtime,
        "runtime_s": runtime,
        "tokens": tokens,
        "peak_memory_gb": _peak_memory(),
        "loss": outcome.training_loss,
    }


def run_babelforge(model: str, dataset: Path, output: Path, args, checkpointing: bool = True, **adapter) -> dict:
    from babelforge.finetune.options import TrainOptions
    from babelforge.finetune.sft import Adapter, train_sft

    _reset_memory()
    options = TrainOptions(
        dataset=str(dataset), model=model, output=str(output), max_steps=args.steps, batch_size=args.batch, lr=1e-4,
        max_length=args.length, save_steps=10_000, gradient_checkpointing=checkpointing,
        extra={"save_strategy": "no", "logging_steps": 10},
    )  # fmt: skip
    metrics = train_sft(options, Adapter(**adapter))
    train = metrics["train"]
    return {
        "tokens_per_second": train["tokens_per_second"],
        "runtime_s": train["runtime_s"],
        "tokens": train["tokens"],
        "peak_memory_gb": train.get("peak_memory_gb"),
        "loss": train["loss"],
        "audit": {k: metrics["loss_mask_audit"][k] for k in ("assistant_share", "prompt_share", "end_of_turn_share")},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--length", type=int, default=1024)
    parser.add_argument("--hidden", type=int, default=1024)
    parser.add_argument("--layers", type=int, default=16)
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--skip-qlora", action="store_true")
    parser.add_argument("--run", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--dataset", help=argparse.SUPPRESS)
    parser.add_argument("--report", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:  # a child process: a short warm-up run (CUDA and cuBLAS start-up), then the timed run
        import gc

        work = Path(args.report).parent
        runs = {
            "trl": lambda out, a: run_trl(args.model, Path(args.dataset), out, a),
            "babelforge": lambda out, a: run_babelforge(args.model, Path(args.dataset), out, a),
            "babelforge_no_checkpointing": lambda out, a: run_babelforge(
                args.model, Path(args.dataset), out, a, checkpointing=False
            ),
            "babelforge_qlora": lambda out, a: run_babelforge(args.model, Path(args.dataset), out, a, qlora=True),
        }
        runs[args.run](work / f"{args.run}-warm", argparse.Namespace(**{**vars(args), "steps": 3}))
        gc.collect()
        Path(args.report).write_text(json.dumps(runs[args.run](work / args.run, args), default=str))
        return
    import torch
    from kit.models import build_tiny_chat_lm

    work = Path(tempfile.mkdtemp(prefix="bf-train-"))
    dataset, text = build_data(work, args.conversations, words=args.length // 3)
    shape = {
        "hidden_size": args.hidden, "intermediate_size": int(args.hidden * 2.75), "num_hidden_layers": args.layers,
        "num_attention_heads": args.hidden // 64, "num_key_value_heads": args.hidden // 64,
        "max_position_embeddings": 4096,
    }  # fmt: skip
    started = time.perf_counter()
    model = str(build_tiny_chat_lm(work / "model", text, vocab_size=8000, shape=shape))
    parameters = sum(
        p.numel() for p in __import__("transformers").AutoModelForCausalLM.from_pretrained(model).parameters()
    )
    print(f"model: {parameters / 1e6:.0f}M parameters, built in {time.perf_counter() - started:.0f} s", flush=True)
    device = torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu"
    results = {"device": device, "parameters": parameters, "settings": vars(args)}
    # One process per run: nothing of one run (weights, optimizer, CUDA caches) is left for the next.
    runs = ("trl", "babelforge", "babelforge_no_checkpointing") + (() if args.skip_qlora else ("babelforge_qlora",))
    for name in runs:
        report = work / f"{name}.json"
        command = [sys.executable, __file__, "--run", name, "--model", model, "--dataset", str(dataset),
                   "--report", str(report), *sys.argv[1:]]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True)
        results[name] = json.loads(report.read_text()) if report.exists() else {"error": done.stderr[-1500:]}
    print(f"{results['device']}, {parameters / 1e6:.0f}M parameters, batch {args.batch} x {args.length} tokens")
    for name in runs:
        r = results.get(name, {})
        if "tokens_per_second" in r:
            memory = f"{r['peak_memory_gb']:.2f} GiB" if r["peak_memory_gb"] is not None else "n/a"
            print(f"{name:28} {r['tokens_per_second']:>10.0f} tokens/s  peak {memory}  loss {r['loss']:.3f}")
        elif r:
            print(f"{name:28} {r}")
    bf, trl = results["babelforge"], results["trl"]
    if "tokens_per_second" not in bf or "tokens_per_second" not in trl:
        raise SystemExit("a run failed: see above")
    print(f"ratio babelforge / TRL tokens/s = {bf['tokens_per_second'] / trl['tokens_per_second']:.3f} (target >= 1)")
    if bf["peak_memory_gb"] and trl["peak_memory_gb"]:
        print(f"ratio babelforge / TRL peak memory = {bf['peak_memory_gb'] / trl['peak_memory_gb']:.3f} (target <= 1)")
    target = Path(os.environ.get("OUT", ".")) / "train_gpu.json"
    target.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
