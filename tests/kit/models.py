"""Tiny random models, built and saved exactly as real checkpoints are, so real loaders read them.

- a Marian translation model with a SentencePiece tokenizer, converted by CTranslate2's converter;
- a BERT encoder with a word-piece vocabulary, loadable by simalign and ``AutoModel``.

Weights are random (seeded): the models run, they do not translate. Tests assert on mechanics
(batching, offsets, caching), never on translation quality.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

SPECIAL_BERT = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def training_text(conll: Path) -> str:
    """Text to train tokenizers on: the tokens of a CoNLL file, joined."""
    tokens = [line.split("\t")[0] for line in conll.read_text(encoding="utf-8").splitlines() if line.strip()]
    return " ".join(tokens)


TINY = {"d_model": 16, "layers": 1, "heads": 2, "ffn": 32, "positions": 128}


def build_tiny_marian(folder: Path, text: str, vocab_size: int = 300) -> tuple[Path, Path]:
    """A random tiny Marian model with its tokenizer, and its CTranslate2 conversion: ``(hf_dir, ct2_dir)``."""
    return build_marian(folder, text, vocab_size, **TINY)


def build_marian(
    folder: Path,
    text: str,
    vocab_size: int,
    d_model: int,
    layers: int,
    heads: int,
    ffn: int,
    positions: int,
    piece_type: str = "unigram",
    quantization: str | None = None,
) -> tuple[Path, Path]:
    """Build a random Marian model of any shape with a SentencePiece tokenizer trained on ``text``,
    and convert it with CTranslate2 (``quantization`` as the converter takes it).

    Marian keeps ``<pad>`` as the last vocabulary entry; CTranslate2's converter drops it (and its
    weights), which is why its vocabulary is one entry shorter than ``len(tokenizer)``.

    Returns:
        ``(hf_dir, ct2_dir)``.
    """
    import ctranslate2
    import sentencepiece as spm
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    hf_dir, ct2_dir = folder / "marian", folder / "marian-ct2"
    hf_dir.mkdir(parents=True, exist_ok=True)
    corpus = folder / "corpus.txt"
    corpus.write_text("\n".join(text[i : i + 200] for i in range(0, len(text), 200)), encoding="utf-8")
    spm.SentencePieceTrainer.train(
        input=str(corpus), model_prefix=str(folder / "spm"), vocab_size=vocab_size, character_coverage=1.0,
        model_type=piece_type, hard_vocab_limit=False, bos_id=-1, eos_id=-1, unk_id=0, pad_id=-1, minloglevel=2,
    )  # fmt: skip
    for name in ("source.spm", "target.spm"):
        shutil.copy(folder / "spm.model", hf_dir / name)
    pieces = spm.SentencePieceProcessor(model_file=str(folder / "spm.model"))
    vocab = {"</s>": 0, "<unk>": 1}
    for i in range(pieces.get_piece_size()):
        vocab.setdefault(pieces.id_to_piece(i), len(vocab))
    vocab["<pad>"] = len(vocab)
    (hf_dir / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    MarianTokenizer(str(hf_dir / "source.spm"), str(hf_dir / "target.spm"), str(hf_dir / "vocab.json")).save_pretrained(
        hf_dir
    )
    config = MarianConfig(
        vocab_size=len(vocab), d_model=d_model, encoder_layers=layers, decoder_layers=layers,
        encoder_attention_heads=heads, decoder_attention_heads=heads, encoder_ffn_dim=ffn, decoder_ffn_dim=ffn,
        max_position_embeddings=positions, pad_token_id=len(vocab) - 1, eos_token_id=0,
        decoder_start_token_id=len(vocab) - 1,
    )  # fmt: skip
    torch.manual_seed(0)
    MarianMTModel(config).save_pretrained(hf_dir)
    ctranslate2.converters.TransformersConverter(str(hf_dir)).convert(
        str(ct2_dir), quantization=quantization, force=True
    )
    return hf_dir, ct2_dir


def build_tiny_bert(folder: Path, text: str, words: int = 400) -> Path:
    """Build a random 2-layer BERT with a word-piece vocabulary of frequent words plus letters."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    vocabulary = sorted({w.lower() for w in text.split()})[:words]
    letters = list("abcdefghijklmnopqrstuvwxyz") + [f"##{c}" for c in "abcdefghijklmnopqrstuvwxyz"]
    lines = list(dict.fromkeys(SPECIAL_BERT + letters + vocabulary))  # ids are line numbers: no repeats
    (folder / "vocab.txt").write_text("\n".join(lines), encoding="utf-8")
    tokenizer = BertTokenizer(str(folder / "vocab.txt"))
    tokenizer.save_pretrained(folder)
    config = BertConfig(
        vocab_size=len(lines), hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=128,
    )  # fmt: skip
    torch.manual_seed(0)
    BertModel(config).save_pretrained(folder)
    return folder


def build_tiny_chat_lm(
    folder: Path, text: str, tags: str = "turn", vocab_size: int = 400, shape: dict | None = None
) -> Path:
    """A random 2-layer Llama with a byte-level BPE tokenizer and a ChatML chat template.

    ``tags``: ``turn`` puts ``{% generation %}`` around the assistant's content and end-of-turn token
    (right); ``content`` leaves the end-of-turn token outside, ``none`` has no tags: the broken kinds
    the loss-mask audit must catch. ``shape`` overrides the Llama config (benchmarks build larger ones).
    """
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    from babelforge.finetune.templates import CHATML

    folder.mkdir(parents=True, exist_ok=True)
    specials = ["<|pad|>", "<|im_start|>", "<|im_end|>"]
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    bpe.train_from_iterator([text[i : i + 500] for i in range(0, len(text), 500)], trainer=trainer)
    template = {
        "turn": CHATML,
        "content": CHATML.replace("+ '<|im_end|>' }}{% endgeneration %}", "}}{% endgeneration %}{{- '<|im_end|>' }}"),
        "none": CHATML.replace("{% generation %}", "").replace("{% endgeneration %}", ""),
    }[tags]
    assert tags == "turn" or template != CHATML
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, pad_token="<|pad|>", eos_token="<|im_end|>", bos_token=None, chat_template=template
    )
    tokenizer.save_pretrained(folder)
    settings = {
        "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2,
        "num_key_value_heads": 2, "max_position_embeddings": 256, **(shape or {}),
    }  # fmt: skip
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        pad_token_id=0,
        eos_token_id=2,
        bos_token_id=None,
        tie_word_embeddings=False,
        **settings,
    )
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(folder)
    return folder
