"""A tiny random chat model, built offline, to try ``babelforge train dpo`` (or ``sft``) without a download.

It learns nothing worth keeping: a two-layer Llama with random weights, a byte-level BPE tokenizer trained
on the dataset's own text, and the ChatML template with the ``{% generation %}`` tags that the loss-mask
and pair audits need. It trains on CPU in seconds, so a recipe's output can be checked end to end before a
real model is fetched::

    python -m babelforge.finetune.dpo_tiny tiny-lm --dataset out/preference-confusion-swh_Latn
    babelforge train dpo --dataset out/preference-confusion-swh_Latn --model tiny-lm --output dpo-run --max-steps 20
"""

from __future__ import annotations

import argparse
from pathlib import Path

from babelforge.errors import BabelforgeError, MissingDependencyError

#: Text columns the tokenizer is trained on, where the dataset has them.
TEXT_COLUMNS = ("prompt_text", "chosen_text", "rejected_text", "prompt", "completion", "text")
#: Used when no dataset is given: enough bytes for a tokenizer, in a few scripts.
FALLBACK_TEXT = (
    "The capital of Kenya is Nairobi. Mji mkuu wa Kenya ni Nairobi. Olú ìlú Nàìjíríà ni Abuja. "
    "Die Hauptstadt von Deutschland ist Berlin. አዲስ አበባ የኢትዮጵያ ዋና ከተማ ናት। भारत की राजधानी नई दिल्ली है।"
)
#: The model's shape: small enough to train on CPU in seconds.
SHAPE = {
    "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2,
    "num_key_value_heads": 2, "max_position_embeddings": 512,
}  # fmt: skip


def corpus(dataset: str | None, limit: int = 2000) -> str:
    """The text of up to ``limit`` rows of each split of ``dataset`` (an output folder), or a fallback text."""
    if dataset is None:
        return FALLBACK_TEXT * 20
    import datasets

    try:
        loaded = datasets.load_dataset(dataset)
    except Exception as error:  # noqa: BLE001 - a missing or damaged folder: one line
        raise BabelforgeError(f"could not read {dataset!r}: {str(error)[:200]}") from None
    parts = []
    for split in loaded.values():
        rows = split.select(range(min(limit, len(split))))
        for column in (c for c in TEXT_COLUMNS if c in rows.column_names):
            parts += [v for v in rows[column] if isinstance(v, str)]
    if not parts:
        raise BabelforgeError(f"{dataset}: no text column among {', '.join(TEXT_COLUMNS)} to train a tokenizer on")
    return "\n".join(parts) + "\n" + FALLBACK_TEXT


def build_tiny_chat_model(folder: str | Path, text: str, vocab_size: int = 512, seed: int = 0) -> Path:
    """Write a random two-layer Llama, its tokenizer (trained on ``text``) and a ChatML template to ``folder``.

    Raises:
        MissingDependencyError: without the ``train`` extra.
    """
    try:
        import torch
        from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
        from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast
    except ImportError as error:
        raise MissingDependencyError("a tiny model", [error.name or "torch"], "train") from None
    from babelforge.finetune.templates import CHATML, CHATML_END

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=["<|pad|>", "<|im_start|>", CHATML_END],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    bpe.train_from_iterator([text[i : i + 500] for i in range(0, len(text), 500)], trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, pad_token="<|pad|>", eos_token=CHATML_END, bos_token=None, chat_template=CHATML
    )
    tokenizer.save_pretrained(folder)
    config = LlamaConfig(
        vocab_size=len(tokenizer), pad_token_id=0, eos_token_id=2, bos_token_id=None, tie_word_embeddings=False, **SHAPE
    )
    torch.manual_seed(seed)
    LlamaForCausalLM(config).save_pretrained(folder)
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m babelforge.finetune.dpo_tiny",
        description="Build a tiny random chat model offline, to try `babelforge train dpo|sft` in seconds.",
    )
    parser.add_argument("folder", help="where to write the model")
    parser.add_argument("--dataset", help="a babelforge output whose text the tokenizer learns (recommended)")
    parser.add_argument("--vocab-size", type=int, default=512)
    args = parser.parse_args(argv)
    try:
        folder = build_tiny_chat_model(args.folder, corpus(args.dataset), args.vocab_size)
    except BabelforgeError as error:
        parser.exit(2, f"error: {error}\n")
    print(f"wrote a tiny random chat model to {folder} (for trying the trainer, not for use)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
